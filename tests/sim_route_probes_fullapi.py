"""The probes of the routes added for the whole documented API (issue 13): alerts, FYI, FA allocation and
models, event contracts, and the additions to existing categories. ``sim_route_probes`` merges them into
``PROBES``; the prerequisites here run over HTTP like the others.
"""

from __future__ import annotations

import time
from typing import Any, Dict

import requests

from sim_route_probes import AAPL, ACCOUNT, IBM, START, Api, Probe, brokerage_accounts

FA = {'financial_advisor': True}
SUB_ACCOUNTS = (ACCOUNT, 'DU1234568', 'DU1234569')  # the sub-accounts financial_advisor=True gives DU1234567
GROUP = {
    'name': 'Group_1_NetLiq',
    'accounts': [{'name': ACCOUNT, 'amount': 10}, {'name': 'DU1234568', 'amount': 5}],
    'default_method': 'N',
}
MODEL = {
    'reqID': 1,
    'model': 'Growth',
    'desc': 'two stocks and cash',
    'isStatic': True,
    'cashTargets': [{'ccy': 'USD', 'target': 0.2}],
    'positionTargets': [{'conid': AAPL, 'target': 0.5}, {'conid': IBM, 'target': 0.3}],
}
FED_FUNDS = 704491370  # the underlier of the simulator's FF event contract market
EVENT_CONTRACT = 770000000  # its first contract (a YES)


def price_alert(value: str = '183.34', operator: str = '<=', **extra: Any) -> Dict[str, Any]:
    """Seed 002's example alert (L516-537), for the probe account; GTD a year after the probes' start."""
    return {
        'alertMessage': 'AAPL Price Drop!',
        'alertName': 'AAPL_Price',
        'expireTime': '20250101-12:00:00',
        'alertRepeatable': 0,
        'outsideRth': 0,
        'sendMessage': 1,
        'email': 'user@domain.net',
        'iTWSOrdersOnly': 0,
        'showPopup': 0,
        'tif': 'GTD',
        'conditions': [
            {
                'conidex': f'{AAPL}@SMART',
                'logicBind': 'n',
                'operator': operator,
                'triggerMethod': 0,
                'type': 1,
                'value': value,
            }
        ],
        **extra,
    }


def time_alert(after_seconds: float) -> Dict[str, Any]:
    """A GTC alert on the simulated clock passing START + ``after_seconds``."""
    when = time.strftime('%Y%m%d-%H:%M:%S', time.gmtime(START + after_seconds))
    return {
        'alertMessage': 'Time is up',
        'alertName': 'Clock',
        'alertRepeatable': 0,
        'outsideRth': 1,
        'tif': 'GTC',
        'conditions': [
            {'conidex': '*', 'logicBind': 'n', 'operator': '>=', 'triggerMethod': 0, 'type': 3, 'value': when}
        ],
    }


def alert(api: Api) -> Dict[str, Any]:
    brokerage_accounts(api)
    answer = api.ok('POST', f'iserver/account/{ACCOUNT}/alert', body=price_alert())
    return {'alert_id': answer['order_id']}


def advance_clock(api: Api, seconds: float) -> None:
    response = requests.post(api.sim.control_url + 'clock', json={'advance': seconds}, timeout=10)
    assert response.status_code == 200, response.text


def notification(api: Api) -> Dict[str, Any]:
    """A fired alert: a time alert one minute ahead, then two minutes of simulated time."""
    brokerage_accounts(api)
    api.ok('POST', f'iserver/account/{ACCOUNT}/alert', body=time_alert(60))
    advance_clock(api, 120)
    listed = api.ok('GET', 'fyi/notifications', {'max': 10})
    assert listed, 'the time alert did not fire'
    return {'notification_id': listed[0]['ID']}


def device(api: Api) -> Dict[str, Any]:
    api.ok(
        'POST',
        'fyi/deliveryoptions/device',
        body={'deviceId': 'probe-phone', 'deviceName': 'Phone', 'uiName': 'My phone', 'enabled': True},
    )
    return {}


def group(api: Api) -> Dict[str, Any]:
    brokerage_accounts(api)
    api.ok('POST', 'iserver/account/allocation/group', body=GROUP)
    return {}


def model(api: Api) -> Dict[str, Any]:
    brokerage_accounts(api)
    api.ok('POST', 'fa/model/save', body=MODEL)
    return {}


def invested_model(api: Api) -> Dict[str, Any]:
    """The model with 100,000 USD of one sub-account invested (drafted and submitted)."""
    model(api)
    draft = api.ok(
        'POST',
        'fa/model/invest-divest',
        body={'reqID': 2, 'model': 'Growth', 'accountList': [{'account': ACCOUNT, 'amtToInvest': 100000}]},
    )
    api.ok('POST', 'fa/model/submit-transfers', body={'reqID': 3, 'fpOrderId': draft['transfersInstructionId']})
    return {}


def drafted_investment(api: Api) -> Dict[str, Any]:
    model(api)
    draft = api.ok(
        'POST',
        'fa/model/invest-divest',
        body={'reqID': 2, 'model': 'Growth', 'accountList': [{'account': ACCOUNT, 'amtToInvest': 100000}]},
    )
    return {'draft': draft['transfersInstructionId']}


FULL_API_PROBES: Dict[str, Probe] = {
    # ---- alerts
    'POST /iserver/account/{accountId}/alert': Probe(
        'iserver/account/{account}/alert', body=price_alert(), prepare=brokerage_accounts
    ),
    'GET /iserver/account/{accountId}/alerts': Probe('iserver/account/{account}/alerts', prepare=alert),
    'GET /iserver/account/alert/{alertId}': Probe('iserver/account/alert/{alert_id}', {'type': 'Q'}, prepare=alert),
    'POST /iserver/account/{accountId}/alert/activate': Probe(
        'iserver/account/{account}/alert/activate', body={'alertId': '{alert_id}', 'alertActive': 0}, prepare=alert
    ),
    'DELETE /iserver/account/{accountId}/alert/{alertId}': Probe(
        'iserver/account/{account}/alert/{alert_id}', body={}, prepare=alert
    ),
    'GET /iserver/account/mta': Probe('iserver/account/mta', prepare=brokerage_accounts),
    # ---- FYI
    'GET /fyi/unreadnumber': Probe('fyi/unreadnumber', prepare=notification),
    'GET /fyi/settings': Probe('fyi/settings'),
    'POST /fyi/settings/{typecode}': Probe('fyi/settings/PR', body={'enabled': False}),
    'GET /fyi/disclaimer/{typecode}': Probe('fyi/disclaimer/PR'),
    'PUT /fyi/disclaimer/{typecode}': Probe('fyi/disclaimer/PR'),
    'GET /fyi/deliveryoptions': Probe('fyi/deliveryoptions', prepare=device),
    'PUT /fyi/deliveryoptions/email': Probe('fyi/deliveryoptions/email', {'enabled': 'false'}),
    'POST /fyi/deliveryoptions/device': Probe(
        'fyi/deliveryoptions/device',
        body={'deviceId': 'probe-phone', 'deviceName': 'Phone', 'uiName': 'My phone', 'enabled': True},
    ),
    'DELETE /fyi/deliveryoptions/{deviceId}': Probe('fyi/deliveryoptions/probe-phone', prepare=device),
    'GET /fyi/notifications': Probe('fyi/notifications', {'max': 10}, prepare=notification),
    'PUT /fyi/notifications/{notificationID}': Probe('fyi/notifications/{notification_id}', prepare=notification),
    # ---- FA allocation groups and presets
    'GET /iserver/account/allocation/accounts': Probe(
        'iserver/account/allocation/accounts', prepare=brokerage_accounts, options=FA
    ),
    'GET /iserver/account/allocation/group': Probe('iserver/account/allocation/group', prepare=group, options=FA),
    'POST /iserver/account/allocation/group': Probe(
        'iserver/account/allocation/group', body=GROUP, prepare=brokerage_accounts, options=FA
    ),
    'PUT /iserver/account/allocation/group': Probe(
        'iserver/account/allocation/group',
        body={**GROUP, 'name': 'Group_2_Equal', 'prev_name': GROUP['name'], 'default_method': 'E'},
        prepare=group,
        options=FA,
    ),
    'POST /iserver/account/allocation/group/single': Probe(
        'iserver/account/allocation/group/single', body={'name': GROUP['name']}, prepare=group, options=FA
    ),
    'POST /iserver/account/allocation/group/delete': Probe(
        'iserver/account/allocation/group/delete', body={'name': GROUP['name']}, prepare=group, options=FA
    ),
    'GET /iserver/account/allocation/presets': Probe(
        'iserver/account/allocation/presets', prepare=brokerage_accounts, options=FA
    ),
    'POST /iserver/account/allocation/presets': Probe(
        'iserver/account/allocation/presets',
        body={'default_method_for_all': 'E', 'group_auto_close_positions': True},
        prepare=brokerage_accounts,
        options=FA,
    ),
    # ---- FA models
    'POST /fa/model/list': Probe('fa/model/list', body={'reqID': 1}, prepare=invested_model, options=FA),
    'POST /fa/model/summary': Probe(
        'fa/model/summary', body={'reqID': 1, 'model': 'Growth'}, prepare=invested_model, options=FA
    ),
    'POST /fa/model/positions': Probe(
        'fa/model/positions',
        body={'reqID': 1, 'model': 'Growth', 'sortField': 'mv', 'sortDirection': 'DESC'},
        prepare=invested_model,
        options=FA,
    ),
    'POST /fa/model/accounts-details': Probe(
        'fa/model/accounts-details',
        body={'reqID': 1, 'model': 'Growth', 'calcPnls': True},
        prepare=invested_model,
        options=FA,
    ),
    'POST /fa/model/save': Probe('fa/model/save', body=MODEL, prepare=brokerage_accounts, options=FA),
    'POST /fa/model/invest-divest': Probe(
        'fa/model/invest-divest',
        body={'reqID': 2, 'model': 'Growth', 'accountList': [{'account': ACCOUNT, 'amtToInvest': 100000}]},
        prepare=model,
        options=FA,
    ),
    'POST /fa/model/invest-divest-positions': Probe(
        'fa/model/invest-divest-positions', body={'reqID': 1, 'model': 'Growth'}, prepare=invested_model, options=FA
    ),
    'POST /fa/model/submit-transfers': Probe(
        'fa/model/submit-transfers', body={'reqID': 3, 'fpOrderId': '{draft}'}, prepare=drafted_investment, options=FA
    ),
    'POST /fa/fa-preset/get': Probe('fa/fa-preset/get', body={'reqID': 1}, prepare=brokerage_accounts, options=FA),
    'POST /fa/fa-preset/save': Probe(
        'fa/fa-preset/save',
        body={'reqID': 1, 'keepModelOpen': True, 'useToleranceRange': True},
        prepare=brokerage_accounts,
        options=FA,
    ),
    # ---- event contracts
    'GET /forecast/category/tree': Probe('forecast/category/tree'),
    'GET /forecast/contract/market': Probe(
        'forecast/contract/market', {'underlyingConid': FED_FUNDS, 'exchange': 'FORECASTX'}
    ),
    'GET /forecast/contract/details': Probe('forecast/contract/details', {'conid': EVENT_CONTRACT}),
    'GET /forecast/contract/rules': Probe('forecast/contract/rules', {'conid': EVENT_CONTRACT}),
    'GET /forecast/contract/schedules': Probe('forecast/contract/schedules', {'conid': EVENT_CONTRACT}),
    # ---- additions to existing categories
    'POST /pa/allperiods': Probe('pa/allperiods', body={'acctIds': ['{account}']}),
    'GET /contract/trading-schedule': Probe('contract/trading-schedule', {'conid': AAPL, 'exchange': 'NASDAQ'}),
    'POST /iserver/notification': Probe(
        'iserver/notification', body={'orderId': 987654321, 'reqId': '12', 'text': 'Yes'}
    ),
    'POST /iserver/secdef/search': Probe('iserver/secdef/search', body={'symbol': 'AAPL', 'secType': 'STK'}),
}
