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
* ``sync(now)`` (``orders.matching``), called before every request, walks simulated time from the last
  sync to ``now`` in short steps over ``gw.market.ohlc`` bars: limits fill when the bar crosses them, stops
  trigger, trailing stops follow the price, DAY orders expire at 00:00 UTC (with market hours: see
  ``orders.hours``); with ``partial_fills`` each fill takes at most the displayed size
  (``orders.liquidity``). Every fill goes through ``Account.apply_fill`` so positions, cash and
  executions follow.
"""

from __future__ import annotations

import itertools
import uuid
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple

from ibind.sim.orders import hours
from ibind.sim.orders.matching import Matching
from ibind.sim.orders.questions import NOT_CONFIRMED, QUESTION_RULES, PendingSubmission, Question, reference_price
from ibind.sim.orders.risk import fraction_rejection, margin_rejection
from ibind.sim.orders.tickets import SimOrder, Ticket, parse_ticket, reject
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import BrokerageSession

COID_WINDOW = 24 * 3600.0  # a cOID must be unique for 24 hours


# ============================================================================ the book


class OrderBook(Matching):
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.orders: Dict[int, SimOrder] = {}
        self._live: Dict[int, SimOrder] = {}  # not yet Filled/Cancelled: what sync must look at
        self._by_coid: Dict[str, List[SimOrder]] = {}
        self._children_of: Dict[int, List[SimOrder]] = {}
        self.pending: Optional[PendingSubmission] = None
        self.finished_reply_ids: Dict[str, str] = {}  # reply id -> 'confirmed' | 'declined' | 'stale'
        self.suppressed: Tuple[str, ...] = ()
        self._suppressed_epoch: Any = None
        self._order_ids = itertools.count(gateway.rng.randrange(1_000_000_000, 1_900_000_000))
        self._request_ids = itertools.count(1)
        self.last_sync = gateway.clock.now()
        self.stats: Dict[str, int] = {
            'submissions': 0,
            'orders_placed': 0,
            'questions_asked': 0,
            'replies': 0,
            'declined': 0,
            'rejected': 0,
            'stale_replies': 0,
            'fills': 0,
            'cancelled': 0,
            'modified': 0,
        }

    # ------------------------------------------------------------------ helpers

    @property
    def _session_epoch(self) -> Any:
        """Identifies the current brokerage session: suppression and pending replies live only as long as it."""
        session: BrokerageSession = self.gateway.session
        return session.brokerage_opened_at

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
        return questions[: max(0, int(config.max_order_rounds))]

    def _ask_or_commit(
        self, kind: str, account: str, tickets: List[Ticket], now: float, target: Optional[SimOrder] = None
    ) -> Any:
        self._make_stale()
        questions = self._questions_for(tickets)
        if not questions:
            return self._commit(kind, account, tickets, now, target)
        self.pending = PendingSubmission(
            reply_id=self._new_reply_id(),
            kind=kind,
            account=account,
            tickets=tickets,
            questions=questions,
            session_epoch=self._session_epoch,
            created_at=now,
            target_order_id=target.order_id if target is not None else None,
        )
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
            if (
                ticket.parent_ref is not None
                and ticket.parent_ref not in coids
                and self._existing_parent(ticket) is None
            ):
                raise reject(f"Order couldn't be submitted: parent order {ticket.parent_ref} was not found")
        if len(tickets) > 1:
            parents = {t.parent_ref for t in tickets if t.parent_ref is not None}
            related = [t for t in tickets if t.parent_ref is not None or t.single_group or t.coid in parents]
            if len(related) != len(tickets):
                raise reject(
                    'Unrelated orders cannot be placed in one request: send one order per request, or '
                    "a bracket (children with parentId = the parent's cOID) or an OCA group "
                    '(isSingleGroup: true)'
                )

    def _coid_in_use(self, coid: str, now: float) -> bool:
        return any(now - o.created_at < COID_WINDOW for o in self._by_coid.get(coid, ()))

    def _existing_parent(self, ticket: Ticket) -> Optional[SimOrder]:
        """Sequential brackets: parentId names an existing order of the account by its cOID or order id."""
        if ticket.parent_ref is None:
            return None
        candidates = list(self._by_coid.get(ticket.parent_ref, ()))
        by_id = self.order(ticket.parent_ref)
        if by_id is not None:
            candidates.append(by_id)
        for order in reversed(candidates):
            if order.account == ticket.account:
                return order
        return None

    def _commit(
        self, kind: str, account: str, tickets: List[Ticket], now: float, target: Optional[SimOrder]
    ) -> List[Dict[str, Any]]:
        if kind == 'modify':
            if target is None:  # orders are never removed from the book: a modification always has its order
                raise ApiError(500, 'the order to modify is not in the book')
            order = self._apply_modification(target, tickets[0], now)
            return [_ack(order)]
        self._check_submission(tickets, now)  # time passed while the questions were answered
        rejection = fraction_rejection(tickets) or margin_rejection(self.gateway, tickets, now)
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
            if parent is None:  # _check_submission found it just above; kept for the type checker
                raise reject(f"Order couldn't be submitted: parent order {ticket.parent_ref} was not found")
            order.parent_id = parent.order_id
            self._children_of.setdefault(parent.order_id, []).append(order)
            if parent in created or parent.is_open:
                order.held = True  # works once the parent has filled
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
            order_id=next(self._order_ids),
            account=ticket.account,
            instrument=ticket.instrument,
            conidex=ticket.conidex,
            side=ticket.side,
            quantity=self._quantity_of(ticket),
            order_type=ticket.order_type,
            tif=ticket.tif,
            price=ticket.price,
            aux_price=ticket.aux_price,
            trailing_amt=ticket.trailing_amt,
            trailing_type=ticket.trailing_type,
            outside_rth=ticket.outside_rth,
            coid=ticket.coid,
            listing_exchange=ticket.listing_exchange,
            created_at=now,
            request_id=request_id,
            body=ticket.raw,
            parent_ref=ticket.parent_ref,
            updated_at=now,
        )
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
            raise reject(
                f'Order {order.order_id} cannot change its contract or side; cancel it and place a new order instead'
            )

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
        target = self.order(order_id, account)
        if target is None:
            raise reject(f"OrderID {order_id} doesn't exist")
        if not target.is_open:
            raise reject(f'OrderID {target.order_id} cannot be cancelled: it is {target.status}')
        self._cancel(target, now, 'cancelled by request')
        return {
            'msg': 'Request was submitted',
            'order_id': target.order_id,
            'conid': target.conid,
            'account': target.account,
        }

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
