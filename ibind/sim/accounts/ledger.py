"""Accounts of the simulated broker: cash by currency, positions, executions.

Fills are the only thing that moves positions and cash; every portfolio, ledger, PnL and
transaction view is computed from this state and the market, so they always agree with each other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ibind.sim.engine.universe import Instrument

DEFAULT_CASH = 1_000_000.0


@dataclass
class Position:
    conid: int
    quantity: float = 0.0
    avg_price: float = 0.0  # per unit, without multiplier
    realized_pnl: float = 0.0


@dataclass
class Execution:
    execution_id: str
    order_id: int
    account: str
    conid: int
    side: str  # 'B' or 'S'
    quantity: float
    price: float
    commission: float
    time: float  # simulated epoch seconds
    order_ref: Optional[str] = None  # the order's cOID
    exchange: str = ''
    realized_pnl: float = 0.0

    @property
    def net_amount(self) -> float:
        return round(self.quantity * self.price, 2)


def commission_for(instrument: Instrument, quantity: float, price: float) -> float:
    """IBKR Pro fixed-rate style: USD 0.005 per share, at least 1.00, at most 1% of the trade value."""
    value = abs(quantity) * price * instrument.multiplier
    if instrument.sec_type in ('OPT', 'FOP'):
        return round(max(1.0, 0.65 * abs(quantity)), 2)
    if instrument.sec_type == 'FUT':
        return round(0.85 * abs(quantity), 2)
    if instrument.sec_type == 'CASH':
        return round(max(2.0, value * 0.00002), 2)
    return round(min(max(1.0, 0.005 * abs(quantity)), max(1.0, value * 0.01)), 2)


@dataclass
class Account:
    account_id: str
    base_currency: str = 'USD'
    alias: Optional[str] = None
    title: str = ''
    account_type: str = 'DEMO'
    trading_type: str = 'PMRGN'
    is_paper: bool = True
    cash: Dict[str, float] = field(default_factory=lambda: {'USD': DEFAULT_CASH})
    positions: Dict[int, Position] = field(default_factory=dict)
    executions: List[Execution] = field(default_factory=list)
    created_at: float = 0.0
    starting_cash: float = DEFAULT_CASH

    def position(self, conid: int) -> Position:
        return self.positions.setdefault(conid, Position(conid))

    def apply_fill(
        self,
        instrument: Instrument,
        side: str,
        quantity: float,
        price: float,
        now: float,
        order_id: int,
        execution_ids: itertools.count,
        order_ref: Optional[str] = None,
        commission: Optional[float] = None,
    ) -> Execution:
        """Book a fill: cash, position (average price, realized PnL) and the execution record."""
        if side not in ('B', 'S'):
            raise ValueError(f'side must be B or S, got {side!r}')
        commission = commission_for(instrument, quantity, price) if commission is None else commission
        signed = quantity if side == 'B' else -quantity
        position = self.position(instrument.conid)
        realized = 0.0
        if position.quantity and (position.quantity > 0) != (signed > 0):
            closing = min(abs(signed), abs(position.quantity))
            direction = 1 if position.quantity > 0 else -1
            realized = (price - position.avg_price) * closing * direction * instrument.multiplier
            position.realized_pnl += realized
        new_quantity = position.quantity + signed
        if new_quantity == 0:
            position.avg_price = 0.0
        elif position.quantity == 0 or (position.quantity > 0) != (new_quantity > 0):
            position.avg_price = price  # opened, or flipped through zero
        elif (position.quantity > 0) == (signed > 0):
            position.avg_price = (position.avg_price * abs(position.quantity) + price * abs(signed)) / abs(new_quantity)
        position.quantity = new_quantity
        currency = instrument.currency
        self.cash[currency] = self.cash.get(currency, 0.0) - signed * price * instrument.multiplier
        self.cash[self.base_currency] = self.cash.get(self.base_currency, 0.0) - commission
        execution = Execution(
            execution_id=f'{next(execution_ids):08x}.{int(now):x}.01.01',
            order_id=order_id,
            account=self.account_id,
            conid=instrument.conid,
            side=side,
            quantity=abs(quantity),
            price=price,
            commission=commission,
            time=now,
            order_ref=order_ref,
            exchange=instrument.exchange,
            realized_pnl=round(realized - commission, 2),
        )
        self.executions.append(execution)
        return execution

    def open_positions(self) -> List[Position]:
        return [p for p in self.positions.values() if p.quantity]
