"""The simulated gateway: one coherent broker state and the dispatch of every request to its route.

``Gateway.handle`` is the whole request path, in order: match the route, let the middlewares look
at the request (OAuth signatures, pacing, injected faults), account the request as session activity,
check the session level the route needs, run the handler under the state lock, let the middlewares
see the response, count it. The HTTP server around it only parses and writes bytes.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ibind.sim.accounts.ledger import Account
from ibind.sim.categories import CATEGORIES, api_tables, control_tables
from ibind.sim.config import SimConfig
from ibind.sim.engine.calendar import MarketCalendar
from ibind.sim.engine.clock import SimClock
from ibind.sim.engine.market import Market
from ibind.sim.engine.synthetic import build_universe
from ibind.sim.faults import FaultMiddleware
from ibind.sim.middleware import Middleware
from ibind.sim.oauth import OAuthMiddleware, OAuthState
from ibind.sim.pacing import PacingMiddleware
from ibind.sim.streaming import StreamingHub
from ibind.sim.transport.http import ApiError, SimRequest, SimResponse, html_not_found
from ibind.sim.transport.router import Route, Router

if TYPE_CHECKING:
    from ibind.sim.alerts.state import AlertBook
    from ibind.sim.contract.state import ContractState
    from ibind.sim.fa.state import FaState
    from ibind.sim.forecast.state import ForecastUniverse
    from ibind.sim.fyi.state import FyiCenter
    from ibind.sim.marketdata.state import MarketDataState
    from ibind.sim.orders.book import OrderBook
    from ibind.sim.portfolio.state import PortfolioState
    from ibind.sim.session.state import SessionState
    from ibind.sim.watchlist.state import WatchlistStore


class RequestCounters:
    """Requests per route and per status, as /sim/state reports them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: Dict[str, Dict[str, Any]] = {}
        self.by_status: Dict[str, int] = defaultdict(int)
        self.total = 0

    def count(self, route: str, status: int) -> None:
        with self._lock:
            entry = self.by_route.setdefault(route, {'count': 0, 'statuses': defaultdict(int)})
            entry['count'] += 1
            entry['statuses'][str(status)] += 1
            self.by_status[str(status)] += 1
            self.total += 1

    def describe(self) -> Dict[str, Any]:
        with self._lock:
            return {
                'total': self.total,
                'by_status': dict(self.by_status),
                'by_route': {
                    k: {'count': v['count'], 'statuses': dict(v['statuses'])} for k, v in sorted(self.by_route.items())
                },
            }


class Gateway:
    """One simulated gateway: the engine (clock, universe, market), the accounts, each category's state and the layers.

    The category states are built from ``ibind.sim.categories.CATEGORIES`` on every reset, kept in
    ``self.states`` by category name and as the attributes below (for handlers: ``gw.orders``...).
    """

    session: SessionState
    contracts: ContractState
    marketdata: MarketDataState
    orders: OrderBook
    portfolio: PortfolioState
    watchlists: WatchlistStore
    fyi: FyiCenter
    alerts: AlertBook
    fa: FaState
    forecast: ForecastUniverse
    prompt_answers: List[Dict[str, Any]]  # POST /iserver/notification

    def __init__(self, config: Optional[SimConfig] = None):
        self.config = config or SimConfig()
        self.public_scheme = 'http'  # the server sets 'https' when it serves TLS (OAuth signs the scheme)
        self.restart_hook: Optional[Callable[[float], None]] = None  # set by the server: close/reopen its socket
        self.lock = threading.RLock()
        self.clock = SimClock(start=self.config.start_time, frozen=self.config.frozen_clock)
        self.api = Router(api_tables())
        self.control = Router(control_tables())
        self.middlewares: List[Middleware] = self._standard_middlewares()
        # the /v1/api/ws stream (ibind.sim.streaming): it outlives resets, which close its streams (a middleware)
        self.streaming = StreamingHub(self)
        self.middlewares.append(self.streaming)
        # who hears each FYI notification: kept across resets. The stream publishes each as IBKR's 'ntf'.
        self.fyi_listeners: List[Callable[..., None]] = [self.streaming.publish_notification]
        self.reset()

    @staticmethod
    def _standard_middlewares() -> List[Middleware]:
        return [FaultMiddleware(), OAuthMiddleware(), PacingMiddleware()]

    @property
    def faults(self) -> FaultMiddleware:
        """The fault injection rules (see ibind.sim.faults)."""
        return next(m for m in self.middlewares if isinstance(m, FaultMiddleware))

    @property
    def oauth_state(self) -> OAuthState:
        """The live session token and nonce bookkeeping of the OAuth middleware."""
        return next(m for m in self.middlewares if isinstance(m, OAuthMiddleware)).state

    # ----------------------------------------------------------------- state

    def reset(self) -> None:
        """Back to the initial state of this seed (the clock keeps running)."""
        with self.lock:
            config = self.config
            self.rng = random.Random(config.seed)
            self.ids = itertools.count(1)
            self.universe = build_universe(broad=config.broad_universe, strict=config.strict_universe)
            if config.instruments_file:
                self.universe.load_json(config.instruments_file)
            self.calendar = MarketCalendar(enabled=config.market_hours)
            self.market = Market(self.universe, config.seed, self.clock, self.calendar)
            now = self.clock.now()
            self.accounts: Dict[str, Account] = {
                account_id: Account(account_id, created_at=now, alias=account_id) for account_id in config.accounts
            }
            self.selected_account = config.accounts[0]
            self.states: Dict[str, Any] = {}  # category name -> its state, also reachable as gw.<attribute>
            for category in CATEGORIES:
                if category.state is not None:
                    self.states[category.name] = category.state(self)
                    setattr(self, category.state_attribute, self.states[category.name])
            self.counters = RequestCounters()
            for middleware in self.middlewares:
                middleware.reset(self)

    def account(self, account_id: Any) -> Account:
        """An account of this user; an unknown id is the gateway's 400."""
        account = self.accounts.get(str(account_id))
        if account is None:
            raise ApiError(400, f'Account {account_id} not found')  # terse; the client adds the advice
        return account

    def describe(self) -> Dict[str, Any]:
        with self.lock:
            self.orders.sync(self.clock.now())  # state as of now: orders due to fill have filled
            state: Dict[str, Any] = {
                'clock': self.clock.describe(),
                'accounts': {aid: _describe_account(a) for aid, a in self.accounts.items()},
                'selected_account': self.selected_account,
            }
            for category in CATEGORIES:
                if category.describe_as is not None:
                    state[category.describe_as] = self.states[category.name].describe()
            state['universe'] = self.universe.describe()
            state['counters'] = self.counters.describe()
            for middleware in self.middlewares:
                extra = middleware.describe()
                if extra:
                    state.update(extra)
            return state

    # ----------------------------------------------------------------- requests

    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one request below /v1/api."""
        # [fullapi] HEAD is answered like GET (the server drops the body); a 405 names the allowed methods
        method = 'GET' if request.method == 'HEAD' else request.method
        route, params, other_method = self.api.match(method, request.path)
        if route is None:
            if other_method:
                response = _method_not_allowed(self.api, request.path)
            else:
                response = html_not_found()
            self.counters.count(f'{request.method} (unknown)', response.status)
            return response
        request.path_params = params
        request.route = route.name
        response = self._run(route, request)
        self.counters.count(route.name, response.status)
        return response

    def handle_control(self, request: SimRequest) -> SimResponse:
        """Answer one request of the control API below /sim."""
        method = 'GET' if request.method == 'HEAD' else request.method  # [fullapi] HEAD like GET
        route, params, other_method = self.control.match(method, request.path)
        if route is None:
            if other_method:
                return _method_not_allowed(self.control, request.path)
            return ApiError(404, 'no such control endpoint').to_response()
        request.path_params = params
        request.route = route.name
        try:
            _refuse_unusable_numbers(request.raw_body)
            with self.lock:
                result = route.handler(self, request)
        except ApiError as error:
            return error.to_response()
        return result if isinstance(result, SimResponse) else SimResponse(body=result)

    def _run(self, route: Route, request: SimRequest) -> SimResponse:
        try:
            with self.lock:
                response = None
                for middleware in self.middlewares:
                    response = middleware.before(self, request, route)
                    if response is not None:
                        break
                if response is None:
                    now = self.clock.now()
                    self.orders.sync(now)  # working orders fill as simulated time passes
                    self.alerts.sync(now)  # [fullapi] alerts fire as the price path crosses them
                    if route.session != 'none':
                        self.session.observe(now)
                        self.session.require(route.session)
                    result = route.handler(self, request)
                    response = result if isinstance(result, SimResponse) else SimResponse(body=result)
        except ApiError as error:
            response = error.to_response()
        for middleware in reversed(self.middlewares):
            response = middleware.after(self, request, route, response)
        return response


def _method_not_allowed(router: Router, path: str) -> SimResponse:
    """405 with the ``Allow`` header RFC 9110 requires (OPTIONS included: the gateway answers it with 405 too)."""
    allowed = ', '.join(router.allowed_methods(path))
    return ApiError(405, f'Method Not Allowed (allowed: {allowed})', headers={'Allow': allowed}).to_response()


def _refuse_constant(name: str) -> Any:
    raise ApiError(400, f'Bad Request: {name} is not a number the simulator can use')


def _refuse_unusable_numbers(raw_body: bytes) -> None:
    """Control bodies may not hold NaN or Infinity (Python's json reads them) nor nest beyond the parser."""
    if not raw_body:
        return
    try:
        json.loads(raw_body.decode('utf-8', errors='replace'), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, 'Bad Request: the body is not valid JSON') from None


def _describe_account(account: Account) -> Dict[str, Any]:
    return {
        'cash': {k: round(v, 2) for k, v in account.cash.items()},
        'positions': {
            str(p.conid): {
                'quantity': p.quantity,
                'avg_price': round(p.avg_price, 6),
                'realized_pnl': round(p.realized_pnl, 2),
            }
            for p in account.open_positions()
        },
        'executions': len(account.executions),
    }
