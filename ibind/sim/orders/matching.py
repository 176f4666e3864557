"""The matching engine of the order book: working orders meet the simulated price path.

``Matching`` is a base of ``OrderBook`` (it uses the book's ``gateway``, ``_live``, ``stats``, ``_cancel``
and ``_children``). An order is activated (working prices set, filled at once when marketable), then
``sync(now)`` walks simulated time in short steps over ``gw.market.ohlc`` bars: limits fill when a bar
crosses them, stops trigger, trailing stops follow the price, DAY orders expire. Market hours
(``orders.hours``) keep orders from meeting prices while their market is closed; liquidity
(``orders.liquidity``) caps each fill at the displayed size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Mapping, Optional

from ibind.sim.engine.crossing import first_reach, trailing_stop
from ibind.sim.engine.market import PricePath, round_to_tick
from ibind.sim.fa.state import allocate_fill
from ibind.sim.orders import hours, liquidity
from ibind.sim.orders.tickets import STOP_TYPES, SimOrder

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import AllocationGroups

MAX_STEPS_PER_SYNC = 120  # bars per sync: bounds the work of a long clock jump
MIN_STEP = 60.0  # seconds per bar, unless the jump needs longer bars


class Matching:
    """Activation, time stepping and fills of working orders (see the module docstring)."""

    # what the book provides (set in OrderBook.__init__, or its methods)
    gateway: Gateway
    _live: Dict[int, SimOrder]
    stats: Dict[str, int]
    last_sync: float

    if TYPE_CHECKING:

        def _cancel(self, order: SimOrder, now: float, reason: str) -> None: ...

        def _children(self, order: SimOrder) -> List[SimOrder]: ...

    def _activate(self, order: SimOrder, now: float) -> None:
        """An order starts working: set its working prices, and fill it at once if it is marketable."""
        order.held = False
        order.working_since = now
        if order.expires_at is not None and now >= order.expires_at:
            self._cancel(order, now, f'{order.tif} order expired')
            return
        order.limit_price = order.price if order.order_type in ('LMT', 'STOP_LIMIT', 'TRAILLMT', 'MIDPRICE') else None
        order.stop_price = None
        if order.order_type == 'STP':
            order.stop_price = order.price
        elif order.order_type in ('STOP_LIMIT', 'TRAILLMT'):
            order.stop_price = order.aux_price
        elif order.order_type == 'TRAIL':
            if order.price is not None:
                order.stop_price = order.price
            else:
                last = self.gateway.market.last(order.conid, now)
                offset = self._trail_offset(order, last)
                order.stop_price = round_to_tick(
                    last - offset if not order.is_buy else last + offset, order.instrument.tick
                )
        opens = hours.queued_until(self.gateway, order, now)
        if opens is not None:  # the market is closed: queued until it opens (an IOC cannot wait)
            if order.tif == 'IOC':
                self._cancel(order, now, 'IOC: the market is closed')
                return
            order.status, order.queued_until, order.working_since = 'PreSubmitted', opens, opens
            return
        order.status = 'PreSubmitted' if order.order_type in STOP_TYPES else 'Submitted'
        self._fill_if_marketable(order, now)
        if order.tif == 'IOC' and order.is_open:
            self._cancel(order, now, 'IOC: not immediately executable')

    @staticmethod
    def _trail_offset(order: SimOrder, reference: float) -> float:
        amount = order.trailing_amt or 0.0
        return reference * amount / 100.0 if order.trailing_type == '%' else amount

    def _fill_if_marketable(self, order: SimOrder, now: float) -> None:
        bid, ask, last = self.gateway.market.quote(order.conid, now)
        touch = ask if order.is_buy else bid
        if order.order_type in STOP_TYPES and not order.triggered:
            if order.stop_price is None or not self._crossed_stop(order, last):
                return
            self._trigger(order)
        if order.order_type == 'MKT' or (order.order_type in ('STP', 'TRAIL') and order.triggered):
            self._fill(order, touch, now, self._liquidity(order, now, now))
        elif order.order_type == 'MIDPRICE':
            mid = round_to_tick((bid + ask) / 2, order.instrument.tick)
            if order.limit_price is None or (mid <= order.limit_price if order.is_buy else mid >= order.limit_price):
                self._fill(order, mid, now, self._liquidity(order, now, now))
        elif order.limit_price is not None and (
            touch <= order.limit_price if order.is_buy else touch >= order.limit_price
        ):
            self._fill(order, touch, now, self._liquidity(order, now, now))

    @staticmethod
    def _crossed_stop(order: SimOrder, price: float) -> bool:
        stop = order.stop_price  # set by _activate for every stop type; None: nothing to cross
        if stop is None:
            return False
        return price >= stop if order.is_buy else price <= stop

    def _trigger(self, order: SimOrder) -> None:
        order.triggered = True
        order.status = 'Submitted'
        stop, price, aux_price = order.stop_price, order.price, order.aux_price
        if order.order_type == 'TRAILLMT' and stop is not None and price is not None and aux_price is not None:
            order.limit_price = stop + (price - aux_price)

    def sync(self, now: float) -> None:
        """Advance the matching engine to ``now`` (called before every request's handler)."""
        start = self.last_sync
        if now <= start:
            return
        self.last_sync = now
        if not self._live:
            return
        span = now - start
        step = max(MIN_STEP, span / MAX_STEPS_PER_SYNC)
        t0 = start
        while t0 < now:
            t1 = min(now, t0 + step)
            for order in list(self._live.values()):
                if order.is_open and not order.held and order.working_since < t1:
                    self._work(order, max(t0, order.working_since), t1)
            t0 = t1

    def _work(self, order: SimOrder, t0: float, t1: float) -> None:
        """Let one working order meet the price path over the trading parts of [t0, t1]."""
        if order.queued_until is not None and order.queued_until <= t0 < t1:
            if order.expires_at is not None and order.expires_at <= t0:
                self._cancel(order, order.expires_at, f'{order.tif} order expired')
                return
            order.queued_until = None  # the market opened: the queued order goes live at the open
            order.status = 'PreSubmitted' if order.order_type in STOP_TYPES else 'Submitted'
            self._fill_if_marketable(order, t0)
        for start, end in hours.trading_spans(self.gateway, order, t0, t1):
            if order.is_open:
                self._work_span(order, start, end)
        if order.is_open and order.expires_at is not None and t1 >= order.expires_at:
            self._cancel(order, order.expires_at, f'{order.tif} order expired')

    def _work_span(self, order: SimOrder, t0: float, t1: float) -> None:
        """Let one working order meet the price path over [t0, t1]."""
        if order.expires_at is not None:
            if order.expires_at <= t0:
                self._cancel(order, order.expires_at, f'{order.tif} order expired')
                return
            t1 = min(t1, order.expires_at)
        samples = 6 if t1 - t0 > 1.0 else 2
        open_, high, low, _ = self.gateway.market.ohlc(order.conid, t0, t1, samples=samples)
        tick = order.instrument.tick
        if order.order_type in STOP_TYPES and not order.triggered:
            trigger_price = self._stop_triggers(order, t0, t1, open_, high, low)
            if trigger_price is not None:
                self._trigger(order)
                if order.order_type in ('STP', 'TRAIL'):
                    self._fill(order, round_to_tick(trigger_price, tick), t1, self._liquidity(order, t0, t1))
                    return
                limit = order.limit_price  # STOP_LIMIT/TRAILLMT: set by _activate and _trigger
                if limit is not None and (trigger_price <= limit if order.is_buy else trigger_price >= limit):
                    self._fill(order, round_to_tick(trigger_price, tick), t1, self._liquidity(order, t0, t1))
                return
        elif order.limit_price is not None:
            limit = order.limit_price
            if order.is_buy and self._reaches(order, t0, t1, limit, False, low):
                self._fill(order, round_to_tick(min(limit, open_), tick), t1, self._liquidity(order, t0, t1))
            elif not order.is_buy and self._reaches(order, t0, t1, limit, True, high):
                self._fill(order, round_to_tick(max(limit, open_), tick), t1, self._liquidity(order, t0, t1))
        elif order.filled and order.order_type in ('MKT', 'STP', 'TRAIL', 'MIDPRICE'):  # the rest of a partial fill
            self._fill(order, round_to_tick(open_, tick), t1, self._liquidity(order, t0, t1))
        if order.is_open and order.expires_at is not None and t1 >= order.expires_at:
            self._cancel(order, order.expires_at, f'{order.tif} order expired')

    def _stop_triggers(
        self, order: SimOrder, t0: float, t1: float, open_: float, high: float, low: float
    ) -> Optional[float]:
        """The price a stop triggers at within [t0, t1] (None: it does not), moving a trailing stop as it goes.

        A trailing stop on a plain price path is followed exactly (engine.crossing.trailing_stop); on an
        option's path it follows the bar's sampled high (sell) / low (buy) and triggers on the next bar."""
        stop = order.stop_price  # set by _activate for every stop type; None: nothing to trigger
        if stop is None:
            return None
        market = self.gateway.market
        if order.order_type in ('TRAIL', 'TRAILLMT') and isinstance(market.path(order.conid), PricePath):
            hit, order.stop_price = trailing_stop(
                market, order.conid, t0, t1, stop, lambda price: self._trail_offset(order, price), not order.is_buy
            )
            if hit is None:
                return None
            price = market.last(order.conid, hit)  # the stop, or beyond it where the market opened through it
            return max(order.stop_price, price) if order.is_buy else min(order.stop_price, price)
        if self._reaches(order, t0, t1, stop, order.is_buy, high if order.is_buy else low):
            return max(stop, open_) if order.is_buy else min(stop, open_)
        if order.order_type in ('TRAIL', 'TRAILLMT'):
            self._follow_trail(order, high, low)
        return None

    def _reaches(self, order: SimOrder, t0: float, t1: float, level: float, rising: bool, sampled: float) -> bool:
        """Whether the price reaches ``level`` within (t0, t1]: the bar's sampled extreme says so, or the exact
        search (engine.crossing) finds a moment between the samples, so a long clock jump cannot skip a short
        touch of a limit or stop. Options, priced through their underlying, keep the samples."""
        if (sampled >= level) if rising else (sampled <= level):
            return True
        market = self.gateway.market
        conid = order.conid
        if not isinstance(market.path(conid), PricePath):
            return False

        def holds(t: float) -> bool:
            price = market.last(conid, t)
            return price >= level if rising else price <= level

        return first_reach(market, conid, t0, t1, holds, level, rising) is not None

    def _follow_trail(self, order: SimOrder, high: float, low: float) -> None:
        tick = order.instrument.tick
        if order.stop_price is None:  # set by _activate for every trailing order
            return
        if order.is_buy:
            candidate = round_to_tick(low + self._trail_offset(order, low), tick)
            order.stop_price = min(order.stop_price, candidate)
        else:
            candidate = round_to_tick(high - self._trail_offset(order, high), tick)
            order.stop_price = max(order.stop_price, candidate)

    def _liquidity(self, order: SimOrder, t0: float, t1: float) -> float:
        return liquidity.fill_quantity(self.gateway, order, t0, t1)

    def _fill(self, order: SimOrder, price: float, now: float, quantity: Optional[float] = None) -> None:
        """``quantity`` (default: all that remains) trades at ``price``: book it; once the order is complete,
        wake its children and cancel its OCA siblings."""
        gw = self.gateway
        quantity = order.remaining if quantity is None else min(quantity, order.remaining)
        groups: AllocationGroups = gw.fa
        shares: Mapping[str, float]
        if groups.is_group(order.account):  # an FA allocation group: its method splits the order across accounts
            if order.allocation is None:
                order.allocation = groups.split(groups.groups[order.account], order.quantity, price)
            shares = allocate_fill(order.allocation, order.allocated, (order.filled + quantity) / order.quantity)
            for account_id, booked in shares.items():
                order.allocated[account_id] = order.allocated.get(account_id, 0) + int(booked)
        else:
            shares = {gw.account(order.account).account_id: quantity}
        for account_id, part in shares.items():
            gw.accounts[account_id].apply_fill(
                order.instrument,
                'B' if order.is_buy else 'S',
                part,
                price,
                now,
                order.order_id,
                gw.ids,
                order_ref=order.coid,
            )
        previous = order.avg_price
        order.avg_price = (
            price
            if not order.filled or previous is None
            else (previous * order.filled + price * quantity) / (order.filled + quantity)
        )
        order.filled += quantity
        order.updated_at = order.last_execution_at = now
        self.stats['fills'] += 1
        if order.remaining > 1e-9:  # a partial fill: the order keeps working
            order.status = 'Submitted'
            return
        order.filled = order.quantity
        order.status = 'Filled'
        self._live.pop(order.order_id, None)
        if order.oca_group:
            for sibling in list(self._live.values()):
                if sibling is not order and sibling.oca_group == order.oca_group and sibling.is_open:
                    self._cancel(sibling, now, f'OCA group: order {order.order_id} filled')
        for child in self._children(order):
            if child.is_open and child.held:
                self._activate(child, now)
