"""The precautionary questions of an order submission (``/iserver/reply``) and the submission waiting for them.

``QUESTION_RULES`` maps a message id (``o354``, ``o163``...) to the rule that asks it for a ticket;
``SimConfig.order_question_ids`` picks which rules are on. ``PendingSubmission`` is the one submission
that may be waiting for a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ibind.sim.orders.tickets import STOP_TYPES, Ticket

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import MarketDataFeeds

QUESTION_SUFFIX = '\nAre you sure you want to submit this order?'
MISSING_MARKET_DATA_TEXT = (
    'You are submitting an order without market data. We strongly recommend against this '
    'as it may result in erroneous and unexpected trades.' + QUESTION_SUFFIX
)
STOP_ORDER_TEXT = (
    'You are about to submit a stop order. Please be aware of the various stop order types available '
    'and the risks associated with each one.' + QUESTION_SUFFIX
)
TRIGGER_IMMEDIATELY_TEXT = 'This order will most likely trigger and fill immediately.' + QUESTION_SUFFIX
MARKET_ORDER_TEXT = (
    'You are about to submit a market order. A market order executes at the best price available '
    'when it reaches the market, which may differ from the last traded price.' + QUESTION_SUFFIX
)
FRACTIONS_OUTSIDE_RTH_TEXT = (
    'This instrument does not support trading in fractions outside regular trading hours.' + QUESTION_SUFFIX
)  # seed 002 describes o2165 without quoting it
NOT_CONFIRMED = 'Order not confirmed '  # IBKR's OpenAPI example text, trailing space included


@dataclass(frozen=True)
class Question:
    message_id: str
    text: str

    def payload(self, reply_id: str) -> List[Dict[str, Any]]:
        """The documented "Alternate Response Object" of an order request."""
        return [{'id': reply_id, 'message': [self.text], 'isSuppressed': False, 'messageIds': [self.message_id]}]


def reference_price(gw: Gateway, ticket: Ticket) -> float:
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


def has_market_data(gw: Gateway, conid: int) -> bool:
    """Did this brokerage session take a market data snapshot of ``conid``? (asks ``MarketDataFeeds``)"""
    feeds: MarketDataFeeds = gw.marketdata
    return feeds.has_market_data(conid)


def _question_rules() -> Dict[str, Callable[[Any, Ticket], Optional[str]]]:
    """messageId -> rule(gw, ticket) returning the question text, or None when the rule does not apply."""

    def missing_market_data(gw: Gateway, ticket: Ticket) -> Optional[str]:
        return None if has_market_data(gw, ticket.conid) else MISSING_MARKET_DATA_TEXT

    def price_percentage(gw: Gateway, ticket: Ticket) -> Optional[str]:
        if ticket.order_type not in ('LMT', 'STOP_LIMIT') or ticket.price is None:
            return None
        pct = gw.config.price_constraint_pct
        last = gw.market.last(ticket.conid)
        if not last or abs(ticket.price / last - 1.0) * 100.0 <= pct:
            return None
        return (
            f'The following order "{ticket.describe_order()}" price exceeds \nthe Percentage constraint of '
            f'{pct:g}%.' + QUESTION_SUFFIX
        )

    def trigger_immediately(gw: Gateway, ticket: Ticket) -> Optional[str]:
        stop = _stop_of(ticket)
        if stop is None:
            return None
        last = gw.market.last(ticket.conid)
        crossed = last >= stop if ticket.side == 'BUY' else last <= stop
        return TRIGGER_IMMEDIATELY_TEXT if crossed else None

    def total_value(gw: Gateway, ticket: Ticket) -> Optional[str]:
        limit = gw.config.total_value_limit
        value = ticket.quantity * reference_price(gw, ticket) * ticket.instrument.multiplier
        if not limit or value <= limit:
            return None
        currency = ticket.instrument.currency
        return (
            f'The following order "{ticket.describe_order(with_price=False)}" value estimate of {value:,.2f} '
            f'{currency} exceeds \nthe Total Value Limit of {limit:,.0f} {currency}.' + QUESTION_SUFFIX
        )

    def stop_order(gw: Gateway, ticket: Ticket) -> Optional[str]:
        return STOP_ORDER_TEXT if ticket.order_type in STOP_TYPES else None

    def market_order(gw: Gateway, ticket: Ticket) -> Optional[str]:
        return MARKET_ORDER_TEXT if ticket.order_type == 'MKT' else None

    def fractions_outside_rth(gw: Gateway, ticket: Ticket) -> Optional[str]:
        fractional = not float(ticket.quantity).is_integer() and ticket.instrument.sec_type == 'STK'
        return FRACTIONS_OUTSIDE_RTH_TEXT if fractional and ticket.outside_rth else None

    return {
        'o354': missing_market_data,
        'o163': price_percentage,
        'o403': trigger_immediately,
        'o451': total_value,
        'o10331': stop_order,
        'o10151': market_order,
        'o2165': fractions_outside_rth,
    }


QUESTION_RULES = _question_rules()


@dataclass
class PendingSubmission:
    """A submission waiting for the answer to ``questions[0]`` under ``reply_id``."""

    reply_id: str
    kind: str  # 'place' or 'modify'
    account: str
    tickets: List[Ticket]
    questions: List[Question]
    session_epoch: Any
    created_at: float
    target_order_id: Optional[int] = None  # modify

    def describe(self) -> Dict[str, Any]:
        return {
            'reply_id': self.reply_id,
            'kind': self.kind,
            'account': self.account,
            'question': {'messageId': self.questions[0].message_id, 'message': self.questions[0].text},
            'remaining_questions': [q.message_id for q in self.questions[1:]],
            'target_order_id': self.target_order_id,
            'created_at': self.created_at,
            'bodies': [t.raw for t in self.tickets],
        }
