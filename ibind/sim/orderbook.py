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
  stops follow the price, DAY orders expire at 00:00 UTC. Every fill goes through
  ``Account.apply_fill`` so positions, cash and executions follow.
"""

from __future__ import annotations

import itertools
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ibind.sim.http import ApiError
from ibind.sim.market import round_to_tick
from ibind.sim.universe import Instrument

ORDER_TYPES = ('MKT', 'LMT', 'STP', 'STOP_LIMIT', 'MIDPRICE', 'TRAIL', 'TRAILLMT')
STOP_TYPES = frozenset({'STP', 'STOP_LIMIT', 'TRAIL', 'TRAILLMT'})
TIFS = ('GTC', 'OPG', 'DAY', 'IOC', 'PAX')
SIDES = ('BUY', 'SELL')
OPEN_STATUSES = frozenset({'PreSubmitted', 'Submitted'})
STATUSES = ('Inactive', 'PendingSubmit', 'PreSubmitted', 'Submitted', 'Filled', 'PendingCancel', 'Cancelled',
            'WarnState')
COID_WINDOW = 24 * 3600.0          # a cOID must be unique for 24 hours
MAX_STEPS_PER_SYNC = 120           # bars per sync: bounds the work of a long clock jump
MIN_STEP = 60.0                    # seconds per bar, unless the jump needs longer bars
DAY_SECONDS = 86400.0

QUESTION_SUFFIX = '\nAre you sure you want to submit this order?'
MISSING_MARKET_DATA_TEXT = ('You are submitting an order without market data. We strongly recommend against this '
                            'as it may result in erroneous and unexpected trades.' + QUESTION_SUFFIX)
STOP_ORDER_TEXT = ('You are about to submit a stop order. Please be aware of the various stop order types available '
                   'and the risks associated with each one.' + QUESTION_SUFFIX)
TRIGGER_IMMEDIATELY_TEXT = 'This order will most likely trigger and fill immediately.' + QUESTION_SUFFIX
MARKET_ORDER_TEXT = ('You are about to submit a market order. A market order executes at the best price available '
                     'when it reaches the market, which may differ from the last traded price.' + QUESTION_SUFFIX)
NOT_CONFIRMED = 'Order not confirmed '   # IBKR's OpenAPI example text, trailing space included
DEFAULT_QUESTION_IDS = ('o354', 'o163', 'o403', 'o451', 'o10331')  # SimConfig.order_question_ids


def reject(message: str) -> ApiError:
    """A business reject: HTTP 200 with ``{"error": message}``, as IBKR answers an order it will not accept."""
    return ApiError(200, message, body={'error': message})


# ============================================================================ tickets

@dataclass
class Ticket:
    """One order of a submission, validated and normalised (the raw JSON is kept in ``raw``)."""

    instrument: Instrument
    conidex: str
    account: str
    side: str                              # BUY or SELL
    quantity: float
    order_type: str                        # one of ORDER_TYPES
    tif: str
    price: Optional[float] = None          # limit price; the stop price of STP/TRAIL; the cap of MIDPRICE
    aux_price: Optional[float] = None      # the stop price of STOP_LIMIT/TRAILLMT
    trailing_amt: Optional[float] = None
    trailing_type: Optional[str] = None    # 'amt' or '%'
    outside_rth: bool = False
    coid: Optional[str] = None
    parent_ref: Optional[str] = None       # parentId as received: a cOID or an order id
    single_group: bool = False
    listing_exchange: str = 'SMART'
    cash_qty: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict)

    @property
    def conid(self) -> int:
        return self.instrument.conid

    def describe_order(self, with_price: bool = True) -> str:
        """'BUY 5 AAPL NASDAQ.NMS @ 150.0', the way IBKR's question texts name an order."""
        instrument = self.instrument
        text = f'{self.side} {format_quantity(self.quantity)} {instrument.symbol} {instrument.listing_exchange}'
        if with_price and self.price is not None:
            text += f' @ {float(self.price)!r}'
        return text


def _number(name: str, value: Any, invalid: Callable[[str], ApiError], positive: bool = True) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid(f'{name} must be a number, got {value!r}')
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise invalid(f'{name} must be a number, got {value!r}') from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise invalid(f'{name} must be a number, got {value!r}')
    if positive and value <= 0:
        raise invalid(f'{name} must be greater than 0, got {value!r}')
    return float(value)


def _text(name: str, value: Any, invalid: Callable[[str], ApiError]) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise invalid(f'{name} must be a non-empty string, got {value!r}')
    return str(value).strip()


def _flag(name: str, value: Any, invalid: Callable[[str], ApiError]) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f'{name} must be true or false, got {value!r}')
    return value


def parse_ticket(gw, raw: Any, default_account: str, invalid_status: int) -> Ticket:
    """Validate one order object of a request body. Accepts the spellings the docs use (section 10 of the digest)."""

    def invalid(message: str) -> ApiError:
        return ApiError(invalid_status, message)

    if not isinstance(raw, dict):
        raise invalid('each order must be a JSON object')
    conid_value, conidex = raw.get('conid'), raw.get('conidex')
    if conid_value is None and conidex is None:
        raise invalid('the order has no conid (or conidex)')
    conidex_text = _text('conidex', conidex, invalid)
    if conidex_text and ';;;' in conidex_text:
        raise reject('Combo/spread orders (conidex with ";;;") are not supported by the simulator')
    try:
        conid = int(str(conid_value if conid_value is not None else conidex_text.split('@')[0]).strip())
    except ValueError:
        shown = conid_value if conid_value is not None else conidex
        raise invalid(f'conid must be an integer contract id, got {shown!r}') from None
    instrument = gw.universe.find(conid)
    if instrument is None:
        raise invalid(f'unknown conid {conid}')
    if conid_value is not None or not conidex_text:
        conidex_text = str(conid)

    side = raw.get('side')
    if not isinstance(side, str) or side.strip().upper() not in SIDES:
        raise invalid(f'invalid side {side!r}: expected BUY or SELL')
    order_type = raw.get('orderType')
    if not isinstance(order_type, str) or order_type.strip().upper() not in ORDER_TYPES:
        raise invalid(f'invalid orderType {order_type!r}: expected one of {", ".join(ORDER_TYPES)}')
    order_type = order_type.strip().upper()
    tif = raw.get('tif')
    if not isinstance(tif, str) or tif.strip().upper() not in TIFS:
        raise invalid(f'invalid tif {tif!r}: expected one of {", ".join(TIFS)}')

    quantity = _number('quantity', raw.get('quantity'), invalid)
    cash_qty = _number('cashQty', raw.get('cashQty'), invalid)
    fx_qty = _number('fxQty', raw.get('fxQty', raw.get('fxQTY')), invalid)
    if quantity is not None and (cash_qty is not None or fx_qty is not None):
        raise invalid('quantity cannot be combined with cashQty or fxQty')
    if quantity is None and cash_qty is None and fx_qty is None:
        raise invalid('the order has no quantity (or cashQty/fxQty)')
    cash_qty = cash_qty if cash_qty is not None else fx_qty
    if cash_qty is not None and instrument.sec_type not in ('CASH', 'CRYPTO'):
        raise reject('Cash quantity orders are only supported for Cryptocurrency and Forex contracts')

    price = _number('price', raw.get('price'), invalid)
    aux_price = _number('auxPrice', raw.get('auxPrice'), invalid)
    trailing_amt = _number('trailingAmt', raw.get('trailingAmt'), invalid)
    trailing_type = raw.get('trailingType')
    if order_type in ('LMT', 'STOP_LIMIT', 'TRAILLMT') and price is None:
        raise invalid(f'a {order_type} order needs a price')
    if order_type in ('STOP_LIMIT', 'TRAILLMT') and aux_price is None:
        raise invalid(f'a {order_type} order needs an auxPrice (the stop price)')
    if order_type == 'STP' and price is None:
        if aux_price is None:
            raise invalid('a STP order needs a price (the stop price)')
        price = aux_price  # tolerate the TWS convention of the stop in auxPrice
    if order_type in ('TRAIL', 'TRAILLMT'):
        if trailing_amt is None or trailing_type not in ('amt', '%'):
            raise invalid(f'a {order_type} order needs trailingAmt and trailingType ("amt" or "%")')
    elif trailing_type is not None and trailing_type not in ('amt', '%'):
        raise invalid(f'invalid trailingType {trailing_type!r}: expected "amt" or "%"')

    outside = raw.get('outsideRTH', raw.get('outsideRth'))
    account = default_account
    acct_id = _text('acctId', raw.get('acctId'), invalid)
    if acct_id is not None:  # [fullapi] an FA allocation group's name places an order split across its accounts
        account = acct_id if gw.fa.is_group(acct_id) else gw.account(acct_id).account_id
    parent_ref = raw.get('parentId')
    return Ticket(
        instrument=instrument, conidex=conidex_text, account=account, side=side.strip().upper(),
        quantity=quantity if quantity is not None else 0.0, order_type=order_type, tif=tif.strip().upper(),
        price=price, aux_price=aux_price, trailing_amt=trailing_amt, trailing_type=trailing_type,
        outside_rth=_flag('outsideRTH', outside, invalid), coid=_text('cOID', raw.get('cOID'), invalid),
        parent_ref=_text('parentId', parent_ref, invalid),
        single_group=_flag('isSingleGroup', raw.get('isSingleGroup'), invalid),
        listing_exchange=_text('listingExchange', raw.get('listingExchange'), invalid) or 'SMART',
        cash_qty=cash_qty, raw=raw)


def format_quantity(quantity: float) -> str:
    return str(int(quantity)) if float(quantity).is_integer() else f'{quantity:g}'


# ============================================================================ orders

@dataclass
class SimOrder:
    order_id: int
    account: str
    instrument: Instrument
    conidex: str
    side: str
    quantity: float
    order_type: str
    tif: str
    price: Optional[float]
    aux_price: Optional[float]
    trailing_amt: Optional[float]
    trailing_type: Optional[str]
    outside_rth: bool
    coid: Optional[str]
    listing_exchange: str
    created_at: float
    request_id: int
    body: Dict[str, Any]
    parent_id: Optional[int] = None        # the order id of the bracket parent
    parent_ref: Optional[str] = None       # parentId as received
    oca_group: Optional[str] = None
    status: str = 'PendingSubmit'
    held: bool = False                     # a bracket child waiting for its parent's fill
    triggered: bool = False                # a stop that has been elected
    limit_price: Optional[float] = None    # working limit (LMT, triggered STOP_LIMIT/TRAILLMT, MIDPRICE cap)
    stop_price: Optional[float] = None     # working stop (STP, STOP_LIMIT, TRAIL, TRAILLMT)
    working_since: float = 0.0
    expires_at: Optional[float] = None     # DAY/OPG: the next 00:00 UTC after placement
    filled: float = 0.0
    avg_price: Optional[float] = None
    updated_at: float = 0.0
    last_execution_at: Optional[float] = None
    cancel_reason: Optional[str] = None
    modifications: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def conid(self) -> int:
        return self.instrument.conid

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> float:
        return self.quantity - self.filled

    @property
    def is_buy(self) -> bool:
        return self.side == 'BUY'

    def describe(self) -> Dict[str, Any]:
        """The order as /sim/state shows it: every field, and the JSON bodies received for it."""
        return {
            'order_id': self.order_id, 'account': self.account, 'conid': self.conid, 'conidex': self.conidex,
            'symbol': self.instrument.symbol, 'side': self.side, 'quantity': self.quantity,
            'order_type': self.order_type, 'price': self.price, 'aux_price': self.aux_price,
            'limit_price': self.limit_price, 'stop_price': self.stop_price, 'trailing_amt': self.trailing_amt,
            'trailing_type': self.trailing_type, 'tif': self.tif, 'outside_rth': self.outside_rth,
            'coid': self.coid, 'parent_id': self.parent_id, 'parent_ref': self.parent_ref,
            'oca_group': self.oca_group, 'status': self.status, 'held': self.held, 'triggered': self.triggered,
            'filled_quantity': self.filled, 'remaining_quantity': self.remaining, 'avg_fill_price': self.avg_price,
            'created_at': self.created_at, 'updated_at': self.updated_at,
            'last_execution_at': self.last_execution_at, 'expires_at': self.expires_at,
            'cancel_reason': self.cancel_reason, 'body': self.body, 'modifications': list(self.modifications),
        }


# ============================================================================ questions

@dataclass(frozen=True)
class Question:
    message_id: str
    text: str

    def payload(self, reply_id: str) -> List[Dict[str, Any]]:
        """The documented "Alternate Response Object" of an order request."""
        return [{'id': reply_id, 'message': [self.text], 'isSuppressed': False, 'messageIds': [self.message_id]}]


def _reference_price(gw, ticket: Ticket) -> float:
    """The price an order is valued at: its limit (or stop) price, else the touch it would trade at."""
    if ticket.price is not None and ticket.order_type != 'MIDPRICE':
        return ticket.price
    bid, ask, _ = gw.market.quote(ticket.conid)
    return ask if ticket.side == 'BUY' else bid


def _stop_of(ticket: Ticket) -> Optional[float]:
    if ticket.order_type == 'STP':
        return ticket.price
    if ticket.order_type == 'STOP_LIMIT':
        return ticket.aux_price
    return None


def has_market_data(gw, conid: int) -> bool:
    """Did this session take a market data snapshot of ``conid``? (Tolerant of how the market data state keeps it.)"""
    state = getattr(gw, 'marketdata', None)
    forget_old_session = getattr(state, 'sync_session', None)
    if callable(forget_old_session):
        forget_old_session()           # feeds of an earlier brokerage session do not count
    feed = getattr(state, 'feed', None)
    if callable(feed):
        try:
            return feed(conid) is not None
        except Exception:  # another component's helper with another signature: fall through
            pass
    for name in ('has_market_data', 'has_snapshot', 'had_snapshot', 'snapshot_taken', 'is_subscribed'):
        check = getattr(state, name, None)
        if callable(check):
            try:
                return bool(check(conid))
            except Exception:  # another component's helper with another signature: do not ask
                return True
    for name in ('snapshotted', 'preflighted', 'preflight_done', 'subscribed', 'subscriptions', 'feeds',
                 'open_feeds'):
        known = getattr(state, name, None)
        if known is not None:
            try:
                return conid in known or str(conid) in known
            except TypeError:
                continue
    return True  # the market data state does not say: assume data, ask nothing


def _question_rules() -> Dict[str, Callable[[Any, Ticket], Optional[str]]]:
    """messageId -> rule(gw, ticket) returning the question text, or None when the rule does not apply."""

    def missing_market_data(gw, ticket: Ticket) -> Optional[str]:
        return None if has_market_data(gw, ticket.conid) else MISSING_MARKET_DATA_TEXT

    def price_percentage(gw, ticket: Ticket) -> Optional[str]:
        if ticket.order_type not in ('LMT', 'STOP_LIMIT') or ticket.price is None:
            return None
        pct = gw.config.price_constraint_pct
        last = gw.market.last(ticket.conid)
        if not last or abs(ticket.price / last - 1.0) * 100.0 <= pct:
            return None
        return (f'The following order "{ticket.describe_order()}" price exceeds \nthe Percentage constraint of '
                f'{pct:g}%.' + QUESTION_SUFFIX)

    def trigger_immediately(gw, ticket: Ticket) -> Optional[str]:
        stop = _stop_of(ticket)
        if stop is None:
            return None
        last = gw.market.last(ticket.conid)
        crossed = last >= stop if ticket.side == 'BUY' else last <= stop
        return TRIGGER_IMMEDIATELY_TEXT if crossed else None

    def total_value(gw, ticket: Ticket) -> Optional[str]:
        limit = gw.config.total_value_limit
        value = ticket.quantity * _reference_price(gw, ticket) * ticket.instrument.multiplier
        if not limit or value <= limit:
            return None
        currency = ticket.instrument.currency
        return (f'The following order "{ticket.describe_order(with_price=False)}" value estimate of {value:,.2f} '
                f'{currency} exceeds \nthe Total Value Limit of {limit:,.0f} {currency}.' + QUESTION_SUFFIX)

    def stop_order(gw, ticket: Ticket) -> Optional[str]:
        return STOP_ORDER_TEXT if ticket.order_type in STOP_TYPES else None

    def market_order(gw, ticket: Ticket) -> Optional[str]:
        return MARKET_ORDER_TEXT if ticket.order_type == 'MKT' else None

    return {'o354': missing_market_data, 'o163': price_percentage, 'o403': trigger_immediately,
            'o451': total_value, 'o10331': stop_order, 'o10151': market_order}


QUESTION_RULES = _question_rules()


@dataclass
class PendingSubmission:
    """A submission waiting for the answer to ``questions[0]`` under ``reply_id``."""

    reply_id: str
    kind: str                              # 'place' or 'modify'
    account: str
    tickets: List[Ticket]
    questions: List[Question]
    session_epoch: Any
    created_at: float
    target_order_id: Optional[int] = None  # modify

    def describe(self) -> Dict[str, Any]:
        return {'reply_id': self.reply_id, 'kind': self.kind, 'account': self.account,
                'question': {'messageId': self.questions[0].message_id, 'message': self.questions[0].text},
                'remaining_questions': [q.message_id for q in self.questions[1:]],
                'target_order_id': self.target_order_id, 'created_at': self.created_at,
                'bodies': [t.raw for t in self.tickets]}


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
        return getattr(self.gateway.session, 'brokerage_opened_at', None)

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
        enabled = getattr(config, 'order_question_ids', DEFAULT_QUESTION_IDS)
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
            order.expires_at = (math.floor(now / DAY_SECONDS) + 1) * DAY_SECONDS
        self.orders[order.order_id] = order
        self._live[order.order_id] = order
        if order.coid:
            self._by_coid.setdefault(order.coid, []).append(order)
        return order

    def _quantity_of(self, ticket: Ticket) -> float:
        if ticket.cash_qty is None:
            return ticket.quantity
        return round(ticket.cash_qty / _reference_price(self.gateway, ticket), 2)

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
        if gw.fa.is_group(order.account):  # [fullapi] the group's method splits the fill across sub-accounts
            for account_id, quantity in gw.fa.split(gw.fa.groups[order.account], order.remaining, price).items():
                gw.accounts[account_id].apply_fill(order.instrument, 'B' if order.is_buy else 'S', quantity, price,
                                                   now, order.order_id, gw.ids, order_ref=order.coid)
        else:
            gw.account(order.account).apply_fill(order.instrument, 'B' if order.is_buy else 'S', order.remaining,
                                                 price, now, order.order_id, gw.ids, order_ref=order.coid)
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
