"""Simulated gateway routes: session (auth status, ssodh/init, tickle, logout, validate, reauthenticate)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


@routes.post('/iserver/auth/status', session='readonly')
def auth_status(gw: Gateway, req: SimRequest) -> Any:
    return gw.session.auth_status()


@routes.post('/iserver/auth/ssodh/init', session='readonly')
def ssodh_init(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    if body.get('publish') is not True:
        raise ApiError(500, 'publish must be true')
    compete = body.get('compete', False) is True
    gw.session.open_brokerage(compete=compete)
    status = gw.session.auth_status()
    return {
        key: status[key] for key in ('authenticated', 'competing', 'connected', 'message', 'MAC') if key in status
    } | ({'serverInfo': status['serverInfo']} if 'serverInfo' in status else {})


@routes.post('/iserver/reauthenticate', session='readonly')
def reauthenticate(gw: Gateway, req: SimRequest) -> Any:
    gw.session.open_brokerage(compete=False)
    return {'message': 'triggered'}


@routes.post('/logout', session='readonly')
def logout(gw: Gateway, req: SimRequest) -> Any:
    gw.session.apply('logout')
    return {'status': True}


def _tickle(gw: Gateway, req: SimRequest) -> Any:
    session = gw.session
    now = gw.clock.now()
    expires_ms = int(max(0.0, session.started_at + gw.config.sso_lifetime - now) * 1000)
    status = session.auth_status()
    auth = {
        key: status[key]
        for key in ('authenticated', 'competing', 'connected', 'message', 'MAC', 'serverInfo')
        if key in status
    }
    return {
        'session': session.session_id,
        'ssoExpires': expires_ms,
        'collission': False,
        'userId': session.user_id,
        'hmds': {'error': 'no bridge'},
        'iserver': {'authStatus': auth},
    }


routes.post('/tickle', session='readonly')(_tickle)
routes.get('/tickle', session='readonly')(_tickle)


@routes.get('/sso/validate', session='readonly')
def sso_validate(gw: Gateway, req: SimRequest) -> Any:
    session = gw.session
    now = gw.clock.now()
    return {
        'USER_ID': session.user_id,
        'USER_NAME': gw.config.username,
        'RESULT': True,
        'AUTH_TIME': int(session.started_at * 1000),
        'SF_ENABLED': False,
        'IS_FREE_TRIAL': False,
        'CREDENTIAL': gw.config.username,
        'IP': req.client or '127.0.0.1',
        'EXPIRES': int(max(0.0, session.started_at + gw.config.sso_lifetime - now) * 1000),
        'QUALIFIED_FOR_MOBILE_AUTH': None,
        'LANDING_APP': 'UNIVERSAL',
        'IS_MASTER': gw.config.financial_advisor,
        'lastAccessed': int(now * 1000),
        'LOGIN_TYPE': 2,
        'PAPER_USER_NAME': gw.config.username,
        'features': {
            'env': 'PROD',
            'wlms': True,
            'realtime': True,
            'bond': True,
            'optionChains': True,
            'calendar': True,
            'newMf': True,
        },
        'region': 'NJ',
    }
