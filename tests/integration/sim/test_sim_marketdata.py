"""The simulated gateway's market data routes, driven with plain requests as any HTTP client would.

Checks the documented keys and value types (seed 002 "Market Data"), the documented quirks and their
switches, and that snapshots, history and positions tell the same story.
"""

import json
import math
import threading

import pytest
import requests

from openapi_spec import assert_valid, spec_or_skip, to_json_schema
from sim_http import get, post, state

START = 1736953200.0  # 2025-01-15 15:00:00 UTC, a Wednesday
OPTION_CONID = 990000001
BARS = ('1min', '2min', '3min', '5min', '10min', '15min', '30min', '1h', '2h', '3h', '4h', '8h', '1d', '1w', '1m')
# a period each bar is permitted for by the docs' step-size table
PERIOD_FOR_BAR = {
    '1min': '1h',
    '2min': '1d',
    '3min': '1d',
    '5min': '1d',
    '10min': '1w',
    '15min': '1w',
    '30min': '1w',
    '1h': '1m',
    '2h': '3m',
    '3h': '3m',
    '4h': '6m',
    '8h': '1y',
    '1d': '1y',
    '1w': '3y',
    '1m': '15y',
}
HISTORY_KEYS = {
    'serverId': str,
    'symbol': str,
    'text': str,
    'priceFactor': int,
    'startTime': str,
    'high': str,
    'low': str,
    'timePeriod': str,
    'barLength': int,
    'mdAvailability': str,
    'mktDataDelay': int,
    'outsideRth': bool,
    'volumeFactor': int,
    'priceDisplayRule': int,
    'priceDisplayValue': str,
    'negativeCapable': bool,
    'messageVersion': int,
    'data': list,
    'points': int,
    'travelTime': int,
}


@pytest.fixture
def start_sim(tmp_path, start_simulator):
    """Start a simulator with options; a frozen clock at START and an option on AAPL by default."""
    instruments = tmp_path / 'instruments.json'
    instruments.write_text(
        json.dumps(
            [
                {
                    'conid': OPTION_CONID,
                    'symbol': 'AAPL',
                    'sec_type': 'OPT',
                    'name': 'AAPL MAR2025 190 C',
                    'underlying_conid': 265598,
                    'expiry': '20250321',
                    'month': 'MAR25',
                    'strike': 190.0,
                    'right': 'C',
                    'price': 9.5,
                    'volatility': 0.3,
                    'multiplier': 100.0,
                    'exchange': 'SMART',
                }
            ]
        )
    )

    def start(**options):
        options.setdefault('start_time', START)
        options.setdefault('frozen_clock', True)
        options.setdefault('instruments_file', str(instruments))
        return start_simulator(**options)

    return start


def query_accounts(sim):
    assert get(sim, 'iserver/accounts').status_code == 200


def snapshot(sim, conids, fields):
    response = get(sim, 'iserver/marketdata/snapshot', conids=conids, fields=fields)
    assert response.status_code == 200, response.text
    return response.json()


def openapi_schema(name):
    """The named component schema of IBKR's OpenAPI spec, standing alone (skips when absent).

    Read as written: ``oneOf`` stays strict and ``nullable`` does not let null through.
    """
    spec = spec_or_skip()
    return to_json_schema({'$ref': f'#/components/schemas/{name}'}, spec, one_of_as_any_of=False, nullable='ignore')


# ----------------------------------------------------------------- snapshot


def test_snapshot_requires_accounts_first(start_sim):
    sim = start_sim()
    response = get(sim, 'iserver/marketdata/snapshot', conids='265598', fields='31')
    assert response.status_code == 400
    assert 'accounts' in response.json()['error']
    query_accounts(sim)
    assert get(sim, 'iserver/marketdata/snapshot', conids='265598', fields='31').status_code == 200


def test_accounts_first_can_be_switched_off(start_sim):
    sim = start_sim(require_accounts_first=False)
    assert get(sim, 'iserver/marketdata/snapshot', conids='265598', fields='31').status_code == 200


def test_first_snapshot_is_a_preflight_then_fields_arrive(start_sim):
    sim = start_sim()
    query_accounts(sim)
    first = snapshot(sim, '265598,8314', '31,84,86')
    assert [entry['conid'] for entry in first] == [265598, 8314]
    for entry in first:
        assert set(entry) == {'_updated', 'conidEx', 'conid', 'server_id', '6119'}
        assert entry['6119'] == entry['server_id']
    second = snapshot(sim, '265598,8314', '31,84,86')
    for entry in second:
        assert {'31', '84', '86', '6509'} <= set(entry)
        assert float(entry['84']) < float(entry['86'])
        assert float(entry['84']) <= float(entry['31']) <= float(entry['86'])
    assert state(sim)['marketdata']['feeds'].keys() == {'265598', '8314'}


def test_preflight_can_be_switched_off(start_sim):
    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    (entry,) = snapshot(sim, '265598', '31,55')
    assert entry['55'] == 'AAPL'
    assert float(entry['31']) > 0


def test_snapshot_keys_and_value_types(start_sim):
    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    (entry,) = snapshot(
        sim,
        '265598',
        '31,55,70,71,82,83,84,85,86,87,88,6004,6008,6070,6509,7051,7221,7289,7293,7294,7295,7296,7741,7762',
    )
    assert isinstance(entry['_updated'], int) and len(str(entry['_updated'])) == 13
    assert isinstance(entry['conid'], int) and isinstance(entry['conidEx'], str)
    assert isinstance(entry['server_id'], str)
    for key, value in entry.items():
        if key.isdigit():
            assert isinstance(value, int if key in ('6008', '6457') else str), (key, value)
    assert entry['6008'] == 265598
    assert entry['7051'] == 'APPLE INC' and entry['6070'] == 'STK' and entry['6004'] == 'NASDAQ'
    assert entry['6509'] == 'RpB'
    assert entry['87'][-1] in 'KM' and int(entry['7762']) > 0
    assert float(entry['71']) <= float(entry['31']) <= float(entry['70'])
    assert float(entry['7294']) <= float(entry['31']) <= float(entry['7293'])
    change = float(entry['31']) - float(entry['7741'])
    assert float(entry['82']) == pytest.approx(change, abs=0.011)
    assert float(entry['83']) == pytest.approx(100 * change / float(entry['7741']), abs=0.011)
    assert entry['7289'][-1] in 'TBM'


def test_every_documented_field_of_a_stock_is_a_string_or_left_out(start_sim):
    from ibind.client.ibkr_definitions import snapshot_by_id

    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    (entry,) = snapshot(sim, '265598', ','.join(snapshot_by_id))
    values = {key: value for key, value in entry.items() if key.isdigit()}
    assert len(values) > 60
    assert all(isinstance(v, int if k in ('6008', '6457') else str) for k, v in values.items())
    for greek in ('7308', '7309', '7310', '7311', '201'):
        assert greek not in entry  # a stock has no greeks
    for position_field in ('73', '74', '75', '76', '77', '78', '79', '80'):
        assert position_field not in entry  # and the account holds none


def test_conid_with_exchange_is_echoed_in_conid_ex(start_sim):
    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    (entry,) = snapshot(sim, '8314@NYSE', '31')
    assert entry['conidEx'] == '8314@NYSE' and entry['conid'] == 8314


def test_snapshot_rejects_unknown_conids_and_bad_fields(start_sim):
    sim = start_sim()
    query_accounts(sim)
    assert get(sim, 'iserver/marketdata/snapshot', conids='1', fields='31').status_code == 400
    assert get(sim, 'iserver/marketdata/snapshot', conids='abc', fields='31').status_code == 400
    assert get(sim, 'iserver/marketdata/snapshot', conids='265598', fields='last').status_code == 400
    assert get(sim, 'iserver/marketdata/snapshot', conids='265598').status_code == 400


def test_position_fields_follow_the_account(start_sim):
    sim = start_sim(
        preflight_snapshot=False,
        initial_positions={'DU1234567': [{'conid': 265598, 'quantity': 100, 'avg_price': 150.0}]},
    )
    query_accounts(sim)
    (entry,) = snapshot(sim, '265598', '31,73,74,75,76,77,78,79,80,7292,7921')
    last = float(entry['31'])
    assert float(entry['73']) == pytest.approx(100 * last, abs=0.01)
    assert float(entry['74']) == pytest.approx(150.0)
    assert float(entry['75']) == pytest.approx(100 * (last - 150.0), abs=0.01)
    assert entry['76'] == '100'
    assert entry['77'].replace(',', '') == entry['75']
    assert float(entry['7921']) == pytest.approx(15000.0)
    assert entry['7292'] == '15,000.00'
    assert float(entry['80']) == pytest.approx(100 * (last - 150.0) / 150.0, abs=0.01)


def test_option_snapshot_has_greeks(start_sim):
    sim = start_sim(preflight_snapshot=False, secdef_search_first=False)
    query_accounts(sim)
    (entry,) = snapshot(sim, str(OPTION_CONID), '31,201,7308,7309,7310,7311,7633,6457,6070')
    assert entry['6070'] == 'OPT' and entry['201'] == 'C' and entry['6457'] == 265598
    assert 0.0 < float(entry['7308']) < 1.0  # a call's delta
    assert float(entry['7309']) > 0 and float(entry['7311']) > 0
    assert float(entry['7310']) < 0  # time decay
    assert 20.0 < float(entry['7633'].rstrip('%')) < 40.0  # around the underlying's volatility (AAPL: 28%)


def test_derivative_snapshot_needs_a_secdef_search_of_the_underlying(start_sim):
    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    (entry,) = snapshot(sim, str(OPTION_CONID), '31,7308')
    assert '31' not in entry and '7308' not in entry  # no feed before the search
    search = get(sim, 'iserver/secdef/search', symbol='AAPL')
    if search.status_code in (404, 405):
        pytest.skip('the contract routes (secdef search) are not available')
    assert search.status_code == 200
    (entry,) = snapshot(sim, str(OPTION_CONID), '31,7308')
    assert '31' in entry and '7308' in entry


def test_snapshot_agrees_with_history(start_sim):
    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    (entry,) = snapshot(sim, '265598', '31,7295')
    bars = get(sim, 'iserver/marketdata/history', conid='265598', period='1d', bar='5min').json()['data']
    assert bars[-1]['c'] == pytest.approx(float(entry['31']))
    midnight_bar = next(bar for bar in bars if bar['t'] % 86_400_000 == 0)
    assert midnight_bar['o'] == pytest.approx(float(entry['7295']))  # today's open, UTC day


def test_feeds_belong_to_the_brokerage_session(start_sim):
    sim = start_sim()
    query_accounts(sim)
    snapshot(sim, '265598', '31')
    assert '31' in snapshot(sim, '265598', '31')[0]
    requests.post(sim.control_url + 'session', json={'action': 'expire'}, timeout=10)
    assert post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True}).status_code == 200
    query_accounts(sim)
    assert '31' not in snapshot(sim, '265598', '31')[0]  # a new session: pre-flight again


# ----------------------------------------------------------------- regulatory snapshot


def test_regulatory_snapshot_shape_and_fee(start_sim):
    sim = start_sim()
    response = get(sim, 'md/regsnapshot', conid='265598')
    assert response.status_code == 200
    body = response.json()
    types = {
        'conid': int,
        'conidEx': str,
        'BboExchange': str,
        'HasDelayed': bool,
        '84': float,
        '86': float,
        '88': int,
        '85': int,
        'BestBidExch': int,
        'BestAskExch': int,
        '31': float,
        '7059': int,
        'LastExch': int,
        '7057': str,
        '7068': str,
        '7058': str,
    }
    assert set(body) == set(types)
    for key, expected in types.items():
        assert isinstance(body[key], expected), key
    assert body['conid'] == 265598 and body['HasDelayed'] is False
    assert body['84'] < body['86']
    get(sim, 'md/regsnapshot', conid='8314')
    marketdata = state(sim)['marketdata']
    assert marketdata['regsnapshots'] == 2 and marketdata['regsnapshot_fees_usd'] == 0.02
    assert get(sim, 'md/regsnapshot').status_code == 400


# ----------------------------------------------------------------- history


@pytest.mark.parametrize('bar', BARS)
def test_history_for_every_documented_bar(start_sim, bar):
    sim = start_sim()
    period = PERIOD_FOR_BAR[bar]
    response = get(sim, 'iserver/marketdata/history', conid='265598', period=period, bar=bar, outsideRth='true')
    assert response.status_code == 200, response.text
    body = response.json()
    for key, expected in HISTORY_KEYS.items():
        assert isinstance(body[key], expected), key
    assert body['symbol'] == 'AAPL' and body['text'] == 'APPLE INC' and body['timePeriod'] == period
    assert body['outsideRth'] is True and body['priceFactor'] == 100
    data = body['data']
    assert 1 <= len(data) <= 1000
    assert body['points'] == len(data) - 1  # as in both of IBKR's examples
    times = [item['t'] for item in data]
    assert times == sorted(times) and all(isinstance(t, int) and len(str(t)) == 13 for t in times)
    for item in data:
        assert set(item) == {'o', 'c', 'h', 'l', 'v', 't'}
        assert item['l'] <= min(item['o'], item['c']) <= max(item['o'], item['c']) <= item['h']
        assert item['v'] >= 0
    if bar != '1m' and len(times) > 2:
        assert times[1] - times[0] == body['barLength'] * 1000
    high_price, _, high_minutes = body['high'].split('/')
    assert int(high_price) == round(max(item['h'] for item in data) * 100)
    assert int(high_minutes) >= 0
    assert body['startTime'] == _utc(times[0])


def _utc(ms):
    import datetime

    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).strftime('%Y%m%d-%H:%M:%S')


def test_history_defaults_to_one_week(start_sim):
    sim = start_sim()
    body = get(sim, 'iserver/marketdata/history', conid='265598', bar='1d').json()
    assert body['timePeriod'] == '1w' and len(body['data']) == 7


def test_history_returns_at_most_1000_points(start_sim):
    sim = start_sim()
    body = get(sim, 'iserver/marketdata/history', conid='265598', period='5d', bar='1min').json()
    assert len(body['data']) == 1000
    assert body['data'][-1]['t'] == int(START * 1000) - 60_000  # the latest bars are kept


def test_history_start_time_ends_the_period(start_sim):
    sim = start_sim()
    body = get(
        sim, 'iserver/marketdata/history', conid='265598', period='2d', bar='1h', startTime='20250110-12:00:00'
    ).json()
    assert body['chartPanStartTime'] == '20250110-12:00:00'
    assert body['data'][-1]['t'] == 1736506800000  # 2025-01-10 11:00 UTC, the last bar before 12:00
    assert body['data'][0]['t'] == 1736337600000  # 2025-01-08 12:00 UTC
    assert body['startTime'] == '20250108-12:00:00'


@pytest.mark.parametrize(
    'params, status',
    [
        ({'period': '1d', 'bar': '7min'}, 400),  # not a documented bar
        ({'period': '1d', 'bar': '1M'}, 400),  # units are case sensitive
        ({'period': '31min', 'bar': '1min'}, 400),  # {1-30}min
        ({'period': '9h', 'bar': '1min'}, 400),  # {1-8}h
        ({'period': '1001d', 'bar': '1d'}, 400),
        ({'period': '16y', 'bar': '1w'}, 400),
        ({'period': '1x', 'bar': '1d'}, 400),
        ({'bar': None, 'period': '1d'}, 400),  # bar is required
        ({'period': '1y', 'bar': '1min'}, 500),  # step size: 1y needs 8h..1m
        ({'period': '15y', 'bar': '1d'}, 500),  # 15y needs 1w..1m
        ({'period': '1w', 'bar': '5min'}, 500),  # 1w needs 10min..1w
        ({'period': '1min', 'bar': '1h'}, 500),  # 1min allows only 1min
    ],
)
def test_history_rejects_bars_and_periods_it_does_not_permit(start_sim, params, status):
    sim = start_sim()
    query = {'conid': '265598', **{k: v for k, v in params.items() if v is not None}}
    response = get(sim, 'iserver/marketdata/history', **query)
    assert response.status_code == status
    assert isinstance(response.json()['error'], str)


def test_history_of_an_unknown_conid_is_an_error(start_sim):
    sim = start_sim()
    assert get(sim, 'iserver/marketdata/history', conid='1', bar='1d').status_code == 400
    assert get(sim, 'iserver/marketdata/history', bar='1d').status_code == 400


def test_history_volume_of_us_stocks_is_in_hundreds(start_sim):
    sim = start_sim()
    body = get(sim, 'iserver/marketdata/history', conid='265598', period='1w', bar='1d').json()
    assert body['volumeFactor'] == 100
    daily = [item['v'] for item in body['data'][:-1]]
    assert all(200_000 < v < 1_000_000 for v in daily)  # AAPL trades ~55M shares a day


def test_history_concurrency_is_measured(start_sim):
    sim = start_sim(latency={'GET /iserver/marketdata/history': 0.2})
    barrier = threading.Barrier(7)

    def fetch():
        barrier.wait()
        assert get(sim, 'iserver/marketdata/history', conid='265598', period='1d', bar='1h').status_code == 200

    threads = [threading.Thread(target=fetch) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = state(sim)['marketdata']['history']
    assert history['requests'] == 7
    assert history['max_concurrent'] == 7


# ----------------------------------------------------------------- hmds


def test_hmds_first_request_is_a_404_html_page(start_sim):
    sim = start_sim()
    first = get(sim, 'hmds/history', conid='265598', period='1d', bar='1hrs', outsideRth='true', barType='Last')
    assert first.status_code == 404
    assert first.headers['Content-Type'].startswith('text/html')
    assert first.text == '<html><body><h1>Resource not found</h1></body></html>'
    second = get(sim, 'hmds/history', conid='265598', period='1d', bar='1hrs', outsideRth='true', barType='Last')
    assert second.status_code == 200
    body = second.json()
    types = {
        'startTime': str,
        'startTimeVal': int,
        'endTime': str,
        'endTimeVal': int,
        'data': list,
        'points': int,
        'mktDataDelay': int,
    }
    assert set(body) == set(types)
    for key, expected in types.items():
        assert isinstance(body[key], expected), key
    assert len(body['data']) == 24 and body['points'] == 23
    assert body['endTime'] == '20250115-15:00:00' and body['endTimeVal'] == int(START * 1000)
    assert body['startTimeVal'] == body['data'][0]['t']
    for item in body['data']:
        assert set(item) == {'t', 'o', 'c', 'h', 'l', 'v'}
        assert item['l'] <= item['h']
    assert state(sim)['marketdata']['hmds_initialised'] is True


def test_hmds_first_404_can_be_switched_off(start_sim):
    sim = start_sim(hmds_first_404=False)
    assert get(sim, 'hmds/history', conid='265598', period='1d', bar='1hrs').status_code == 200


@pytest.mark.parametrize(
    'period, bar, bars',
    [('3600S', '5mins', 12), ('60S', '10secs', 6), ('1w', '1hrs', 168), ('1m', '1d', 30), ('1y', '1w', 52)],
)
def test_hmds_periods_and_bars(start_sim, period, bar, bars):
    sim = start_sim(hmds_first_404=False)
    body = get(sim, 'hmds/history', conid='265598', period=period, bar=bar).json()
    assert len(body['data']) == bars


@pytest.mark.parametrize(
    'period, bar', [('1d', '5secs'), ('1d', '1d'), ('1y', '1hrs'), ('3600S', '1hrs'), ('1D', '1hrs'), ('1d', '1H')]
)
def test_hmds_rejects_bar_units_the_period_does_not_allow(start_sim, period, bar):
    sim = start_sim(hmds_first_404=False)
    response = get(sim, 'hmds/history', conid='265598', period=period, bar=bar)
    assert response.status_code == 400
    assert 'error' in response.json()


def test_hmds_bar_types_and_direction(start_sim):
    sim = start_sim(hmds_first_404=False)
    query = {'conid': '265598', 'period': '1d', 'bar': '1hrs'}
    bid = get(sim, 'hmds/history', barType='Bid', **query).json()['data']
    ask = get(sim, 'hmds/history', barType='Ask', **query).json()['data']
    assert all(b['c'] < a['c'] for b, a in zip(bid, ask))
    forward = get(sim, 'hmds/history', startTime='20250114-00:00:00', direction='-1', **query).json()
    assert forward['data'][0]['t'] == 1736812800000  # starts at startTime
    assert len(forward['data']) == 24
    assert get(sim, 'hmds/history', barType='Volume', **query).status_code == 400
    assert get(sim, 'hmds/history', direction='2', **query).status_code == 400


# ----------------------------------------------------------------- unsubscribe


def test_unsubscribe_without_a_feed_is_a_500(start_sim):
    sim = start_sim()
    response = post(sim, 'iserver/marketdata/unsubscribe', {'conid': 265598})
    assert response.status_code == 500
    assert isinstance(response.json()['error'], str)


def test_unsubscribe_closes_the_feed(start_sim):
    sim = start_sim()
    query_accounts(sim)
    snapshot(sim, '265598', '31')
    response = post(sim, 'iserver/marketdata/unsubscribe', {'conid': 265598})
    assert response.status_code == 200 and response.json() == {'success': True}
    assert '31' not in snapshot(sim, '265598', '31')[0]  # pre-flight again
    assert post(sim, 'iserver/marketdata/unsubscribe', {'conid': '265598'}).status_code == 200
    assert post(sim, 'iserver/marketdata/unsubscribe', {'conid': 265598}).status_code == 500
    assert post(sim, 'iserver/marketdata/unsubscribe', {}).status_code == 400


def test_unsubscribe_all_closes_every_feed(start_sim):
    sim = start_sim()
    query_accounts(sim)
    snapshot(sim, '265598,8314', '31')
    response = get(sim, 'iserver/marketdata/unsubscribeall')
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body['confirmed'], str)
    assert state(sim)['marketdata']['feeds'] == {}
    assert all('31' not in entry for entry in snapshot(sim, '265598,8314', '31'))


# ----------------------------------------------------------------- OpenAPI conformance


def test_responses_validate_against_ibkr_openapi_schemas(start_sim):
    pytest.importorskip('jsonschema')
    sim = start_sim(preflight_snapshot=False)
    query_accounts(sim)
    snapshots = snapshot(sim, '265598,8314', '31,84,86,6509')
    assert_valid(openapi_schema('iserverSnapshot'), snapshots)
    history = get(sim, 'iserver/marketdata/history', conid='265598', period='1w', bar='1d').json()
    assert_valid(openapi_schema('iserverHistoryLastResponse'), history)


def test_bars_are_finite_numbers(start_sim):
    sim = start_sim()
    body = get(sim, 'iserver/marketdata/history', conid='8314', period='15y', bar='1m').json()
    assert all(math.isfinite(item[key]) for item in body['data'] for key in 'ochlv')
