"""What an order is: the ticket a request carries (parsed and checked as IBKR does) and the accepted order.

``parse_ticket`` turns one JSON order object into a ``Ticket`` (invalid content is an ``ApiError`` with the
caller's status; business rejects are ``reject``); ``SimOrder`` is an order the book accepted, with its
status, prices, fills and times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import AllocationGroups

ORDER_TYPES = ('MKT', 'LMT', 'STP', 'STOP_LIMIT', 'MIDPRICE', 'TRAIL', 'TRAILLMT')
STOP_TYPES = frozenset({'STP', 'STOP_LIMIT', 'TRAIL', 'TRAILLMT'})
TIFS = ('GTC', 'OPG', 'DAY', 'IOC', 'PAX')
SIDES = ('BUY', 'SELL')
OPEN_STATUSES = frozenset({'PreSubmitted', 'Submitted'})
STATUSES = (
    'Inactive',
    'PendingSubmit',
    'PreSubmitted',
    'Submitted',
    'Filled',
    'PendingCancel',
    'Cancelled',
    'WarnState',
)


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
    side: str  # BUY or SELL
    quantity: float
    order_type: str  # one of ORDER_TYPES
    tif: str
    price: Optional[float] = None  # limit price; the stop price of STP/TRAIL; the cap of MIDPRICE
    aux_price: Optional[float] = None  # the stop price of STOP_LIMIT/TRAILLMT
    trailing_amt: Optional[float] = None
    trailing_type: Optional[str] = None  # 'amt' or '%'
    outside_rth: bool = False
    coid: Optional[str] = None
    parent_ref: Optional[str] = None  # parentId as received: a cOID or an order id
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


def parse_ticket(gw: Gateway, raw: Any, default_account: str, invalid_status: int) -> Ticket:
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
        conid = int(str(conid_value if conid_value is not None else (conidex_text or '').split('@')[0]).strip())
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
    if acct_id is not None:  # an FA allocation group's name places an order split across its accounts
        groups: AllocationGroups = gw.fa
        account = acct_id if groups.is_group(acct_id) else gw.account(acct_id).account_id
    parent_ref = raw.get('parentId')
    return Ticket(
        instrument=instrument,
        conidex=conidex_text,
        account=account,
        side=side.strip().upper(),
        quantity=quantity if quantity is not None else 0.0,
        order_type=order_type,
        tif=tif.strip().upper(),
        price=price,
        aux_price=aux_price,
        trailing_amt=trailing_amt,
        trailing_type=trailing_type,
        outside_rth=_flag('outsideRTH', outside, invalid),
        coid=_text('cOID', raw.get('cOID'), invalid),
        parent_ref=_text('parentId', parent_ref, invalid),
        single_group=_flag('isSingleGroup', raw.get('isSingleGroup'), invalid),
        listing_exchange=_text('listingExchange', raw.get('listingExchange'), invalid) or 'SMART',
        cash_qty=cash_qty,
        raw=raw,
    )


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
    parent_id: Optional[int] = None  # the order id of the bracket parent
    parent_ref: Optional[str] = None  # parentId as received
    oca_group: Optional[str] = None
    status: str = 'PendingSubmit'
    held: bool = False  # a bracket child waiting for its parent's fill
    triggered: bool = False  # a stop that has been elected
    limit_price: Optional[float] = None  # working limit (LMT, triggered STOP_LIMIT/TRAILLMT, MIDPRICE cap)
    stop_price: Optional[float] = None  # working stop (STP, STOP_LIMIT, TRAIL, TRAILLMT)
    working_since: float = 0.0
    expires_at: Optional[float] = None  # DAY/OPG: the next 00:00 UTC after placement (see orders.hours)
    queued_until: Optional[float] = None  # placed while the market was closed: works from this open
    filled: float = 0.0
    avg_price: Optional[float] = None
    updated_at: float = 0.0
    last_execution_at: Optional[float] = None
    cancel_reason: Optional[str] = None
    modifications: List[Dict[str, Any]] = field(default_factory=list)
    # an FA group order: each account's shares of the whole order (set at its first fill), and those booked so far
    allocation: Optional[Dict[str, int]] = None
    allocated: Dict[str, int] = field(default_factory=dict)

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
            'order_id': self.order_id,
            'account': self.account,
            'conid': self.conid,
            'conidex': self.conidex,
            'symbol': self.instrument.symbol,
            'side': self.side,
            'quantity': self.quantity,
            'order_type': self.order_type,
            'price': self.price,
            'aux_price': self.aux_price,
            'limit_price': self.limit_price,
            'stop_price': self.stop_price,
            'trailing_amt': self.trailing_amt,
            'trailing_type': self.trailing_type,
            'tif': self.tif,
            'outside_rth': self.outside_rth,
            'coid': self.coid,
            'parent_id': self.parent_id,
            'parent_ref': self.parent_ref,
            'oca_group': self.oca_group,
            'status': self.status,
            'held': self.held,
            'triggered': self.triggered,
            'filled_quantity': self.filled,
            'remaining_quantity': self.remaining,
            'avg_fill_price': self.avg_price,
            'created_at': self.created_at,
            'updated_at': self.updated_at,
            'last_execution_at': self.last_execution_at,
            'expires_at': self.expires_at,
            'queued_until': self.queued_until,
            'cancel_reason': self.cancel_reason,
            'body': self.body,
            'modifications': list(self.modifications),
        }


# ============================================================================ questions
