"""The pacer against a simulator that enforces IBKR's limits: many threads, no 429; and 429s that come anyway."""

import pytest

from ibind import IbkrClient, Pacer
from ibind.sim import GatewaySimulator
from ibind.support.errors import RateLimitError

from threads import run_on_threads


def test_twenty_threads_hammering_a_rate_limited_gateway_earn_no_429():
    rate = 20.0  # the same global rate on both sides (IBKR: 10 gateway, 50 OAuth); per-endpoint limits as IBKR's
    with GatewaySimulator(pacing=True, global_rate=rate, latency={'GET /iserver/marketdata/history': 0.05}) as sim:
        with IbkrClient(url=sim.url, account_id='DU1234567', pacer=Pacer(global_rate=rate)) as client:
            client.receive_brokerage_accounts()
            errors = []

            def hammer(n):
                try:
                    client.live_marketdata_snapshot(['265598', '8314'][n % 2], ['31'])
                    client.marketdata_history_by_conid('265598', bar='5min', period='1d')
                    client.contract_information_by_conid('272093')
                    client.search_contract_by_symbol('AAPL')
                except Exception as error:  # reported below
                    errors.append(error)

            run_on_threads(hammer, 20)
        state = sim.control.state()
    assert errors == []
    assert state['pacing']['rejected'] == 0
    assert state['counters']['by_status'].get('429', 0) == 0
    assert state['counters']['total'] == 81
    assert state['marketdata']['history']['max_concurrent'] <= 5


def test_the_same_hammering_without_the_pacer_earns_429s():
    """The control experiment: the limits are real, so the test above could fail."""
    with GatewaySimulator(pacing=True, global_rate=20.0) as sim:
        with IbkrClient(url=sim.url, account_id='DU1234567', pacing=False, max_retries=0) as client:
            client.receive_brokerage_accounts()
            outcomes = []
            for _ in range(40):
                try:
                    client.contract_information_by_conid('272093')
                    outcomes.append('ok')
                except RateLimitError:
                    outcomes.append('429')
    assert '429' in outcomes


def test_an_unexpected_429_pauses_and_retries_gets_and_reports_posts(sim):
    sim.control.config(pacing=True, global_rate=5.0, penalty_box=0.3)
    pacer = Pacer(global_rate=None)  # as if another process shared the account: our pacer does not know
    with IbkrClient(url=sim.url, account_id='DU1234567', pacer=pacer, max_retries=5) as client:
        results = [client.contract_information_by_conid('8314').data['con_id'] for _ in range(12)]
        assert results == [8314] * 12  # every GET got through, after backing off as Retry-After said
        assert pacer.describe()['penalties'] >= 1
        assert sim.control.state()['pacing']['rejected'] >= 1
        sim.control.config(penalty_box=30.0)
        with IbkrClient(url=sim.url, account_id='DU1234567', pacing=False, max_retries=0) as burst:
            for _ in range(10):  # earn a 30 s penalty box
                try:
                    burst.contract_information_by_conid('8314')
                except RateLimitError:
                    break
        replies_before = sim.control.received('POST /iserver/reply/{replyId}')
        with pytest.raises(RateLimitError) as info:
            client.reply('a1b2', True)  # a POST that may act is not retried: the caller learns at once
        assert info.value.status_code == 429 and 25 <= info.value.retry_after <= 30
        assert sim.control.received('POST /iserver/reply/{replyId}') == replies_before + 1
