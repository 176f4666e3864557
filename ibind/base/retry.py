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
from dataclasses import dataclass, field
from typing import FrozenSet, Optional


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


@dataclass(frozen=True)
class RetryPolicy:
    """Retry rules and back-off for one client.

    ``backoff`` is the first delay; each retry doubles it up to ``backoff_max``; ``jitter`` is the
    fraction of each delay drawn at random so that many clients do not retry in lockstep.
    A 429's ``Retry-After`` is honoured when it is at most ``max_retry_after`` seconds; a longer
    wait is not done silently, the caller gets a RateLimitError instead.
    """

    max_retries: int = 3
    backoff: float = 0.5
    backoff_max: float = 10.0
    jitter: float = 0.5
    retry_statuses: FrozenSet[int] = field(default_factory=lambda: frozenset({502, 503, 504}))
    idempotent_methods: FrozenSet[str] = field(default_factory=lambda: frozenset({'GET', 'HEAD', 'OPTIONS'}))
    max_retry_after: float = 60.0
    retry_unreachable: bool = False
    """Retry a refused connection / unknown host too (off by default: a gateway that is down fails at once with
    GatewayUnreachableError; turn it on with a patient back-off to ride through planned gateway restarts)."""

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"'max_retries' must be an int >= 0, got {self.max_retries!r}")
        for name in ('backoff', 'backoff_max', 'max_retry_after'):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f'{name!r} must be a number of seconds >= 0, got {value!r}')
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"'jitter' must be between 0 and 1, got {self.jitter!r}")

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
