"""Pre-trade checks as the order is transmitted: fractional quantities and margin.

Fractions (``fraction_rejection``): only US stocks and ETFs trade in fractions of a share (IBKR's
fractional trading); options, futures, bonds and non-US listings take whole units (forex amounts are
free). IBKR's exact rejection text for this case is not documented; the simulator's is terse.

Margin check (``SimConfig.margin_checks``): an order that would raise the account's initial
margin above its equity with loan value is rejected with IBKR's text, as the order is transmitted (after
its questions were answered).

Requirements follow ibind.sim.accounts.figures (25% of a stock position's value, 10% for futures, 3% for
forex; a long option costs its whole premium). Orders that only reduce a position always pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from ibind.sim.accounts.figures import DEFAULT_MARGIN, MARGIN_RATES, account_figures
from ibind.sim.orders.questions import reference_price

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import AllocationGroups
    from ibind.sim.orders.tickets import Ticket

# IBKR's rejection, as TWS and the Client Portal show it
MARGIN_REJECT = (
    'YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE '
    '[{equity:.2f} {currency}] MUST EXCEED THE INITIAL MARGIN [{required:.2f} {currency}]'
)


FRACTION_REJECT = 'Fractional-sized order is not supported for this contract'


def fraction_rejection(tickets: Sequence[Ticket]) -> Optional[str]:
    """The rejection of a fractional quantity for an instrument that only trades whole units."""
    for ticket in tickets:
        instrument = ticket.instrument
        if instrument.sec_type == 'CASH' or float(ticket.quantity).is_integer():
            continue
        if instrument.sec_type != 'STK' or not instrument.is_us:
            return FRACTION_REJECT
    return None


def margin_rejection(gw: Gateway, tickets: Sequence[Ticket], now: float) -> Optional[str]:
    """IBKR's rejection text when the tickets together need more initial margin than the account has."""
    groups: AllocationGroups = gw.fa
    if not gw.config.margin_checks or not tickets or groups.is_group(tickets[0].account):
        return None  # (an FA group's order is split across its accounts; each is checked by the broker, not here)
    account = gw.account(tickets[0].account)
    figures = account_figures(gw, account, now)
    added = 0.0
    for ticket in tickets:
        if ticket.parent_ref is not None:  # bracket children close what the parent opens
            continue
        instrument = ticket.instrument
        position = account.positions.get(instrument.conid)
        current = position.quantity if position else 0.0
        signed = ticket.quantity if ticket.side == 'BUY' else -ticket.quantity
        growth = abs(current + signed) - abs(current)
        if growth <= 0:
            continue
        rate = MARGIN_RATES.get(instrument.sec_type, DEFAULT_MARGIN)[0]
        if instrument.sec_type in ('OPT', 'FOP', 'WAR') and signed > 0:
            rate = 1.0
        added += growth * reference_price(gw, ticket) * (instrument.multiplier or 1.0) * rate
    if added <= 0:
        return None
    required = figures.initial_margin + added
    if required <= figures.equity_with_loan:
        return None
    return MARGIN_REJECT.format(equity=figures.equity_with_loan, required=required, currency=figures.base)
