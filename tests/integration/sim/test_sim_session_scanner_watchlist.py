"""The simulated gateway's session, scanner and watchlist endpoints, driven with plain requests.

Each test checks what IBKR documents (seed 002): keys and value types of the answers, status codes,
the session model (idle timeout, tickle, competing sessions, no bridge, logout) and the quirks, and
validates answers against IBKR's OpenAPI response schemas where the spec has them.
"""

from __future__ import annotations

import re

import pytest
import requests

from ibind.sim import GatewaySimulator

from openapi_spec import assert_valid, response_schema, spec_or_skip, to_json_schema
from sim_http import control, get, post, state

AAPL, IBM, MSFT, SPY = 265598, 8314, 272093, 756733
USD_BONDS = {140071502, 140071503, 140078901, 549900501}  # the built-in bonds in USD (two more are in EUR)


# ----------------------------------------------------------------- helpers


@pytest.fixture
def frozen_sim():
    """A simulator whose clock moves only when told, so a test can compare answers with the market it read."""
    with GatewaySimulator(frozen_clock=True) as simulator:
        yield simulator


def delete(sim, path, **params):
    return requests.delete(sim.url + path, params=params, timeout=10)


def ok(response):
    assert response.status_code == 200, f'{response.status_code} {response.text}'
    assert response.headers['Content-Type'].startswith('application/json')
    return response.json()


def error_of(response, status):
    assert response.status_code == status, f'{response.status_code} {response.text}'
    body = response.json()
    assert isinstance(body['error'], str) and body['statusCode'] == status
    return body['error']


def assert_openapi_valid(data, path, method='get'):
    """Validate an answer against the 200 schema of the operation in IBKR's OpenAPI spec (skip when absent).

    The spec's oneOf alternatives are not mutually exclusive (e.g. /tickle: two open objects), so any-of;
    ``nullable`` does not let null through.
    """
    spec = spec_or_skip()
    assert_valid(to_json_schema(response_schema(spec, path, method), spec, nullable='ignore'), data)


def types_of(data, keys):
    return {key: type(data[key]) for key in keys}


# ================================================================= session

AUTH_KEYS = {'authenticated': bool, 'competing': bool, 'connected': bool, 'message': str, 'MAC': str}


def auth_status(sim):
    return ok(post(sim, 'iserver/auth/status'))


def test_auth_status_has_the_documented_keys_and_types(sim):
    status = auth_status(sim)
    assert types_of(status, AUTH_KEYS) == AUTH_KEYS
    assert status['authenticated'] is True and status['competing'] is False and status['connected'] is True
    assert status['message'] == ''
    assert set(status['serverInfo']) == {'serverName', 'serverVersion'}
    assert isinstance(status['hardware_info'], str) and status['fail'] == ''
    assert_openapi_valid(status, '/iserver/auth/status', 'post')


def test_tickle_answers_session_and_auth_status_on_post_and_get(sim):
    for response in (post(sim, 'tickle'), get(sim, 'tickle')):
        tickle = ok(response)
        assert re.fullmatch(r'[0-9a-f]{32}', tickle['session'])
        assert isinstance(tickle['ssoExpires'], int) and tickle['ssoExpires'] > 0
        assert tickle['collission'] is False and isinstance(tickle['userId'], int)
        assert tickle['hmds'] == {'error': 'no bridge'}
        assert types_of(tickle['iserver']['authStatus'], AUTH_KEYS) == AUTH_KEYS
        assert tickle['iserver']['authStatus']['authenticated'] is True
        assert_openapi_valid(tickle, '/tickle', 'post')


def test_sso_validate_has_the_documented_keys(sim):
    data = ok(get(sim, 'sso/validate'))
    expected = {
        'USER_ID': int,
        'USER_NAME': str,
        'RESULT': bool,
        'AUTH_TIME': int,
        'SF_ENABLED': bool,
        'IS_FREE_TRIAL': bool,
        'CREDENTIAL': str,
        'IP': str,
        'EXPIRES': int,
        'LANDING_APP': str,
        'IS_MASTER': bool,
        'lastAccessed': int,
        'LOGIN_TYPE': int,
        'PAPER_USER_NAME': str,
        'features': dict,
        'region': str,
    }
    assert types_of(data, expected) == expected
    assert data['RESULT'] is True and data['EXPIRES'] > 0
    # seed 002 shows null here; the spec types it boolean: we follow the seed
    assert data['QUALIFIED_FOR_MOBILE_AUTH'] is None
    assert_openapi_valid({k: v for k, v in data.items() if k != 'QUALIFIED_FOR_MOBILE_AUTH'}, '/sso/validate')


def test_idle_timeout_drops_the_brokerage_session_and_ssodh_init_reopens_it(sim):
    assert ok(get(sim, 'iserver/accounts'))['accounts'] == ['DU1234567']
    control(sim, 'POST', 'clock', {'advance': 361})  # past the ~6 minute idle timeout, without a request

    status = auth_status(sim)
    assert status['connected'] is True and status['authenticated'] is False and status['competing'] is False
    assert 'not authenticated' in error_of(get(sim, 'iserver/accounts'), 401)
    assert error_of(
        post(sim, 'iserver/scanner/run', {'instrument': 'STK', 'type': 'MOST_ACTIVE', 'location': 'STK.US.MAJOR'}), 401
    )
    assert ok(get(sim, 'sso/validate'))['RESULT'] is True  # the read-only session is still there
    assert state(sim)['session']['timeouts'] == 1

    opened = ok(post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True}))
    assert opened['authenticated'] is True and opened['connected'] is True and opened['competing'] is False
    assert opened['message'] == '' and set(opened['serverInfo']) == {'serverName', 'serverVersion'}
    assert_openapi_valid(opened, '/iserver/auth/ssodh/init', 'post')
    assert ok(get(sim, 'iserver/accounts'))['accounts'] == ['DU1234567']


def test_a_tickle_within_the_idle_timeout_keeps_the_session(sim):
    for _ in range(6):  # 6 x 300 s = 30 simulated minutes
        control(sim, 'POST', 'clock', {'advance': 300})
        assert ok(post(sim, 'tickle'))['iserver']['authStatus']['authenticated'] is True
    assert auth_status(sim)['authenticated'] is True
    assert state(sim)['session']['timeouts'] == 0


def test_the_idle_timeout_is_configurable_and_can_be_switched_off():
    with GatewaySimulator(idle_timeout=60) as sim:
        control(sim, 'POST', 'clock', {'advance': 61})
        assert auth_status(sim)['authenticated'] is False
    with GatewaySimulator(idle_timeout=0) as sim:  # 0: never (None means "the default" to from_kwargs)
        control(sim, 'POST', 'clock', {'advance': 10 * 86400})
        assert auth_status(sim)['authenticated'] is True


def test_competing_session_needs_compete_true_to_take_over(sim):
    control(sim, 'POST', 'session', {'action': 'compete'})
    status = auth_status(sim)
    assert status['competing'] is True and status['authenticated'] is False
    error_of(get(sim, 'iserver/accounts'), 401)

    refused = ok(post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': False}))
    assert refused['authenticated'] is False and refused['competing'] is True

    taken = ok(post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True}))
    assert taken['authenticated'] is True and taken['competing'] is False
    assert auth_status(sim)['competing'] is False


def test_no_bridge_is_a_400_until_the_session_is_initialised_again(sim):
    control(sim, 'POST', 'session', {'action': 'no_bridge'})
    assert error_of(get(sim, 'iserver/accounts'), 400) == 'Bad Request: no bridge'
    status = auth_status(sim)
    assert status['authenticated'] is False and status['message'] == 'no bridge'
    ok(post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True}))
    assert ok(get(sim, 'iserver/accounts'))['accounts'] == ['DU1234567']


def test_ssodh_init_without_publish_true_is_a_500(sim):
    for body in ({'publish': False, 'compete': True}, {'compete': True}, None):
        assert error_of(post(sim, 'iserver/auth/ssodh/init', body), 500)


def test_logout_ends_every_session_until_the_next_login(sim):
    assert ok(post(sim, 'logout')) == {'status': True}
    assert_openapi_valid({'status': True}, '/logout', 'post')
    error_of(post(sim, 'tickle'), 401)
    error_of(get(sim, 'sso/validate'), 401)
    error_of(get(sim, 'iserver/accounts'), 401)
    assert state(sim)['session']['logged_in'] is False

    control(sim, 'POST', 'session', {'action': 'login'})  # as after a browser login
    assert auth_status(sim)['authenticated'] is True


def test_reauthenticate_answers_triggered_and_reopens_an_expired_session(sim):
    control(sim, 'POST', 'session', {'action': 'expire'})
    assert ok(post(sim, 'iserver/reauthenticate')) == {'message': 'triggered'}
    assert auth_status(sim)['authenticated'] is True


# ================================================================= scanner: /iserver

SCAN = {'instrument': 'STK', 'type': 'MOST_ACTIVE', 'location': 'STK.US.MAJOR'}
CONTRACT_TYPES = {
    'server_id': str,
    'symbol': str,
    'conidex': str,
    'con_id': int,
    'available_chart_periods': str,
    'company_name': str,
    'scan_data': str,
    'contract_description_1': str,
    'listing_exchange': str,
    'sec_type': str,
}


def scan(sim, **changes):
    return ok(post(sim, 'iserver/scanner/run', dict(SCAN, **changes)))


def percent(text):
    assert re.fullmatch(r'[+-]\d+\.\d{2}%', text), text
    return float(text[:-1])


def compact(text):
    match = re.fullmatch(r'(\d+(?:\.\d+)?)([KMB]?)', text)
    assert match, text
    return float(match.group(1)) * {'': 1, 'K': 1e3, 'M': 1e6, 'B': 1e9}[match.group(2)]


def test_scanner_params_have_the_documented_shape(sim):
    params = ok(get(sim, 'iserver/scanner/params'))
    assert set(params) == {'scan_type_list', 'instrument_list', 'filter_list', 'location_tree'}
    instrument_types = {i['type'] for i in params['instrument_list']}
    filter_codes = {f['code'] for f in params['filter_list']}
    for scan_type in params['scan_type_list']:
        assert set(scan_type) == {'display_name', 'code', 'instruments'}
        assert set(scan_type['instruments']) <= instrument_types
    for instrument in params['instrument_list']:
        assert set(instrument) == {'display_name', 'type', 'filters'}
        assert set(instrument['filters']) <= filter_codes
    for item in params['filter_list']:
        assert set(item) == {'group', 'display_name', 'code', 'type'}
    assert {tree['type'] for tree in params['location_tree']} == instrument_types
    for tree in params['location_tree']:
        assert set(tree) == {'display_name', 'type', 'locations'}
        for location in tree['locations']:
            assert set(location) == {'display_name', 'type', 'locations'} and location['locations'] == []
    assert {'TOP_PERC_GAIN', 'TOP_PERC_LOSE', 'MOST_ACTIVE', 'TOP_TRADE_COUNT'} <= {
        s['code'] for s in params['scan_type_list']
    }
    assert_openapi_valid(params, '/iserver/scanner/params')


def test_scanner_run_answers_the_documented_keys_and_types(sim):
    result = scan(sim, type='TOP_TRADE_COUNT')
    assert set(result) == {'contracts', 'scan_data_column_name'}
    assert result['scan_data_column_name'] == 'Trades'
    contracts = result['contracts']
    assert 0 < len(contracts) <= 50
    for position, contract in enumerate(contracts):
        assert types_of(contract, CONTRACT_TYPES) == CONTRACT_TYPES
        assert contract['server_id'] == str(position)
        assert contract['conidex'] == str(contract['con_id'])
        assert ('column_name' in contract) == (position == 0)  # "Always returned for the first contract"
    assert contracts[0]['column_name'] == 'Trades'
    assert_openapi_valid(result, '/iserver/scanner/run', 'post')


def test_most_active_ranks_by_the_simulated_volume(frozen_sim):
    contracts = scan(frozen_sim)['contracts']
    volumes = [compact(c['scan_data']) for c in contracts]
    assert volumes == sorted(volumes, reverse=True)
    market = frozen_sim.gateway.market  # the oracle: the same simulated market the snapshot endpoints show
    by_volume = sorted((-market.day_stats(c['con_id'])['volume'], c['con_id']) for c in contracts)
    assert [conid for _, conid in by_volume] == [c['con_id'] for c in contracts]
    assert {AAPL, SPY} <= {c['con_id'] for c in contracts}  # among the most traded of the broad universe
    assert all(c['sec_type'] == 'STK' for c in contracts)


def test_gainers_and_losers_split_by_day_change(frozen_sim):
    gainers = scan(frozen_sim, type='TOP_PERC_GAIN')['contracts']
    losers = scan(frozen_sim, type='TOP_PERC_LOSE')['contracts']
    gains = [percent(c['scan_data']) for c in gainers]
    losses = [percent(c['scan_data']) for c in losers]
    assert gains == sorted(gains, reverse=True) and all(g > 0 for g in gains)
    assert losses == sorted(losses) and all(loss < 0 for loss in losses)
    assert not {c['con_id'] for c in gainers} & {c['con_id'] for c in losers}
    market = frozen_sim.gateway.market
    for contract in gainers[:3] + losers[:3]:
        stats = market.day_stats(contract['con_id'])
        change = (market.last(contract['con_id']) / stats['prior_close'] - 1) * 100
        assert percent(contract['scan_data']) == pytest.approx(change, abs=0.01)


def test_scan_results_move_with_the_simulated_clock(sim):
    before = [(c['con_id'], c['scan_data']) for c in scan(sim, type='TOP_PERC_GAIN')['contracts']]
    for _ in range(12):  # an hour, tickling within the idle timeout
        control(sim, 'POST', 'clock', {'advance': 300})
        ok(post(sim, 'tickle'))
    after = [(c['con_id'], c['scan_data']) for c in scan(sim, type='TOP_PERC_GAIN')['contracts']]
    assert before != after


def test_filters_narrow_the_scan(frozen_sim):
    everything = scan(frozen_sim)['contracts']
    market = frozen_sim.gateway.market
    above = scan(frozen_sim, filter=[{'code': 'priceAbove', 'value': 300}])['contracts']
    assert above and {c['con_id'] for c in above} != {c['con_id'] for c in everything}
    assert all(market.last(c['con_id']) > 300 for c in above)
    window = scan(frozen_sim, filter=[{'code': 'priceAbove', 'value': 100}, {'code': 'priceBelow', 'value': '200'}])
    assert all(100 < market.last(c['con_id']) < 200 for c in window['contracts'])
    gainers = scan(frozen_sim, filter=[{'code': 'changePercAbove', 'value': 0}])['contracts']
    assert gainers and all(market.last(c['con_id']) > market.day_stats(c['con_id'])['prior_close'] for c in gainers)
    assert scan(frozen_sim, filter=[{'code': 'priceAbove', 'value': 1e9}])['contracts'] == []


def test_locations_and_instrument_types_select_the_universe(sim):
    nyse = scan(sim, location='STK.NYSE')['contracts']
    assert nyse and {c['listing_exchange'] for c in nyse} == {'NYSE'}
    etfs = scan(sim, instrument='ETF.EQ.US', location='ETF.EQ.US.MAJOR')['contracts']
    assert SPY in {c['con_id'] for c in etfs}
    assert not {AAPL, MSFT, IBM} & {c['con_id'] for c in etfs}
    futures = scan(sim, instrument='FUT.US', location='FUT.CME')['contracts']
    assert futures and all(c['sec_type'] == 'FUT' for c in futures)
    for contract in futures:  # "For derivatives like Futures, the local symbol of the contract"
        assert re.fullmatch(re.escape(contract['symbol']) + r'[FGHJKMNQUVXZ]\d', contract['contract_description_1'])


def test_scanner_refuses_what_the_params_do_not_list(sim):
    assert 'type' in error_of(post(sim, 'iserver/scanner/run', {'instrument': 'STK', 'location': 'STK.US.MAJOR'}), 400)
    assert 'NOT_A_SCAN' in error_of(post(sim, 'iserver/scanner/run', dict(SCAN, type='NOT_A_SCAN')), 400)
    assert 'location' in error_of(post(sim, 'iserver/scanner/run', dict(SCAN, location='FUT.CME')), 400)
    assert 'instrument' in error_of(post(sim, 'iserver/scanner/run', dict(SCAN, instrument='CRYPTO')), 400)
    assert error_of(
        post(sim, 'iserver/scanner/run', dict(SCAN, instrument='IND.US', location='IND.US', type='TOP_TRADE_COUNT')),
        400,
    )
    assert 'marketCap' in error_of(
        post(sim, 'iserver/scanner/run', dict(SCAN, filter=[{'code': 'marketCapAbove', 'value': 1}])), 400
    )
    assert error_of(post(sim, 'iserver/scanner/run', dict(SCAN, filter=[{'code': 'priceAbove', 'value': 'x'}])), 400)
    assert error_of(post(sim, 'iserver/scanner/run', dict(SCAN, filter={'code': 'priceAbove'})), 400)


# ================================================================= scanner: /hmds

BOND_SCAN = {
    'instrument': 'BOND',
    'locations': 'BOND.US',
    'scanCode': 'HIGH_BOND_ASK_YIELD_ALL',
    'secType': 'BOND',
    'delayedLocations': 'SMART',
    'maxItems': 25,
    'filters': [],
}


def hmds_scan(sim, **changes):
    return ok(post(sim, 'hmds/scanner/run', dict(BOND_SCAN, **changes)))


def test_hmds_scanner_params_have_the_documented_shape(sim):
    params = ok(get(sim, 'hmds/scanner/params'))
    assert set(params) == {'instrument_list', 'scan_type_list', 'location_tree'}
    for instrument in params['instrument_list']:
        assert set(instrument) == {'display_name', 'type', 'filters'}
    for scan_type in params['scan_type_list']:
        assert set(scan_type) == {'display_name', 'code', 'instruments'}
    for tree in params['location_tree']:
        assert set(tree) == {'display_name', 'type', 'locations'}
        for location in tree['locations']:
            assert set(location) == {'display_name', 'locationCode', 'locations'}
    assert 'HIGH_BOND_ASK_YIELD_ALL' in {s['code'] for s in params['scan_type_list']}
    assert 'BOND.US' in {loc['locationCode'] for tree in params['location_tree'] for loc in tree['locations']}


def test_hmds_scanner_run_answers_the_documented_example_shape(sim):
    result = hmds_scan(sim)
    assert set(result) == {'total', 'size', 'offset', 'scanTime', 'id', 'position', 'Contracts'}
    assert all(isinstance(result[key], str) for key in ('total', 'size', 'offset', 'scanTime', 'id', 'position'))
    assert re.fullmatch(r'\d{8}-\d{2}:\d{2}:\d{2}', result['scanTime'])
    assert result['offset'] == '0' and result['position'].startswith('v1:')
    contracts = result['Contracts']['Contract']
    assert int(result['size']) == len(contracts) and int(result['total']) >= len(contracts)
    for contract in contracts:
        assert set(contract) == {'inScanTime', 'contractID'}
        assert contract['inScanTime'] == result['scanTime'] and contract['contractID'].isdigit()
    assert {int(c['contractID']) for c in contracts} == USD_BONDS


def test_hmds_bond_scan_ranks_by_ask_yield_and_filters(frozen_sim):
    contracts = hmds_scan(frozen_sim)['Contracts']['Contract']
    market = frozen_sim.gateway.market
    coupons = {c: frozen_sim.gateway.universe.get(c).extra['coupon'] for c in USD_BONDS}
    yields = [100 * coupons[int(c['contractID'])] / market.quote(int(c['contractID']))[1] for c in contracts]
    assert yields == sorted(yields, reverse=True)
    low = hmds_scan(frozen_sim, filters=[{'bondAskYieldBelow': 3.0}])['Contracts']['Contract']
    assert {int(c['contractID']) for c in low} == {c for c in USD_BONDS if coupons[c] < 3.0}
    assert hmds_scan(frozen_sim, maxItems=1)['size'] == '1'


def test_hmds_scanner_scans_stocks_too(frozen_sim):
    result = hmds_scan(
        frozen_sim, instrument='STK', locations='STK.US.MAJOR', scanCode='MOST_ACTIVE', secType='STK', maxItems=3
    )
    assert result['size'] == '3' and int(result['total']) > 3
    market = frozen_sim.gateway.market
    volumes = [market.day_stats(int(c['contractID']))['volume'] for c in result['Contracts']['Contract']]
    assert volumes == sorted(volumes, reverse=True)
    assert all(
        frozen_sim.gateway.universe.get(int(c['contractID'])).sec_type == 'STK' for c in result['Contracts']['Contract']
    )


def test_hmds_scanner_requires_filters_and_bounds_max_items(sim):
    body = dict(BOND_SCAN)
    del body['filters']
    assert 'filters' in error_of(post(sim, 'hmds/scanner/run', body), 400)
    assert error_of(post(sim, 'hmds/scanner/run', dict(BOND_SCAN, filters={'x': 1})), 400)
    assert error_of(post(sim, 'hmds/scanner/run', dict(BOND_SCAN, maxItems=0)), 400)
    assert error_of(post(sim, 'hmds/scanner/run', dict(BOND_SCAN, secType='STK')), 400)
    assert error_of(post(sim, 'hmds/scanner/run', dict(BOND_SCAN, scanCode='MOST_ACTIVE')), 400)
    many = hmds_scan(
        sim, instrument='STK', locations='STK.US.MAJOR', scanCode='MOST_ACTIVE', secType='STK', maxItems=10_000
    )
    assert int(many['size']) <= 250


def test_scanners_need_the_brokerage_session(sim):
    control(sim, 'POST', 'session', {'action': 'expire'})
    error_of(get(sim, 'iserver/scanner/params'), 401)
    error_of(post(sim, 'hmds/scanner/run', BOND_SCAN), 401)


# ================================================================= watchlists

WATCHLIST = {'id': '1234', 'name': 'Test Watchlist', 'rows': [{'C': IBM}, {'H': ''}, {'C': AAPL}]}


def create(sim, **changes):
    return ok(post(sim, 'iserver/watchlist', dict(WATCHLIST, **changes)))


def test_create_watchlist_answers_the_documented_shape(sim):
    created = create(sim)
    assert created['id'] == '1234' and created['name'] == 'Test Watchlist' and created['readOnly'] is False
    assert created['instruments'] == [] and created['hash'].isdigit()
    assert_openapi_valid(created, '/iserver/watchlist', 'post')


def test_list_watchlists_with_the_user_scope(sim):
    create(sim)
    create(sim, id='42', name='Second', rows=[{'C': MSFT}])
    listing = ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))
    assert listing['action'] == 'content' and isinstance(listing['MID'], str)
    data = listing['data']
    assert data['scanners_only'] is False and data['show_scanners'] is False and data['bulk_delete'] is False
    assert 'system_lists' not in data
    lists = {item['id']: item for item in data['user_lists']}
    assert set(lists) == {'1234', '42'}
    assert lists['42'] == {
        'is_open': False,
        'read_only': False,
        'name': 'Second',
        'modified': lists['42']['modified'],
        'id': '42',
        'type': 'watchlist',
    }
    assert isinstance(lists['42']['modified'], int)
    assert_openapi_valid(listing, '/iserver/watchlists')
    everything = ok(get(sim, 'iserver/watchlists'))
    assert everything['data']['system_lists'] == [] and len(everything['data']['user_lists']) == 2
    assert error_of(get(sim, 'iserver/watchlists', SC='SYSTEM'), 400)


def test_the_python_example_spelling_lists_watchlists_too(sim):
    create(sim)
    listing = ok(get(sim, 'iserver/watchlist', SC='USER_WATCHLIST'))  # seed 002's Python example
    assert [item['id'] for item in listing['data']['user_lists']] == ['1234']


def test_mid_counts_list_and_delete_requests_of_the_brokerage_session(sim):
    create(sim)
    assert ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))['MID'] == '1'
    assert ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))['MID'] == '2'
    assert ok(delete(sim, 'iserver/watchlist', id='1234'))['MID'] == '3'
    control(sim, 'POST', 'session', {'action': 'expire'})
    ok(post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True}))
    assert ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))['MID'] == '1'


def test_the_first_read_of_a_watchlist_is_partial_then_full(sim):
    create(sim)
    first = ok(get(sim, 'iserver/watchlist', id='1234'))
    assert first['id'] == '1234' and first['name'] == 'Test Watchlist' and first['readOnly'] is False
    assert first['instruments'] == [
        {'C': str(IBM), 'conid': IBM, 'name': 'INTL BUSINESS MACHINES CORP'},
        {'H': ''},
        {'C': str(AAPL), 'conid': AAPL, 'name': 'APPLE INC'},
    ]
    second = ok(get(sim, 'iserver/watchlist', id='1234'))
    assert second['instruments'][0] == {
        'ST': 'STK',
        'C': '8314',
        'conid': 8314,
        'name': 'INTL BUSINESS MACHINES CORP',
        'fullName': 'IBM',
        'assetClass': 'STK',
        'ticker': 'IBM',
        'chineseName': '国际商业机器',
    }
    assert second['instruments'][2]['ticker'] == 'AAPL'
    assert_openapi_valid(first, '/iserver/watchlist')
    assert_openapi_valid(second, '/iserver/watchlist')
    create(sim)  # a re-created watchlist starts partial again
    assert set(ok(get(sim, 'iserver/watchlist', id='1234'))['instruments'][0]) == {'C', 'conid', 'name'}


def test_the_partial_first_read_can_be_switched_off():
    with GatewaySimulator(watchlist_partial_first=False) as sim:
        create(sim)
        assert ok(get(sim, 'iserver/watchlist', id='1234'))['instruments'][0]['ticker'] == 'IBM'
    with GatewaySimulator() as sim:  # and at run time, through the control API
        requests.post(sim.control_url + 'config', json={'watchlist_partial_first': False}, timeout=10)
        create(sim)
        assert ok(get(sim, 'iserver/watchlist', id='1234'))['instruments'][0]['ticker'] == 'IBM'


def test_delete_watchlist_answers_the_documented_shape(sim):
    create(sim)
    deleted = ok(delete(sim, 'iserver/watchlist', id='1234'))
    assert deleted['data'] == {'deleted': '1234'} and deleted['action'] == 'context'
    assert deleted['MID'].isdigit()
    assert_openapi_valid(deleted, '/iserver/watchlist', 'delete')
    assert '1234' in error_of(get(sim, 'iserver/watchlist', id='1234'), 400)
    assert error_of(delete(sim, 'iserver/watchlist', id='1234'), 400)
    assert ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))['data']['user_lists'] == []


def test_creating_an_existing_id_replaces_the_watchlist(sim):
    create(sim)
    create(sim, name='Renamed', rows=[{'C': SPY}])
    lists = ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))['data']['user_lists']
    assert [(item['id'], item['name']) for item in lists] == [('1234', 'Renamed')]
    assert [i['conid'] for i in ok(get(sim, 'iserver/watchlist', id='1234'))['instruments']] == [SPY]


def test_create_watchlist_refuses_malformed_bodies(sim):
    for changes in (
        {'id': 'abc'},
        {'id': '12a'},
        {'id': True},
        {'name': ''},
        {'rows': {'C': IBM}},
        {'rows': [{'C': IBM, 'H': ''}]},
        {'rows': [{'X': 1}]},
        {'rows': [{'C': 'IBM'}]},
        {'rows': [{'C': 999_999_999}]},
    ):
        assert error_of(post(sim, 'iserver/watchlist', dict(WATCHLIST, **changes)), 400)
    body = dict(WATCHLIST)
    del body['rows']
    assert 'rows' in error_of(post(sim, 'iserver/watchlist', body), 400)
    assert error_of(get(sim, 'iserver/watchlist'), 400)
    assert ok(get(sim, 'iserver/watchlists', SC='USER_WATCHLIST'))['data']['user_lists'] == []


def test_watchlists_belong_to_the_user_not_the_session(sim):
    create(sim, id=1234, rows=[{'C': str(IBM)}])  # an int id and a str conid are accepted too
    control(sim, 'POST', 'session', {'action': 'expire'})
    error_of(get(sim, 'iserver/watchlist', id='1234'), 401)
    ok(post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True}))
    assert ok(get(sim, 'iserver/watchlist', id='1234'))['instruments'][0]['conid'] == IBM


def test_sim_state_shows_the_watchlists_and_reset_clears_them(sim):
    create(sim)
    described = state(sim)['watchlists']
    assert described['count'] == 1
    assert described['lists']['1234']['rows'] == [{'C': IBM}, {'H': ''}, {'C': AAPL}]
    assert described['lists']['1234']['name'] == 'Test Watchlist'
    control(sim, 'POST', 'reset')
    assert state(sim)['watchlists']['count'] == 0
