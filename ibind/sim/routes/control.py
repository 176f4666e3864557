"""The simulator's control API under /sim/: inspect and steer the simulated gateway (usable with curl).

GET  /sim/state     accounts, orders, session, clock, request counters
POST /sim/reset     back to the seed's initial state
POST /sim/session   {"action": "expire" | "compete" | "no_bridge" | "deauthenticate" | "login" | "restore"}
GET  /sim/clock     the simulated time
POST /sim/clock     {"advance": seconds} | {"set": epoch seconds} | {"freeze": true/false}
GET  /sim/routes    every route the simulated gateway serves
"""

from __future__ import annotations

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
