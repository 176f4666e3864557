"""Keeping an IbkrClient's session alive: OAuth 1.0a tokens, the Tickler, recovery, and shutdown.

What users of IBKR's Web API suffer from most is a session that dies overnight. This mixin makes the
client recover by itself, in both modes:

- OAuth: the live session token (LST) is renewed before it expires, and a request refused with a 401
  for its signature/token is re-signed and repeated once after a new LST. Many threads hitting the same
  expiry wait for ONE renewal (single flight).
- Brokerage session lost (idle timeout, "no bridge" after the nightly reset): the client re-opens it with
  ``ssodh/init`` (without competing), queries ``/iserver/accounts`` as IBKR requires before orders, and
  repeats the refused call once. That repeat is safe even for an order: a call refused for a missing
  session was never carried out. A request whose outcome is unknown (timeout) is never repeated here.
- Another session holds the username: CompetingSessionError explains how to take it over.
- IBKR refuses a call until another was made ("Please query /accounts first", the same for
  /portfolio/accounts): the client makes that call and repeats the refused one once.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from typing import TYPE_CHECKING, Any, Optional, cast

from ibind import var
from ibind.base.rest_client import Result
from ibind.client.response_shape import expect_object, reading
from ibind.support.errors import (
    BadResponseError,
    CompetingSessionError,
    ExternalBrokerError,
    NotAuthenticatedError,
    OAuthError,
)
from ibind.support.logs import project_logger

if TYPE_CHECKING:
    from ibind.base.rest_client import RestClient
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
    from ibind.client.tickler import Tickler
    from ibind.oauth.oauth1a import OAuth1aConfig, OAuthSigner

    class _LifecycleHost(RestClient, IbkrClientHost):
        """RestClient first, as in IbkrClient's MRO: ``super().request()``/``super().close()`` are RestClient's."""

else:
    _LifecycleHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

_LOGGER = project_logger('ibind.session')

# Requests that are part of session handling themselves: never "recovered" (that could loop).
_SESSION_PATHS = (
    'iserver/auth/ssodh/init',
    'iserver/auth/status',
    'iserver/reauthenticate',
    'logout',
    'tickle',
    'oauth/',
)
# Paths that need the brokerage session.
_BROKERAGE_PREFIXES = ('iserver/', 'hmds/', 'md/')
# Words in a 401 that point at the OAuth signature/token rather than at the brokerage session.
_BROKERAGE_WORDS = ('no brokerage session', 'not authenticated', 'no bridge')
# Refusals that name a request IBKR wants first (nothing was done): (text in the error, request to make).
_PREREQUISITES = (('query /portfolio/accounts', 'portfolio/accounts'), ('query /accounts first', 'iserver/accounts'))


def _relative(path: str, base_url: str) -> str:
    if path.startswith(base_url):
        path = path[len(base_url) :]
    return path.lstrip('/')


class SessionLifecycleMixin(_LifecycleHost):
    """OAuth 1.0a methods of seed 001, the Tickler, automatic recovery, and clean shutdown."""

    def _init_lifecycle(self, auto_recover: bool) -> None:
        self.auto_recover = auto_recover
        self._tickler: Optional[Tickler] = None
        self._signer: Optional[OAuthSigner] = None
        self._refresh_lock = threading.Lock()
        self._lst_generation = 0
        self._recovery_lock = threading.Lock()
        self._session_generation = 0
        self._logout_on_close = False
        self.recoveries = {'live_session_token': 0, 'brokerage_session': 0}
        client_ref = weakref.ref(self)

        def close_at_exit() -> None:
            client = client_ref()
            if client is not None:
                client.close()

        self._close_at_exit = close_at_exit
        atexit.register(close_at_exit)

    # ----------------------------------------------------------------- OAuth 1.0a (seed 001)

    def generate_live_session_token(self) -> None:
        """Run the Diffie-Hellman exchange for a new live session token, validate it, and sign with it from now on."""
        from ibind.oauth.oauth1a import LiveSessionTokenRequest, OAuthSigner

        config = self._oauth('generate_live_session_token()')
        material = config.material()
        signer = self._signer
        if signer is None:
            signer = self._signer = OAuthSigner(material, config.lst_refresh_margin)
        url = self.base_url + config.live_session_token_endpoint.lstrip('/')
        exchange = LiveSessionTokenRequest(material, url, signer.timestamps)
        try:
            result = super().request('POST', url, headers=exchange.headers, retry_safe=False)  # one nonce: no re-send
        except NotAuthenticatedError as error:
            raise OAuthError(
                f'IBKR refused the live session token request ({error.message}): check the consumer '
                'key, access token, access token secret, signature key and realm',
                status_code=error.status_code,
                body=error.body,
                method=error.method,
                url=error.url,
            ) from None
        with reading(result, errors=(BadResponseError, OAuthError)) as data:
            token, expires_ms = exchange.token_from(data)
        signer.set_token(token, expires_ms)
        _LOGGER.info('New live session token, valid until epoch ms %s', expires_ms)

    def oauth_init(self, maintain_oauth: bool, shutdown_oauth: bool, init_brokerage_session: bool) -> None:
        """Get and validate a live session token, then optionally open the brokerage session and start the Tickler.

        ``shutdown_oauth`` makes ``close()`` (and interpreter exit) log out; signal handlers are only
        installed by an explicit ``register_shutdown_handler()``.
        """
        for name, value in (
            ('maintain_oauth', maintain_oauth),
            ('shutdown_oauth', shutdown_oauth),
            ('init_brokerage_session', init_brokerage_session),
        ):
            if not isinstance(value, bool):
                raise TypeError(f'{name!r} must be True or False, got {type(value).__name__} {value!r}')
        if not self.use_oauth:
            raise OAuthError('oauth_init() needs a client created with use_oauth=True')
        self.generate_live_session_token()
        self._logout_on_close = bool(shutdown_oauth)
        if init_brokerage_session:
            self.initialize_brokerage_session(compete=True)
        if maintain_oauth:
            self.start_tickler()

    def start_tickler(self, interval: Optional[float] = None) -> Tickler:
        """Start the Tickler thread (gateway mode too); returns it so its health can be watched.

        Called while it runs, it keeps the running thread and takes the new ``interval`` from its next round.
        """
        from ibind.client.tickler import Tickler, checked_interval  # here: gateway programs may never start one

        interval = var.IBIND_TICKLER_INTERVAL if interval is None else interval
        if self._tickler is not None and self._tickler.running:
            self._tickler.interval = checked_interval(interval)
            return self._tickler
        self._tickler = Tickler(self, interval=interval)
        self._tickler.start()
        return self._tickler

    def stop_tickler(self, timeout: Optional[float] = 5.0) -> bool:
        """Stop the Tickler thread if it runs; True once it has stopped (within ``timeout``)."""
        expected = "'timeout' must be a number of seconds >= 0 or None (wait until stopped)"
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise TypeError(f'{expected}, got {timeout!r}')
        if timeout is not None and not 0 <= timeout < float('inf'):
            raise ValueError(f'{expected}, got {timeout!r}')
        if self._tickler is None:
            return True
        return self._tickler.stop(timeout)

    @property
    def tickler(self) -> Optional[Tickler]:
        return self._tickler

    def oauth_shutdown(self) -> None:
        """Stop the Tickler and log out (best effort: a failed logout is logged, not raised)."""
        self.stop_tickler()
        if self.closed:
            return
        try:
            self.logout()
        except ExternalBrokerError as error:
            _LOGGER.warning('logout during shutdown failed: %s', error)

    # ----------------------------------------------------------------- signing

    def _oauth(self, caller: str) -> OAuth1aConfig:
        """The OAuth configuration, or OAuthError (before anything is sent) for a client that has none."""
        if self.oauth_config is None:
            raise OAuthError(f'{caller} needs a client created with use_oauth=True (or an oauth_config)')
        return self.oauth_config

    def _request_headers(self, method: str, url: str, params: Any, json: Any) -> dict:
        config = self.oauth_config
        if not self.use_oauth or config is None or url.endswith(config.live_session_token_endpoint):
            return {}
        if self._signer is None or self._signer.needs_refresh():
            self.refresh_live_session_token()
        return cast('OAuthSigner', self._signer).headers(method, url)  # refreshing made the signer, or raised

    def refresh_live_session_token(self, seen_generation: Optional[int] = None) -> None:
        """Renew the LST once for all threads: whoever waited while another renewed it does nothing."""
        generation = self._lst_generation if seen_generation is None else seen_generation
        with self._refresh_lock:
            if self._lst_generation != generation and self._signer is not None and self._signer.has_token:
                return
            if seen_generation is None and self._signer is not None and not self._signer.needs_refresh():
                return
            self.generate_live_session_token()
            self._lst_generation += 1
            self.recoveries['live_session_token'] += 1

    # ----------------------------------------------------------------- recovery

    def request(self, method: str, path: str, **kwargs: Any) -> Result:
        """RestClient.request, plus recovery: each kind of recovery (a new LST, the brokerage session, a
        prerequisite call) at most once per call, in whatever order they are needed -- the morning after, a call
        first needs a new LST and then a brokerage session, and still succeeds at its first try."""
        done: set = set()
        while True:
            lst_generation = self._lst_generation
            session_generation = self._session_generation
            try:
                return super().request(method, path, **kwargs)
            except CompetingSessionError:
                raise
            except NotAuthenticatedError as error:
                relative = _relative(path, self.base_url)
                if not self.auto_recover or relative.startswith('oauth/'):
                    raise
                if 'token' not in done and self._is_token_problem(error):
                    done.add('token')  # tickle and auth/status renew the LST too: the Tickler depends on it
                    _LOGGER.info(
                        '%s %s refused (%s); renewing the live session token and repeating once',
                        method,
                        relative,
                        error.message,
                    )
                    self.refresh_live_session_token(seen_generation=lst_generation)
                elif (
                    'session' not in done
                    and relative.startswith(_BROKERAGE_PREFIXES)
                    and not relative.startswith(_SESSION_PATHS)
                ):
                    done.add('session')
                    _LOGGER.info(
                        '%s %s refused (%s); re-opening the brokerage session and repeating once',
                        method,
                        relative,
                        error.message,
                    )
                    self.recover_brokerage_session(seen_generation=session_generation)
                else:
                    raise
            except ExternalBrokerError as error:
                prerequisite = self._prerequisite_for(error)
                if prerequisite is None or 'prerequisite' in done or _relative(path, self.base_url) == prerequisite:
                    raise
                done.add('prerequisite')
                _LOGGER.info(
                    '%s %s refused until %s is queried; querying it and sending again',
                    method,
                    _relative(path, self.base_url),
                    prerequisite,
                )
                self.get(prerequisite)

    def _prerequisite_for(self, error: ExternalBrokerError) -> Optional[str]:
        """The request IBKR asks for first ("Please query /accounts first"), when the refusal names one."""
        if not self.auto_recover or error.status_code is None or not 400 <= error.status_code < 500:
            return None
        text = str(error.message).lower()
        return next((request for words, request in _PREREQUISITES if words in text), None)

    def _is_token_problem(self, error: NotAuthenticatedError) -> bool:
        if not self.use_oauth or error.status_code != 401:
            return False
        text = (error.message or '').lower()
        return not any(word in text for word in _BROKERAGE_WORDS)

    def recover_brokerage_session(self, seen_generation: Optional[int] = None) -> None:
        """Re-open the brokerage session (ssodh/init without competing) and query /iserver/accounts.

        Many threads failing at once share one recovery. Raises CompetingSessionError when another
        session holds the username, NotAuthenticatedError when the session cannot be re-opened.
        """
        generation = self._session_generation if seen_generation is None else seen_generation
        with self._recovery_lock:
            if self._session_generation != generation:
                return
            status = expect_object(
                self.initialize_brokerage_session(compete=False),
                'ssodh/init during recovery',
                required={'authenticated': bool},
            )
            if status.get('competing'):
                raise CompetingSessionError(
                    'another session (TWS, IBKR Mobile, Client Portal or another gateway) holds the brokerage '
                    'session of this username; call initialize_brokerage_session(compete=True) to take it over'
                )
            if status.get('authenticated') is False:
                raise NotAuthenticatedError(
                    'the brokerage session could not be re-opened (not authenticated); log in to the gateway again',
                    body=status,
                )
            expect_object(
                self.receive_brokerage_accounts(), '/iserver/accounts during recovery', required={'accounts': list}
            )
            self._session_generation += 1
            self.recoveries['brokerage_session'] += 1
            _LOGGER.info('brokerage session re-opened')

    # ----------------------------------------------------------------- shutdown

    def close(self) -> None:
        """Stop the Tickler, log out if OAuth asked for it, release the connections. Idempotent."""
        if self.closed:
            return
        self.stop_tickler()
        if self._logout_on_close:
            self._logout_on_close = False
            self.oauth_shutdown()
        atexit.unregister(self._close_at_exit)
        super().close()
        pending = getattr(self, '_pending_orders', None)
        if pending is not None:
            pending.close()  # the journal's lock: another client may take the journal over

    def _on_shutdown_signal(self) -> None:
        pending = getattr(self, '_pending_orders', None)
        for entry in pending.list() if pending is not None else ():
            _LOGGER.warning(
                'shutting down with an order request whose outcome is unknown: %s cOID=%s order_id=%s '
                '(%s); check live_orders() before sending it again',
                entry['action'],
                entry['coid'],
                entry['order_id'],
                entry['reason'],
            )
        self.close()
