"""When does a price first reach a level? Found exactly on the seeded path, not by sampling.

A watcher that samples the path between two requests misses a short excursion when the clock jumps
hours at once (an alert set overnight, a test moving to a crossing). The path's log-price is a sum of
layers that are each linear between multiples of their scale, and every scale is a multiple of the
finest (5 s), so between two 5-second marks the price moves in one direction: its extremes over any
span lie on those marks or the span's ends. A layer's move over ``d`` seconds is bounded by
``amplitude * min(2, 2 d / scale)``, which lets whole hours that stay far from the level be skipped
after one evaluation. The search halves only the spans that might reach the level.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from ibind.sim.engine.market import FINEST_SCALE, PricePath, round_to_tick

if TYPE_CHECKING:
    from ibind.sim.engine.market import Market

GRID = FINEST_SCALE  # the path is monotone between multiples of it
RESOLUTION = 0.001  # seconds: how exactly a crossing's instant is given
MAX_EVALUATIONS = 50_000  # a path hugging the level for days stops here and is sampled instead


def first_reach(
    market: Market,
    conid: int,
    start: float,
    end: float,
    holds: Callable[[float], bool],
    level: float,
    rising: bool,
    samples: int = 240,
) -> Optional[float]:
    """The first instant in ``(start, end]`` at which ``holds(t)`` is true, or None.

    ``holds`` tests the (tick-rounded) last price at ``t`` against ``level``; ``rising`` says it becomes true
    as the price goes up (``>=``) rather than down (``<=``). Closed markets keep the last close, so only
    trading spans are searched. Paths that are not a plain :class:`PricePath` (options follow their
    underlying through Black-Scholes) are sampled ``samples`` times instead.
    """
    if end <= start:
        return None
    path = market.path(conid)
    if not isinstance(path, PricePath):
        return _sampled(start, end, holds, samples)
    for begin, finish in _trading_spans(market, conid, start, end):
        if begin > start and holds(begin):  # an open: the price jumps from the last close
            return begin
        found = _search(path, begin, finish, holds, level, rising)
        if found is not None:
            return found
    return None


def _sampled(start: float, end: float, holds: Callable[[float], bool], samples: int) -> Optional[float]:
    step = (end - start) / samples
    for index in range(1, samples + 1):
        t = end if index == samples else start + step * index
        if holds(t):
            return t
    return None


def _trading_spans(market: Market, conid: int, start: float, end: float) -> List[Tuple[float, float]]:
    calendar = market.calendar
    if calendar is None or not calendar.enabled:
        return [(start, end)]
    instrument = market.universe.get(conid)
    if calendar.schedule(instrument) == 'always':
        return [(start, end)]
    return [(s.start, s.end) for s in calendar.sessions_between(instrument, start, end, outside_rth=True)]


def _search(
    path: PricePath, start: float, end: float, holds: Callable[[float], bool], level: float, rising: bool
) -> Optional[float]:
    # the log-offset the raw price must pass for the rounded price to possibly reach the level
    edge = level - path.tick if rising else level + path.tick
    if edge <= 0:  # a level this close to zero gives no bound: look the plain way
        return _sampled(start, end, holds, 240)
    threshold = math.log(edge / path.reference_price)
    evaluations = 0
    pending = [(start, end)]  # a stack, so the earliest span is searched first
    while pending:
        a, b = pending.pop()
        if b - a <= 2 * GRID:
            previous = a
            for t in _marks(a, b):
                if holds(t):
                    return _bisect(previous, t, holds)
                previous = t
            continue
        evaluations += 1
        if evaluations > MAX_EVALUATIONS:
            return _sampled(a, end, holds, 240)
        offset, reach = path.log_offset(a), path.reach(b - a)
        if (offset + reach < threshold) if rising else (offset - reach > threshold):
            continue
        middle = round((a + b) / 2 / GRID) * GRID  # a mark, strictly inside: the span is over two marks wide
        pending.append((middle, b))
        pending.append((a, middle))
    return None


def _marks(a: float, b: float) -> List[float]:
    """The 5-second marks in (a, b), then b: where the price's extremes over (a, b] can be."""
    first = math.floor(a / GRID) + 1
    marks = [k * GRID for k in range(first, math.ceil(b / GRID)) if a < k * GRID < b]
    marks.append(b)
    return marks


def _bisect(before: float, after: float, holds: Callable[[float], bool]) -> float:
    """The crossing between a point where the price does not hold and the next where it does, to 1 ms.

    Between neighbouring marks the price moves one way, so ``holds`` changes once there.
    """
    while after - before > RESOLUTION:
        middle = (before + after) / 2
        if holds(middle):
            after = middle
        else:
            before = middle
    return after


def trailing_stop(
    market: Market,
    conid: int,
    start: float,
    end: float,
    stop: float,
    offset: Callable[[float], float],
    selling: bool,
) -> Tuple[Optional[float], float]:
    """Follow a trailing stop exactly over ``(start, end]``: (the instant it triggers or None, the stop then).

    A sell stop (``selling``) triggers when the price falls to it, and rises whenever the price less
    ``offset(price)`` (the trail: an amount, or a share of the price), on the tick, is above it; a buy stop is
    the mirror image. The price is monotone between 5-second marks, so visiting the marks in order sees every
    new extreme and the first mark at or beyond the stop; spans of time in which the price cannot reach
    either the stop or a new extreme (by the path's bound on its moves) are skipped after one evaluation.
    ``conid`` must have a plain :class:`PricePath`.
    """
    path = market.path(conid)
    assert isinstance(path, PricePath), 'trailing_stop follows plain price paths only'
    tick = path.tick

    def triggers(t: float) -> bool:
        price = market.last(conid, t)
        return price <= stop if selling else price >= stop

    def follow(price: float) -> float:
        moved = round_to_tick(price - offset(price) if selling else price + offset(price), tick)
        return max(stop, moved) if selling else min(stop, moved)

    def triggers_or_follows(t: float) -> bool:  # for sampling: a sample that does not trigger moves the stop
        nonlocal stop
        if triggers(t):
            return True
        stop = follow(market.last(conid, t))
        return False

    # The extreme the stop trails, as far as it matters: a price short of it cannot move the stop. A price
    # short of every price followed cannot (the stop is at least where each of them put it), nor can one
    # within half the trail of the stop (an amount, or a share of the price up to 100%, must be passed whole).
    first = market.last(conid, start)
    stop = follow(first)
    extreme = max(first, stop + offset(stop) / 2) if selling else min(first, stop - offset(stop) / 2)
    evaluations = 0
    for begin, finish in _trading_spans(market, conid, start, end):
        if begin > start:  # an open: the price jumps from the last close
            if triggers(begin):
                return begin, stop
            price = market.last(conid, begin)
            stop, extreme = follow(price), max(extreme, price) if selling else min(extreme, price)
        previous = begin  # the last instant known not to trigger
        pending = [(begin, finish)]
        while pending:
            a, b = pending.pop()
            if b - a <= 2 * GRID:
                for t in _marks(a, b):
                    if triggers(t):
                        return _bisect(previous, t, triggers), stop
                    price = market.last(conid, t)
                    stop, previous = follow(price), t
                    extreme = max(extreme, price) if selling else min(extreme, price)
                continue
            evaluations += 1
            if evaluations > MAX_EVALUATIONS:  # a path hugging the stop for weeks: sample the rest
                return _sampled(a, end, triggers_or_follows, 240), stop
            centre, reach = path.log_offset(a), path.reach(b - a)
            low = path.reference_price * math.exp(centre - reach) - tick
            high = path.reference_price * math.exp(centre + reach) + tick
            # a span whose price stays between the stop and the extreme changes nothing
            if (low > stop and high < extreme) if selling else (high < stop and low > extreme):
                previous = b
                continue
            middle = round((a + b) / 2 / GRID) * GRID
            pending.append((middle, b))
            pending.append((a, middle))
    return None, stop
