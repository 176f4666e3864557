"""RestClient: one HTTP session to the gateway, and the single way requests go in and results come out.

Every request goes through ``RestClient.request``: it waits for a pacing slot, adds headers (signed
ones under OAuth, built afresh for every attempt), sends with separate connect and read timeouts,
retries what the retry policy allows, and turns the response into a ``Result`` or an
``ExternalBrokerError``. Mixins only build paths, queries and bodies.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import urllib.parse
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Type, Union

import requests

from ibind import var
from ibind.base.pacing import NoPacing
from ibind.base.responses import (
    check_success_body,
    decode_body,
    error_text,
    parse_retry_after,
    raise_for_failure,
    require_json,
)
from ibind.base.retry import FailureKind, RetryPolicy
from ibind.base.transport import (
    DEFAULT_DEADLINE_FACTOR,
    DEFAULT_MAX_BODY_BYTES,
    Watchdog,
    bound_cookies,
    environment_settings,
    new_session,
    read_body,
)
from ibind.support.arguments import identifier
from ibind.support.errors import (
    BadResponseError,
    ClientClosedError,
    ExternalBrokerError,
    RedirectError,
)
from ibind.support.logs import project_logger
from ibind.support.py_utils import LazyModule, parallel_cancelled
from ibind.var import parse_cacert

_LOGGER = project_logger('ibind.rest')

if TYPE_CHECKING:
    from ibind.base import failures
else:
    failures = LazyModule('ibind.base.failures')  # classifies and describes failures: the happy path never loads it
_KEEP = object()
USER_AGENT = 'ibind'


class Result:
    """What an API call returned (``data``) and the request that produced it (``request``).

    ``request`` records the method, URL, query parameters and JSON body; never headers, so no
    credentials end up in it. ``status_code`` is the HTTP status of the answer (None for a Result
    ibind put together itself), so a helper that cannot use the data can say what answered.

    A plain class rather than a dataclass: ``dataclasses`` imports ``inspect``, a tenth of ibind's import time.
    """

    def __init__(
        self,
        data: Any = None,
        request: Optional[dict] = None,
        status_code: Optional[int] = None,
    ):
        self.data = data
        self.request = {} if request is None else request
        self.status_code = status_code

    def copy(self, data: Any = _KEEP, request: Any = _KEEP) -> Result:
        """A new Result with ``data`` and/or ``request`` replaced (arguments left out are kept)."""
        return Result(
            data=self.data if data is _KEEP else data,
            request=self.request if request is _KEEP else request,
            status_code=self.status_code,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.data, self.request, self.status_code) == (other.data, other.request, other.status_code)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return f'Result(data={self.data!r}, request={self.request!r}, status_code={self.status_code!r})'


def path_segment(name: str, value: Any) -> str:
    """One user-supplied path segment: an identifier that can never change the route (no ``/``, ``?``, ``..``)."""
    if type(value) is str and value.isascii() and value.isalnum():
        return value  # a conid or an account id as already checked: nothing to strip, refuse or quote
    return urllib.parse.quote(identifier(name, value, 'an identifier like 1234567 or DU1234567'), safe='')


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return value


def prepare_params(params: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Drop None values and render booleans as IBKR expects them in a query string (true/false)."""
    if not params:
        return None
    prepared = {key: _query_value(value) for key, value in params.items() if value is not None}
    return prepared or None


class RestClient:
    """A thread-safe REST client for one base URL.

    Arguments:
        url: base URL; request paths are joined to it.
        cacert: a CA bundle path to verify the server's certificate, or False (also 'False'/'false'/'0')
            for the gateway's self-signed certificate; True verifies against the system's CAs.
        timeout: read timeout in seconds; ``connect_timeout`` is the (shorter) time allowed to connect.
        total_timeout: the whole-request deadline (connect, headers and body) in seconds, 3 x ``timeout`` by
            default: a server that drips its answer or never ends it raises RequestTimeoutError (or, for a request
            that may have acted, OutcomeUnknownError) when it passes.
        max_body_bytes: the largest answer accepted (64 MB by default); a larger one is a BadResponseError.
        max_retries: how many times an idempotent request is retried (see ``RetryPolicy``).
        use_session: keep one pooled ``requests.Session`` (keep-alive); False opens a connection per call.
        retry_policy: a full ``RetryPolicy`` (overrides ``max_retries``).
        pacer: where each request waits for its turn (``NoPacing`` by default).
        verify_always: force certificate verification (OAuth): ``cacert`` is then the CA bundle to use,
            or the system's when it is False.
    """

    expects_json: bool = False
    """Whether every 2xx answer must be JSON (an empty or non-JSON body is then a BadResponseError);
    a request's ``expect_json`` overrides it. IbkrClient sets it: every IBKR endpoint it calls answers JSON."""

    @var.from_environment(
        use_session='IBIND_USE_SESSION', connect_timeout='IBIND_CONNECT_TIMEOUT', total_timeout='IBIND_TOTAL_TIMEOUT'
    )
    def __init__(
        self,
        url: str,
        cacert: Union[str, os.PathLike, bool] = False,
        timeout: float = 10,
        max_retries: int = 3,
        use_session: bool = var.IBIND_USE_SESSION,
        *,
        connect_timeout: Optional[float] = var.IBIND_CONNECT_TIMEOUT,
        retry_policy: Optional[RetryPolicy] = None,
        pacer: Any = None,
        verify_always: bool = False,
        pool_maxsize: int = 32,
        total_timeout: Optional[float] = var.IBIND_TOTAL_TIMEOUT,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if not url or not isinstance(url, str):
            raise ValueError(
                f"'url' is required: expected a base URL like 'https://localhost:5000/v1/api/', got {url!r}"
            )
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ('http', 'https') or not parsed.netloc or not url.isprintable() or ' ' in url:
            raise ValueError(f"'url' must be an http(s) URL like 'https://localhost:5000/v1/api/', got {url!r}")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout < math.inf:
            raise ValueError(f"'timeout' must be a positive number of seconds, got {timeout!r}")
        if connect_timeout is not None and (
            not isinstance(connect_timeout, (int, float))
            or isinstance(connect_timeout, bool)
            or not 0 < connect_timeout < math.inf
        ):
            raise ValueError(f"'connect_timeout' must be a positive number of seconds, got {connect_timeout!r}")

        if isinstance(max_retries, bool) or not isinstance(max_retries, int):
            raise TypeError(f"'max_retries' must be an int >= 0, got {type(max_retries).__name__} {max_retries!r}")
        if cacert is not None and not isinstance(cacert, (str, bool, os.PathLike)):
            raise TypeError(f"'cacert' must be False or the path of a CA bundle file, got {type(cacert).__name__}")

        self.base_url = url if url.endswith('/') else url + '/'
        self.cacert = parse_cacert(cacert)
        if isinstance(self.cacert, str) and not os.path.isfile(self.cacert):
            raise ValueError(f"'cacert' must be False or the path of a CA bundle file; {self.cacert!r} does not exist")
        self._verify: Union[str, bool] = self.cacert
        if verify_always and self._verify is False:
            self._verify = True
        self._proxies, self._send_verify = environment_settings(self.base_url, self._verify)
        self.timeout = float(timeout)
        if total_timeout is None:
            total_timeout = DEFAULT_DEADLINE_FACTOR * self.timeout
        if (
            isinstance(total_timeout, bool)
            or not isinstance(total_timeout, (int, float))
            or not 0 < total_timeout < math.inf
        ):
            raise ValueError(f"'total_timeout' must be a positive number of seconds or None, got {total_timeout!r}")
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1:
            raise ValueError(f"'max_body_bytes' must be a positive int (bytes), got {max_body_bytes!r}")
        self.total_timeout = float(total_timeout)
        self.max_body_bytes = max_body_bytes
        self._watchdog = Watchdog()
        self.connect_timeout = float(min(connect_timeout or timeout, timeout))
        self.retry_policy = retry_policy or RetryPolicy(
            max_retries=max_retries, backoff=var.IBIND_RETRY_BACKOFF, backoff_max=var.IBIND_RETRY_BACKOFF_MAX
        )
        self.max_retries = self.retry_policy.max_retries
        self.use_session = use_session
        self._pacer = pacer or NoPacing()
        self._pool_maxsize = pool_maxsize
        self._sleep: Callable[[float], None] = time.sleep
        self._rng = random.Random()
        self._closed = False
        self._lock = threading.Lock()
        self._session: Optional[requests.Session] = self._new_session() if use_session else None
        self._finalizer = weakref.finalize(self, _close_quietly, self._session, self._watchdog)
        self._previous_signal_handlers: Dict[int, Any] = {}
        if self._verify is False and parsed.scheme == 'https':
            _warn_unverified(self.base_url)

    # ----------------------------------------------------------------- public verbs

    def get(self, path: str, params: Optional[Dict[str, Any]] = None, **options: Any) -> Result:
        return self.request('GET', path, params=params, **options)

    def post(self, path: str, json: Any = None, params: Optional[Dict[str, Any]] = None, **options: Any) -> Result:
        return self.request('POST', path, params=params, json=json, **options)

    def put(self, path: str, json: Any = None, params: Optional[Dict[str, Any]] = None, **options: Any) -> Result:
        return self.request('PUT', path, params=params, json=json, **options)

    def delete(self, path: str, params: Optional[Dict[str, Any]] = None, json: Any = None, **options: Any) -> Result:
        return self.request('DELETE', path, params=params, json=json, **options)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Dict[str, Any]] = None,
        json: Any = None,
        retry_safe: Optional[bool] = None,
        error_class: Type[ExternalBrokerError] = ExternalBrokerError,
        timeout: Optional[float] = None,
        headers: Optional[Dict[str, str]] = None,
        expect_json: Optional[bool] = None,
        retries: Optional[int] = None,
    ) -> Result:
        """Send one logical request (retrying what may be retried) and return its Result.

        ``retry_safe`` overrides the method's idempotency for the retry policy (True for POSTs that
        only read, like ``/tickle``); ``error_class`` is raised for a 2xx ``{"error": ...}`` body;
        ``expect_json`` overrides ``expects_json`` for this request; ``retries`` caps the retries of this
        request (0: a single attempt, as a health probe wants), the policy's ``max_retries`` by default.
        """
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
            raise ValueError(f"'retries' must be an int >= 0 or None, got {retries!r}")
        limit = self.retry_policy.max_retries if retries is None else retries
        method = method.upper()
        url = self._url_for(path)
        query = prepare_params(params)
        record = {'method': method, 'url': url, 'params': query, 'json': json}
        attempt = 0
        while True:
            self._ensure_open()
            try:
                response = self._send_once(method, path, url, query, json, headers, timeout)
            except requests.RequestException as error:
                kind = failures.classify(error)
                if self._should_retry(kind, method, retry_safe, attempt, limit):
                    self._back_off(attempt, f'{kind.value}: {type(error).__name__}', method, url)
                    attempt += 1
                    continue
                raise self._transport_error(kind, error, method, url, retry_safe, attempt) from None

            status = response.status_code
            if status == 429:
                retry_after = parse_retry_after(response.headers.get('Retry-After'))
                self._pacer.penalize(retry_after, method, path)
                if (
                    self._should_retry(FailureKind.RATE_LIMITED, method, retry_safe, attempt, limit)
                    and (retry_after or 0) <= self.retry_policy.max_retry_after
                ):
                    self._back_off(attempt, 'rate limited (429)', method, url, at_least=retry_after)
                    attempt += 1
                    continue
            elif (
                status in self.retry_policy.retry_statuses
                and not _is_broker_answer(response)
                and self._should_retry(FailureKind.STATUS, method, retry_safe, attempt, limit, status)
            ):
                self._back_off(attempt, f'HTTP {status}', method, url)
                attempt += 1
                continue
            return self._to_result(response, record, error_class, expect_json)

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Release the connection pool. Idempotent; later requests raise ClientClosedError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._finalizer()

    @property
    def pacer(self) -> Any:
        """The pacer every request of this client waits on (NoPacing when pacing is off)."""
        return self._pacer

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def register_shutdown_handler(self) -> bool:
        """On SIGINT/SIGTERM, shut this client down, then let the previous handler run.

        Opt-in only: ibind installs no signal handlers by itself. The previous handlers are chained,
        and when there was none the signal keeps its default effect, so SIGTERM still ends the process.
        Signal handlers can only be installed from the main thread; elsewhere this logs a warning and
        returns False.
        """
        if threading.current_thread() is not threading.main_thread():
            _LOGGER.warning('register_shutdown_handler() must be called from the main thread; no handler installed')
            return False
        import signal  # here, not at import time: only scripts that ask for the handler need it

        client_ref = weakref.ref(self)
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            self._previous_signal_handlers[signum] = previous
            signal.signal(signum, _make_shutdown_handler(client_ref, previous))
        return True

    def _on_shutdown_signal(self) -> None:
        """What a shutdown signal does to this client; IbkrClient extends it (Tickler, logout)."""
        self.close()

    # ----------------------------------------------------------------- internals

    def _url_for(self, path: str) -> str:
        if not isinstance(path, str):
            raise TypeError(f"'path' must be a str, got {type(path).__name__}")
        if path.startswith(('http://', 'https://')):
            return path
        return self.base_url + path.lstrip('/')

    def _ensure_open(self) -> None:
        if self._closed:
            raise ClientClosedError('this client is closed; create a new one to send requests')

    def _new_session(self) -> requests.Session:
        return new_session(self._watchdog, self._verify is False, self._pool_maxsize, USER_AGENT)

    def _request_headers(self, method: str, url: str, params: Optional[dict], json: Any) -> Dict[str, str]:
        """Headers for one attempt. IbkrClient adds OAuth signatures here, fresh for every attempt."""
        return {}

    def _send_once(
        self,
        method: str,
        path: str,
        url: str,
        params: Optional[dict],
        json: Any,
        extra_headers: Optional[Dict[str, str]],
        timeout: Optional[float],
    ) -> requests.Response:
        headers = self._request_headers(method, url, params, json)
        if extra_headers:
            headers.update(extra_headers)
        if method in ('POST', 'PUT', 'PATCH') and json is None:
            headers.setdefault('Content-Length', '0')  # IBKR answers 411 to a POST without Content-Length
        read_timeout = float(timeout) if timeout is not None else self.timeout
        if _LOGGER.isEnabledFor(10):
            _LOGGER.debug('%s %s params=%s json=%s headers=%s', method, url, params, json, headers)
        timeouts = (min(self.connect_timeout, read_timeout), read_timeout)
        with self._pacer.slot(method, path):
            started = time.monotonic()
            deadline = started + max(self.total_timeout, read_timeout)
            watchdog = self._watchdog
            watchdog.arm(deadline)
            session = self._session or self._new_session()
            try:
                response = session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    proxies=self._proxies if url.startswith(self.base_url) else environment_settings(url, False)[0],
                    verify=self._send_verify,
                    timeout=timeouts,
                    allow_redirects=False,
                    stream=True,
                )
                too_large = read_body(response, self.max_body_bytes)
            except requests.RequestException as error:
                connecting = watchdog.failed_connecting()
                if watchdog.disarm():
                    raise failures.DeadlinePassed(failures.deadline_message(deadline - started)) from error
                failure: requests.RequestException = error
                if connecting and failures.classify(error) not in (
                    FailureKind.UNREACHABLE,
                    FailureKind.TLS,
                    FailureKind.NOT_SENT,
                ):
                    # a timeout or a reset before the connection was up (a TLS handshake that stalls or is cut)
                    failure = failures.HandshakeFailed(failures.handshake_message(error))
                if failures.classify(failure) in (FailureKind.UNREACHABLE, FailureKind.TLS):
                    refund = getattr(self._pacer, 'refund', None)
                    if refund is not None:
                        refund(method, path)  # nothing reached the server: its pacing slot was not used
                if failure is error:
                    raise
                raise failure from error
            finally:
                if session is not self._session:
                    session.close()
            if watchdog.disarm():  # cut while reading headers: what arrived is not a whole answer
                raise failures.DeadlinePassed(failures.deadline_message(deadline - started))
        if too_large is not None:
            raise BadResponseError(too_large, status_code=response.status_code, method=method, url=url)
        if 'set-cookie' in response.headers and self._session is not None:
            dropped = bound_cookies(self._session)
            if dropped:
                _LOGGER.warning('%s set too many cookies; dropped %d (kept the session cookies)', url, dropped)
        if _LOGGER.isEnabledFor(10):
            _LOGGER.debug(
                '%s %s -> %s in %.0f ms', method, url, response.status_code, (time.monotonic() - started) * 1000
            )
        return response

    def _should_retry(
        self,
        kind: FailureKind,
        method: str,
        retry_safe: Optional[bool],
        attempt: int,
        limit: int,
        status: Optional[int] = None,
    ) -> bool:
        if attempt >= limit or self._closed or parallel_cancelled():
            return False
        return self.retry_policy.may_retry(kind, method, retry_safe, status)

    def _back_off(self, attempt: int, reason: str, method: str, url: str, at_least: Optional[float] = None) -> None:
        delay = self.retry_policy.delay(attempt, self._rng)
        if at_least is not None:
            delay = max(delay, at_least)
        _LOGGER.info(
            '%s %s failed (%s); retry %d/%d in %.2fs',
            method,
            url,
            reason,
            attempt + 1,
            self.retry_policy.max_retries,
            delay,
        )
        if delay > 0:
            self._sleep(delay)

    def _transport_error(
        self, kind: FailureKind, error: Exception, method: str, url: str, retry_safe: Optional[bool], attempt: int
    ) -> ExternalBrokerError:
        return failures.transport_error(
            kind,
            error,
            method,
            url,
            base_url=self.base_url,
            timeout=self.timeout,
            idempotent=self.retry_policy.is_idempotent(method, retry_safe),
            attempt=attempt,
        )

    def _to_result(
        self,
        response: requests.Response,
        record: dict,
        error_class: Type[ExternalBrokerError],
        expect_json: Optional[bool] = None,
    ) -> Result:
        method, url = record['method'], record['url']
        content = response.content
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get('Location')
            raise RedirectError(
                f'HTTP {status} redirect to {location!r}; ibind never follows redirects: the redirecting server did '
                'not act on this request (an order was not placed). Check the URL (IBIND_REST_URL)',
                location=location,
                status_code=status,
                method=method,
                url=url,
            )
        raw_text = content.decode('utf-8', errors='replace') if content else ''
        try:
            data = decode_body(raw_text, response.headers.get('Content-Type', ''), status, method, url)
        except ExternalBrokerError:
            if status < 400:
                raise
            data = None
        if status >= 400:
            retry_after = parse_retry_after(response.headers.get('Retry-After')) if status == 429 else None
            raise_for_failure(status, data, raw_text, method, url, retry_after=retry_after)
        check_success_body(status, data, raw_text, method, url, error_class=error_class)
        if self.expects_json if expect_json is None else expect_json:
            data = require_json(status, data, raw_text, method, url)
        return Result(data=data, request=record, status_code=status)


def _is_broker_answer(response: requests.Response) -> bool:
    """A 5xx carrying IBKR's own JSON error (e.g. DYNACCT's 503 "Details currently unavailable") is a definitive
    answer, not a transient proxy failure: repeating it only delays the error."""
    if 'json' not in response.headers.get('Content-Type', '').lower():
        return False
    try:
        return error_text(response.json()) is not None
    except (ValueError, RecursionError):
        return False


def _close_quietly(session: Optional[requests.Session], watchdog: Optional[Watchdog] = None) -> None:
    if watchdog is not None:
        watchdog.stop()
    if session is not None:
        try:
            session.close()
        except Exception:  # closing at interpreter exit must never raise
            pass


def _make_shutdown_handler(client_ref: weakref.ref[RestClient], previous: Any) -> Callable:
    import signal

    def handler(signum: int, frame: Any) -> None:
        client = client_ref()
        if client is not None:
            try:
                client._on_shutdown_signal()
            except Exception:
                _LOGGER.exception('shutdown on signal %s failed', signum)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL or previous is None:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    return handler


def _warn_unverified(base_url: str) -> None:
    """Say once per client, clearly, that TLS is not verified; this client's connections do not make urllib3 repeat
    it on every call (other sessions in the process keep urllib3's warning)."""
    host = urllib.parse.urlparse(base_url).netloc
    _LOGGER.warning(
        'TLS certificate verification is disabled for %s (cacert=False). This is usual for the '
        "gateway's self-signed certificate; pass cacert=<path to its CA> to verify it.",
        host,
    )
