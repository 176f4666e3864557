"""Reading into IBKR's answers: when a helper cannot use what came back, say which answer it was.

The transport layer already turns HTML pages, broken or empty bodies and ``{"error": ...}`` answers into
ExternalBrokerError subclasses. What is left are answers that are valid JSON of the wrong shape (``[]``
where an object was due, an object without the key a helper needs). The pure parsing functions
(``clean_history``, ``filter_stocks``, ...) raise BadResponseError for those without knowing which request
they are looking at; ``reading(result)`` adds the request's method and URL, the HTTP status and the body,
so the caller gets the same kind of error, with the same context, as for a broken body.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple, Type

from ibind.base.rest_client import Result
from ibind.support.errors import BadResponseError, ExternalBrokerError


def add_response_context(error: ExternalBrokerError, result: Any) -> ExternalBrokerError:
    """Fill in what ``error`` does not say yet from ``result`` (a Result): method, URL, status and body.

    The error is changed in place (type and traceback stay) and returned; anything it already carries wins.
    """
    request = getattr(result, 'request', None) or {}
    if error.url is None and error.method is None:
        error.method, error.url = request.get('method'), request.get('url')
    if error.status_code is None:
        error.status_code = getattr(result, 'status_code', None)
    if error.body is None:
        error.body = getattr(result, 'data', None)
    error.args = (error._render(),)
    return error


@contextmanager
def reading(result: Result, errors: Tuple[Type[ExternalBrokerError], ...] = (BadResponseError,)) -> Iterator[Any]:
    """Parse ``result.data`` inside the block; an error of ``errors`` raised there names the answer it is about."""
    try:
        yield result.data
    except errors as error:
        raise add_response_context(error, result) from None


def expect_object(result: Result, what: str, required: Optional[Mapping[str, type]] = None) -> Mapping[str, Any]:
    """``result.data`` as a JSON object whose ``required`` keys hold values of the given types, e.g.
    ``{'accounts': list}``; BadResponseError (naming the answer) otherwise."""
    data = result.data
    if not isinstance(data, Mapping):
        raise add_response_context(BadResponseError(f'{what}: expected a JSON object, got {_kind(data)}'), result)
    for key, kind in (required or {}).items():
        if key not in data:
            raise add_response_context(BadResponseError(f'{what}: the answer has no {key!r}'), result)
        if not isinstance(data[key], kind) or (kind is not bool and isinstance(data[key], bool)):
            raise add_response_context(
                BadResponseError(f'{what}: {key!r} must be a JSON {_kind_name(kind)}, got {_kind(data[key])}'), result
            )
    return data


def _kind_name(kind: Optional[type]) -> str:
    names: Dict[Optional[type], str] = {dict: 'object', list: 'array', str: 'string', bool: 'boolean'}
    return names.get(kind) or str(getattr(kind, '__name__', kind))


def _kind(data: Any) -> str:
    if data is None:
        return 'null'
    if isinstance(data, (list, dict)):
        return f'{"an array" if isinstance(data, list) else "an object"} of {len(data)}'
    return _kind_name(type(data))
