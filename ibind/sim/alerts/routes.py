"""Simulated gateway routes: alerts (create/modify, list, details, activate, delete) and the MTA alert.

POST   /iserver/account/{accountId}/alert            create, or modify with "orderId" (a new id is assigned)
GET    /iserver/account/{accountId}/alerts
GET    /iserver/account/alert/{alertId}?type=Q
POST   /iserver/account/{accountId}/alert/activate   {"alertId": id, "alertActive": 0|1}
DELETE /iserver/account/{accountId}/alert/{alertId}  (0 deletes every alert of the account)
GET    /iserver/account/mta

Shapes follow seed 002 (L420-1120); state lives in ``gw.alerts`` (ibind.sim.alerts.state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ibind.sim.alerts.state import MTA_TOOL_ID, Alert, format_time
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


def _account(gw: Gateway, req: SimRequest) -> str:
    return gw.account(req.path_params['accountId']).account_id


def _details(gw: Gateway, alert: Alert) -> Dict[str, Any]:
    """The detail object of seed 002 L760-800."""
    return {
        'account': alert.account,
        'order_id': alert.order_id,
        'alert_name': alert.name,
        'tif': alert.tif,
        'expire_time': alert.expire_time,
        'alert_active': alert.active,
        'alert_repeatable': alert.repeatable,
        'alert_email': alert.email,
        'alert_send_message': alert.send_message,
        'alert_message': alert.message,
        'alert_show_popup': alert.show_popup,
        'alert_play_audio': None,
        'order_status': 'Submitted' if alert.active else 'Inactive',
        'alert_triggered': alert.triggered,
        'fg_color': '#FFFFFF',
        'bg_color': '#0000CC',
        'order_not_editable': False,
        'itws_orders_only': alert.itws_orders_only,
        'alert_mta_currency': None,
        'alert_mta_defaults': None,
        'tool_id': None,
        'time_zone': None,
        'alert_default_type': None,
        'condition_size': len(alert.conditions),
        'condition_outside_rth': alert.outside_rth,
        'conditions': [
            {
                'condition_type': c.type,
                'conidex': c.conidex,
                'contract_description_1': _description(gw, c.conidex),
                'condition_operator': c.operator,
                'condition_trigger_method': c.trigger_method,
                'condition_value': c.value,
                'condition_logic_bind': c.logic_bind,
                'condition_time_zone': c.time_zone,
            }
            for c in alert.conditions
        ],
    }


def _description(gw: Gateway, conidex: str) -> str:
    conid = conidex.split('@', 1)[0]
    instrument = gw.universe.find(int(conid)) if conid.isdecimal() else None
    return instrument.symbol if instrument else ''


def _answer(order_id: int, text: str, **extra: Any) -> Dict[str, Any]:
    return {'request_id': None, 'order_id': order_id, 'success': True, 'text': text, **extra}


@routes.post('/iserver/account/{accountId}/alert')
def save_alert(gw: Gateway, req: SimRequest) -> Any:
    alert = gw.alerts.save(_account(gw, req), req.body_dict())
    return _answer(alert.order_id, 'Submitted', order_status=None, warning_message=None)


@routes.get('/iserver/account/{accountId}/alerts')
def list_alerts(gw: Gateway, req: SimRequest) -> Any:
    return [
        {
            'order_id': a.order_id,
            'account': a.account,
            'alert_name': a.name,
            'alert_active': a.active,
            'order_time': format_time(a.created_at),
            'alert_triggered': a.triggered,
            'alert_repeatable': a.repeatable,
        }
        for a in gw.alerts.of_account(_account(gw, req))
    ]


@routes.get('/iserver/account/alert/{alertId}')
def alert_details(gw: Gateway, req: SimRequest) -> Any:
    (kind,) = req.require_query('type')
    if kind != 'Q':
        raise ApiError(400, f'Bad Request: type must be Q, got {kind!r}')
    return _details(gw, gw.alerts.get(req.path_params['alertId']))


@routes.post('/iserver/account/{accountId}/alert/activate')
def activate_alert(gw: Gateway, req: SimRequest) -> Any:
    alert_id, active = req.require_body('alertId', 'alertActive')
    alert = gw.alerts.activate(_account(gw, req), alert_id, active)
    return _answer(alert.order_id, 'Request was submitted', failure_list=None)


@routes.delete('/iserver/account/{accountId}/alert/{alertId}')
def delete_alert(gw: Gateway, req: SimRequest) -> Any:
    alert_id = req.path_params['alertId']
    gone = gw.alerts.delete(_account(gw, req), alert_id)
    return _answer(
        int(alert_id) if str(alert_id).isdecimal() else 0,
        f'Request was submitted ({len(gone)} deleted)',
        failure_list=None,
    )


@routes.get('/iserver/account/mta')
def mta_alert(gw: Gateway, req: SimRequest) -> Any:
    """The one mobile trading assistant alert of the user (seed 002 L860-895): it cannot be created or deleted."""
    return {
        'account': gw.selected_account,
        'order_id': gw.alerts.mta_order_id,
        'alert_name': None,
        'tif': 'GTC',
        'expire_time': None,
        'alert_active': gw.alerts.mta_active,
        'alert_repeatable': 1,
        'alert_email': None,
        'alert_send_message': 1,
        'alert_message': None,
        'alert_show_popup': 0,
        'alert_play_audio': None,
        'order_status': 'Inactive',
        'alert_triggered': False,
        'fg_color': '#000000',
        'bg_color': '#AFAFAF',
        'order_not_editable': False,
        'itws_orders_only': 0,
        'alert_mta_currency': 'USD',
        'alert_mta_defaults': '9:STATE=1,MIN=-43115000,MAX=43115000,STEP=500,DEF_MIN=-4311500,DEF_MAX=4311500',
        'tool_id': MTA_TOOL_ID,
        'time_zone': 'GMT (GMT)',
        'alert_default_type': None,
        'condition_size': 0,
        'condition_outside_rth': 0,
        'conditions': [],
    }
