"""Fault injection: make the simulated gateway fail the ways real networks and gateways do.

A fault rule matches requests by route and method and applies to the next ``times`` of them, or to a
fraction ``probability`` of them (drawn from a generator seeded by the simulator's seed). Kinds:

- ``latency``:      answer ``seconds`` later (the request is carried out normally)
- ``status``:       answer ``status`` with ``body`` (JSON or text, e.g. an HTML error page) WITHOUT acting
- ``drop_before``:  close the connection before the request is carried out
- ``drop_after``:   carry the request out, then close the connection without answering
- ``stall_after``:  carry the request out, then answer only after ``seconds`` (past the client's timeout)
- ``truncate``:     carry the request out, then send only the first half of the JSON body

Rules are added with ``POST /sim/faults``, listed with ``GET /sim/faults``, removed with
``DELETE /sim/faults`` (all) or ``DELETE /sim/faults/{id}``. ``POST /sim/restart {"down_for": T}``
closes the listening socket and every connection for T seconds, like a gateway restart.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
import random
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.sim.middleware import Middleware
from ibind.sim.transport.http import ApiError, SimResponse

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest
    from ibind.sim.transport.router import Route

KINDS = ('latency', 'status', 'drop_before', 'drop_after', 'stall_after', 'truncate')
_BEFORE = ('status', 'drop_before')
MAX_FAULT_SECONDS = 3600.0  # a longer latency or stall is a mistake (and would overflow a sleep)


def _is_number(value: Any, kind: type = float) -> bool:
    """A finite JSON number (an integer when ``kind`` is int); booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind is int:
        return isinstance(value, int)
    return math.isfinite(value)


@dataclass
class FaultRule:
    route: str  # glob over the path or the route template, e.g. '/iserver/account/*/orders'
    kind: str
    method: str = '*'
    times: Optional[int] = None  # the next N matching requests (None: no count limit)
    probability: Optional[float] = None  # or a fraction of them
    seconds: float = 0.0  # latency / stall
    status: int = 500
    body: Any = None
    content_type: Optional[str] = None
    id: int = 0
    applied: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ApiError(400, f'unknown fault kind {self.kind!r}: expected one of {", ".join(KINDS)}')
        if not isinstance(self.route, str) or not self.route.startswith('/'):
            raise ApiError(400, '"route" must be a path pattern starting with "/", e.g. "/iserver/account/*/orders"')
        if not isinstance(self.method, str) or (
            self.content_type is not None and not isinstance(self.content_type, str)
        ):
            raise ApiError(400, '"method" and "content_type" must be strings')
        if self.times is None and self.probability is None:
            self.times = 1
        if self.times is not None and (not _is_number(self.times, int) or not 1 <= self.times <= 10**9):
            raise ApiError(400, '"times" must be a positive integer')
        if self.probability is not None and not (_is_number(self.probability) and 0 < self.probability <= 1):
            raise ApiError(400, '"probability" must be in (0, 1]')
        if not (_is_number(self.seconds) and 0 <= self.seconds <= MAX_FAULT_SECONDS):
            raise ApiError(400, f'"seconds" must be a number from 0 to {MAX_FAULT_SECONDS}')
        if not (_is_number(self.status, int) and 100 <= self.status <= 599):
            raise ApiError(400, '"status" must be an HTTP status from 100 to 599')
        if self.kind in ('latency', 'stall_after') and self.seconds <= 0:
            raise ApiError(400, f'a {self.kind} fault needs "seconds" > 0')
        self.method = self.method.upper()

    def matches(self, method: str, path: str, template: str) -> bool:
        if self.method not in ('*', method):
            return False
        return fnmatch.fnmatchcase(path, self.route) or fnmatch.fnmatchcase(template, self.route)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.applied >= self.times

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data['remaining'] = None if self.times is None else max(0, self.times - self.applied)
        return data


class FaultMiddleware(Middleware):
    """Applies the fault rules; kept first among the middlewares, so a fault precedes everything else."""

    def __init__(self) -> None:
        self.rules: List[FaultRule] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(0)
        self.log: List[Dict[str, Any]] = []

    def reset(self, gateway: Gateway) -> None:
        self.rules = []
        self._rng = random.Random(gateway.config.seed * 7919 + 17)
        self.log = []

    def add(self, data: Dict[str, Any]) -> FaultRule:
        allowed = {'route', 'kind', 'method', 'times', 'probability', 'seconds', 'status', 'body', 'content_type'}
        unknown = set(data) - allowed
        if unknown:
            raise ApiError(400, f'unknown fault field(s) {sorted(unknown)}; known: {sorted(allowed)}')
        try:
            rule = FaultRule(**data)
        except TypeError as error:
            raise ApiError(400, f'bad fault rule: {error}') from None
        rule.id = next(self._ids)
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: Optional[int] = None) -> int:
        before = len(self.rules)
        self.rules = [] if rule_id is None else [r for r in self.rules if r.id != rule_id]
        return before - len(self.rules)

    def _pick(self, request: SimRequest, route: Route, phase: str) -> Optional[FaultRule]:
        for rule in self.rules:
            if rule.exhausted or (rule.kind in _BEFORE) != (phase == 'before'):
                continue
            if not rule.matches(request.method, request.path, route.template):
                continue
            rule.seen += 1
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.applied += 1
            self.log.append({'rule': rule.id, 'kind': rule.kind, 'method': request.method, 'path': request.path})
            return rule
        return None

    def before(self, gateway: Gateway, request: SimRequest, route: Route) -> Optional[SimResponse]:
        if not self.rules:
            return None
        rule = self._pick(request, route, 'before')
        if rule is None:
            return None
        request.fault_applied = rule.kind
        if rule.kind == 'drop_before':
            return SimResponse(status=0, transport='drop')
        return SimResponse(status=rule.status, body=rule.body, content_type=rule.content_type)

    def after(self, gateway: Gateway, request: SimRequest, route: Route, response: SimResponse) -> SimResponse:
        if not self.rules or request.fault_applied:
            return response
        rule = self._pick(request, route, 'after')
        if rule is None:
            return response
        if rule.kind == 'latency':
            response.delay += rule.seconds
        elif rule.kind == 'drop_after':
            response.transport = 'drop'
        elif rule.kind == 'stall_after':
            response.delay += rule.seconds
        elif rule.kind == 'truncate':
            response.transport = 'truncate'
        return response

    def describe(self) -> Dict[str, Any]:
        return {'faults': {'rules': [rule.to_dict() for rule in self.rules], 'applied': len(self.log)}}
