"""How a failed HTTP exchange is classified (did the server possibly see it?) and described to the caller.

The classification decides what may be retried or must be reconciled; the description says what to check:
a TLS failure names cacert and http vs https, a refused connection asks whether the gateway is running.
Nothing that never reached the server is ever reported as an unknown outcome.
"""

from __future__ import annotations

from typing import Any

import requests

from ibind.base.retry import FailureKind
from ibind.support.errors import (
    ExternalBrokerError,
    GatewayUnreachableError,
    OutcomeUnknownError,
    RequestTimeoutError,
    TLSError,
    TransportError,
)


class DeadlinePassed(requests.exceptions.Timeout):
    """The whole-request deadline passed (the watchdog ended the read)."""


class HandshakeFailed(requests.exceptions.SSLError):
    """The connection never came up: its TLS handshake stalled past the timeout or was cut. Nothing was sent."""


def handshake_message(error: BaseException) -> str:
    return f'the connection was not established: the TLS handshake did not complete ({_root_cause(error)})'


def classify(error: requests.RequestException) -> FailureKind:
    """Did the server possibly see this request? Only a failure to connect or to agree on TLS proves it did not."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return FailureKind.NOT_SENT
    if isinstance(error, DeadlinePassed):
        return FailureKind.DEADLINE
    if isinstance(error, requests.exceptions.Timeout):
        return FailureKind.TIMED_OUT
    if isinstance(error, requests.exceptions.SSLError):
        return FailureKind.TLS
    if isinstance(error, requests.exceptions.ConnectionError):
        reason = error.args[0] if error.args else None
        reason = getattr(reason, 'reason', reason)  # urllib3 MaxRetryError wraps the cause
        from urllib3.exceptions import NameResolutionError, NewConnectionError

        if isinstance(reason, (NewConnectionError, NameResolutionError, ConnectionRefusedError)):
            return FailureKind.UNREACHABLE
    return FailureKind.CONNECTION_LOST


def deadline_message(seconds: float) -> str:
    return f'no complete answer within the whole-request deadline of {seconds:g}s (total_timeout)'


def _root_cause(error: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, as one readable line cut at a word boundary."""
    seen = set()
    current: Any = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, 'reason', None)
        if inner is None and getattr(current, 'args', None) and isinstance(current.args[0], BaseException):
            inner = current.args[0]
        if inner is None or not isinstance(inner, BaseException):
            break
        current = inner
    return short(current if isinstance(current, BaseException) else error)


def transport_error(
    kind: FailureKind,
    error: Exception,
    method: str,
    url: str,
    *,
    base_url: str,
    timeout: float,
    idempotent: bool,
    attempt: int,
) -> ExternalBrokerError:
    """The ExternalBrokerError for a request that got no usable response."""
    tried = f' after {attempt + 1} attempts' if attempt else ''
    detail = f'{type(error).__name__}: {_root_cause(error)}'
    if kind is FailureKind.TLS:
        return TLSError(
            f'TLS handshake with {base_url} failed, nothing was sent ({detail}). Check: cacert (the CA that '
            "signed the gateway's certificate, or False for its self-signed one), http:// vs https:// in the URL "
            '(IBIND_REST_URL), and that the host name matches the certificate',
            method=method,
            url=url,
        )
    if kind in (FailureKind.UNREACHABLE, FailureKind.NOT_SENT):
        return GatewayUnreachableError(
            f'could not connect to {base_url}{tried}, nothing was sent ({detail}). Is the gateway running, '
            'and are the host and port (IBIND_REST_URL) right?',
            method=method,
            url=url,
        )
    if isinstance(error, DeadlinePassed):
        timeout_error = RequestTimeoutError if idempotent else OutcomeUnknownError
        return timeout_error(
            f'{error}{tried}; the server may have acted on it'
            if timeout_error is OutcomeUnknownError
            else f'{error}{tried}',
            method=method,
            url=url,
        )
    if idempotent:
        if kind is FailureKind.TIMED_OUT:
            return RequestTimeoutError(f'no response within {timeout:g}s{tried} ({detail})', method=method, url=url)
        return TransportError(f'connection lost before a complete response{tried} ({detail})', method=method, url=url)
    return OutcomeUnknownError(
        f'{kind.value} after the request was sent; it may or may not have been carried out, '
        f'so it was not repeated ({detail})',
        method=method,
        url=url,
    )


def short(error: BaseException, limit: int = 300) -> str:
    """One line of an error's text, cut at a word boundary when long."""
    text = ' '.join(str(error).split())
    if len(text) <= limit:
        return text
    cut = text.rfind(' ', 0, limit - 3)
    return text[: cut if cut > limit // 2 else limit - 3] + '...'
