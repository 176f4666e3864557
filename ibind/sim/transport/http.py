"""The simulator's request and response values, and IBKR-style errors.

Route handlers receive a ``SimRequest`` and return data (sent as 200 JSON) or a ``SimResponse``;
they raise ``ApiError`` for failures, which becomes ``{"error": message, "statusCode": status}``
with that status, the shape the gateway uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, overload

HTML_NOT_FOUND = '<html><body><h1>Resource not found</h1></body></html>'


@dataclass
class SimRequest:
    method: str
    path: str  # below /v1/api, e.g. '/iserver/accounts'
    query: Dict[str, str]  # last value of each query parameter
    query_all: Dict[str, List[str]]
    raw_body: bytes
    headers: Mapping[str, str]
    full_path: str = ''  # as received, with /v1/api and the query
    path_params: Dict[str, str] = field(default_factory=dict)
    route: str = ''  # 'METHOD /template' of the matched route
    client: str = ''
    # notes of the gateway's layers between their before() and after() of this request
    fault_applied: Optional[str] = None  # the fault kind a fault rule answered with (faults)
    pacing_held: Tuple[Any, ...] = ()  # concurrency limits this request holds (pacing)
    _body: Any = field(default=None, repr=False)
    _body_parsed: bool = field(default=False, repr=False)

    @property
    def body(self) -> Any:
        """The JSON body (None when empty); a body that is not JSON is a 400, as on the gateway."""
        if not self._body_parsed:
            self._body_parsed = True
            text = self.raw_body.decode('utf-8', errors='replace').strip() if self.raw_body else ''
            if text:
                try:
                    self._body = json.loads(text)
                except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
                    raise ApiError(400, 'Bad Request: the body is not valid JSON') from None
        return self._body

    def body_dict(self) -> Dict[str, Any]:
        body = self.body
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, 'Bad Request: expected a JSON object body')
        return body

    def require_query(self, *names: str) -> List[str]:
        missing = [name for name in names if not self.query.get(name)]
        if missing:
            raise ApiError(400, f'Bad Request: missing required parameter(s): {", ".join(missing)}')
        return [self.query[name] for name in names]

    def require_body(self, *names: str) -> List[Any]:
        body = self.body_dict()
        missing = [name for name in names if body.get(name) is None]
        if missing:
            raise ApiError(400, f'Bad Request: missing required field(s): {", ".join(missing)}')
        return [body[name] for name in names]

    @overload
    def query_int(self, name: str, default: int, minimum: int = 0) -> int: ...

    @overload
    def query_int(self, name: str, default: None = None, minimum: int = 0) -> Optional[int]: ...

    def query_int(self, name: str, default: Optional[int] = None, minimum: int = 0) -> Optional[int]:
        """A whole-number query parameter (``default`` when absent); anything else is the gateway's 400."""
        text = self.query.get(name)
        if text is None or text == '':
            return default
        return whole_number(name, text, minimum)

    @overload
    def query_bool(self, name: str, default: bool) -> bool: ...

    @overload
    def query_bool(self, name: str, default: None = None) -> Optional[bool]: ...

    def query_bool(self, name: str, default: Optional[bool] = None) -> Optional[bool]:
        value = self.query.get(name)
        if value is None or value == '':
            return default
        return value.lower() in ('true', '1', 'yes')


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str -> text; bytes as is; None -> empty
    content_type: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)
    # transport behaviour, carried out by the server outside the state lock
    delay: float = 0.0  # seconds to wait before answering (latency, stalls)
    transport: Optional[str] = None  # None, 'drop' (close without answering) or 'truncate'
    on_complete: List[Callable[[], None]] = field(default_factory=list)  # run once the answer is written

    def encode(self) -> bytes:
        if self.body is None:
            return b''
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode('utf-8')
        return json.dumps(self.body, separators=(',', ':')).encode('utf-8')

    def resolved_content_type(self) -> str:
        if self.content_type:
            return self.content_type
        if isinstance(self.body, (str, bytes)):
            return 'text/plain; charset=utf-8'
        return 'application/json; charset=utf-8'


class ApiError(Exception):
    """A failure the gateway reports with a status and an IBKR-style JSON error body."""

    def __init__(self, status: int, message: str, body: Any = None, headers: Optional[Dict[str, str]] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.headers = headers or {}

    def to_response(self) -> SimResponse:
        body = self.body if self.body is not None else {'error': self.message, 'statusCode': self.status}
        return SimResponse(status=self.status, body=body, headers=dict(self.headers))


def whole_number(name: str, text: str, minimum: int = 0) -> int:
    """A path or query value that must be a whole number >= ``minimum``; a 400 otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f'Bad Request: {name} must be a whole number >= {minimum}, got {text!r}') from None
    if value < minimum:
        raise ApiError(400, f'Bad Request: {name} must be a whole number >= {minimum}, got {value}')
    return value


def html_not_found() -> SimResponse:
    return SimResponse(status=404, body=HTML_NOT_FOUND, content_type='text/html; charset=utf-8')
