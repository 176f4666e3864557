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
import math
import numbers
from typing import TYPE_CHECKING, Any, Dict

from ibind.sim.marketdata.subscriptions import check_subscriptions
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.config import SimConfig
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


@routes.get('/state', session='none')
def state(gw: Gateway, req: SimRequest) -> Any:
    return gw.describe()


@routes.post('/reset', session='none')
def reset(gw: Gateway, req: SimRequest) -> Any:
    gw.reset()
    return {'reset': True}


@routes.post('/session', session='none')
def session(gw: Gateway, req: SimRequest) -> Any:
    action = req.body_dict().get('action')
    if not isinstance(action, str):
        raise ApiError(
            400, 'expected {"action": "expire" | "compete" | "no_bridge" | "deauthenticate" | "login" | "restore"}'
        )
    gw.session.apply(action)
    return gw.session.describe()


@routes.get('/clock', session='none')
def get_clock(gw: Gateway, req: SimRequest) -> Any:
    return gw.clock.describe()


@routes.post('/clock', session='none')
def set_clock(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    if not body or not set(body) <= {'advance', 'set', 'freeze'}:
        raise ApiError(400, 'expected {"advance": seconds}, {"set": epoch seconds} or {"freeze": true|false}')
    if 'freeze' in body and not isinstance(body['freeze'], bool):
        raise ApiError(400, '"freeze" must be true or false')
    if 'set' in body and not (_finite(body['set']) and 0 <= body['set'] <= MAX_EPOCH):
        raise ApiError(400, f'"set" must be epoch seconds from 0 to {MAX_EPOCH} (9999-12-31)')
    if 'advance' in body and not (_finite(body['advance']) and 0 <= body['advance'] <= MAX_ADVANCE):
        raise ApiError(
            400,
            f'"advance" must be seconds from 0 to {MAX_ADVANCE}: the simulated clock only moves '
            'forward, at most 100 years at a time',
        )
    if 'set' in body and 'advance' in body and body['set'] + body['advance'] > MAX_EPOCH:
        raise ApiError(400, f'the clock cannot go past {MAX_EPOCH} (9999-12-31)')
    if 'advance' in body and gw.clock.now() + body['advance'] > MAX_EPOCH:
        raise ApiError(400, f'the clock cannot go past {MAX_EPOCH} (9999-12-31)')
    if 'freeze' in body:
        gw.clock.freeze(body['freeze'])
    if 'set' in body:
        gw.clock.set(float(body['set']))
    if 'advance' in body:
        gw.clock.advance(float(body['advance']))
    return gw.clock.describe()


MAX_EPOCH = 253402300799  # 9999-12-31 23:59:59 UTC: the last instant datetime can show
MAX_ADVANCE = 100 * 366 * 86400


def _finite(value: Any) -> bool:
    """A finite JSON number; booleans, strings, NaN and infinities are not."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


@routes.get('/routes', session='none')
def list_routes(gw: Gateway, req: SimRequest) -> Any:
    return {'routes': gw.api.templates()}


# Options that can change while the simulator runs (the others shape its state at start or reset).
_RUNTIME_OPTIONS = {
    'pacing',
    'penalty_box',
    'global_rate',
    'latency',
    'idle_timeout',
    'preflight_snapshot',
    'hmds_first_404',
    'require_accounts_first',
    'force_orders_empty',
    'require_content_length',
    'secdef_search_first',
    'watchlist_partial_first',
    'display_formats',
    'halted_conids',
    'market_data_subscriptions',
    'margin_checks',
    'partial_fills',
    'order_questions',
    'price_constraint_pct',
    'total_value_limit',
    'lst_lifetime',
    'dynamic_accounts',
    'portfolio_accounts_first',
    'portfolio_positions_cache',
    'position_info_first_call',
}


def _config_view(config: SimConfig) -> Dict[str, Any]:
    return {field.name: getattr(config, field.name) for field in dataclasses.fields(config) if field.name != 'oauth'}


@routes.get('/config', session='none')
def get_config(gw: Gateway, req: SimRequest) -> Any:
    return _config_view(gw.config)


@routes.post('/config', session='none')
def set_config(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    unknown = set(body) - _RUNTIME_OPTIONS
    if unknown:
        raise ApiError(
            400, f'cannot change {sorted(unknown)} at run time; options that can: {sorted(_RUNTIME_OPTIONS)}'
        )
    for name, value in body.items():
        current = getattr(gw.config, name)
        if not _fits(name, current, value):
            raise ApiError(400, f'{name!r}: {value!r} does not fit (current value {current!r})')
    for name, value in body.items():  # all or nothing
        setattr(gw.config, name, tuple(value) if isinstance(value, list) else value)
    return _config_view(gw.config)


# Largest values of the numeric run-time options (the smallest is 0, except global_rate and lst_lifetime)
_LIMITS = {
    'penalty_box': 86400.0,
    'global_rate': 1e6,
    'idle_timeout': 1e9,
    'price_constraint_pct': 1e6,
    'total_value_limit': 1e15,
    'lst_lifetime': 1e9,
    'latency': 3600.0,
}
_POSITIVE = {'global_rate', 'lst_lifetime'}


def _fits(name: str, current: Any, value: Any) -> bool:
    if name == 'idle_timeout' and value is None:
        return True
    if name == 'market_data_subscriptions':
        return value is None or check_subscriptions(value)
    if name == 'halted_conids':
        return isinstance(value, list) and all(_finite(v) and isinstance(v, int) and v > 0 for v in value)
    if isinstance(current, bool):
        return isinstance(value, bool)
    limit = _LIMITS.get(name, 1e15)
    if isinstance(current, dict):
        return isinstance(value, dict) and all(
            isinstance(k, str) and _finite(v) and 0 <= v <= limit for k, v in value.items()
        )
    if not _finite(value) or not 0 <= value <= limit:
        return False
    return value > 0 or name not in _POSITIVE


@routes.get('/faults', session='none')
def list_faults(gw: Gateway, req: SimRequest) -> Any:
    return gw.faults.describe()['faults']


@routes.post('/faults', session='none')
def add_faults(gw: Gateway, req: SimRequest) -> Any:
    body = req.body
    items = body if isinstance(body, list) else [body]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ApiError(
            400,
            'expected a fault rule object (or a list of them), e.g. '
            '{"route": "/iserver/account/*/orders", "method": "POST", "kind": "drop_after"}',
        )
    rules = [gw.faults.add(item) for item in items]
    return {'added': [rule.to_dict() for rule in rules]}


@routes.delete('/faults', session='none')
def clear_faults(gw: Gateway, req: SimRequest) -> Any:
    return {'removed': gw.faults.remove()}


@routes.delete('/faults/{rule_id}', session='none')
def remove_fault(gw: Gateway, req: SimRequest) -> Any:
    try:
        rule_id = int(req.path_params['rule_id'])
    except ValueError:
        raise ApiError(400, 'a fault id is an integer') from None
    removed = gw.faults.remove(rule_id)
    if not removed:
        raise ApiError(404, f'no fault rule {rule_id}')
    return {'removed': removed}


@routes.post('/restart', session='none')
def restart(gw: Gateway, req: SimRequest) -> Any:
    down_for = req.body_dict().get('down_for', 0)
    if not isinstance(down_for, (int, float)) or isinstance(down_for, bool) or not 0 <= down_for <= 600:
        raise ApiError(400, '"down_for" must be a number of seconds between 0 and 600')
    if gw.restart_hook is None:
        raise ApiError(501, 'this gateway is not served by a GatewaySimulator that can restart')
    gw.restart_hook(float(down_for))
    return {'restarting': True, 'down_for': down_for}
