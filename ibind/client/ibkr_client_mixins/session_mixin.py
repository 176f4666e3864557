"""SessionMixin: the session category of the IBKR Client Portal Web API.

The gateway keeps two sessions: a read-only one (the browser login, or the OAuth live session token)
and a brokerage session on top of it that every ``/iserver`` endpoint needs. These methods look at
both, open the brokerage session, keep it alive and end it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ibind.base.rest_client import Result
from ibind.support.errors import ExternalBrokerError
from ibind.support.logs import project_logger

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

_LOGGER = project_logger('ibind.session')


class SessionMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#session"""

    def authentication_status(self) -> Result:
        """The brokerage session's state: ``authenticated``, ``competing``, ``connected`` and a ``message``.

        Market data and trading need ``authenticated: true``. A session that timed out while still
        connected answers ``connected: true, authenticated: false``; ``initialize_brokerage_session``
        opens a new one. Only reads, so it is safe to retry.
        """
        return self.post('iserver/auth/status', retry_safe=True)

    def initialize_brokerage_session(self, compete: bool = True) -> Result:
        """Open the brokerage session that every ``/iserver`` endpoint (trading, market data) needs.

        The Client Portal Gateway opens one at login by itself; after an OAuth login, or after the
        session timed out, this is how it is opened again. ``compete=True`` disconnects another
        brokerage session of the same username (TWS, IBKR Mobile, another gateway); with False the
        call does not take over a session held elsewhere. ``publish`` is always sent as true, as the
        documentation requires (anything else is a 500).
        """
        if not isinstance(compete, bool):
            raise TypeError(f"'compete' must be a bool (True takes over a competing session), got {compete!r}")
        return self.post('iserver/auth/ssodh/init', json={'publish': True, 'compete': compete})

    def logout(self) -> Result:
        """End the gateway session; any further request needs a new login (``{"status": true}``)."""
        return self.post('logout')

    def tickle(self) -> Result:
        """Ping the gateway so the session does not time out (it drops after ~5-6 minutes of silence).

        IBKR asks for one about every 60 seconds (the Tickler does it for you). The answer carries
        the session id (the websocket cookie) and ``iserver.authStatus``. Safe to retry.
        """
        return self.post('tickle', retry_safe=True)

    def reauthenticate(self) -> Result:
        """Ask the gateway to re-authenticate the brokerage session (deprecated by IBKR).

        Answers ``{"message": "triggered"}`` without saying whether it worked; prefer
        ``initialize_brokerage_session``, which IBKR recommends and which reports the outcome.
        """
        return self.post('iserver/reauthenticate')

    def validate(self) -> Result:
        """Validate the read-only (SSO) session: user, ``RESULT`` and ``EXPIRES`` (milliseconds left)."""
        return self.get('sso/validate')

    def check_health(self) -> bool:
        """True if the gateway answers and its brokerage session is authenticated, not competing and connected.

        Never raises for a gateway that is down, unreachable, logged out or answering nonsense: it
        returns False and logs why at INFO level. It makes exactly one attempt (a ``/tickle``, which
        also counts as session activity) with the client's timeouts and no retries, so a dead gateway
        costs at most one connect timeout and a stalled one at most one read timeout, never a series
        of back-offs. With pacing on, the attempt first waits for its ``/tickle`` slot like any request.
        """
        try:
            result = self.request('POST', 'tickle', retries=0)
        except Exception as error:  # the contract is a bool, whatever went wrong
            _LOGGER.info('gateway health check failed: %s', _describe_failure(error))
            return False
        auth_status = _auth_status_of(result.data)
        if auth_status is None:
            _LOGGER.info(
                'gateway health check: unexpected /tickle answer without iserver.authStatus: %.200r', result.data
            )
            return False
        healthy = (
            auth_status.get('authenticated') is True
            and auth_status.get('competing') is False
            and auth_status.get('connected') is True
        )
        if not healthy:
            _LOGGER.info(
                'gateway health check: session not usable (authenticated=%r, competing=%r, connected=%r, message=%r)',
                auth_status.get('authenticated'),
                auth_status.get('competing'),
                auth_status.get('connected'),
                auth_status.get('message'),
            )
        return healthy


def _auth_status_of(data: Any) -> Optional[dict]:
    """``iserver.authStatus`` of a /tickle answer, or None when the answer does not have one."""
    if not isinstance(data, dict):
        return None
    iserver = data.get('iserver')
    if not isinstance(iserver, dict):
        return None
    auth_status = iserver.get('authStatus')
    return auth_status if isinstance(auth_status, dict) else None


def _describe_failure(error: BaseException) -> str:
    if isinstance(error, ExternalBrokerError):
        return f'{type(error).__name__}: {error.message}' + (
            f' (HTTP {error.status_code})' if error.status_code is not None else ''
        )
    return f'{type(error).__name__}: {error}'
