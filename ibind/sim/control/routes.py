"""The simulator's control API under /sim/: inspect and steer the simulated gateway (usable with curl).

GET  /sim/state     accounts, orders, session, clock, request counters
POST /sim/reset     back to the seed's initial state
POST /sim/session   {"action": "expire" | "compete" | "no_bridge" | "deauthenticate" | "login" | "restore"}
GET  /sim/clock     the simulated time
POST /sim/clock     {"advance": seconds} | {"set": epoch seconds} | {"freeze": true/false}
GET  /sim/routes    every route the simulated gateway serves
GET  /sim/config    the running configuration
POST /sim/config    change options at run time, e.g. {"pacing": true, "latency": {"GET /iserver/marketdata/history": 0.2}}
GET  /sim/faults    the fault injection rules (see ibind.sim.faults.middleware)
POST /sim/faults    add a rule (or a list of rules): {"route": "/iserver/account/*/orders", "method": "POST",
                    "kind": "drop_after", "times": 1}
DELETE /sim/faults  remove every rule; DELETE /sim/faults/{id} removes one
POST /sim/restart   {"down_for": seconds}: close the listening socket and all connections, like a gateway restart
"""

from __future__ import annotations

import dataclasses
import numbers

from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

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
    'watchlist_partial_first',
    'order_questions', 'price_constraint_pct', 'total_value_limit', 'lst_lifetime',
    'dynamic_accounts', 'portfolio_accounts_first', 'portfolio_positions_cache', 'position_info_first_call',
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


@routes.get('/faults', session='none')
def list_faults(gw, req):
    return gw.faults.describe()['faults']


@routes.post('/faults', session='none')
def add_faults(gw, req):
    body = req.body
    items = body if isinstance(body, list) else [body]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ApiError(400, 'expected a fault rule object (or a list of them), e.g. '
                            '{"route": "/iserver/account/*/orders", "method": "POST", "kind": "drop_after"}')
    rules = [gw.faults.add(item) for item in items]
    return {'added': [rule.to_dict() for rule in rules]}


@routes.delete('/faults', session='none')
def clear_faults(gw, req):
    return {'removed': gw.faults.remove()}


@routes.delete('/faults/{rule_id}', session='none')
def remove_fault(gw, req):
    try:
        rule_id = int(req.path_params['rule_id'])
    except ValueError:
        raise ApiError(400, 'a fault id is an integer') from None
    removed = gw.faults.remove(rule_id)
    if not removed:
        raise ApiError(404, f'no fault rule {rule_id}')
    return {'removed': removed}


@routes.post('/restart', session='none')
def restart(gw, req):
    down_for = req.body_dict().get('down_for', 0)
    if not isinstance(down_for, numbers.Real) or isinstance(down_for, bool) or not 0 <= down_for <= 600:
        raise ApiError(400, '"down_for" must be a number of seconds between 0 and 600')
    if gw.restart_hook is None:
        raise ApiError(501, 'this gateway is not served by a GatewaySimulator that can restart')
    gw.restart_hook(float(down_for))
    return {'restarting': True, 'down_for': down_for}
