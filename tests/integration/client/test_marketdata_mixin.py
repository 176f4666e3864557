"""MarketdataMixin against the simulated gateway over real sockets: content, quirks handled, limits kept."""

import datetime

import pytest

from ibind import IbkrClient
from ibind.client.stock_query import StockQuery
from ibind.support.errors import BadResponseError, ExternalBrokerError, RateLimitError

from sim_http import state

START = 1736953200.0  # 2025-01-15 15:00:00 UTC
UTC = datetime.timezone.utc
AAPL, IBM, MSFT = '265598', '8314', '272093'
HISTORY = 'GET /iserver/marketdata/history'


@pytest.fixture
def make(start_simulator):
    """make(**sim_options) -> (simulator, client with recorded sleeps); frozen clock at START by default."""
    opened = []

    def start(**options):
        options.setdefault('start_time', START)
        options.setdefault('frozen_clock', True)
        sim = start_simulator(**options)
        client = IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing=False)
        client.sleeps = []
        client._sleep = client.sleeps.append
        opened.append(client)
        return sim, client

    yield start
    for client in opened:
        client.close()


def received(sim, route):
    return state(sim)['counters']['by_route'].get(route, {'count': 0, 'statuses': {}})


def total_requests(sim):
    return state(sim)['counters']['total']


# ----------------------------------------------------------------- snapshots


def test_snapshot_preflight_then_data(make):
    sim, client = make()
    client.receive_brokerage_accounts()
    first = client.live_marketdata_snapshot([AAPL, IBM], ['last_price', '84', 'ask'])
    assert first.request['params'] == {'conids': f'{AAPL},{IBM}', 'fields': '31,84,86'}
    assert [entry['conid'] for entry in first.data] == [265598, 8314]
    assert all('31' not in entry for entry in first.data)  # the pre-flight
    second = client.live_marketdata_snapshot(AAPL, '31')
    (entry,) = second.data
    assert entry['conid'] == 265598 and float(entry['31']) > 0


def test_snapshot_by_symbol_returns_named_fields_after_the_preflight(make):
    sim, client = make()
    data = client.live_marketdata_snapshot_by_symbol(
        ['AAPL', StockQuery('MSFT')], ['last_price', 'bid', 'ask', 'symbol', '7051']
    )
    assert list(data) == ['AAPL', 'MSFT']
    assert data['AAPL']['symbol'] == 'AAPL' and data['MSFT']['symbol'] == 'MSFT'
    assert data['AAPL']['company_name'] == 'APPLE INC'
    for values in data.values():
        assert set(values) == {'last_price', 'bid', 'ask', 'symbol', 'company_name'}
        assert float(values['bid']) < float(values['ask'])
    assert client.sleeps == [client.snapshot_backoff]  # one wait, after the pre-flight
    assert received(sim, 'GET /iserver/marketdata/snapshot')['count'] == 2
    assert received(sim, 'GET /iserver/accounts')['count'] == 1
    # the same prices history shows (the clock is frozen)
    bars = client.marketdata_history_by_conids([AAPL], period='1h', bar='1min')[AAPL]
    assert bars[-1]['close'] == pytest.approx(float(data['AAPL']['last_price']))


def test_snapshot_by_symbol_gives_up_on_fields_that_never_come(make):
    sim, client = make()
    data = client.live_marketdata_snapshot_by_symbol('AAPL', ['last_price', 'delta'])  # a stock has no delta
    assert set(data['AAPL']) == {'last_price'}
    assert len(client.sleeps) == client.snapshot_attempts - 1
    assert client.sleeps == sorted(client.sleeps) and max(client.sleeps) <= client.snapshot_backoff_max
    assert received(sim, 'GET /iserver/marketdata/snapshot')['count'] == client.snapshot_attempts


def test_regulatory_snapshot(make):
    sim, client = make()
    result = client.regulatory_snapshot(AAPL)
    assert result.data['conid'] == 265598
    assert result.data['84'] < result.data['86']
    assert state(sim)['marketdata']['regsnapshot_fees_usd'] == 0.01


# ----------------------------------------------------------------- history


def test_history_by_conid(make):
    sim, client = make()
    result = client.marketdata_history_by_conid(
        AAPL,
        '1h',
        exchange='SMART',
        period='2d',
        outside_rth=True,
        start_time=datetime.datetime(2025, 1, 10, 12, 0, tzinfo=UTC),
    )
    assert result.request['params'] == {
        'conid': AAPL,
        'exchange': 'SMART',
        'period': '2d',
        'bar': '1h',
        'startTime': '20250110-12:00:00',
        'outsideRth': 'true',
    }
    assert result.data['symbol'] == 'AAPL' and result.data['outsideRth'] is True
    assert len(result.data['data']) == 48
    assert result.data['data'][-1]['t'] == 1736506800000  # 11:00, the last bar before start_time


def test_history_beta_retries_the_first_404(make):
    sim, client = make()
    result = client.historical_marketdata_beta(AAPL, '1d', '1hrs', outside_rth=True, bar_type='Last')
    assert len(result.data['data']) == 24
    assert received(sim, 'GET /hmds/history')['statuses'] == {'404': 1, '200': 1}
    week = client.historical_marketdata_beta(
        AAPL, '1w', '1hrs', direction='-1', start_time=datetime.datetime(2025, 1, 6, tzinfo=UTC)
    )
    assert week.request['params']['startTime'] == '20250106-00:00:00'
    assert len(week.data['data']) == 168 and week.data['data'][0]['t'] == 1736121600000
    assert received(sim, 'GET /hmds/history')['statuses'] == {'404': 1, '200': 2}


def test_history_by_symbol(make):
    sim, client = make()
    by_text = client.marketdata_history_by_symbol('AAPL', '1d', period='1w')
    by_query = client.marketdata_history_by_symbol(StockQuery('AAPL'), '1d', period='1w')
    assert by_text.data['symbol'] == by_query.data['symbol'] == 'AAPL'
    assert by_text.data['data'] == by_query.data['data']
    assert by_text.request['params']['conid'] == AAPL


def test_history_by_conids_is_cleaned_and_keyed_like_the_input(make):
    sim, client = make()
    by_list = client.marketdata_history_by_conids([AAPL, IBM], period='1d', bar='1h')
    assert list(by_list) == [AAPL, IBM]
    bars = by_list[AAPL]
    assert len(bars) == 24
    assert set(bars[0]) == {'open', 'high', 'low', 'close', 'volume', 'date'}
    assert bars[0]['date'] == datetime.datetime(2025, 1, 14, 15, 0, tzinfo=UTC)
    assert all(b['low'] <= min(b['open'], b['close']) <= max(b['open'], b['close']) <= b['high'] for b in bars)
    by_dict = client.marketdata_history_by_conids(
        {'apple': AAPL, 'ibm': IBM}, period='1d', bar='1h', run_in_parallel=False
    )
    assert list(by_dict) == ['apple', 'ibm']
    assert by_dict['apple'] == bars and by_dict['ibm'] == by_list[IBM]


def test_history_by_symbols(make):
    sim, client = make()
    data = client.marketdata_history_by_symbols(['AAPL', StockQuery('IBM')], period='1w', bar='1d')
    assert list(data) == ['AAPL', 'IBM']
    assert len(data['AAPL']) == 7 and data['AAPL'][0]['close'] != data['IBM'][0]['close']


@pytest.mark.parametrize('parallel, count, expected_max', [(True, 12, 5), (False, 4, 1)])
def test_many_histories_never_exceed_five_at_once(make, parallel, count, expected_max):
    sim, client = make(latency={HISTORY: 0.2})  # each answer takes 0.2 s, so requests in flight overlap
    conids = {f'key{index}': (AAPL, IBM, MSFT)[index % 3] for index in range(count)}
    data = client.marketdata_history_by_conids(conids, period='1d', bar='1h', run_in_parallel=parallel)
    assert list(data) == list(conids) and all(len(bars) == 24 for bars in data.values())
    history = state(sim)['marketdata']['history']
    assert history['requests'] == count
    assert history['max_concurrent'] == expected_max


def test_history_errors_in_place_or_raised(make):
    sim, client = make()
    data = client.marketdata_history_by_conids([AAPL, '1'], period='1d', bar='1h')
    assert len(data[AAPL]) == 24
    assert isinstance(data['1'], ExternalBrokerError) and data['1'].status_code == 400
    with pytest.raises(ExternalBrokerError) as raised:
        client.marketdata_history_by_conids([AAPL, '1'], period='1d', bar='1h', raise_on_error=True)
    assert raised.value.status_code == 400
    with pytest.raises(ExternalBrokerError):
        client.marketdata_history_by_conids(
            ['1', AAPL], period='1d', bar='1h', raise_on_error=True, run_in_parallel=False
        )


def test_step_size_refusal_is_reported(make):
    sim, client = make()
    data = client.marketdata_history_by_conids([AAPL], period='1y', bar='1min')
    assert isinstance(data[AAPL], ExternalBrokerError) and data[AAPL].status_code == 500
    assert 'not permitted' in data[AAPL].message


def test_history_helpers_retry_a_429_once_after_a_back_off(make):
    sim, client = make()
    client.retry_policy = type(client.retry_policy)(max_retries=0)  # let the helper, not the transport, retry
    sim.control.add_fault(
        '/iserver/marketdata/history', 'status', status=429, times=1, body={'error': 'Too many requests'}
    )
    data = client.marketdata_history_by_conids([AAPL], period='1d', bar='1h')
    assert len(data[AAPL]) == 24
    assert client.sleeps == [client.history_rate_limit_backoff]
    sim.control.add_fault(
        '/iserver/marketdata/history', 'status', status=429, times=2, body={'error': 'Too many requests'}
    )
    data = client.marketdata_history_by_conids([AAPL], period='1d', bar='1h')
    assert isinstance(data[AAPL], RateLimitError)


def test_history_helpers_retry_a_404_once(make):
    sim, client = make()
    page = '<html><body><h1>Resource not found</h1></body></html>'
    sim.control.add_fault(
        '/iserver/marketdata/history', 'status', status=404, times=1, body=page, content_type='text/html'
    )
    assert len(client.marketdata_history_by_conids([AAPL], period='1d', bar='1h')[AAPL]) == 24
    assert received(sim, HISTORY)['statuses'] == {'404': 1, '200': 1}
    sim.control.add_fault(
        '/iserver/marketdata/history', 'status', status=404, times=2, body=page, content_type='text/html'
    )
    failure = client.marketdata_history_by_conids([AAPL], period='1d', bar='1h')[AAPL]
    assert isinstance(failure, BadResponseError) and failure.status_code == 404


# ----------------------------------------------------------------- unsubscribe


def test_unsubscribe(make):
    sim, client = make()
    client.receive_brokerage_accounts()
    client.live_marketdata_snapshot([AAPL, IBM], 'last_price')
    results = client.marketdata_unsubscribe([AAPL, IBM])
    assert [result.data for result in results] == [{'success': True}, {'success': True}]
    assert results[0].request['json'] == {'conid': 265598}
    with pytest.raises(ExternalBrokerError) as raised:
        client.marketdata_unsubscribe(AAPL)  # no feed open any more: IBKR's 500
    assert raised.value.status_code == 500


def test_unsubscribe_all_makes_the_next_snapshot_a_preflight(make):
    sim, client = make()
    client.receive_brokerage_accounts()
    client.live_marketdata_snapshot(AAPL, 'last_price')
    assert '31' in client.live_marketdata_snapshot(AAPL, 'last_price').data[0]
    assert client.marketdata_unsubscribe_all().data['confirmed']
    assert '31' not in client.live_marketdata_snapshot(AAPL, 'last_price').data[0]


# ----------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    'call, argument, error',
    [
        (lambda c: c.live_marketdata_snapshot([], '31'), 'conids', ValueError),
        (lambda c: c.live_marketdata_snapshot('AAPL', '31'), 'conids', ValueError),
        (lambda c: c.live_marketdata_snapshot('265598,8314', '31'), 'conids', ValueError),
        (lambda c: c.live_marketdata_snapshot(265598.5, '31'), 'conids', ValueError),
        (lambda c: c.live_marketdata_snapshot('265598@', '31'), 'conids', ValueError),
        (lambda c: c.live_marketdata_snapshot(AAPL, 'last'), 'fields', ValueError),
        (lambda c: c.live_marketdata_snapshot(AAPL, None), 'fields', ValueError),
        (lambda c: c.live_marketdata_snapshot_by_symbol('AAPL', ['bid', 'nope']), 'fields', ValueError),
        (lambda c: c.regulatory_snapshot(None), 'conid', ValueError),
        (lambda c: c.marketdata_history_by_conid(AAPL, '1H'), 'bar', ValueError),
        (lambda c: c.marketdata_history_by_conid(AAPL, '1h', period='31min'), 'period', ValueError),
        (lambda c: c.marketdata_history_by_conid(AAPL, '1h', exchange=''), 'exchange', ValueError),
        (lambda c: c.marketdata_history_by_conid(AAPL, '1h', outside_rth='yes'), 'outside_rth', TypeError),
        (lambda c: c.marketdata_history_by_conid(AAPL, '1h', start_time='yesterday'), 'start_time', ValueError),
        (lambda c: c.marketdata_history_by_conid('x', '1h'), 'conid', ValueError),
        (lambda c: c.historical_marketdata_beta(AAPL, '1h', '1hrs'), 'period', ValueError),
        (lambda c: c.historical_marketdata_beta(AAPL, '1d', '1h'), 'bar', ValueError),
        (lambda c: c.historical_marketdata_beta(AAPL, '1d', '1hrs', direction='up'), 'direction', ValueError),
        (lambda c: c.historical_marketdata_beta(AAPL, '1d', '1hrs', bar_type='Trades'), 'bar_type', ValueError),
        (lambda c: c.marketdata_history_by_symbol('AAPL', '7min'), 'bar', ValueError),
        (lambda c: c.marketdata_history_by_symbol(['AAPL'], '1h'), 'symbol', TypeError),
        (lambda c: c.marketdata_history_by_conids([], bar='1h'), 'conids', ValueError),
        (lambda c: c.marketdata_history_by_conids({'a': 'x'}, bar='1h'), 'conids', ValueError),
        (lambda c: c.marketdata_history_by_conids([AAPL], bar='1 h'), 'bar', ValueError),
        (lambda c: c.marketdata_history_by_conids([AAPL], raise_on_error='no'), 'raise_on_error', TypeError),
        (lambda c: c.marketdata_history_by_symbols(['AAPL'], period='2000d'), 'period', ValueError),
        (lambda c: c.marketdata_history_by_symbols([], period='1d'), 'queries', ValueError),
        (lambda c: c.marketdata_unsubscribe([AAPL, 'IBM']), 'conids', ValueError),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(make, call, argument, error):
    sim, client = make()
    before = total_requests(sim)
    with pytest.raises(error) as raised:
        call(client)
    assert repr(argument) in str(raised.value)
    assert total_requests(sim) == before
