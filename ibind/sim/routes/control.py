"""The simulator's control API under /sim/: inspect and steer the simulated gateway (usable with curl).

GET  /sim/state     accounts, orders, session, clock, request counters
POST /sim/reset     back to the seed's initial state
POST /sim/session   {"action": "expire" | "compete" | "no_bridge" | "deauthenticate" | "login" | "restore"}
GET  /sim/clock     the simulated time
POST /sim/clock     {"advance": seconds} | {"set": epoch seconds} | {"freeze": true/false}
GET  /sim/routes    every route the simulated gateway serves
GET  /sim/config    the running configuration
POST /sim/config    change options at run time, e.g. {"pacing": true, "latency": {"GET /iserver/marketdata/history": 0.2}}
"""

from __future__ import annotations

import dataclasses
import numbers

from ibind.sim.http import ApiError
from ibind.sim.router import RouteTable

routes = RouteTable()


@routes.get('/state', session='none')
def state(gw, req):
    return gw.describe()


@routes.post('/reset', session='none')
def reset(gw, req):
    gw.reset()
    return {'reset': True}


@routes.post('/session', session='none')
def session(gw, req):
    action = req.body_dict().get('action')
    if not isinstance(action, str):
        raise ApiError(400, 'expected {"action": "expire" | "compete" | "no_bridge" | "deauthenticate" | "login" | '
                            '"restore"}')
    gw.session.apply(action)
    return gw.session.describe()


@routes.get('/clock', session='none')
def get_clock(gw, req):
    return gw.clock.describe()


@routes.post('/clock', session='none')
def set_clock(gw, req):
    body = req.body_dict()
    if not body or not set(body) <= {'advance', 'set', 'freeze'}:
        raise ApiError(400, 'expected {"advance": seconds}, {"set": epoch seconds} or {"freeze": true|false}')
    for key in ('advance', 'set'):
        if key in body and (not isinstance(body[key], numbers.Real) or isinstance(body[key], bool)):
            raise ApiError(400, f'"{key}" must be a number of seconds')
    if 'freeze' in body:
        gw.clock.freeze(bool(body['freeze']))
    if 'set' in body:
        gw.clock.set(float(body['set']))
    if 'advance' in body:
        if body['advance'] < 0:
            raise ApiError(400, '"advance" must be >= 0: the simulated clock only moves forward')
        gw.clock.advance(float(body['advance']))
    return gw.clock.describe()


@routes.get('/routes', session='none')
def list_routes(gw, req):
    return {'routes': gw.api.templates()}


# Options that can change while the simulator runs (the others shape its state at start or reset).
_RUNTIME_OPTIONS = {
    'pacing', 'penalty_box', 'global_rate', 'latency', 'idle_timeout', 'preflight_snapshot', 'hmds_first_404',
    'require_accounts_first', 'force_orders_empty', 'require_content_length', 'secdef_search_first',
    'order_questions', 'price_constraint_pct', 'total_value_limit', 'lst_lifetime',
}


def _config_view(config) -> dict:
    return {field.name: getattr(config, field.name) for field in dataclasses.fields(config)
            if field.name != 'oauth'}


@routes.get('/config', session='none')
def get_config(gw, req):
    return _config_view(gw.config)


@routes.post('/config', session='none')
def set_config(gw, req):
    body = req.body_dict()
    unknown = set(body) - _RUNTIME_OPTIONS
    if unknown:
        raise ApiError(400, f'cannot change {sorted(unknown)} at run time; options that can: {sorted(_RUNTIME_OPTIONS)}')
    for name, value in body.items():
        current = getattr(gw.config, name)
        if not _fits(name, current, value):
            raise ApiError(400, f'{name!r}: {value!r} does not fit (current value {current!r})')
        setattr(gw.config, name, value)
    return _config_view(gw.config)


def _fits(name: str, current, value) -> bool:
    if name == 'idle_timeout' and value is None:
        return True
    if isinstance(current, bool):
        return isinstance(value, bool)
    if isinstance(current, dict):
        return isinstance(value, dict) and all(isinstance(v, numbers.Real) and v >= 0 for v in value.values())
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0
