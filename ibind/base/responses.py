"""Turning an HTTP response into data or into the right ExternalBrokerError.

IBKR's gateway is not a tidy JSON API: failures come as 4xx/5xx with JSON, HTML or nothing, and
sometimes as a 200 whose body is ``{"error": ...}``. Everything here makes sure a caller gets either
usable data or an ExternalBrokerError subclass with the status, the route and a body excerpt, never
a raw ``JSONDecodeError``.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import TYPE_CHECKING, Any, Optional, Type

from ibind.support.errors import (
    BadResponseError,
    CompetingSessionError,
    ExternalBrokerError,
    NoBridgeError,
    NotAuthenticatedError,
    RateLimitError,
)
from ibind.support.py_utils import LazyModule

if TYPE_CHECKING:
    from ibind.support import ibkr_advice
else:
    ibkr_advice = LazyModule('ibind.support.ibkr_advice')  # needed only once IBKR answers with an error

# Keys an IBKR error object may carry besides "error"; anything else means the dict is data that
# merely has an "error" field (e.g. contract rules, whatif previews).
_ERROR_ENVELOPE_KEYS = {
    'error',
    'statusCode',
    'status',
    'code',
    'success',
    'message',
    'errorCode',
    'errorMsg',
    'failure_list',
    'request_id',
}


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:100].lower()
    return head.startswith('<!doctype html') or head.startswith('<html') or '<body' in head


def decode_body(text: str, content_type: str, status: int, method: str, url: str) -> Any:
    """The body's text (decoded once by the caller, who keeps it for error messages): JSON -> Python data;
    empty -> None; text/XML -> str. Broken JSON raises BadResponseError."""
    if not text or text.isspace():
        return None
    ctype = (content_type or '').lower()
    wants_json = 'json' in ctype or (not ctype and (text[:64].lstrip() or text.lstrip())[:1] in ('{', '['))
    if wants_json:
        try:
            return json.loads(text)
        except ValueError as error:  # JSONDecodeError, or valid JSON Python cannot hold (an int of > 4300 digits)
            if isinstance(error, json.JSONDecodeError):
                problem = f'invalid or truncated JSON ({error.msg} at position {error.pos})'
            else:
                problem = f'JSON that cannot be decoded ({error})'
            raise BadResponseError(
                problem,
                status_code=status,
                body=text,
                method=method,
                url=url,
            ) from None
        except (RecursionError, MemoryError):
            raise BadResponseError(
                f'JSON nested too deeply or too large to decode ({len(text)} characters)',
                status_code=status,
                body=text[:300],
                method=method,
                url=url,
            ) from None
    return text


def error_text(data: Any) -> Optional[str]:
    """The IBKR error message in a body that is an error envelope, else None."""
    if isinstance(data, dict) and data.get('error') and set(data) <= _ERROR_ENVELOPE_KEYS:
        error = data['error']
        return error if isinstance(error, str) else json.dumps(error)
    return None


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _session_error_class(message: str) -> Optional[Type[ExternalBrokerError]]:
    lowered = message.lower()
    if 'no bridge' in lowered:
        return NoBridgeError
    if 'competing' in lowered:
        return CompetingSessionError
    if 'not authenticated' in lowered or 'unauthorized' in lowered or 'not logged in' in lowered:
        return NotAuthenticatedError
    return None


def raise_for_failure(
    status: int,
    data: Any,
    raw_text: str,
    method: str,
    url: str,
    retry_after: Optional[float] = None,
    error_class: Type[ExternalBrokerError] = ExternalBrokerError,
) -> None:
    """Raise the ExternalBrokerError that fits a failed (status >= 400) or error-bodied response."""
    message = ibkr_advice.with_advice(status, error_text(data))  # IBKR's terse text, and what to do about it
    body = data if data is not None else raw_text
    if status == 429:
        raise RateLimitError(
            f'rate limited by IBKR{": " + message if message else ""}'
            + (f'; retry after {retry_after:.0f}s' if retry_after is not None else ''),
            retry_after=retry_after,
            status_code=status,
            body=body,
            method=method,
            url=url,
        )
    text_for_matching = message or (raw_text if isinstance(raw_text, str) else '')
    session_class = _session_error_class(text_for_matching)
    if status == 401 and session_class is None:
        session_class = NotAuthenticatedError
    if session_class is not None:
        raise session_class(
            message or f'not authenticated (HTTP {status})', status_code=status, body=body, method=method, url=url
        )
    if isinstance(raw_text, str) and looks_like_html(raw_text) and message is None:
        raise BadResponseError(
            f'HTTP {status} with an HTML page instead of data',
            status_code=status,
            body=raw_text,
            method=method,
            url=url,
        )
    if status >= 400:
        raise ExternalBrokerError(message or f'HTTP {status}', status_code=status, body=body, method=method, url=url)
    raise error_class(message or 'error response', status_code=status, body=body, method=method, url=url)


def require_json(status: int, data: Any, raw_text: str, method: str, url: str) -> Any:
    """The data of a 2xx answer that had to be JSON: an empty or non-JSON body raises BadResponseError.

    A JSON body sent with a non-JSON Content-Type is accepted (the body is what matters); a truncated
    JSON body never gets here (``decode_body`` raised already).
    """
    if not raw_text.strip():
        raise BadResponseError(
            f'an empty body (HTTP {status}) where JSON was due', status_code=status, body='', method=method, url=url
        )
    if isinstance(data, str):
        try:
            return json.loads(raw_text)
        except ValueError:
            raise BadResponseError(
                f'a non-JSON body (HTTP {status}) where JSON was due',
                status_code=status,
                body=raw_text,
                method=method,
                url=url,
            ) from None
    return data


def check_success_body(
    status: int,
    data: Any,
    raw_text: str,
    method: str,
    url: str,
    error_class: Type[ExternalBrokerError] = ExternalBrokerError,
) -> None:
    """A 2xx can still be a failure: an ``{"error": ...}`` envelope, or an HTML page where data was due."""
    if error_text(data) is not None:
        raise_for_failure(status, data, raw_text, method, url, error_class=error_class)
    if isinstance(data, str) and looks_like_html(data):
        raise BadResponseError('an HTML page instead of data', status_code=status, body=data, method=method, url=url)
