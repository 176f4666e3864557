"""Route tables of the simulated gateway, one module per IBKR documentation category."""

from __future__ import annotations

from typing import List

from ibind.sim.router import RouteTable


def api_tables() -> List[RouteTable]:
    from ibind.sim import oauth
    from ibind.sim.routes import (accounts, contract, marketdata, orders, portfolio, scanner, session,
                                  watchlist)

    tables = [module.routes for module in (oauth, session, accounts, contract, marketdata, orders, portfolio, scanner,
                                           watchlist)]
    # [fullapi] the categories of issue 13 (alerts, FYI, FA, event contracts) and its additions to existing ones
    from ibind.sim import extra_routes
    from ibind.sim.alerts import routes as alert_routes
    from ibind.sim.fa import routes as fa_routes
    from ibind.sim.forecast import routes as forecast_routes
    from ibind.sim.fyi import routes as fyi_routes

    tables += [m.routes for m in (alert_routes, fyi_routes, fa_routes, forecast_routes, extra_routes)]
    return tables


def control_tables() -> List[RouteTable]:
    from ibind.sim.routes import control

    return [control.routes]
