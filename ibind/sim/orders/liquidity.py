"""How much of an order trades at once (``SimConfig.partial_fills``): the displayed size at the touch.

IBKR fills a large order in pieces as liquidity shows up. The simulator's book has, at every instant,
the size the snapshot shows (fields 84/86 sizes 88/85: 1-41 lots of 100 shares for US stocks, 1-41
contracts for derivatives), and it refills every ``REFILL_SECONDS`` of simulated time. A marketable order
takes one displayed size at once and the rest as time passes (``POST /sim/clock`` or real time), so it is
``Submitted`` with a filled quantity in between, like a real partial fill. Forex (IDEALPRO) fills whole.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ibind.sim.engine.market import unit_noise

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.orders.tickets import SimOrder

REFILL_SECONDS = 1.0
_K_SIZE = 200  # the snapshot's size noise key (ibind.sim.marketdata.fields)


def displayed_size(gw: Gateway, order: SimOrder, t: float) -> float:
    """Shares (or contracts) shown at the touch the order would take, at instant ``t``."""
    instrument = order.instrument
    kind = 86 if order.is_buy else 84  # buying takes the ask size, selling the bid size
    lots = 1 + int((unit_noise(gw.config.seed, instrument.conid, _K_SIZE + kind + 1, int(t)) + 1.0) * 20)
    return float(lots * 100) if instrument.sec_type == 'STK' else float(lots)


def fill_quantity(gw: Gateway, order: SimOrder, t0: float, t1: float) -> float:
    """How much of the order's remaining quantity trades over [t0, t1] (one displayed size per refill)."""
    remaining = order.remaining
    if not gw.config.partial_fills or order.instrument.sec_type == 'CASH':
        return remaining
    refills = max(1, math.floor((t1 - t0) / REFILL_SECONDS))
    return min(remaining, displayed_size(gw, order, t0) * refills)
