"""Which failed requests may be sent again, and after how long: a policy as data, not as loops.

The rule that matters: a request is repeated only when repeating it cannot act twice. A request that
never reached the server (connection refused) may always be repeated. One that may have reached it
(timed out, connection dropped, a 502/503/504 from a proxy) is repeated only when it is idempotent:
a GET, or a request its caller marked ``retry_safe`` because IBKR's semantics make it harmless
(``/tickle``, ``/iserver/auth/status``). An order POST is never one of those.
"""

from __future__ import annotations

import enum
import random
from typing import Any, Dict, FrozenSet, Optional


class FailureKind(enum.Enum):
    """How a request failed, as far as "did the server see it?" is concerned."""

    NOT_SENT = 'not sent'  # connect timeout: the server never saw it (retried: it may be busy)
    UNREACHABLE = 'unreachable'  # connection refused / DNS failure: never saw it, and repeating will not help
    TLS = 'TLS failure'  # certificate / handshake failure: never saw it, a setup error: never repeated
    TIMED_OUT = 'timed out'  # sent, no answer within the read timeout: it may have acted
    DEADLINE = 'deadline passed'  # sent, the answer did not complete within total_timeout: it may have acted
    CONNECTION_LOST = 'connection lost'  # sent, connection dropped before a full answer: it may have acted
    STATUS = 'status'  # a complete HTTP response with a retryable status
    RATE_LIMITED = 'rate limited'  # HTTP 429


_POLICY_FIELDS = (
    'max_retries',
    'backoff',
    'backoff_max',
    'jitter',
    'retry_statuses',
    'idempotent_methods',
    'max_retry_after',
    'retry_unreachable',
)


class RetryPolicy:
    """Retry rules and back-off for one client.

    ``backoff`` is the first delay; each retry doubles it up to ``backoff_max``; ``jitter`` is the
    fraction of each delay drawn at random so that many clients do not retry in lockstep.
    A 429's ``Retry-After`` is honoured when it is at most ``max_retry_after`` seconds; a longer
    wait is not done silently, the caller gets a RateLimitError instead. ``retry_unreachable`` retries a
    refused connection / unknown host too (off by default: a gateway that is down fails at once with
    GatewayUnreachableError; turn it on with a patient back-off to ride through planned gateway restarts).

    Immutable and compared by value; ``replace(**changes)`` gives a changed copy. (A plain class, not a
    dataclass: ``dataclasses`` imports ``inspect``, a tenth of ibind's import time.)
    """

    __slots__ = _POLICY_FIELDS

    max_retries: int
    backoff: float
    backoff_max: float
    jitter: float
    retry_statuses: FrozenSet[int]
    idempotent_methods: FrozenSet[str]
    max_retry_after: float
    retry_unreachable: bool

    def __init__(
        self,
        max_retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 10.0,
        jitter: float = 0.5,
        retry_statuses: Optional[FrozenSet[int]] = None,
        idempotent_methods: Optional[FrozenSet[str]] = None,
        max_retry_after: float = 60.0,
        retry_unreachable: bool = False,
    ):
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"'max_retries' must be an int >= 0, got {max_retries!r}")
        for name, value in (('backoff', backoff), ('backoff_max', backoff_max), ('max_retry_after', max_retry_after)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f'{name!r} must be a number of seconds >= 0, got {value!r}')
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
            raise ValueError(f"'jitter' must be between 0 and 1, got {jitter!r}")
        values = (
            max_retries,
            backoff,
            backoff_max,
            jitter,
            frozenset({502, 503, 504}) if retry_statuses is None else frozenset(retry_statuses),
            frozenset({'GET', 'HEAD', 'OPTIONS'}) if idempotent_methods is None else frozenset(idempotent_methods),
            max_retry_after,
            bool(retry_unreachable),
        )
        for name, setting in zip(_POLICY_FIELDS, values):
            object.__setattr__(self, name, setting)

    def replace(self, **changes: object) -> RetryPolicy:
        """A copy with some settings changed: ``policy.replace(max_retries=0)``."""
        unknown = set(changes) - set(_POLICY_FIELDS)
        if unknown:
            raise TypeError(f'RetryPolicy has no setting {sorted(unknown)}; the settings are {list(_POLICY_FIELDS)}')
        settings: Dict[str, Any] = {**self._as_dict(), **changes}
        return RetryPolicy(**settings)

    def _as_dict(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in _POLICY_FIELDS}

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f'RetryPolicy is immutable; use policy.replace({name}=...) for a changed copy')

    def __delattr__(self, name: str) -> None:
        raise AttributeError('RetryPolicy is immutable')

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RetryPolicy):
            return NotImplemented
        return self._as_dict() == other._as_dict()

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in _POLICY_FIELDS))

    def __repr__(self) -> str:
        return 'RetryPolicy(' + ', '.join(f'{name}={getattr(self, name)!r}' for name in _POLICY_FIELDS) + ')'

    def __reduce__(self) -> tuple:
        return (_rebuild_policy, (self._as_dict(),))

    def is_idempotent(self, method: str, retry_safe: Optional[bool] = None) -> bool:
        if retry_safe is not None:
            return retry_safe
        return method.upper() in self.idempotent_methods

    def may_retry(
        self, kind: FailureKind, method: str, retry_safe: Optional[bool] = None, status: Optional[int] = None
    ) -> bool:
        """Whether a request that failed this way may be sent again (ignoring the attempt count)."""
        if kind is FailureKind.NOT_SENT:
            return True
        if kind is FailureKind.UNREACHABLE:
            return self.retry_unreachable  # nothing was sent; by default a gateway that is down fails at once
        if kind is FailureKind.TLS:
            return False  # a setup problem: repeating cannot fix it
        if kind is FailureKind.DEADLINE:
            return False  # total_timeout bounds the whole call: a server that drips would only drip again
        if not self.is_idempotent(method, retry_safe):
            return False
        if kind is FailureKind.STATUS:
            return status in self.retry_statuses
        return True

    def delay(self, attempt: int, rng: Optional[random.Random] = None) -> float:
        """The back-off before retry number ``attempt`` (0-based): exponential, capped, with jitter."""
        base = min(self.backoff_max, self.backoff * (2**attempt))
        if not self.jitter or not base:
            return base
        draw = (rng or random).random()
        return base * (1 - self.jitter) + base * self.jitter * draw


def _rebuild_policy(settings: dict) -> RetryPolicy:
    return RetryPolicy(**settings)
