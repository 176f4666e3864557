"""The exceptions ibind raises.

Every failure that comes from talking to IBKR derives from ``ExternalBrokerError`` so that a caller
can write one ``except`` clause. Below it there is one subclass per situation a caller handles
differently (log in again, slow down, fix the order, reconcile). Bad arguments are not broker
failures: they raise ``ValueError``/``TypeError`` before anything is sent.
"""

from __future__ import annotations

from typing import Any, Optional

BODY_EXCERPT_CHARS = 300


def body_excerpt(body: Any, limit: int = BODY_EXCERPT_CHARS) -> str:
    """A short, single-line rendering of a response body for messages and logs."""
    if body is None:
        return ''
    if isinstance(body, bytes):
        body = body.decode('utf-8', errors='replace')
    text = body if isinstance(body, str) else repr(body)
    text = ' '.join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + '...'


class ExternalBrokerError(Exception):
    """A request to IBKR failed, or IBKR answered with something we cannot use.

    Carries what a caller needs to decide what to do: the HTTP status (None when there was no
    response), the method and URL of the request, and an excerpt of the body.
    """

    def __init__(
        self,
        message: str,
        status_code: Optional[int] = None,
        body: Any = None,
        method: Optional[str] = None,
        url: Optional[str] = None,
    ):
        self.message = message
        self.status_code = status_code
        self.body = body
        self.method = method
        self.url = url
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        if self.method or self.url:
            parts.append(f'[{self.method or "?"} {self.url or "?"}]')
        if self.status_code is not None:
            parts.append(f'status={self.status_code}')
        excerpt = body_excerpt(self.body)
        if excerpt:
            parts.append(f'body={excerpt}')
        from ibind.support.logs import redact  # cookies, tokens and keys never reach exception text

        return redact(' '.join(parts))


class NotAuthenticatedError(ExternalBrokerError):
    """There is no authenticated (brokerage) session: log in, or call ``initialize_brokerage_session``."""


class NoBridgeError(NotAuthenticatedError):
    """The gateway answered "no bridge": the brokerage session is not open."""


class CompetingSessionError(NotAuthenticatedError):
    """Another session (TWS, mobile, another gateway) holds this username's brokerage session."""


class RateLimitError(ExternalBrokerError):
    """IBKR's pacing limits were hit (HTTP 429), or waiting for a free slot would take too long.

    ``retry_after`` is the number of seconds after which the request may be tried again, when known.
    """

    def __init__(self, message: str, retry_after: Optional[float] = None, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class BadResponseError(ExternalBrokerError):
    """The response could not be understood: HTML instead of JSON, truncated JSON, an unexpected shape."""


class TransportError(ExternalBrokerError):
    """No usable response arrived: connection refused or reset, or the request timed out."""


class RequestTimeoutError(TransportError):
    """The request was sent but no complete response arrived in time (the read timeout, or the whole-request
    deadline ``total_timeout`` for a server that answers too slowly or never stops)."""


class NotSentError(TransportError):
    """The request never reached the server (no connection, or no trusted one): nothing can have been done.

    Raised at once, never retried, never reconciled: what is wrong is the setup or the gateway, and
    repeating does not fix it.
    """


class RequestCancelledError(NotSentError):
    """The parallel work this request belonged to was stopped (Ctrl-C) while it waited for its turn: not sent."""


class GatewayUnreachableError(NotSentError):
    """The connection was refused or the host name did not resolve: is the gateway running, is the URL right?"""


class TLSError(NotSentError):
    """The TLS handshake failed (unknown CA, wrong host name, https against an http server): nothing was sent."""


class RedirectError(BadResponseError):
    """The server answered with a redirect (3xx). ibind never follows one: the redirecting server did not act on
    the request (for an order: it was not placed). ``location`` is where it pointed."""

    def __init__(self, message: str, location: Optional[str] = None, **kwargs: Any):
        self.location = location
        super().__init__(message, **kwargs)


class OutcomeUnknownError(TransportError):
    """A request that may have acted (an order, a reply, a cancel) got no answer, and we cannot tell if it acted.

    It is never retried blindly. ``coid`` names the order's customer order id when there is one, so the
    caller can look it up in ``live_orders()`` later.
    """

    def __init__(self, message: str, coid: Optional[str] = None, **kwargs: Any):
        self.coid = coid
        super().__init__(message, **kwargs)


class OrderInterruptedError(KeyboardInterrupt):
    """Ctrl-C (KeyboardInterrupt) arrived while an order request (place, reply, modify, cancel) was in flight.

    It is a KeyboardInterrupt, so the program still stops; ``coid`` (placements), ``order_id`` (modify/cancel)
    and ``action`` say which order may or may not have been acted on. ``client.pending_orders()`` lists it until
    it is reconciled. The original interrupt is its ``__cause__``.
    """

    def __init__(self, message: str, action: str, coid: Optional[str] = None, order_id: Optional[str] = None):
        self.message = message
        self.action = action
        self.coid = coid
        self.order_id = order_id
        super().__init__(message)


class OrderRejectedError(ExternalBrokerError):
    """IBKR refused the order (an ``{"error": ...}`` answer to an order request)."""


class OrderQuestionError(ExternalBrokerError):
    """IBKR asked a question about an order that the given ``answers`` do not cover, or kept asking."""

    def __init__(self, message: str, question: Any = None, **kwargs: Any):
        self.question = question
        super().__init__(message, **kwargs)


class AmbiguousSymbolError(ExternalBrokerError, RuntimeError):
    """A symbol query matched more than one instrument or contract (also a RuntimeError, as seed 001 documents)."""


class SymbolNotFoundError(ExternalBrokerError, LookupError):
    """A symbol query matched no instrument at all."""


class OAuthError(ExternalBrokerError, RuntimeError):
    """OAuth 1.0a failed: bad configuration, a live session token that does not validate, a refused signature."""


class ClientClosedError(ExternalBrokerError):
    """The client was closed; create a new one to send more requests."""
