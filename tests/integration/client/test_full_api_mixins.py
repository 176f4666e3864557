"""The whole documented API through IbkrClient against the simulator, and the test that nothing is missing.

``test_every_spec_operation_is_served_and_wrapped`` lists the operations of IBKR's OpenAPI spec outside
``/gw/api`` and fails for any the simulator does not serve or that no client method reaches: the wrappers
below are called against one simulator and its request counters say which routes they hit.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import time

import pytest
import requests

from ibind import IbkrClient
from ibind.sim import GatewaySimulator

from openapi_spec import load_spec

ACCOUNT = 'DU1234567'
AAPL, IBM = 265598, 8314
START = 1_704_900_000.0  # 2024-01-10 15:20 UTC, a Wednesday during US trading hours
FED_FUNDS, EVENT_CONTRACT = 704491370, 770000000

# Spec operations neither served nor wrapped, on purpose (the /gw/api account-management operations are
# outside the gateway: they are excluded by prefix, not listed).
EXCLUDED = {
    # OAuth 1.0a third-party consumer handshake: request and access tokens are obtained once, in IBKR's
    # portal, for first-party use; ibind covers the live session token step (POST /oauth/live_session_token).
    'POST /oauth/request_token': 'third-party OAuth consumer registration flow, not used by first-party clients',
    'POST /oauth/access_token': 'third-party OAuth consumer registration flow, not used by first-party clients',
    # OAuth 2.0 client-credentials token of the gateway-less Web API (private_key_jwt); ibind speaks OAuth 1.0a.
    'POST /oauth2/api/v1/token': 'OAuth 2.0 token of the /gw/api platform, not the Client Portal gateway',
}


def _client(sim):
    return IbkrClient(url=sim.url, account_id=ACCOUNT, cacert=False, pacing=False)


def _advance(sim, seconds):
    response = requests.post(sim.control_url + 'clock', json={'advance': seconds}, timeout=10)
    assert response.status_code == 200, response.text


def _spec_operations():
    spec = load_spec()
    assert spec is not None, 'tests/data/ibkr-openapi.json is missing'
    return sorted(
        f'{method.upper()} {path}'
        for path, item in spec['paths'].items()
        for method in item
        if method in ('get', 'post', 'put', 'delete', 'patch') and not path.startswith('/gw/')
    )


def _shape(route):
    method, path = route.split(' ', 1)
    return method, re.sub(r'\{\w+\}', '{}', path.rstrip('/'))


def _routes_of_reference_methods():
    """The routes test_malformed_transport's table declares for each method of the API reference."""
    path = pathlib.Path(__file__).resolve().parents[1] / 'test_malformed_transport.py'
    spec = importlib.util.spec_from_file_location('_malformed_transport_table', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    routes = [route for call in module.CALLS for route in call.routes]
    return routes + [route for _, declared in module.OAUTH_CALLS.values() for route in declared]


def _exercise_everything(ibkr, sim):
    """Call every wrapper of the categories the issue added, and a representative of every other route."""
    ibkr.receive_brokerage_accounts()
    alert = ibkr.create_alert(
        'AAPL up', 'AAPL above 1', [{'type': 1, 'conidex': f'{AAPL}@SMART', 'operator': '>=', 'value': '1'}]
    ).data['order_id']
    ibkr.get_all_alerts()
    ibkr.get_alert_details(alert)
    ibkr.get_mta_alert()
    ibkr.activate_alert(alert, False)
    ibkr.delete_alert(alert)
    ibkr.unread_number_of_notifications()
    ibkr.get_notification_settings()
    ibkr.modify_notification_setting('PR', True)
    ibkr.get_disclaimer('PR')
    ibkr.mark_disclaimer_read('PR')
    ibkr.set_device_delivery('phone-1', True, device_name='Phone')
    ibkr.get_delivery_options()
    ibkr.set_email_delivery(False)
    ibkr.delete_device('phone-1')
    when = time.strftime('%Y%m%d-%H:%M:%S', time.gmtime(START + 60))
    ibkr.create_alert('Clock', 'one minute', [{'type': 3, 'operator': '>=', 'value': when}], outside_rth=True)
    _advance(sim, 120)
    notes = ibkr.get_notifications(max=5).data
    ibkr.mark_notification_read(notes[0]['ID'])
    ibkr.allocatable_subaccounts()
    group = [{'name': ACCOUNT, 'amount': 1}, {'name': 'DU1234568', 'amount': 1}]
    ibkr.add_allocation_group('G', group, 'E')
    ibkr.allocation_groups()
    ibkr.allocation_group('G')
    ibkr.modify_allocation_group('G2', group, 'N', prev_name='G')
    ibkr.delete_allocation_group('G2')
    ibkr.allocation_presets()
    ibkr.set_allocation_presets(strict_credit_check=True)
    ibkr.fa_model_save(
        1,
        'Growth',
        'two stocks',
        True,
        [{'ccy': 'USD', 'target': 0.2}],
        [{'conid': AAPL, 'target': 0.5}, {'conid': IBM, 'target': 0.3}],
    )
    draft = ibkr.fa_model_invest_divest(2, 'Growth', [{'account': ACCOUNT, 'amtToInvest': 100_000}]).data
    ibkr.fa_model_submit_transfers(3, draft['transfersInstructionId'])
    ibkr.fa_model_list(4)
    ibkr.fa_model_summary(5, 'Growth')
    ibkr.fa_model_positions(6, 'Growth', sort_field='mv', sort_direction='DESC', limit=5)
    ibkr.fa_model_accounts_details(7, 'Growth', calc_pnls=True)
    ibkr.fa_model_invest_divest_positions(8, 'Growth')
    ibkr.fa_preset_get(9)
    ibkr.fa_preset_save(10, keep_model_open=True)
    ibkr.event_contract_categories()
    ibkr.event_contract_market(FED_FUNDS, 'FORECASTX')
    ibkr.event_contract_details(EVENT_CONTRACT)
    ibkr.event_contract_rules(EVENT_CONTRACT)
    ibkr.event_contract_schedules(EVENT_CONTRACT)
    ibkr.all_periods(ACCOUNT)
    ibkr.trading_schedule_by_conid(AAPL)
    ibkr.search_contract_by_symbol_post('AAPL', sec_type='STK')
    ibkr.reply_to_server_prompt(1234, '12', 'Yes')
    ibkr.portfolio_subaccounts()  # an advisor's sub-accounts are listed here, before /portfolio/{id}/...
    ibkr.combination_positions(no_cache=True)
    ibkr.check_auth_status()
    for part in ('available_funds', 'balances', 'margins', 'market_value'):
        getattr(ibkr, f'account_summary_{part}')()


@pytest.fixture(scope='module')
def exercised():
    """One advisor simulator on which every new wrapper was called: (simulator state, routes hit)."""
    with GatewaySimulator(port=0, financial_advisor=True, frozen_clock=True, start_time=START) as sim:
        with _client(sim) as ibkr:
            _exercise_everything(ibkr, sim)
            state = requests.get(sim.control_url + 'state', timeout=10).json()
            served = sim.control.routes()
            ibkr.close_session()
    return state, served


def test_every_spec_operation_is_served_and_wrapped(exercised):
    state, served = exercised
    operations = _spec_operations()
    served_shapes = {_shape(route) for route in served}
    assert sorted(set(EXCLUDED) - set(operations)) == [], 'excluded operations that are not in the spec'
    missing = [op for op in operations if op not in EXCLUDED and _shape(op) not in served_shapes]
    assert missing == [], f'spec operations the simulator does not serve: {missing}'
    # reached here (2xx answers counted by the simulator), or by a reference method: test_malformed_transport's
    # table says which routes each of the 80 sends, and checks it by faulting each of those routes in turn
    reached = {
        _shape(route)
        for route, entry in state['counters']['by_route'].items()
        if any(status.startswith('2') for status in entry['statuses'])
    }
    reached |= {_shape(route) for route in _routes_of_reference_methods()}
    unwrapped = [op for op in operations if op not in EXCLUDED and _shape(op) not in reached]
    assert unwrapped == [], f'spec operations no client method reaches: {unwrapped}'


def test_the_count_of_spec_operations():
    operations = _spec_operations()
    assert len(operations) == 114 and len(set(operations) - set(EXCLUDED)) == 111
