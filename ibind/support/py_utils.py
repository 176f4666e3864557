"""Small helpers shared by the client: argument normalisation and bounded parallel execution."""

from __future__ import annotations

import functools
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar, Union, cast, overload

T = TypeVar('T')
F = TypeVar('F', bound=Callable[..., Any])
K = TypeVar('K')

OneOrMany = Union[T, List[T]]
"""An argument that accepts one value or a list of them; ``ensure_list_arg`` turns it into a list."""

_NOT_A_LIST = (str, bytes, dict)


class LazyModule:
    """A module imported on first attribute access.

    For the parts of the client only some calls need (history, orders' reconciliation, progress bars):
    every module imported by ``from ibind import IbkrClient`` costs each user about 0.15 ms at start-up,
    whether they call it or not. Bind it under ``TYPE_CHECKING`` as the real module, so the type checker
    sees through it::

        if TYPE_CHECKING:
            from ibind.client import history
        else:
            history = LazyModule('ibind.client.history')
    """

    __slots__ = ('_name', '_module')

    def __init__(self, name: str):
        self._name = name
        self._module: Any = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            import importlib

            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f'LazyModule({self._name!r}, loaded={self._module is not None})'


class LazyPattern:
    """A regular expression compiled on first use.

    Compiling one costs as much as importing a small module, and a module-level ``re.compile`` pays it at
    import for every user; most patterns check arguments only some programs ever pass.
    """

    __slots__ = ('source', 'flags', '_compiled')

    def __init__(self, source: str, flags: int = 0):
        self.source = source
        self.flags = flags
        self._compiled: Any = None

    @property
    def compiled(self) -> Any:
        if self._compiled is None:
            import re

            self._compiled = re.compile(self.source, self.flags)
        return self._compiled

    def match(self, text: str) -> Any:
        return self.compiled.match(text)

    def fullmatch(self, text: str) -> Any:
        return self.compiled.fullmatch(text)

    def search(self, text: str) -> Any:
        return self.compiled.search(text)


def _as_list(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)) and not isinstance(value, _NOT_A_LIST):
        values = list(value)
        if not values:
            raise ValueError(f'{name!r} must not be empty: pass one value or a non-empty list')
        return values
    return [value]


def ensure_list_arg(*names: str) -> Callable[[F], F]:
    """Decorator: the named arguments accept one value or many, and the function always receives a list.

    ``None`` is left alone (it means "not given"); an empty list is an error, because it would send a
    request that asks for nothing. Positions come from the function's code object (cheaper at import than
    ``inspect.signature``, and this decorates dozens of methods). The decorated function keeps its signature
    for the type checker (callers may pass one or many); inside it, such an argument is always a list.
    """

    def decorator(func: F) -> F:
        code = func.__code__
        parameters = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        unknown = [name for name in names if name not in parameters]
        if unknown:
            raise TypeError(f'ensure_list_arg: {func.__qualname__} has no argument(s) {unknown}')
        positions = {name: parameters.index(name) for name in names if parameters.index(name) < code.co_argcount}

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for name in names:
                if name in kwargs:
                    kwargs[name] = _as_list(name, kwargs[name])
                elif name in positions and positions[name] < len(args):
                    position = positions[name]
                    args = args[:position] + (_as_list(name, args[position]),) + args[position + 1 :]
            return func(*args, **kwargs)

        wrapper.ensure_list_args = names  # type: ignore[attr-defined]  # introspectable (API surface tests)
        return cast(F, wrapper)  # functools.wraps keeps the name and signature of func

    return decorator


def filter_none(obj: Any) -> Any:
    """Drop ``None`` values from dicts (recursively, also inside lists) so they are not sent at all."""
    if isinstance(obj, dict):
        return {key: filter_none(value) for key, value in obj.items() if value is not None}
    if isinstance(obj, list):
        return [filter_none(value) for value in obj if value is not None]
    return obj


def require(name: str, value: Any, expected: str) -> Any:
    """Raise a ValueError naming the argument when a required value is missing or empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f'{name!r} is required: expected {expected}')
    return value


class RateCap:
    """Spaces out events to at most ``per_second`` per second, sleeping (never spinning) until each is due."""

    def __init__(
        self,
        per_second: Optional[float],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,  # its result is ignored (Event.wait fits)
    ) -> None:
        if per_second is not None and per_second <= 0:
            raise ValueError(f"'max_per_second' must be a positive number or None, got {per_second!r}")
        self._interval = 1.0 / per_second if per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next_at = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            due = max(now, self._next_at)
            self._next_at = due + self._interval
        delay = due - now
        if delay > 0:
            self._sleep(delay)


def _check_request(request: Any) -> None:
    if request is None:
        return
    if not (isinstance(request, Mapping) and set(request) <= {'args', 'kwargs'}):
        raise TypeError(
            f"each request must be a dict with optional keys 'args' (a list) and 'kwargs' (a dict), got {request!r}"
        )


def _call(func: Callable, request: Any) -> Any:
    if request is None:
        return func()
    return func(*request.get('args', ()), **request.get('kwargs', {}))


@overload
def execute_in_parallel(
    func: Callable[..., Any],
    requests: Dict[K, Any],
    max_workers: Optional[int] = None,
    max_per_second: Optional[float] = 20,
    raise_exceptions: bool = False,
    on_result: Optional[Callable[[Any, Any], None]] = None,
) -> Dict[K, Any]: ...


@overload
def execute_in_parallel(
    func: Callable[..., Any],
    requests: Union[List[Any], Tuple[Any, ...]],
    max_workers: Optional[int] = None,
    max_per_second: Optional[float] = 20,
    raise_exceptions: bool = False,
    on_result: Optional[Callable[[Any, Any], None]] = None,
) -> List[Any]: ...


def execute_in_parallel(
    func: Callable[..., Any],
    requests: Union[List[Any], Tuple[Any, ...], Dict[Any, Any]],
    max_workers: Optional[int] = None,
    max_per_second: Optional[float] = 20,
    raise_exceptions: bool = False,
    on_result: Optional[Callable[[Any, Any], None]] = None,
) -> Union[List[Any], Dict[Any, Any]]:
    """Call ``func`` once per request on a thread pool and return the results keyed like the input.

    Each request is ``{'args': [...], 'kwargs': {...}}``. A list of requests gives a list of results in
    the same order; a dict gives a dict with the same keys. ``max_per_second`` caps how fast calls start
    (None for no cap). An exception raised by a call is returned in that call's place, or re-raised
    (the first one, in input order) when ``raise_exceptions`` is True.

    ``on_result(key, value_or_exception)`` is called on the calling thread as each call completes (in
    completion order; ``key`` is the list index or the dict key), e.g. to advance a progress bar. If it raises,
    the work stops as on Ctrl-C and its exception propagates.

    Ctrl-C (or any exception on the calling thread) stops the work at once: calls not started are cancelled,
    calls waiting for the rate cap never start, retries inside running calls are not made (``parallel_cancelled``
    tells them), and the exception propagates without waiting for the calls still running.
    """
    if not isinstance(requests, (list, tuple, dict)):
        raise TypeError(f"'requests' must be a list or a dict of requests, got {type(requests).__name__}")
    if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
        raise ValueError(f"'max_workers' must be a positive int or None, got {max_workers!r}")
    if on_result is not None and not callable(on_result):
        raise TypeError(f"'on_result' must be a callable (key, value_or_exception) or None, got {on_result!r}")
    keys: Iterable[Any] = list(requests.keys()) if isinstance(requests, dict) else list(range(len(requests)))
    items = [(key, requests[key]) for key in keys]
    for _, request in items:
        _check_request(request)
    if not items:
        return {} if isinstance(requests, dict) else []

    stop = threading.Event()
    cap = RateCap(max_per_second, sleep=stop.wait)

    def run(request: Any) -> Any:
        threading.current_thread().ibind_stop = stop  # type: ignore[attr-defined]  # read by parallel_stop_event()
        cap.wait()
        if stop.is_set():
            return _Failure(_Cancelled())
        try:
            return _call(func, request)
        except Exception as error:  # returned to the caller in this request's place
            return _Failure(error)

    from concurrent.futures import ThreadPoolExecutor, as_completed  # imported when first needed: costly at import

    workers = max_workers or min(32, len(items))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix='ibind-parallel')
    try:
        futures = [(key, pool.submit(run, request)) for key, request in items]
        if on_result is not None:
            key_of = {future: key for key, future in futures}
            for future in as_completed(key_of):
                outcome = future.result()
                on_result(key_of[future], outcome.error if isinstance(outcome, _Failure) else outcome)
        outcomes = [(key, future.result()) for key, future in futures]
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)

    if raise_exceptions:
        for _, outcome in outcomes:
            if isinstance(outcome, _Failure):
                raise outcome.error
    results = [(key, outcome.error if isinstance(outcome, _Failure) else outcome) for key, outcome in outcomes]
    if isinstance(requests, dict):
        return dict(results)
    return [value for _, value in results]


def parallel_stop_event() -> Optional[threading.Event]:
    """The stop event of the ``execute_in_parallel`` work this thread runs (set on Ctrl-C), or None elsewhere."""
    return getattr(threading.current_thread(), 'ibind_stop', None)


def parallel_cancelled() -> bool:
    """True on an ``execute_in_parallel`` worker whose work was stopped (Ctrl-C): do not start another request.

    Cheap, and only asked on failure paths (before a retry), so the request path pays nothing for it.
    """
    stop = parallel_stop_event()
    return stop is not None and stop.is_set()


class _Cancelled(Exception):
    """The work stopped before this call started (it is never seen by callers: the stop propagates first)."""


class _Failure:
    """Marks an exception raised inside a parallel call, so a returned exception object is not mistaken for one."""

    __slots__ = ('error',)

    def __init__(self, error: BaseException):
        self.error = error


# [fullapi] helpers the established ibind's published examples import (``from ibind.support.py_utils import ...``)


def print_table(rows: Any, columns: Optional[Iterable[str]] = None, file: Any = None, max_width: int = 40) -> None:
    """Print a list of dicts (or one dict) as a plain-text table: a header of the keys, one line per row.

    ``columns`` picks and orders the keys (default: every key, in order of first appearance). Values are
    shown with ``str`` and cut to ``max_width`` characters; a missing key is an empty cell. ``file``: where
    to print (default stdout). For a quick look in scripts and notebooks; use pandas for real work.
    """
    import sys

    if isinstance(rows, Mapping):
        rows = [rows]
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Iterable):
        raise TypeError(f"'rows' must be a list of dicts or one dict, got {type(rows).__name__}")
    rows = list(rows)
    if not all(isinstance(row, Mapping) for row in rows):
        raise TypeError("'rows' must be a list of dicts (each row a dict of column -> value)")
    if isinstance(max_width, bool) or not isinstance(max_width, int) or max_width < 4:
        raise ValueError(f"'max_width' must be an int >= 4, got {max_width!r}")
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    else:
        columns = list(columns)

    def cell(value: Any) -> str:
        text = '' if value is None else str(value).replace('\n', ' ')
        return text if len(text) <= max_width else text[: max_width - 3] + '...'

    table = [[cell(column) for column in columns]] + [[cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    out = sys.stdout if file is None else file
    for index, line in enumerate(table):
        print('  '.join(text.ljust(width) for text, width in zip(line, widths)).rstrip(), file=out)
        if index == 0:
            print('  '.join('-' * width for width in widths), file=out)
