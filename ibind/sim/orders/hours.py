"""Orders and market hours (``SimConfig.market_hours``), as IBKR handles them.

* An order placed while its market is closed is accepted and queued: ``PreSubmitted`` until the next
  regular open (or the next pre-market session when it carries ``outsideRTH``), then it works -- a
  DAY market order placed on a Saturday fills at Monday's open.
* Orders only meet prices while the market trades: regular hours, plus pre/post-market for orders
  with ``outsideRTH``.
* DAY orders expire at the close of the trading day on which they first work (the post-market close
  with ``outsideRTH``); without market hours they expire at the next 00:00 UTC, as before.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, List, Optional, Tuple

if TYPE_CHECKING:
    from ibind.sim.engine.calendar import MarketCalendar
    from ibind.sim.gateway import Gateway
    from ibind.sim.orders.tickets import SimOrder

DAY_SECONDS = 86400.0


def _calendar(gw: Gateway) -> Optional[MarketCalendar]:
    return gw.calendar if gw.calendar.enabled else None


def day_expiry(gw: Gateway, order: SimOrder, now: float) -> float:
    """When a DAY/OPG order placed at ``now`` expires."""
    calendar = _calendar(gw)
    if calendar is None or calendar.schedule(order.instrument) == 'always':
        return (math.floor(now / DAY_SECONDS) + 1) * DAY_SECONDS
    start = calendar.next_open(order.instrument, now, order.outside_rth)
    sessions = calendar.sessions_between(order.instrument, start, start + DAY_SECONDS, order.outside_rth)
    same_day = [session for session in sessions if session.start - start < DAY_SECONDS / 2]
    if not same_day:
        return start + DAY_SECONDS
    ends = [session.end for session in same_day if order.outside_rth or session.kind == 'regular']
    contiguous = same_day[0].end
    for session in same_day[1:]:
        if session.start <= contiguous:
            contiguous = session.end
    return min(max(ends), contiguous) if ends else contiguous


def queued_until(gw: Gateway, order: SimOrder, now: float) -> Optional[float]:
    """The next instant the order may trade, when its market is closed at ``now``; None while it is open."""
    calendar = _calendar(gw)
    if calendar is None or calendar.is_open(order.instrument, now, order.outside_rth):
        return None
    return calendar.next_open(order.instrument, now, order.outside_rth)


def trading_spans(gw: Gateway, order: SimOrder, t0: float, t1: float) -> List[Tuple[float, float]]:
    """The parts of [t0, t1] in which the order's market trades (for this order's outsideRTH)."""
    calendar = _calendar(gw)
    if calendar is None:
        return [(t0, t1)]
    return [
        (session.start, session.end)
        for session in calendar.sessions_between(order.instrument, t0, t1, order.outside_rth)
    ]
