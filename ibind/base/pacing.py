"""Request pacing: every thread of a client waits for its turn instead of earning a 429.

IBKR limits requests globally (10/s through the gateway, 50/s with OAuth) and per endpoint (seed 003's
table: snapshots 10/s, live orders 1 per 5 s, scanner params 1 per 15 min, at most 5 concurrent history
requests, ...). A 429 can put the IP in a penalty box for 10-15 minutes, so the cheapest request is the
one that waits a little. ``Pacer.slot`` blocks (sleeping on a condition, never spinning) until every
limit that applies to the request has room; a wait longer than ``max_wait`` raises RateLimitError at
once rather than blocking the caller for a quarter of an hour. ``penalize`` turns an unexpected 429
(another process sharing the account) into a pause for every thread.

The limits are data (``IBKR_LIMITS``); the simulator enforces the very same table.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
import time
from typing import Callable, ContextManager, Dict, List, Optional, Sequence, Tuple

from ibind.support.errors import RateLimitError, RequestCancelledError
from ibind.support.logs import project_logger
from ibind.support.py_utils import parallel_stop_event

_LOGGER = project_logger('ibind.pacing')

# How often a waiting execute_in_parallel worker looks whether its work was stopped (Ctrl-C).
_STOP_POLL_SECONDS = 0.05


class Limit:
    """One documented limit: ``rate`` requests per ``per`` seconds and/or at most ``concurrency`` at once.

    ``methods`` are the HTTP methods it applies to; ``template`` is a path below /v1/api whose
    ``{placeholders}`` match one path segment (so ``/fyi/settings/{typecode}`` matches ``/fyi/settings/M8``).

    Immutable, compared and hashed by value (limits key the pacer's windows). A plain class rather than a
    ``NamedTuple``: building a NamedTuple class costs about 0.15 ms of every ``import ibind`` client.
    """

    _FIELDS = ('methods', 'template', 'rate', 'per', 'concurrency')
    __slots__ = (*_FIELDS, '_hash')

    methods: Tuple[str, ...]
    template: str
    rate: Optional[float]
    per: float
    concurrency: Optional[int]
    _hash: int

    def __init__(
        self,
        methods: Tuple[str, ...],
        template: str,
        rate: Optional[float] = None,
        per: float = 1.0,
        concurrency: Optional[int] = None,
    ) -> None:
        for name, value in zip(self._FIELDS, (tuple(methods), template, rate, per, concurrency)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, '_hash', hash(self._key()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f'Limit is immutable; make a new Limit rather than setting {name!r}')

    def _key(self) -> tuple:
        return (self.methods, self.template, self.rate, self.per, self.concurrency)

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, Limit) else NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        fields = ', '.join(f'{name}={value!r}' for name, value in zip(self._FIELDS, self._key()))
        return f'Limit({fields})'

    @property
    def pattern(self) -> re.Pattern[str]:
        return _template_pattern(self.template)

    @property
    def name(self) -> str:
        return f'{"/".join(self.methods)} {self.template}'

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.match(path) is not None

    def describe(self) -> str:
        parts = []
        if self.rate is not None:
            parts.append(f'{self.rate:g} per {self.per:g}s')
        if self.concurrency is not None:
            parts.append(f'{self.concurrency} concurrent')
        return f'{self.name} ({", ".join(parts)})'


@functools.cache
def _template_pattern(template: str) -> re.Pattern[str]:
    """``/fyi/settings/{typecode}`` -> a regex matching one path segment per placeholder (compiled on first use)."""
    regex = re.sub(r'\\\{\w+\\\}', '[^/]+', re.escape(template))
    return re.compile('^' + regex + '/?$')


def _limit(
    method: str, template: str, rate: Optional[float] = None, per: float = 1.0, concurrency: Optional[int] = None
) -> Limit:
    return Limit(tuple(method.split('|')), template, rate, per, concurrency)


# Seed 003 "Pacing Limitations" and seed 002's table. /tickle is documented as GET but used as POST too;
# /iserver/orders and /iserver/trades are 003's spellings of /iserver/account/orders and /trades.
IBKR_LIMITS: Tuple[Limit, ...] = (
    _limit('GET', '/iserver/marketdata/snapshot', 10, 1),
    _limit('GET', '/iserver/marketdata/history', concurrency=5),
    _limit('GET', '/iserver/scanner/params', 1, 15 * 60),
    _limit('POST', '/iserver/scanner/run', 1, 1),
    _limit('GET', '/iserver/account/trades', 1, 5),
    _limit('GET', '/iserver/trades', 1, 5),
    _limit('GET', '/iserver/account/orders', 1, 5),
    _limit('GET', '/iserver/orders', 1, 5),
    _limit('GET', '/iserver/account/pnl/partitioned', 1, 5),
    _limit('GET', '/portfolio/accounts', 1, 5),
    _limit('GET', '/portfolio/subaccounts', 1, 5),
    _limit('POST', '/pa/performance', 1, 15 * 60),
    _limit('POST', '/pa/summary', 1, 15 * 60),
    _limit('POST', '/pa/transactions', 1, 15 * 60),
    _limit('GET', '/fyi/unreadnumber', 1, 1),
    _limit('GET', '/fyi/settings', 1, 1),
    _limit('POST', '/fyi/settings/{typecode}', 1, 1),
    _limit('GET|PUT', '/fyi/disclaimer/{typecode}', 1, 1),
    _limit('GET', '/fyi/deliveryoptions', 1, 1),
    _limit('PUT', '/fyi/deliveryoptions/email', 1, 1),
    _limit('POST', '/fyi/deliveryoptions/device', 1, 1),
    _limit('DELETE', '/fyi/deliveryoptions/{deviceId}', 1, 1),
    _limit('GET', '/fyi/notifications', 1, 1),
    _limit('GET', '/fyi/notifications/more', 1, 1),
    _limit('PUT', '/fyi/notifications/{notificationId}', 1, 1),
    _limit('GET|POST', '/tickle', 1, 1),
    _limit('GET', '/sso/validate', 1, 60),
)

GATEWAY_RATE = 10.0
OAUTH_RATE = 50.0


class TokenBucket:
    """``rate`` tokens per ``per`` seconds, holding at most ``burst`` (at least one) tokens.

    Pure arithmetic over the times it is given, so its behaviour is testable without a real clock.
    """

    def __init__(self, rate: float, per: float = 1.0, burst: Optional[float] = None, now: float = 0.0):
        if rate <= 0 or per <= 0:
            raise ValueError(f'a token bucket needs a positive rate and period, got {rate!r} per {per!r}s')
        self.refill_per_second = rate / per
        self.capacity = max(1.0, float(burst if burst is not None else 1.0))
        self.tokens = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_second)
            self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until a token is available (0 if one is now)."""
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:  # float slack: a wait of exactly 1/rate must be enough
            return 0.0
        return (1.0 - self.tokens) / self.refill_per_second

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class _Window:
    """The state of one limit: its bucket and its in-flight count."""

    def __init__(self, limit: Limit, now: float, burst: Optional[float]):
        self.limit = limit
        self.bucket = TokenBucket(limit.rate, limit.per, burst, now) if limit.rate is not None else None
        self.in_flight = 0


class Pacer:
    """Paces the requests of one client (all its threads, the Tickler included).

    Arguments:
        global_rate: requests per second for all endpoints together (10 gateway, 50 OAuth).
        limits: the per-endpoint limits (IBKR's table by default).
        max_wait: the longest a request may wait for its slot; beyond it RateLimitError is raised at once,
            naming the endpoint and the wait.
        global_burst: how many requests may go back to back before the global rate applies (default 1:
            evenly spaced, which reaches the full rate and never trips a stricter server-side window).
        margin: the clock jitter between us and the server to absorb, spread over a limit's window (IBKR
            words its limits as counts per window, "10 requests per second"; see ``_rate_wait``), so jitter
            never makes a request arrive early.
        clock / wait: injectable time source and condition wait (tests use a fake clock).
    """

    enabled = True

    def __init__(
        self,
        global_rate: Optional[float] = GATEWAY_RATE,
        limits: Sequence[Limit] = IBKR_LIMITS,
        max_wait: float = 30.0,
        global_burst: Optional[float] = None,
        margin: float = 0.005,
        default_penalty: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wait: Optional[Callable[[float], object]] = None,
    ):
        if global_rate is not None and global_rate <= 0:
            raise ValueError(f"'global_rate' must be a positive number of requests per second, got {global_rate!r}")
        if max_wait < 0:
            raise ValueError(f"'max_wait' must be >= 0 seconds, got {max_wait!r}")
        self._clock = clock
        self._condition = threading.Condition()
        self._wait = wait or self._condition.wait
        now = clock()
        self.max_wait = max_wait
        self.margin = margin
        self.default_penalty = default_penalty
        self.limits = tuple(limits)
        self._global = TokenBucket(global_rate, 1.0, global_burst, now) if global_rate else None
        self._windows: Dict[Limit, _Window] = {limit: _Window(limit, now, None) for limit in self.limits}
        self._paused_until = 0.0
        self._match_cache: Dict[Tuple[str, str], Tuple[Tuple[_Window, ...], bool]] = {}
        self.waits = 0
        self.waited_seconds = 0.0
        self.penalties = 0

    # ----------------------------------------------------------------- matching

    def limits_for(self, method: str, path: str) -> List[Limit]:
        return [window.limit for window in self._windows_for(method, path)[0]]

    def _windows_for(self, method: str, path: str) -> Tuple[Tuple[_Window, ...], bool]:
        """The windows of the limits that apply, and whether one of them counts concurrency; cached per
        (method, path) as the caller spells them, so a request pays one dict lookup."""
        key = (method, path)
        cached = self._match_cache.get(key)
        if cached is None:
            method, path = method.upper(), _normalize(path)
            windows = tuple(w for limit, w in self._windows.items() if limit.matches(method, path))
            cached = (windows, any(w.limit.concurrency for w in windows))
            if len(self._match_cache) < 4096:  # ids in paths make keys unbounded; cap the cache
                self._match_cache[key] = cached
        return cached

    # ----------------------------------------------------------------- the slot

    def slot(self, method: str, path: str) -> ContextManager[None]:
        """Wait for a slot for one HTTP exchange (every applicable limit); used as ``with pacer.slot(...):``,
        whose end gives back a concurrency slot. Waits when called, so the ``with`` line is where it blocks."""
        windows, counts_concurrency = self._windows_for(method, path)
        self._acquire(method.upper(), path, windows)
        return _ConcurrencyRelease(self, windows) if counts_concurrency else _NOTHING_TO_RELEASE

    def _release(self, windows: Tuple[_Window, ...]) -> None:
        with self._condition:
            for window in windows:
                if window.limit.concurrency:
                    window.in_flight -= 1
            self._condition.notify_all()

    def _acquire(self, method: str, path: str, windows: Tuple[_Window, ...]) -> None:
        waited_for = ''  # what it waited for; empty while it has not waited
        with self._condition:
            started = now = self._clock()
            while True:
                elapsed = now - started
                wait, reason, margin = self._rate_wait(now, windows)
                full = next((w for w in windows if w.limit.concurrency and w.in_flight >= w.limit.concurrency), None)
                if wait <= 0 and full is None:
                    self._take(now, windows)
                    if waited_for:
                        self.waits += 1
                        self.waited_seconds += elapsed
                        if elapsed >= 0.5:  # said here, so a slow call is not blamed on the server
                            _LOGGER.info(
                                'pacing: %s %s waited %.2fs for its slot (%s) before it was sent',
                                method,
                                path,
                                elapsed,
                                waited_for,
                            )
                    return
                waited_for = reason if wait > 0 else 'a concurrency limit'
                if wait > 0:
                    if elapsed + wait > self.max_wait:
                        raise RateLimitError(
                            f'pacing: {method} {path} would wait {elapsed + wait:.1f}s for {reason}, more than '
                            f'max_wait={self.max_wait:g}s; not sent',
                            retry_after=round(wait, 3),
                        )
                    self._sleep(wait + margin, method, path)
                elif full is not None:  # the rate allows it (wait <= 0), a concurrency limit does not yet
                    remaining = self.max_wait - elapsed
                    if remaining <= 0:
                        raise RateLimitError(
                            f'pacing: {method} {path} waited {elapsed:.1f}s for a free slot of '
                            f'{full.limit.describe()}; not sent'
                        )
                    self._sleep(remaining, method, path)
                now = self._clock()

    def _sleep(self, seconds: float, method: str, path: str) -> None:
        """Wait on the condition. A worker of ``execute_in_parallel`` whose work was stopped (Ctrl-C) gives up
        rather than send once its turn comes: the caller has already been told the work ended."""
        stop = parallel_stop_event()
        if stop is None:
            self._wait(seconds)
            return
        self._wait(min(seconds, _STOP_POLL_SECONDS))
        if stop.is_set():
            raise RequestCancelledError(f'pacing: {method} {path} not sent: the parallel work it was part of stopped')

    def _rate_wait(self, now: float, windows: Tuple[_Window, ...]) -> Tuple[float, str, float]:
        """Seconds until every rate limit that applies has a token, the limit that needs the longest, and the
        safety margin to add for that limit.

        The margin guards the limit's window as a whole: a limit of R requests per window is safe from a jitter
        of ``margin`` seconds when each request adds ``margin / R`` (a request can only crowd the one R places
        before it). So 10/s pays 0.5 ms per request, not 5 ms: pacing costs about 0.5% of the rate, not 5%."""
        wait, reason, margin = max(0.0, self._paused_until - now), 'a 429 back-off', self.margin
        if self._global is not None:
            global_wait = self._global.wait_time(now)
            if global_wait > wait:
                wait, reason = global_wait, 'the global rate'
                margin = self.margin / max(1.0, self._global.refill_per_second)
        for window in windows:
            if window.bucket is not None:
                window_wait = window.bucket.wait_time(now)
                if window_wait > wait:
                    wait, reason = window_wait, window.limit.describe()
                    margin = self.margin / max(1.0, window.limit.rate or 1.0)
        return wait, reason, margin

    def _take(self, now: float, windows: Tuple[_Window, ...]) -> None:
        if self._global is not None:
            self._global.take(now)
        for window in windows:
            if window.bucket is not None:
                window.bucket.take(now)
            if window.limit.concurrency:
                window.in_flight += 1

    def refund(self, method: str, path: str) -> None:
        """Give back the rate tokens of a request that never reached the server (connection refused, TLS failure):
        a gateway that is down must not make the next attempts wait for slots no request used."""
        windows, _ = self._windows_for(method, path)
        with self._condition:
            for bucket in [self._global] + [window.bucket for window in windows]:
                if bucket is not None:
                    bucket.tokens = min(bucket.capacity, bucket.tokens + 1.0)
            self._condition.notify_all()

    # ----------------------------------------------------------------- 429s

    def penalize(self, retry_after: Optional[float], method: str = '', path: str = '') -> None:
        """A 429 arrived anyway: every thread of this client pauses for ``retry_after`` (or a default)."""
        pause = retry_after if retry_after is not None else self.default_penalty
        with self._condition:
            self.penalties += 1
            self._paused_until = max(self._paused_until, self._clock() + pause)
            self._condition.notify_all()
        _LOGGER.warning('429 Too Many Requests for %s %s: pausing requests for %.1fs', method, path, pause)

    def describe(self) -> Dict[str, object]:
        return {
            'waits': self.waits,
            'waited_seconds': round(self.waited_seconds, 3),
            'penalties': self.penalties,
            'global_rate': self._global.refill_per_second if self._global else None,
        }


def _normalize(path: str) -> str:
    """'iserver/accounts?x' or '/v1/api/iserver/accounts' -> '/iserver/accounts'."""
    path = path.split('?', 1)[0]
    if '://' in path:
        path = '/' + path.split('://', 1)[1].split('/', 1)[-1]
    if not path.startswith('/'):
        path = '/' + path
    if path.startswith('/v1/api/'):
        path = path[len('/v1/api') :]
    return path


class _ConcurrencyRelease:
    """The end of a ``with pacer.slot(...)`` block that holds concurrency slots: gives them back."""

    __slots__ = ('_pacer', '_windows')

    def __init__(self, pacer: Pacer, windows: Tuple[_Window, ...]):
        self._pacer = pacer
        self._windows = windows

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        self._pacer._release(self._windows)


_NOTHING_TO_RELEASE: ContextManager[None] = contextlib.nullcontext()


class NoPacing:
    """Grants every request immediately: for tests and for users who pace on their own."""

    enabled = False

    def slot(self, method: str, path: str) -> ContextManager[None]:
        return _NOTHING_TO_RELEASE

    def penalize(self, retry_after: Optional[float], method: str = '', path: str = '') -> None:
        """Told about a 429; nothing to slow down here."""

    def refund(self, method: str, path: str) -> None:
        """Told a request never reached the server; nothing to give back here."""

    def describe(self) -> Dict[str, object]:
        return {}
