"""The one list of what the simulated gateway serves: each IBKR category's route table and its state.

Adding a category is one line in ``CATEGORIES``, e.g. ``Category('alerts', alerts_routes.routes,
state=AlertState)``: a folder ``ibind/sim/<category>/`` with ``routes.py`` (a ``RouteTable``) and, if it
keeps state, ``state.py`` (a class built from the gateway on every reset, reachable to handlers as
``gw.<name>``). The categories mirror the client's
``ibind/client/ibkr_client_mixins/<category>_mixin.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple, Union

from ibind.sim import extra_routes
from ibind.sim.accounts import routes as accounts_routes
from ibind.sim.alerts import routes as alerts_routes
from ibind.sim.alerts.state import AlertBook
from ibind.sim.contract import routes as contract_routes
from ibind.sim.contract.state import ContractState
from ibind.sim.control import routes as control_routes
from ibind.sim.fa import routes as fa_routes
from ibind.sim.fa.state import FaState
from ibind.sim.forecast import routes as forecast_routes
from ibind.sim.forecast.state import ForecastUniverse
from ibind.sim.fyi import routes as fyi_routes
from ibind.sim.fyi.state import FyiCenter
from ibind.sim.interfaces import AllocationGroups, BrokerageSession, ContractSearches, MarketDataFeeds
from ibind.sim.marketdata import routes as marketdata_routes
from ibind.sim.marketdata.state import MarketDataState
from ibind.sim.oauth import routes as oauth_routes
from ibind.sim.orders import routes as orders_routes
from ibind.sim.orders.book import OrderBook
from ibind.sim.portfolio import analyst as portfolio_analyst_routes
from ibind.sim.portfolio import routes as portfolio_routes
from ibind.sim.portfolio.state import PortfolioState
from ibind.sim.scanner import routes as scanner_routes
from ibind.sim.session import routes as session_routes
from ibind.sim.session.state import SessionState
from ibind.sim.streaming import control as streaming_control
from ibind.sim.transport.router import RouteTable
from ibind.sim.watchlist import routes as watchlist_routes
from ibind.sim.watchlist.state import WatchlistStore

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway


@dataclass(frozen=True)
class Category:
    """One IBKR category: its routes and, if it keeps state, where the state lives on the gateway.

    ``state`` builds the category's state from the gateway on every reset (in ``CATEGORIES`` order, so a
    state may use the states listed before it); the gateway keeps it as ``gw.<attribute>`` (by default
    ``gw.<name>``). With ``describe_as`` the state's ``describe()`` appears under that key of
    ``GET /sim/state``. ``provides`` lists the interfaces of ``ibind.sim.interfaces`` other components may
    use the state through.
    """

    name: str
    routes: Union[RouteTable, Tuple[RouteTable, ...]]  # one table, or a few when the category is large
    attribute: Optional[str] = None  # None: the category's name
    state: Optional[Callable[[Gateway], Any]] = None
    describe_as: Optional[str] = None
    provides: Tuple[type, ...] = ()

    @property
    def state_attribute(self) -> str:
        """The gateway attribute of the state: ``attribute``, else the category's name."""
        return self.attribute or self.name

    @property
    def tables(self) -> Tuple[RouteTable, ...]:
        return self.routes if isinstance(self.routes, tuple) else (self.routes,)


def _session_state(gw: Gateway) -> SessionState:
    return SessionState(gw.config, gw.clock, gw.rng)


def _fyi_state(gw: Gateway) -> FyiCenter:
    """A fresh notification centre; the gateway's listeners (a streaming layer) stay subscribed across resets."""
    center = FyiCenter(gw)
    center.listeners = gw.fyi_listeners
    return center


def _forecast_state(gw: Gateway) -> ForecastUniverse:
    return ForecastUniverse(gw.clock.now())


def _no_prompt_answers(gw: Gateway) -> List[Any]:
    """The answers to server prompts (POST /iserver/notification), newest last."""
    return []


CATEGORIES: List[Category] = [
    Category('oauth', oauth_routes.routes),
    Category(
        'session', session_routes.routes, state=_session_state, describe_as='session', provides=(BrokerageSession,)
    ),
    Category('accounts', accounts_routes.routes),
    Category(
        'contract',
        contract_routes.routes,
        attribute='contracts',
        state=ContractState,
        describe_as='contracts',
        provides=(ContractSearches,),
    ),
    Category(
        'marketdata',
        marketdata_routes.routes,
        state=MarketDataState,
        describe_as='marketdata',
        provides=(MarketDataFeeds,),
    ),
    Category('orders', orders_routes.routes, state=OrderBook, describe_as='orders'),
    Category('portfolio', (portfolio_routes.routes, portfolio_analyst_routes.routes), state=PortfolioState),
    Category('scanner', scanner_routes.routes),
    Category(
        'watchlist', watchlist_routes.routes, attribute='watchlists', state=WatchlistStore, describe_as='watchlists'
    ),
    # the categories of the full API (issue 13); FYI before alerts: a triggered alert posts an FYI notification
    Category('fyi', fyi_routes.routes, state=_fyi_state, describe_as='fyi'),
    Category('alerts', alerts_routes.routes, state=AlertBook, describe_as='alerts'),
    Category('fa', fa_routes.routes, state=FaState, describe_as='fa', provides=(AllocationGroups,)),
    Category('forecast', forecast_routes.routes, state=_forecast_state),
    # routes the full API adds to existing categories (portfolio analyst, contract, orders' prompts, search)
    Category('additions', extra_routes.routes, attribute='prompt_answers', state=_no_prompt_answers),
]

CONTROL_TABLES: List[RouteTable] = [control_routes.routes, streaming_control.routes]  # /sim/..., /sim/ws


def api_tables() -> List[RouteTable]:
    """The route tables below /v1/api, in registration order."""
    return [table for category in CATEGORIES for table in category.tables]


def control_tables() -> List[RouteTable]:
    """The route tables of the control API below /sim."""
    return list(CONTROL_TABLES)
