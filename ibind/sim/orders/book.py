"""Orders of the simulated broker: tickets, the question/reply flow, working orders and their fills.

One ``OrderBook`` per gateway holds every order ever accepted (id, account, contract, side, quantity,
type, prices, tif, cOID, bracket parent, OCA group, status, fills, times and the raw JSON bodies
received) and the one submission that may be waiting for a reply to a precautionary question.

How an order lives:

* ``submit``/``modify`` parse the tickets (invalid content is an ``ApiError`` with the caller's status,
  business rejects are ``200 {"error": ...}``), then evaluate the question rules. Without questions the
  tickets are committed at once; otherwise the first question is returned and the submission waits
  for ``reply``. Reply ids are single-use, and a new submission makes a waiting one stale.
* ``commit`` turns tickets into orders: market orders fill at once at the ask (buy) or bid (sell),
  marketable limits fill at the touch, the rest work. Bracket children (``parentId`` = the parent's
  cOID) wait, PreSubmitted, until their parent fills, and form one OCA group.
* ``sync(now)``, called before every request, walks simulated time from the last sync to ``now`` in
  short steps over ``gw.market.ohlc`` bars: limits fill when the bar crosses them, stops trigger, trailing
  stops follow the price, DAY orders expire at 00:00 UTC (with market hours: see ``hours``). Every fill goes through
  ``Account.apply_fill`` so positions, cash and executions follow.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ibind.sim.engine.market import round_to_tick
from ibind.sim.orders import hours
from ibind.sim.orders.questions import NOT_CONFIRMED, QUESTION_RULES, PendingSubmission, Question, reference_price
from ibind.sim.orders.risk import margin_rejection
from ibind.sim.orders.tickets import STOP_TYPES, SimOrder, Ticket, parse_ticket, reject
from ibind.sim.transport.http import ApiError

COID_WINDOW = 24 * 3600.0          # a cOID must be unique for 24 hours
MAX_STEPS_PER_SYNC = 120           # bars per sync: bounds the work of a long clock jump
MIN_STEP = 60.0                    # seconds per bar, unless the jump needs longer bars


# ============================================================================ the book

class OrderBook:
    def __init__(self, gateway):
        self.gateway = gateway
        self.orders: Dict[int, SimOrder] = {}
        self._live: Dict[int, SimOrder] = {}              # not yet Filled/Cancelled: what sync must look at
        self._by_coid: Dict[str, List[SimOrder]] = {}
        self._children_of: Dict[int, List[SimOrder]] = {}
        self.pending: Optional[PendingSubmission] = None
        self.finished_reply_ids: Dict[str, str] = {}     # reply id -> 'confirmed' | 'declined' | 'stale'
        self.suppressed: Tuple[str, ...] = ()
        self._suppressed_epoch: Any = None
        self._order_ids = itertools.count(gateway.rng.randrange(1_000_000_000, 1_900_000_000))
        self._request_ids = itertools.count(1)
        self.last_sync = gateway.clock.now()
        self.stats = {'submissions': 0, 'orders_placed': 0, 'questions_asked': 0, 'replies': 0, 'declined': 0,
                      'rejected': 0, 'stale_replies': 0, 'fills': 0, 'cancelled': 0, 'modified': 0}

    # ------------------------------------------------------------------ helpers

    @property
    def _session_epoch(self) -> Any:
        """Identifies the current brokerage session: suppression and pending replies live only as long as it."""
        return self.gateway.session.brokerage_opened_at

    def _new_reply_id(self) -> str:
        return str(uuid.UUID(int=self.gateway.rng.getrandbits(128), version=4))

    def active_suppressions(self) -> Tuple[str, ...]:
        if self._suppressed_epoch != self._session_epoch:
            return ()
        return self.suppressed

    def order(self, order_id: Any, account: Optional[str] = None) -> Optional[SimOrder]:
        try:
            order = self.orders.get(int(str(order_id).strip()))
        except ValueError:
            return None
        if order is None or (account is not None and order.account != account):
            return None
        return order

    def orders_of(self, account: str) -> List[SimOrder]:
        return [o for o in self.orders.values() if o.account == account]

    def _children(self, order: SimOrder) -> List[SimOrder]:
        return list(self._children_of.get(order.order_id, ()))

    def has_children(self, order: SimOrder) -> bool:
        return bool(self._children_of.get(order.order_id))

    # ------------------------------------------------------------------ questions and replies

    def _questions_for(self, tickets: Iterable[Ticket]) -> List[Question]:
        config = self.gateway.config
        if not config.order_questions:
            return []
        enabled = config.order_question_ids
        if isinstance(enabled, str):
            enabled = tuple(part.strip() for part in enabled.split(',') if part.strip())
        suppressed = set(self.active_suppressions())
        questions: List[Question] = []
        for ticket in tickets:
            for message_id, rule in QUESTION_RULES.items():
                if message_id not in enabled or message_id in suppressed:
                    continue
                text = rule(self.gateway, ticket)
                question = Question(message_id, text) if text else None
                if question is not None and question not in questions:
                    questions.append(question)
        return questions[:max(0, int(config.max_order_rounds))]

    def _ask_or_commit(self, kind: str, account: str, tickets: List[Ticket], now: float,
                       target: Optional[SimOrder] = None) -> Any:
        self._make_stale()
        questions = self._questions_for(tickets)
        if not questions:
            return self._commit(kind, account, tickets, now, target)
        self.pending = PendingSubmission(
            reply_id=self._new_reply_id(), kind=kind, account=account, tickets=tickets, questions=questions,
            session_epoch=self._session_epoch, created_at=now,
            target_order_id=target.order_id if target is not None else None)
        self.stats['questions_asked'] += 1
        return questions[0].payload(self.pending.reply_id)

    def _make_stale(self) -> None:
        """A new order request invalidates a submission still waiting for its reply (as the docs warn)."""
        if self.pending is not None:
            self.finished_reply_ids[self.pending.reply_id] = 'stale'
            self.stats['stale_replies'] += 1
            self.pending = None

    def reply(self, reply_id: str, confirmed: bool, now: float) -> Any:
        pending = self.pending
        if pending is not None and pending.session_epoch != self._session_epoch:
            self._make_stale()
            pending = None
        if pending is None or pending.reply_id != reply_id:
            raise ApiError(400, f'reply id not found: {reply_id}')
        self.stats['replies'] += 1
        if not confirmed:
            self.pending = None
            self.finished_reply_ids[reply_id] = 'declined'
            self.stats['declined'] += 1
            raise reject(NOT_CONFIRMED)
        self.finished_reply_ids[reply_id] = 'confirmed'
        pending.questions.pop(0)
        if pending.questions:
            pending.reply_id = self._new_reply_id()
            self.stats['questions_asked'] += 1
            return pending.questions[0].payload(pending.reply_id)
        self.pending = None
        target = self.orders.get(pending.target_order_id) if pending.target_order_id is not None else None
        return self._commit(pending.kind, pending.account, pending.tickets, now, target)

    def suppress(self, message_ids: List[str]) -> None:
        """Each call replaces the suppressed set (seed 003: "resend the complete array of messageIds")."""
        self.suppressed = tuple(dict.fromkeys(message_ids))
        self._suppressed_epoch = self._session_epoch

    def reset_suppressed(self) -> None:
        self.suppressed = ()
        self._suppressed_epoch = self._session_epoch

    # ------------------------------------------------------------------ placing

    def submit(self, account: str, raw_orders: Any, now: float) -> Any:
        """POST /iserver/account/{accountId}/orders: questions, or the acknowledgement of the committed orders."""
        self.stats['submissions'] += 1
        try:
            if not isinstance(raw_orders, list) or not raw_orders:
                raise ApiError(500, 'the body must be {"orders": [ ... ]} with at least one order')
            tickets = [parse_ticket(self.gateway, raw, account, invalid_status=500) for raw in raw_orders]
            self._check_submission(tickets, now)
        except ApiError:
            self.stats['rejected'] += 1
            raise
        return self._ask_or_commit('place', account, tickets, now)

    def _check_submission(self, tickets: List[Ticket], now: float) -> None:
        seen = set()
        for ticket in tickets:
            if ticket.coid is None:
                continue
            if ticket.coid in seen or self._coid_in_use(ticket.coid, now):
                raise reject(f"Order couldn't be submitted: Local order ID={ticket.coid} is already registered.")
            seen.add(ticket.coid)
        coids = {t.coid for t in tickets if t.coid}
        for ticket in tickets:
            if ticket.parent_ref is not None and ticket.parent_ref not in coids \
                    and self._existing_parent(ticket) is None:
                raise reject(f"Order couldn't be submitted: parent order {ticket.parent_ref} was not found")
        if len(tickets) > 1:
            parents = {t.parent_ref for t in tickets if t.parent_ref is not None}
            related = [t for t in tickets if t.parent_ref is not None or t.single_group or t.coid in parents]
            if len(related) != len(tickets):
                raise reject('Unrelated orders cannot be placed in one request: send one order per request, or '
                             'a bracket (children with parentId = the parent\'s cOID) or an OCA group '
                             '(isSingleGroup: true)')

    def _coid_in_use(self, coid: str, now: float) -> bool:
        return any(now - o.created_at < COID_WINDOW for o in self._by_coid.get(coid, ()))

    def _existing_parent(self, ticket: Ticket) -> Optional[SimOrder]:
        """Sequential brackets: parentId names an existing order of the account by its cOID or order id."""
        candidates = list(self._by_coid.get(ticket.parent_ref, ()))
        by_id = self.order(ticket.parent_ref)
        if by_id is not None:
            candidates.append(by_id)
        for order in reversed(candidates):
            if order.account == ticket.account:
                return order
        return None

    def _commit(self, kind: str, account: str, tickets: List[Ticket], now: float,
                target: Optional[SimOrder]) -> List[Dict[str, Any]]:
        if kind == 'modify':
            order = self._apply_modification(target, tickets[0], now)
            return [_ack(order)]
        self._check_submission(tickets, now)  # time passed while the questions were answered
        rejection = margin_rejection(self.gateway, tickets, now)
        if rejection:
            self.stats['rejected'] += 1
            raise reject(rejection)
        request_id = next(self._request_ids)
        created: List[SimOrder] = []
        by_coid: Dict[str, SimOrder] = {}
        for ticket in tickets:
            order = self._new_order(ticket, now, request_id)
            created.append(order)
            if ticket.coid:
                by_coid[ticket.coid] = order
        for order, ticket in zip(created, tickets):
            if ticket.parent_ref is None:
                continue
            parent = by_coid.get(ticket.parent_ref) or self._existing_parent(ticket)
            order.parent_id = parent.order_id
            self._children_of.setdefault(parent.order_id, []).append(order)
            if parent in created or parent.is_open:
                order.held = True             # works once the parent has filled
                order.status = 'PreSubmitted'
            elif parent.status != 'Filled':
                self._cancel(order, now, f'parent order {parent.order_id} is {parent.status}')
        self._form_oca_groups(created, tickets)
        self.stats['orders_placed'] += len(created)
        for order in created:
            if order.status == 'PendingSubmit':  # not held, not cancelled, not activated by a parent's fill
                self._activate(order, now)
        return [_ack(order) for order in created]

    def _new_order(self, ticket: Ticket, now: float, request_id: int) -> SimOrder:
        order = SimOrder(
            order_id=next(self._order_ids), account=ticket.account, instrument=ticket.instrument,
            conidex=ticket.conidex, side=ticket.side, quantity=self._quantity_of(ticket), order_type=ticket.order_type,
            tif=ticket.tif, price=ticket.price, aux_price=ticket.aux_price, trailing_amt=ticket.trailing_amt,
            trailing_type=ticket.trailing_type, outside_rth=ticket.outside_rth, coid=ticket.coid,
            listing_exchange=ticket.listing_exchange, created_at=now, request_id=request_id, body=ticket.raw,
            parent_ref=ticket.parent_ref, updated_at=now)
        if ticket.tif in ('DAY', 'OPG'):
            order.expires_at = hours.day_expiry(self.gateway, order, now)
        self.orders[order.order_id] = order
        self._live[order.order_id] = order
        if order.coid:
            self._by_coid.setdefault(order.coid, []).append(order)
        return order

    def _quantity_of(self, ticket: Ticket) -> float:
        if ticket.cash_qty is None:
            return ticket.quantity
        return round(ticket.cash_qty / reference_price(self.gateway, ticket), 2)

    @staticmethod
    def _form_oca_groups(created: List[SimOrder], tickets: List[Ticket]) -> None:
        """Children of one parent form an OCA group; so do the other isSingleGroup orders of the request."""
        by_parent: Dict[int, List[SimOrder]] = {}
        singles = []
        for order, ticket in zip(created, tickets):
            if order.parent_id is not None:
                by_parent.setdefault(order.parent_id, []).append(order)
            elif ticket.single_group:
                singles.append(order)
        for parent_id, children in by_parent.items():
            if len(children) > 1:
                for child in children:
                    child.oca_group = f'bracket-{parent_id}'
        if len(singles) > 1:
            for order in singles:
                order.oca_group = f'oca-{singles[0].order_id}'

    # ------------------------------------------------------------------ modify and cancel

    def modify(self, account: str, order_id: str, raw: Any, now: float) -> Any:
        """POST /iserver/account/{accountId}/order/{orderId}: a single, unwrapped order object."""
        order = self.order(order_id, account)
        if order is None:
            raise reject(f"OrderID {order_id} doesn't exist")
        if not isinstance(raw, dict) or not raw:
            raise ApiError(500, 'the body must be one order object (not wrapped in "orders")')
        ticket = parse_ticket(self.gateway, raw, account, invalid_status=500)
        self._check_modification(order, ticket)
        return self._ask_or_commit('modify', account, [ticket], now, target=order)

    @staticmethod
    def _check_modification(order: SimOrder, ticket: Ticket) -> None:
        if not order.is_open:
            raise reject(f'Order {order.order_id} cannot be modified: it is {order.status}')
        if ticket.conid != order.conid or ticket.side != order.side:
            raise reject(f'Order {order.order_id} cannot change its contract or side; cancel it and place a new '
                         f'order instead')

    def _apply_modification(self, order: SimOrder, ticket: Ticket, now: float) -> SimOrder:
        self._check_modification(order, ticket)
        order.quantity = self._quantity_of(ticket)
        order.order_type, order.tif = ticket.order_type, ticket.tif
        order.price, order.aux_price = ticket.price, ticket.aux_price
        order.trailing_amt, order.trailing_type = ticket.trailing_amt, ticket.trailing_type
        order.outside_rth = ticket.outside_rth
        order.modifications.append(ticket.raw)
        order.updated_at = now
        order.triggered = False
        self.stats['modified'] += 1
        if not order.held:
            self._activate(order, now)
        return order

    def cancel(self, account: str, order_id: str, now: float) -> Dict[str, Any]:
        """DELETE /iserver/account/{accountId}/order/{orderId}; ``-1`` cancels every open order of the account."""
        if str(order_id).strip() == '-1':
            for order in self.orders_of(account):
                if order.is_open:
                    self._cancel(order, now, 'cancelled by request (-1: all open orders)')
            return {'msg': 'Request was submitted', 'order_id': -1, 'conid': -1, 'account': account}
        order = self.order(order_id, account)
        if order is None:
            raise reject(f"OrderID {order_id} doesn't exist")
        if not order.is_open:
            raise reject(f'OrderID {order.order_id} cannot be cancelled: it is {order.status}')
        self._cancel(order, now, 'cancelled by request')
        return {'msg': 'Request was submitted', 'order_id': order.order_id, 'conid': order.conid,
                'account': order.account}

    def _cancel(self, order: SimOrder, now: float, reason: str) -> None:
        self._live.pop(order.order_id, None)
        order.status = 'Cancelled'
        order.cancel_reason = reason
        order.updated_at = now
        self.stats['cancelled'] += 1
        for child in self._children(order):
            if child.is_open and child.held:
                child.held = False
                self._cancel(child, now, f'parent order {order.order_id} was cancelled')

    # ------------------------------------------------------------------ matching

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
                order.stop_price = round_to_tick(last - offset if not order.is_buy else last + offset,
                                                 order.instrument.tick)
        opens = hours.queued_until(self.gateway, order, now)
        if opens is not None:  # the market is closed: queued until it opens
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
            self._fill(order, touch, now)
        elif order.order_type == 'MIDPRICE':
            mid = round_to_tick((bid + ask) / 2, order.instrument.tick)
            if order.limit_price is None or (mid <= order.limit_price if order.is_buy else mid >= order.limit_price):
                self._fill(order, mid, now)
        elif order.limit_price is not None:
            if touch <= order.limit_price if order.is_buy else touch >= order.limit_price:
                self._fill(order, touch, now)

    def _crossed_stop(self, order: SimOrder, price: float) -> bool:
        return price >= order.stop_price if order.is_buy else price <= order.stop_price

    def _trigger(self, order: SimOrder) -> None:
        order.triggered = True
        order.status = 'Submitted'
        if order.order_type == 'TRAILLMT' and order.price is not None and order.aux_price is not None:
            order.limit_price = order.stop_price + (order.price - order.aux_price)

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
            order.queued_until = None   # the market opened: the queued order goes live at the open
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
            if self._crossed_stop(order, high if order.is_buy else low):
                stop = order.stop_price
                trigger_price = max(stop, open_) if order.is_buy else min(stop, open_)
                self._trigger(order)
                if order.order_type in ('STP', 'TRAIL'):
                    self._fill(order, round_to_tick(trigger_price, tick), t1)
                    return
                limit = order.limit_price
                if trigger_price <= limit if order.is_buy else trigger_price >= limit:
                    self._fill(order, round_to_tick(trigger_price, tick), t1)
                return
            if order.order_type in ('TRAIL', 'TRAILLMT'):
                self._follow_trail(order, high, low)
        elif order.limit_price is not None:
            limit = order.limit_price
            if order.is_buy and low <= limit:
                self._fill(order, round_to_tick(min(limit, open_), tick), t1)
            elif not order.is_buy and high >= limit:
                self._fill(order, round_to_tick(max(limit, open_), tick), t1)
        if order.is_open and order.expires_at is not None and t1 >= order.expires_at:
            self._cancel(order, order.expires_at, f'{order.tif} order expired')

    def _follow_trail(self, order: SimOrder, high: float, low: float) -> None:
        tick = order.instrument.tick
        if order.is_buy:
            candidate = round_to_tick(low + self._trail_offset(order, low), tick)
            order.stop_price = min(order.stop_price, candidate)
        else:
            candidate = round_to_tick(high - self._trail_offset(order, high), tick)
            order.stop_price = max(order.stop_price, candidate)

    def _fill(self, order: SimOrder, price: float, now: float) -> None:
        """The whole remaining quantity trades at ``price``: book it, then wake children and cancel OCA siblings."""
        gw = self.gateway
        account = gw.account(order.account)
        account.apply_fill(order.instrument, 'B' if order.is_buy else 'S', order.remaining, price, now,
                           order.order_id, gw.ids, order_ref=order.coid)
        order.avg_price = price
        order.filled = order.quantity
        order.status = 'Filled'
        self._live.pop(order.order_id, None)
        order.updated_at = order.last_execution_at = now
        self.stats['fills'] += 1
        if order.oca_group:
            for sibling in list(self._live.values()):
                if sibling is not order and sibling.oca_group == order.oca_group and sibling.is_open:
                    self._cancel(sibling, now, f'OCA group: order {order.order_id} filled')
        for child in self._children(order):
            if child.is_open and child.held:
                self._activate(child, now)

    # ------------------------------------------------------------------ state

    def describe(self) -> Dict[str, Any]:
        by_status: Dict[str, int] = {}
        for order in self.orders.values():
            by_status[order.status] = by_status.get(order.status, 0) + 1
        return {
            'orders': [order.describe() for order in self.orders.values()],
            'by_status': by_status,
            'pending_reply': self.pending.describe() if self.pending is not None else None,
            'finished_reply_ids': dict(self.finished_reply_ids),
            'suppressed_message_ids': list(self.active_suppressions()),
            'stats': dict(self.stats),
            'last_sync': self.last_sync,
        }


def _ack(order: SimOrder) -> Dict[str, Any]:
    """The documented acknowledgement of an accepted order: order_id is a string here."""
    return {'order_id': str(order.order_id), 'order_status': order.status, 'encrypt_message': '1'}
