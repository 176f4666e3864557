"""A gateway restart mid-workload, and many threads on one client: nothing lost, nothing mixed up."""

import random
import threading
import time

from ibind import IbkrClient, Pacer, RetryPolicy

from threads import run_on_threads


def test_gateway_restart_mid_workload_gets_recover_and_the_tickler_carries_on(sim):
    patient = RetryPolicy(max_retries=10, backoff=0.05, backoff_max=0.4, jitter=0.1, retry_unreachable=True)
    with IbkrClient(url=sim.url, account_id='DU1234567', pacing=False, retry_policy=patient) as client:
        client.receive_brokerage_accounts()
        sim.control.config(order_questions=False)
        client.place_order(
            {'conid': 265598, 'side': 'BUY', 'quantity': 7, 'orderType': 'MKT', 'tif': 'DAY'}, answers={}
        )
        client.portfolio_accounts()
        tickler = client.start_tickler(interval=0.05)
        done, errors = [], []
        stop = threading.Event()

        def workload():
            while not stop.is_set():
                try:
                    ledger = client.get_ledger().data
                    info = client.contract_information_by_conid('8314').data
                    done.append((ledger['BASE']['acctcode'], info['con_id']))
                except Exception as error:  # the test fails on any
                    errors.append(error)

        worker = threading.Thread(target=workload)
        worker.start()
        while len(done) < 20:
            time.sleep(0.01)
        before_restart = len(done)
        sim.control.restart(down_for=1.5)
        time.sleep(0.2)
        restarted_at = time.time()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (
            len(done) > before_restart + 20 and tickler.last_success and tickler.last_success > restarted_at + 1.5
        ):
            time.sleep(0.05)
        stop.set()
        worker.join()
        assert errors == []
        assert len(done) > before_restart + 20 and set(done) == {('DU1234567', 8314)}
        assert tickler.running and tickler.last_success > restarted_at + 1.5
        positions = client.positions().data  # nothing lost: the position bought before the restart is still there
        assert [(p['conid'], p['position']) for p in positions] == [(265598, 7.0)]
        client.stop_tickler()


def test_eight_threads_times_500_mixed_calls_each_result_matches_its_request(sim):
    conids = ['265598', '272093', '8314', '4391', '756733']
    symbols = ['AAPL', 'MSFT', 'IBM', 'AMD', 'SPY']
    pacer = Pacer(global_rate=5000, max_wait=60)  # IBKR's per-endpoint limits and the 5-history cap still apply
    failures = []
    calls = []
    with IbkrClient(url=sim.url, account_id='DU1234567', pacer=pacer) as client:
        client.receive_brokerage_accounts()
        client.portfolio_accounts()

        def check_contract(rng):
            conid = rng.choice(conids)
            result = client.contract_information_by_conid(conid)
            return (
                result.request['url'].endswith(f'/iserver/contract/{conid}/info')
                and str(result.data['con_id']) == conid
            )

        def check_search(rng):
            symbol = rng.choice(symbols)
            result = client.search_contract_by_symbol(symbol)
            return result.request['params']['symbol'] == symbol and result.data[0]['symbol'] == symbol

        def check_history(rng):
            conid = rng.choice(conids)
            result = client.marketdata_history_by_conid(conid, bar='1h', period='1d')
            return result.request['params']['conid'] == conid and result.data['symbol'] == symbols[conids.index(conid)]

        def check_ledger(rng):
            result = client.get_ledger()
            return result.data['BASE']['acctcode'] == 'DU1234567'

        def check_secdef(rng):
            picked = rng.sample(conids, 2)
            result = client.security_definition_by_conid(picked)
            return sorted(str(item['conid']) for item in result.data['secdef']) == sorted(picked)

        checks = [check_contract, check_search, check_history, check_ledger, check_secdef]

        def work(worker):
            rng = random.Random(worker)
            for n in range(500):
                check = rng.choice(checks)
                try:
                    if not check(rng):
                        failures.append((worker, n, check.__name__, 'mismatch'))
                except Exception as error:
                    failures.append((worker, n, check.__name__, repr(error)))
                calls.append(1)

        run_on_threads(work, 8)
    state = sim.control.state()
    assert failures == []
    assert len(calls) == 4000
    assert state['counters']['by_status'].keys() == {'200'}
    assert 1 <= state['marketdata']['history']['max_concurrent'] <= 5
