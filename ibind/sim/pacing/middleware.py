"""The simulator enforces IBKR's pacing limits, so a client that would earn 429s in production earns them here.

Same table as the client (``ibind.base.pacing.IBKR_LIMITS``), measured on the simulated clock: a global
rate (10/s gateway, 50/s OAuth), per-endpoint rates, and at most 5 concurrent history requests. A
violation answers ``429 Too Many Requests``; with ``penalty_box`` > 0 every request then answers 429 for
that many seconds (IBKR: 10-15 minutes). Per-route latency (``latency``) makes bulk work take realistic
time. Everything here is off unless configured (``pacing=True``, ``latency={...}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.base.pacing import IBKR_LIMITS, Limit, TokenBucket
from ibind.sim.middleware import Middleware
from ibind.sim.transport.http import SimResponse

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest
    from ibind.sim.transport.router import Route

# A request may arrive this early and still conform: the client measures time on its own clock, and
# loopback transit jitter must not turn an evenly paced client into a violator.
TOLERANCE_SECONDS = 0.05


class PacingMiddleware(Middleware):
    def __init__(self) -> None:
        self._clear()

    def reset(self, gateway: Gateway) -> None:
        self._clear()

    def _clear(self) -> None:
        """No request seen yet: no rejections, no penalty, full buckets."""
        self.rejected = 0
        self.rejected_by_route: Dict[str, int] = {}
        self.penalty_until = 0.0
        self.in_flight: Dict[Limit, int] = {}
        self.max_in_flight: Dict[Limit, int] = {}
        self._global: Optional[TokenBucket] = None
        self._buckets: Dict[Limit, TokenBucket] = {}
        self._global_rate: Optional[float] = None

    # -- the limits that apply
    def _limits(self, method: str, path: str) -> List[Limit]:
        return [limit for limit in IBKR_LIMITS if limit.matches(method, path)]

    def _bucket(self, limit: Limit, rate: float, now: float) -> TokenBucket:
        """The bucket of a limit with a rate (``rate`` is ``limit.rate``)."""
        bucket = self._buckets.get(limit)
        if bucket is None:
            bucket = TokenBucket(rate, limit.per, burst=max(1.0, rate), now=now)
            self._buckets[limit] = bucket
        return bucket

    def _global_bucket(self, rate: float, now: float) -> TokenBucket:
        if self._global is None or self._global_rate != rate:
            self._global = TokenBucket(rate, 1.0, burst=rate, now=now)
            self._global_rate = rate
        return self._global

    # -- middleware
    def before(self, gateway: Gateway, request: SimRequest, route: Route) -> Optional[SimResponse]:
        config = gateway.config
        if not config.pacing:
            return None
        now = gateway.clock.now()
        if now < self.penalty_until:
            return self._reject(request, route, 'in the penalty box', retry_after=self.penalty_until - now)
        limits = self._limits(request.method, request.path)
        buckets = [self._global_bucket(config.global_rate, now)]
        buckets += [self._bucket(limit, limit.rate, now) for limit in limits if limit.rate is not None]
        if any(bucket.wait_time(now) > TOLERANCE_SECONDS for bucket in buckets):
            return self._violation(gateway, request, route, now)
        full = [limit for limit in limits if limit.concurrency and self.in_flight.get(limit, 0) >= limit.concurrency]
        if full:
            return self._violation(gateway, request, route, now)
        for bucket in buckets:
            bucket.take(now)
        held = [limit for limit in limits if limit.concurrency]
        for limit in held:
            self.in_flight[limit] = self.in_flight.get(limit, 0) + 1
            self.max_in_flight[limit] = max(self.max_in_flight.get(limit, 0), self.in_flight[limit])
        request.pacing_held = tuple(held)
        return None

    def after(self, gateway: Gateway, request: SimRequest, route: Route, response: SimResponse) -> SimResponse:
        delay = _latency_for(gateway.config.latency, route)
        if delay:
            response.delay = max(response.delay, delay)
        held = request.pacing_held
        if held:

            def release() -> None:
                with gateway.lock:
                    for limit in held:
                        self.in_flight[limit] -= 1

            response.on_complete.append(release)
        return response

    def _violation(self, gateway: Gateway, request: SimRequest, route: Route, now: float) -> SimResponse:
        if gateway.config.penalty_box > 0:
            self.penalty_until = now + gateway.config.penalty_box
            return self._reject(
                request, route, 'rate limit exceeded; in the penalty box', retry_after=gateway.config.penalty_box
            )
        return self._reject(request, route, 'rate limit exceeded')

    def _reject(self, request: SimRequest, route: Route, why: str, retry_after: Optional[float] = None) -> SimResponse:
        self.rejected += 1
        self.rejected_by_route[route.name] = self.rejected_by_route.get(route.name, 0) + 1
        headers = {'Retry-After': str(max(1, int(retry_after + 0.999)))} if retry_after else {}
        return SimResponse(status=429, body={'error': f'Too Many Requests: {why}', 'statusCode': 429}, headers=headers)

    def describe(self) -> Dict[str, Any]:
        return {
            'pacing': {
                'rejected': self.rejected,
                'rejected_by_route': dict(self.rejected_by_route),
                'penalty_until': self.penalty_until or None,
                'max_in_flight': {limit.name: count for limit, count in self.max_in_flight.items()},
            }
        }


def _latency_for(latency: Dict[str, float], route: Route) -> float:
    if not latency:
        return 0.0
    return float(latency.get(route.name) or latency.get(route.template) or latency.get('*') or 0.0)
