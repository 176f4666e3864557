"""Control API of the streaming endpoint (outside /v1/api, usable with curl).

GET  /sim/ws   open WebSockets (their subscriptions), counters, settings
POST /sim/ws   any of:
     {"fault": "drop" | "close" | "silence" | "malformed"}
     {"bulletin": {"id": "1", "message": "..."}}            an unsolicited blt to every connection
     {"notification": {"id": "1", "text": "...", "title": "...", "url": "..."}}   an ntf
     {"burst": {"count": 10000, "conid": 265598}}           benchmark traffic (smd-shaped, with "_sent")
     {"config": {"ws_smd_expiry": 900, "ws_heartbeat_interval": 10, "ws_smd_interval": 1}}
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Dict

from ibind.sim.streaming import messages
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

_FAULTS = ('drop', 'close', 'silence', 'malformed')
_SETTINGS = ('ws_smd_expiry', 'ws_heartbeat_interval', 'ws_smd_interval')


@routes.get('/ws', session='none')
def describe(gw: Gateway, req: SimRequest) -> Any:
    return gw.streaming.describe_streams()


@routes.post('/ws', session='none')
def steer(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    known = {'fault', 'bulletin', 'notification', 'burst', 'config'}
    if not body or not set(body) <= known:
        raise ApiError(400, f'expected one or more of {sorted(known)}, e.g. {{"fault": "drop"}}')
    hub = gw.streaming
    answer: Dict[str, Any] = {}
    if 'config' in body:
        answer['config'] = _configure(gw, body['config'])
    if 'fault' in body:
        fault = body['fault']
        if fault not in _FAULTS:
            raise ApiError(400, f'"fault" must be one of {list(_FAULTS)}, got {fault!r}')
        answer['affected'] = {'drop': hub.drop, 'close': hub.close, 'silence': hub.silence, 'malformed': hub.malformed}[
            fault
        ]()
    if 'bulletin' in body:
        item = _object(body, 'bulletin')
        answer['affected'] = hub.push(messages.bulletin(str(item.get('id', '1')), str(item.get('message', ''))))
    if 'notification' in body:
        item = _object(body, 'notification')
        answer['affected'] = hub.push(
            messages.notification(
                str(item.get('id', '1')),
                str(item.get('text', '')),
                str(item.get('title', '')),
                str(item.get('url', '')),
            )
        )
    if 'burst' in body:
        item = _object(body, 'burst')
        count, conid = item.get('count', 1000), item.get('conid', 265598)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 < count <= 10_000_000:
            raise ApiError(400, '"burst.count" must be a whole number from 1 to 10000000')
        answer['affected'] = hub.burst(count, int(conid))
    answer['stats'] = dict(hub.stats)
    return answer


def _object(body: Dict[str, Any], name: str) -> Dict[str, Any]:
    item = body[name]
    if not isinstance(item, dict):
        raise ApiError(400, f'"{name}" must be a JSON object')
    return item


def _configure(gw: Gateway, settings: Any) -> Dict[str, Any]:
    """Apply the stream settings of a /sim/ws ``config``; the settings now in force."""
    if not isinstance(settings, dict) or not set(settings) <= set(_SETTINGS):
        raise ApiError(400, f'"config" takes {list(_SETTINGS)}')
    for name, value in settings.items():
        allowed_none = name == 'ws_smd_expiry'
        if value is None and allowed_none:
            setattr(gw.config, name, None)
            continue
        if (
            not isinstance(value, numbers.Real)
            or isinstance(value, bool)
            or value < 0
            or (value == 0 and not allowed_none)
        ):
            raise ApiError(
                400, f'{name!r} must be a number of seconds > 0' + (' (or null/0: off)' if allowed_none else '')
            )
        setattr(gw.config, name, float(value) if value or not allowed_none else None)
    return {name: getattr(gw.config, name) for name in _SETTINGS}
