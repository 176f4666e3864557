"""``POST /oauth/live_session_token``: IBKR's side of the Diffie-Hellman live session token exchange."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import urllib.parse
from typing import TYPE_CHECKING, Any, Optional

from ibind.oauth import oauth1a
from ibind.sim.oauth.credentials import OAuthServerConfig
from ibind.sim.oauth.middleware import OAuthState, parse_authorization, signature_params, signed_url
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


@routes.post('/oauth/live_session_token', session='none')
def live_session_token(gw: Gateway, req: SimRequest) -> Any:
    config: Optional[OAuthServerConfig] = gw.config.oauth
    if config is None:
        raise ApiError(404, 'OAuth is not enabled on this simulator (start it with oauth=...)')
    from Crypto.Hash import SHA256
    from Crypto.Signature import pkcs1_15

    state: OAuthState = gw.oauth_state
    params = parse_authorization(req.headers.get('Authorization'))
    now = gw.clock.now()
    state.check_common(config, params, 'RSA-SHA256')
    challenge = params.get('diffie_hellman_challenge')
    try:
        a_public = int(challenge or '', 16)
    except ValueError:
        raise state.reject('challenge', 'Unauthorized: invalid diffie_hellman_challenge') from None
    if not 1 < a_public < config.dh_prime - 1:
        raise state.reject('challenge', 'Unauthorized: invalid diffie_hellman_challenge')
    prepend = config.access_token_secret.hex()
    text = oauth1a.base_string('POST', signed_url(gw, req), signature_params(params), prepend)
    try:
        signature = base64.b64decode(urllib.parse.unquote(params.get('oauth_signature', '')))
        pkcs1_15.new(config.signature_public_key).verify(SHA256.new(text.encode('utf-8')), signature)
    except (ValueError, TypeError):
        raise state.reject('signature', 'Unauthorized: invalid signature') from None
    state.consume_nonce(params)
    b_private = secrets.randbits(256)
    b_public = pow(config.dh_generator, b_private, config.dh_prime)
    k = pow(a_public, b_private, config.dh_prime)
    token = base64.b64encode(hmac.new(oauth1a.k_to_bytes(k), config.access_token_secret, hashlib.sha1).digest()).decode(
        'ascii'
    )
    state.token = token
    state.expires_at = now + gw.config.lst_lifetime
    state.issued += 1
    return {
        'diffie_hellman_response': format(b_public, 'x'),
        'live_session_token_signature': oauth1a.live_session_token_signature(token, config.consumer_key),
        'live_session_token_expiration': int(state.expires_at * 1000),
    }
