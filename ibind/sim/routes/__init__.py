"""Route tables of the simulated gateway, one module per IBKR documentation category."""

from __future__ import annotations

from typing import List

from ibind.sim.router import RouteTable


def api_tables() -> List[RouteTable]:
    from ibind.sim import oauth
    from ibind.sim.routes import (accounts, contract, marketdata, orders, portfolio, scanner, session,
                                  watchlist)

    return [module.routes for module in (oauth, session, accounts, contract, marketdata, orders, portfolio, scanner,
                                         watchlist)]


def control_tables() -> List[RouteTable]:
    from ibind.sim.routes import control
    from ibind.sim.streaming import control as streaming_control  # /sim/ws

    return [control.routes, streaming_control.routes]
