"""Simulated gateway routes: FYI notifications, their settings, disclaimers and delivery options.

GET    /fyi/unreadnumber                      {"BN": unread count}
GET    /fyi/settings                          one row per FYI type code
POST   /fyi/settings/{typecode}               {"enabled": bool}
GET    /fyi/disclaimer/{typecode}             PUT: mark it read
GET    /fyi/deliveryoptions                   PUT .../email?enabled=, POST .../device, DELETE .../{deviceId}
GET    /fyi/notifications?max=&include=&exclude=&id=
PUT    /fyi/notifications/{notificationID}    mark read

Seed 002 documents only their pacing (1 request per second, L334-345); the shapes are the spec's.
State lives in ``gw.fyi`` (ibind.sim.fyi.state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ibind.sim.fyi.state import ACK, TYPECODES
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


@routes.get('/fyi/unreadnumber')
def unread_number(gw: Gateway, req: SimRequest) -> Any:
    return {'BN': gw.fyi.unread()}


@routes.get('/fyi/settings')
def settings(gw: Gateway, req: SimRequest) -> Any:
    return [
        {'FC': code, 'FN': name, 'FD': f'Notify me about {name.lower()}', 'H': 0, 'A': 1 if gw.fyi.enabled[code] else 0}
        for code, name in TYPECODES.items()
    ]


@routes.post('/fyi/settings/{typecode}')
def modify_setting(gw: Gateway, req: SimRequest) -> Any:
    code = gw.fyi.check_typecode(req.path_params['typecode'])
    (enabled,) = req.require_body('enabled')
    if not isinstance(enabled, bool):
        raise ApiError(400, f'Bad Request: enabled must be true or false, got {enabled!r}')
    gw.fyi.enabled[code] = enabled
    return dict(ACK)


@routes.get('/fyi/disclaimer/{typecode}')
def disclaimer(gw: Gateway, req: SimRequest) -> Any:
    code = gw.fyi.check_typecode(req.path_params['typecode'])
    return {'FC': code, 'DT': f'{TYPECODES[code]}: this notification is for information only and is not advice.'}


@routes.put('/fyi/disclaimer/{typecode}')
def read_disclaimer(gw: Gateway, req: SimRequest) -> Any:
    gw.fyi.disclaimers_read[gw.fyi.check_typecode(req.path_params['typecode'])] = True
    return dict(ACK)


@routes.get('/fyi/deliveryoptions')
def delivery_options(gw: Gateway, req: SimRequest) -> Any:
    return {
        'M': 1 if gw.fyi.email_enabled else 0,
        'E': [
            {'NM': d['deviceName'], 'I': d['deviceId'], 'UI': d['uiName'], 'A': 'true' if d['enabled'] else 'false'}
            for d in gw.fyi.devices.values()
        ],
    }


@routes.put('/fyi/deliveryoptions/email')
def email_delivery(gw: Gateway, req: SimRequest) -> Any:
    (enabled,) = req.require_query('enabled')
    if enabled.lower() not in ('true', 'false'):
        raise ApiError(400, f'Bad Request: enabled must be true or false, got {enabled!r}')
    gw.fyi.email_enabled = enabled.lower() == 'true'
    return dict(ACK)


@routes.post('/fyi/deliveryoptions/device')
def device_delivery(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    device_id, enabled = req.require_body('deviceId', 'enabled')
    if not isinstance(device_id, str) or not device_id.strip():
        raise ApiError(400, 'Bad Request: deviceId must be a non-empty string')
    if not isinstance(enabled, bool):
        raise ApiError(400, f'Bad Request: enabled must be true or false, got {enabled!r}')
    gw.fyi.devices[device_id] = {
        'deviceId': device_id,
        'deviceName': str(body.get('deviceName') or device_id),
        'uiName': str(body.get('uiName') or body.get('deviceName') or device_id),
        'enabled': enabled,
    }
    return dict(ACK)


@routes.delete('/fyi/deliveryoptions/{deviceId}')
def delete_device(gw: Gateway, req: SimRequest) -> Any:
    if gw.fyi.devices.pop(req.path_params['deviceId'], None) is None:
        raise ApiError(400, f'Bad Request: no device {req.path_params["deviceId"]}')
    return {}


@routes.get('/fyi/notifications')
def notifications(gw: Gateway, req: SimRequest) -> Any:
    maximum = req.query_int('max', minimum=1)
    if maximum is None:
        raise ApiError(400, 'Bad Request: missing required parameter(s): max')
    return gw.fyi.listing(min(maximum, 10), req.query.get('include'), req.query.get('exclude'), req.query.get('id'))


@routes.put('/fyi/notifications/{notificationID}')
def mark_read(gw: Gateway, req: SimRequest) -> Any:
    notification = gw.fyi.mark_read(req.path_params['notificationID'])
    return {'V': 1, 'T': 5, 'P': {'ID': notification.id, 'R': 1}}
