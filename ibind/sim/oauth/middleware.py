"""Verification of every OAuth-signed request: the HMAC-SHA256 signature, timestamp, nonce and LST lifetime."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Dict, Optional

from ibind.oauth import oauth1a
from ibind.sim.middleware import Middleware
from ibind.sim.oauth.credentials import OAuthServerConfig
from ibind.sim.transport.http import ApiError, SimResponse

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest
    from ibind.sim.transport.router import Route

TIMESTAMP_TOLERANCE = 300.0  # seconds a request's oauth_timestamp may differ from the server's clock


def parse_authorization(header: Optional[str]) -> Dict[str, str]:
    if not header or not header.startswith('OAuth '):
        raise ApiError(401, 'Unauthorized: missing OAuth Authorization header')
    params: Dict[str, str] = {}
    for part in header[len('OAuth ') :].split(','):
        key, sep, value = part.strip().partition('=')
        if not sep or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            raise ApiError(401, 'Unauthorized: malformed OAuth Authorization header')
        params[key] = value[1:-1]
    return params


class OAuthState:
    """The live session token the simulator issued, and the nonces it has seen."""

    def __init__(self) -> None:
        self.token: Optional[str] = None
        self.expires_at: float = 0.0
        self.issued = 0
        self.verified = 0
        self.rejected: Dict[str, int] = {}
        self._nonces: Dict[str, float] = {}

    def reject(self, reason: str, message: str) -> ApiError:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return ApiError(401, message)

    def check_common(self, config: OAuthServerConfig, params: Dict[str, str], method: str) -> None:
        """Realm, consumer, token, method and timestamp; the timestamp is checked against real time (the
        client's clock), not the simulated clock, which tests move forward."""
        if params.get('realm') != config.realm:
            raise self.reject('realm', f'Unauthorized: invalid realm {params.get("realm")!r}')
        if params.get('oauth_consumer_key') != config.consumer_key:
            raise self.reject('consumer', 'Unauthorized: invalid consumer')
        if params.get('oauth_token') != config.access_token:
            raise self.reject('token', 'Unauthorized: invalid access token')
        if params.get('oauth_signature_method') != method:
            raise self.reject('method', f'Unauthorized: expected oauth_signature_method {method}')
        try:
            timestamp = int(params.get('oauth_timestamp', ''))
        except ValueError:
            raise self.reject('timestamp', 'Unauthorized: invalid oauth_timestamp') from None
        if abs(time.time() - timestamp) > TIMESTAMP_TOLERANCE:
            raise self.reject('stale', 'Unauthorized: stale oauth_timestamp')
        if not params.get('oauth_nonce'):
            raise self.reject('nonce', 'Unauthorized: missing oauth_nonce')

    def consume_nonce(self, params: Dict[str, str]) -> None:
        """A correctly signed request's nonce may be used once (checked after the signature, so a forged
        request cannot burn a genuine one)."""
        now = time.time()
        for old, seen_at in list(self._nonces.items()):
            if now - seen_at > 2 * TIMESTAMP_TOLERANCE:
                del self._nonces[old]
        nonce = params['oauth_nonce']
        if nonce in self._nonces:
            raise self.reject('replay', 'Unauthorized: nonce already used (replayed request)')
        self._nonces[nonce] = now

    def describe(self) -> Dict[str, Any]:
        return {
            'lst_issued': self.issued,
            'lst_expires_at': self.expires_at or None,
            'verified': self.verified,
            'rejected': dict(self.rejected),
        }


def signed_url(gateway: Gateway, request: SimRequest) -> str:
    host = request.headers.get('Host', '')
    path = urllib.parse.urlsplit(request.full_path).path
    return f'{gateway.public_scheme}://{host}{path}'


def signature_params(params: Dict[str, str]) -> Dict[str, str]:
    return {k: v for k, v in params.items() if k not in ('oauth_signature', 'realm')}


class OAuthMiddleware(Middleware):
    """Verifies the HMAC-SHA256 signature of every request but the LST exchange itself."""

    def __init__(self) -> None:
        self.state = OAuthState()

    def reset(self, gateway: Gateway) -> None:
        self.state = OAuthState()

    def before(self, gateway: Gateway, request: SimRequest, route: Route) -> Optional[SimResponse]:
        config: Optional[OAuthServerConfig] = gateway.config.oauth
        if config is None or route.template == '/oauth/live_session_token':
            return None
        state = self.state
        params = parse_authorization(request.headers.get('Authorization'))
        now = gateway.clock.now()
        state.check_common(config, params, 'HMAC-SHA256')
        if state.token is None:
            raise state.reject('no_lst', 'Unauthorized: no live session token; request one first')
        if now >= state.expires_at:
            raise state.reject('expired', 'Unauthorized: live session token expired')
        text = oauth1a.base_string(request.method, signed_url(gateway, request), signature_params(params))
        expected = base64.b64encode(
            hmac.new(base64.b64decode(state.token), text.encode('utf-8'), hashlib.sha256).digest()
        ).decode('ascii')
        given = urllib.parse.unquote(params.get('oauth_signature', ''))
        if not hmac.compare_digest(expected, given):
            raise state.reject('signature', 'Unauthorized: invalid signature')
        state.consume_nonce(params)
        state.verified += 1
        return None

    def describe(self) -> Dict[str, Any]:
        return {'oauth': self.state.describe()}
