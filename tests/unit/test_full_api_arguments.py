"""The methods added for the whole API refuse bad arguments with ValueError/TypeError naming the argument,
before anything is sent (the client points at a port nothing listens on: a request would be a transport error)."""

import socket

import pytest

from ibind import IbkrClient


@pytest.fixture(scope='module')
def ibkr():
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    with IbkrClient(
        url=f'http://127.0.0.1:{port}/v1/api/',
        account_id='DU1234567',
        cacert=False,
        pacing=False,
        max_retries=0,
        timeout=2,
    ) as client:
        yield client


PRICE = [{'type': 1, 'conidex': '265598@SMART', 'operator': '>=', 'value': '195'}]

CASES = [
    ('create_alert', dict(alert_name='', alert_message='m', conditions=PRICE), ValueError, 'alert_name'),
    ('create_alert', dict(alert_name='a', alert_message='m', conditions=[]), ValueError, 'conditions'),
    (
        'create_alert',
        dict(alert_name='a', alert_message='m', conditions=[{**PRICE[0], 'operator': '=='}]),
        ValueError,
        'operator',
    ),
    ('create_alert', dict(alert_name='a', alert_message='m', conditions=PRICE, tif='GTD'), ValueError, 'expire_time'),
    ('create_alert', dict(alert_name='a', alert_message='m', conditions=PRICE, send_message=True), ValueError, 'email'),
    ('get_alert_details', dict(alert_id='12/x'), TypeError, 'alert_id'),
    ('activate_alert', dict(alert_id=5, active='yes'), ValueError, 'active'),
    ('modify_notification_setting', dict(typecode='XX', enabled=True), ValueError, 'typecode'),
    ('modify_notification_setting', dict(typecode='PR', enabled='true'), TypeError, 'enabled'),
    ('get_notifications', dict(max=11), ValueError, 'max'),
    ('get_notifications', dict(include='ZZ'), ValueError, 'typecode'),
    ('delete_device', dict(device_id='a/b'), ValueError, 'device_id'),
    (
        'add_allocation_group',
        dict(name='G', accounts=[{'name': 'U1'}], default_method='X'),
        ValueError,
        'default_method',
    ),
    ('add_allocation_group', dict(name='G', accounts=[]), ValueError, 'accounts'),
    ('set_allocation_presets', dict(), ValueError, 'at least one'),
    (
        'fa_model_save',
        dict(
            req_id=1,
            model='M',
            desc='d',
            is_static=True,
            cash_targets=[{'ccy': 'USD', 'target': 20}],
            position_targets=[],
        ),
        ValueError,
        'fraction',
    ),
    (
        'fa_model_save',
        dict(
            req_id=1,
            model='M',
            desc='d',
            is_static=True,
            cash_targets=[{'ccy': 'USD', 'target': 0.5}],
            position_targets=[],
        ),
        ValueError,
        'add up to 1',
    ),
    (
        'fa_model_invest_divest',
        dict(req_id=1, model='M', account_list=[{'account': 'U1', 'amtToInvest': 0}]),
        ValueError,
        'amtToInvest',
    ),
    ('fa_model_positions', dict(req_id=1, model='M', sort_field='price'), ValueError, 'sort_field'),
    ('fa_model_submit_transfers', dict(req_id=1, fp_order_id=-1), ValueError, 'fp_order_id'),
    ('fa_preset_save', dict(req_id='x'), TypeError, 'req_id'),
    ('event_contract_details', dict(conid='abc'), ValueError, 'conid'),
    ('event_contract_market', dict(underlying_conid=None), ValueError, 'underlying_conid'),
    ('all_periods', dict(account_ids=[]), ValueError, 'account_ids'),
    ('combination_positions', dict(no_cache='yes'), TypeError, 'no_cache'),
    ('trading_schedule_by_conid', dict(conid=-5), ValueError, 'conid'),
    ('search_contract_by_symbol_post', dict(symbol='AAPL', sec_type='OPT'), ValueError, 'sec_type'),
    ('reply_to_server_prompt', dict(order_id=1, req_id='1', text=''), ValueError, 'text'),
]


@pytest.mark.parametrize('name, kwargs, error, mentions', CASES, ids=[f'{c[0]}-{c[3]}' for c in CASES])
def test_bad_arguments_fail_before_sending(ibkr, name, kwargs, error, mentions):
    with pytest.raises(error, match=mentions):
        getattr(ibkr, name)(**kwargs)
