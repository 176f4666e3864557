"""SessionMixin, ScannerMixin and WatchlistMixin against the simulator (real sockets), and check_health's contract."""

from __future__ import annotations

import re

import pytest
import requests

from ibind import IbkrClient
from ibind.base.rest_client import Result
from ibind.support.errors import ExternalBrokerError, NotAuthenticatedError

from scripted_server import Reply
from sim_http import control

AAPL, IBM, MSFT, SPY = 265598, 8314, 272093, 756733


def requests_received(sim) -> int:
    return requests.get(sim.control_url + 'state', timeout=10).json()['counters']['total']


def assert_nothing_sent(sim, call, error_type, *words):
    before = requests_received(sim)
    with pytest.raises(error_type) as raised:
        call()
    message = str(raised.value)
    for word in words:
        assert word in message, (word, message)
    assert requests_received(sim) == before


# ================================================================= session


def test_authentication_status_reports_the_brokerage_session(client, sim):
    result = client.authentication_status()
    assert isinstance(result, Result)
    assert result.data['authenticated'] is True and result.data['competing'] is False
    assert result.data['connected'] is True and result.data['message'] == ''
    assert result.request['method'] == 'POST' and result.request['url'].endswith('/iserver/auth/status')
    control(sim, 'POST', 'session', {'action': 'expire'})
    expired = client.authentication_status().data
    assert expired['authenticated'] is False and expired['connected'] is True


def test_tickle_returns_the_session_id_and_auth_status(client):
    data = client.tickle().data
    assert re.fullmatch(r'[0-9a-f]{32}', data['session'])
    assert data['iserver']['authStatus']['authenticated'] is True
    assert data['ssoExpires'] > 0


def test_tickle_keeps_the_brokerage_session_alive_across_simulated_time(client, sim):
    for _ in range(4):
        control(sim, 'POST', 'clock', {'advance': 240})
        assert client.tickle().data['iserver']['authStatus']['authenticated'] is True
    assert client.authentication_status().data['authenticated'] is True


def test_initialize_brokerage_session_reopens_a_timed_out_session(sim):
    with IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing=False, auto_recover=False) as client:
        control(sim, 'POST', 'clock', {'advance': 400})
        with pytest.raises(NotAuthenticatedError):
            client.get('iserver/accounts')
        data = client.initialize_brokerage_session().data
        assert data['authenticated'] is True and data['connected'] is True
        assert client.get('iserver/accounts').data['accounts'] == ['DU1234567']


def test_initialize_brokerage_session_sends_publish_true_and_the_compete_flag(client, sim):
    control(sim, 'POST', 'session', {'action': 'compete'})
    refused = client.initialize_brokerage_session(compete=False)
    assert refused.request['json'] == {'publish': True, 'compete': False}
    assert refused.data['authenticated'] is False and refused.data['competing'] is True
    taken = client.initialize_brokerage_session(compete=True)
    assert taken.request['json'] == {'publish': True, 'compete': True}
    assert taken.data['authenticated'] is True and taken.data['competing'] is False


def test_initialize_brokerage_session_checks_compete_before_sending(client, sim):
    assert_nothing_sent(sim, lambda: client.initialize_brokerage_session(compete='yes'), TypeError, "'compete'")


def test_validate_and_reauthenticate(client, sim):
    validated = client.validate().data
    assert validated['RESULT'] is True and validated['USER_NAME'] == 'simuser1'
    control(sim, 'POST', 'session', {'action': 'expire'})
    assert client.reauthenticate().data == {'message': 'triggered'}
    assert client.authentication_status().data['authenticated'] is True


def test_logout_ends_the_session(client, sim):
    assert client.logout().data == {'status': True}
    with pytest.raises(NotAuthenticatedError):
        client.tickle()
    assert client.check_health() is False


# ----------------------------------------------------------------- check_health


def test_check_health_is_true_for_an_authenticated_session(client, sim):
    assert client.check_health() is True
    assert (
        requests.get(sim.control_url + 'state', timeout=10).json()['counters']['by_route']['POST /tickle']['count'] == 1
    )


@pytest.mark.parametrize('action', ['expire', 'compete', 'no_bridge', 'deauthenticate'])
def test_check_health_is_false_for_every_unusable_session(client, sim, action):
    control(sim, 'POST', 'session', {'action': action})
    assert client.check_health() is False
    control(sim, 'POST', 'session', {'action': 'restore'})
    assert client.check_health() is True


def test_check_health_is_false_after_the_idle_timeout(client, sim):
    control(sim, 'POST', 'clock', {'advance': 361})
    assert client.check_health() is False
    client.initialize_brokerage_session()
    assert client.check_health() is True


def test_check_health_is_false_for_a_stopped_gateway_without_retrying(sim):
    with IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing=False) as client:
        slept = []
        client._sleep = slept.append  # the client's back-off seam: any retry would sleep first
        sim.stop()
        assert client.check_health() is False
        assert slept == []


def test_check_health_is_false_on_a_closed_client(client):
    client.close()
    assert client.check_health() is False


@pytest.mark.parametrize(
    'reply',
    [
        Reply(status=503, body={'error': 'Service Unavailable'}),  # retryable for other requests
        Reply(status=502, body='<html><body>Bad Gateway</body></html>', content_type='text/html'),
        Reply(status=200, body='<html><body>login</body></html>', content_type='text/html'),
        Reply(status=200, body='{"iserver": {"authStatus": ', content_type='application/json'),  # truncated
        Reply(status=200, body={'session': 'x'}),  # no iserver.authStatus
        Reply(
            status=200,
            body={'iserver': {'authStatus': {'authenticated': 'yes', 'competing': False, 'connected': True}}},
        ),
        Reply(status=200, body=['not', 'an', 'object']),
        Reply(drop=True),  # connection closed, no answer
    ],
)
def test_check_health_is_false_for_any_unexpected_answer_after_exactly_one_attempt(server, reply):
    server.script('POST', '/v1/api/tickle', reply, reply, reply, reply)
    with IbkrClient(url=server.url(), account_id='DU1234567', cacert=False, pacing=False, max_retries=3) as client:
        client._sleep = lambda seconds: None
        assert client.check_health() is False
    assert server.count('POST', '/v1/api/tickle') == 1


def test_check_health_gives_up_after_one_read_timeout(server):
    server.script('POST', '/v1/api/tickle', Reply(delay=1.0, body={}))
    with IbkrClient(url=server.url(), account_id='DU1234567', cacert=False, pacing=False, timeout=0.2) as client:
        assert client.check_health() is False
    assert server.count('POST', '/v1/api/tickle') == 1


def test_check_health_reads_the_tickle_auth_status(server):
    healthy = {
        'session': 'a' * 32,
        'iserver': {'authStatus': {'authenticated': True, 'competing': False, 'connected': True, 'message': ''}},
    }
    server.script('POST', '/v1/api/tickle', Reply(body=healthy))
    with IbkrClient(url=server.url(), account_id='DU1234567', cacert=False, pacing=False) as client:
        assert client.check_health() is True


# ================================================================= scanner


def test_scanner_parameters_list_what_market_scanner_accepts(client):
    params = client.scanner_parameters().data
    scan_codes = {s['code'] for s in params['scan_type_list']}
    assert {'TOP_PERC_GAIN', 'MOST_ACTIVE'} <= scan_codes
    locations = {loc['type'] for tree in params['location_tree'] for loc in tree['locations']}
    assert 'STK.US.MAJOR' in locations
    assert 'priceAbove' in {f['code'] for f in params['filter_list']}


def test_market_scanner_returns_ranked_contracts(client, sim):
    requests.post(sim.control_url + 'clock', json={'freeze': True}, timeout=10)  # compare with the market read
    result = client.market_scanner(
        instrument='STK', type='MOST_ACTIVE', location='STK.US.MAJOR', filter=[{'code': 'priceAbove', 'value': 5}]
    )
    assert result.request['json'] == {
        'instrument': 'STK',
        'type': 'MOST_ACTIVE',
        'location': 'STK.US.MAJOR',
        'filter': [{'code': 'priceAbove', 'value': 5}],
    }
    contracts = result.data['contracts']
    assert result.data['scan_data_column_name'] == 'Volume'
    assert 0 < len(contracts) <= 50
    volumes = [sim.gateway.market.day_stats(c['con_id'])['volume'] for c in contracts]
    assert volumes == sorted(volumes, reverse=True)
    assert {AAPL, SPY} <= {c['con_id'] for c in contracts}  # among the most traded of the broad universe


def test_market_scanner_without_filter_sends_no_filter_key(client):
    result = client.market_scanner('ETF.EQ.US', 'TOP_TRADE_COUNT', 'ETF.EQ.US.MAJOR')
    assert 'filter' not in result.request['json']
    assert SPY in {c['con_id'] for c in result.data['contracts']}
    assert AAPL not in {c['con_id'] for c in result.data['contracts']}


def test_market_scanner_surfaces_the_gateways_refusal(client):
    with pytest.raises(ExternalBrokerError) as raised:
        client.market_scanner('STK', 'NO_SUCH_SCAN', 'STK.US.MAJOR')
    assert raised.value.status_code == 400 and 'NO_SUCH_SCAN' in str(raised.value)


def test_market_scanner_validates_arguments_before_sending(client, sim):
    assert_nothing_sent(
        sim, lambda: client.market_scanner('', 'MOST_ACTIVE', 'STK.US.MAJOR'), ValueError, "'instrument'"
    )
    assert_nothing_sent(sim, lambda: client.market_scanner('STK', None, 'STK.US.MAJOR'), TypeError, "'type'")
    assert_nothing_sent(sim, lambda: client.market_scanner('STK', 'MOST_ACTIVE', 5), TypeError, "'location'")
    assert_nothing_sent(
        sim,
        lambda: client.market_scanner('STK', 'MOST_ACTIVE', 'STK.US.MAJOR', filter={'code': 'priceAbove', 'value': 5}),
        TypeError,
        "'filter'",
    )
    assert_nothing_sent(
        sim,
        lambda: client.market_scanner('STK', 'MOST_ACTIVE', 'STK.US.MAJOR', filter=[{'priceAbove': 5}]),
        ValueError,
        "'filter'[0]",
    )
    assert_nothing_sent(
        sim,
        lambda: client.market_scanner(
            'STK', 'MOST_ACTIVE', 'STK.US.MAJOR', filter=[{'code': 'priceAbove', 'value': float('nan')}]
        ),
        TypeError,
        'finite',
    )


def test_hmds_scanner_parameters_and_bond_scan(client, sim):
    params = client.hmds_scanner_parameters().data
    assert 'HIGH_BOND_ASK_YIELD_ALL' in {s['code'] for s in params['scan_type_list']}
    result = client.hmds_market_scanner(
        instrument='BOND',
        location='BOND.US',
        scan_code='HIGH_BOND_ASK_YIELD_ALL',
        sec_type='BOND',
        filter=[{'bondAskYieldBelow': 15.819}],
        max_items=25,
    )
    assert result.request['json'] == {
        'instrument': 'BOND',
        'locations': 'BOND.US',
        'scanCode': 'HIGH_BOND_ASK_YIELD_ALL',
        'secType': 'BOND',
        'filters': [{'bondAskYieldBelow': 15.819}],
        'maxItems': 25,
    }
    conids = [int(c['contractID']) for c in result.data['Contracts']['Contract']]
    assert conids and all(sim.gateway.universe.get(c).sec_type == 'BOND' for c in conids)
    assert result.data['size'] == str(len(conids))


def test_hmds_market_scanner_sends_an_empty_filter_list_and_no_max_items_by_default(client):
    result = client.hmds_market_scanner('STK', 'STK.US.MAJOR', 'MOST_ACTIVE', 'STK', filter=[])
    assert result.request['json']['filters'] == [] and 'maxItems' not in result.request['json']
    assert int(result.data['size']) > 0


def test_hmds_market_scanner_validates_arguments_before_sending(client, sim):
    scan = dict(instrument='BOND', location='BOND.US', scan_code='HIGH_BOND_ASK_YIELD_ALL', sec_type='BOND')
    assert_nothing_sent(sim, lambda: client.hmds_market_scanner(**scan, filter=None), ValueError, "'filter'")
    assert_nothing_sent(sim, lambda: client.hmds_market_scanner(**scan, filter=[{}]), ValueError, "'filter'[0]")
    assert_nothing_sent(
        sim, lambda: client.hmds_market_scanner(**scan, filter=[], max_items=0), ValueError, "'max_items'", '250'
    )
    assert_nothing_sent(
        sim, lambda: client.hmds_market_scanner(**scan, filter=[], max_items=251), ValueError, "'max_items'"
    )
    assert_nothing_sent(
        sim, lambda: client.hmds_market_scanner(**scan, filter=[], max_items='25'), TypeError, "'max_items'"
    )
    assert_nothing_sent(
        sim, lambda: client.hmds_market_scanner(**dict(scan, scan_code=' '), filter=[]), ValueError, "'scan_code'"
    )


# ================================================================= watchlists

ROWS = [{'C': IBM}, {'H': ''}, {'C': str(AAPL)}]


def test_watchlist_lifecycle(client):
    created = client.create_watchlist(id='1234', name='Test Watchlist', rows=ROWS)
    assert created.request['json'] == {
        'id': '1234',
        'name': 'Test Watchlist',
        'rows': [{'C': IBM}, {'H': ''}, {'C': AAPL}],
    }
    assert created.data['id'] == '1234' and created.data['instruments'] == []

    listed = client.get_all_watchlists().data
    assert [(w['id'], w['name']) for w in listed['data']['user_lists']] == [('1234', 'Test Watchlist')]

    first = client.get_watchlist_information('1234').data  # documented: the first read may be partial
    assert [i.get('conid') for i in first['instruments']] == [IBM, None, AAPL]
    assert set(first['instruments'][0]) == {'C', 'conid', 'name'}
    full = client.get_watchlist_information(1234).data
    assert full['instruments'][0]['ticker'] == 'IBM' and full['instruments'][2]['ticker'] == 'AAPL'

    deleted = client.delete_watchlist('1234')
    assert deleted.data['data'] == {'deleted': '1234'}
    assert deleted.request['method'] == 'DELETE' and deleted.request['params'] == {'id': '1234'}
    assert client.get_all_watchlists().data['data']['user_lists'] == []
    with pytest.raises(ExternalBrokerError) as raised:
        client.get_watchlist_information('1234')
    assert raised.value.status_code == 400


def test_get_all_watchlists_scope(client):
    client.create_watchlist('7', 'Seven', [{'C': SPY}])
    assert client.get_all_watchlists().request['params'] == {'SC': 'USER_WATCHLIST'}
    unscoped = client.get_all_watchlists(sc=None)
    assert unscoped.request['params'] is None and 'system_lists' in unscoped.data['data']
    assert [w['id'] for w in unscoped.data['data']['user_lists']] == ['7']


def test_create_watchlist_with_an_unknown_conid_is_refused_by_the_gateway(client):
    with pytest.raises(ExternalBrokerError) as raised:
        client.create_watchlist('1', 'x', [{'C': 999_999_999}])
    assert raised.value.status_code == 400


@pytest.mark.parametrize(
    'arguments, error_type, words',
    [
        (dict(id='12a', name='n', rows=ROWS), ValueError, ["'id'", 'digits']),
        (dict(id=' ', name='n', rows=ROWS), ValueError, ["'id'"]),
        (dict(id=True, name='n', rows=ROWS), TypeError, ["'id'"]),
        (dict(id=1.5, name='n', rows=ROWS), TypeError, ["'id'"]),
        (dict(id='1', name='', rows=ROWS), ValueError, ["'name'"]),
        (dict(id='1', name=None, rows=ROWS), TypeError, ["'name'"]),
        (dict(id='1', name='n', rows={'C': IBM}), TypeError, ["'rows'"]),
        (dict(id='1', name='n', rows='8314'), TypeError, ["'rows'"]),
        (dict(id='1', name='n', rows=[{'C': IBM, 'H': ''}]), ValueError, ["'rows'[0]"]),
        (dict(id='1', name='n', rows=[{'conid': IBM}]), ValueError, ["'rows'[0]"]),
        (dict(id='1', name='n', rows=[{'C': 'IBM'}]), ValueError, ["'rows'[0]['C']"]),
        (dict(id='1', name='n', rows=[{'C': -5}]), ValueError, ["'rows'[0]['C']"]),
        (dict(id='1', name='n', rows=[{'C': True}]), ValueError, ["'rows'[0]['C']"]),
        (dict(id='1', name='n', rows=[{'H': None}]), ValueError, ["'rows'[0]['H']"]),
    ],
)
def test_create_watchlist_validates_before_sending(client, sim, arguments, error_type, words):
    assert_nothing_sent(sim, lambda: client.create_watchlist(**arguments), error_type, *words)


def test_watchlist_reads_and_deletes_validate_before_sending(client, sim):
    assert_nothing_sent(sim, lambda: client.get_watchlist_information('../orders'), ValueError, "'id'")
    assert_nothing_sent(sim, lambda: client.delete_watchlist(None), TypeError, "'id'")
    assert_nothing_sent(sim, lambda: client.get_all_watchlists(sc='SYSTEM'), ValueError, "'sc'", 'USER_WATCHLIST')
