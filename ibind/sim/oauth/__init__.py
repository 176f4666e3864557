"""The simulator's side of OAuth 1.0a: IBKR's role in the live session token exchange and every signature check.

With ``GatewaySimulator(oauth=OAuthServerConfig(...))`` (or ``python -m ibind.sim --oauth server.json``)
the simulator holds the consumer's public signature key, the access token and its plaintext secret and
the DH group; it answers ``POST /oauth/live_session_token`` with a real Diffie-Hellman exchange,
verifies the HMAC-SHA256 signature, timestamp and nonce of every other request (401 with an IBKR-style
body when they are wrong, stale or replayed), expires live session tokens after ``lst_lifetime``
seconds of simulated time, and -- as with IBKR's OAuth -- needs ``ssodh/init`` before ``/iserver``.

``make_test_credentials`` creates a throwaway consumer: keys, DH group, access token and encrypted
secret, for tests, demos and users trying OAuth without an IBKR account.

``credentials`` owns the consumer material (``OAuthServerConfig``, ``make_test_credentials``);
``middleware`` verifies every signed request; ``routes`` answers the live session token exchange.
"""

from ibind.sim.oauth.credentials import RFC3526_PRIME_2048, OAuthServerConfig, TestCredentials, make_test_credentials
from ibind.sim.oauth.middleware import OAuthMiddleware, OAuthState

__all__ = [
    'RFC3526_PRIME_2048',
    'OAuthMiddleware',
    'OAuthServerConfig',
    'OAuthState',
    'TestCredentials',
    'make_test_credentials',
]
