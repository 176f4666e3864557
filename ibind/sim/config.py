"""Everything a simulator run can be configured with. Defaults reproduce the gateway as documented."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Dict, Optional, Tuple

DEFAULT_ACCOUNT = 'DU1234567'


@dataclass
class SimConfig:
    # --- identity and determinism
    seed: int = 0
    accounts: Tuple[str, ...] = (DEFAULT_ACCOUNT,)
    financial_advisor: bool = False  # FA/multi-account: a master account over the sub-accounts
    instruments_file: Optional[str] = None  # extra instruments (JSON), see docs/simulator.md
    broad_universe: bool = True  # S&P 500, Nasdaq-100, top US ETFs (off: only the classic few dozen)
    strict_universe: bool = False  # unknown tickers are unknown (off: a synthetic stock per ticker)
    username: str = 'simuser1'

    # --- time
    start_time: Optional[float] = None  # simulated epoch at start (None: now)
    frozen_clock: bool = False  # time only moves through POST /sim/clock
    market_hours: bool = False  # markets close: NYSE hours/holidays, futures/forex sessions
    # (off: every market trades around the clock, as before)

    # --- sessions
    brokerage_auto_init: bool = True  # gateway mode: the brokerage session opens at login
    idle_timeout: Optional[float] = 360.0  # seconds without requests before the brokerage session drops
    sso_lifetime: float = 24 * 3600.0  # read-only session lifetime (sso/validate EXPIRES)

    # --- documented quirks (each can be switched off)
    preflight_snapshot: bool = True  # first snapshot of a conid has no market data fields
    hmds_first_404: bool = True  # the first /hmds/history request answers 404
    require_accounts_first: bool = True  # /iserver/accounts before snapshot, orders, modify, cancel
    force_orders_empty: bool = True  # /iserver/account/orders?force=true answers an empty list
    require_content_length: bool = True  # POST/PUT without Content-Length answers 411
    secdef_search_first: bool = True  # strikes are empty and secdef/info refuses before secdef/search
    watchlist_partial_first: bool = True  # first GET /iserver/watchlist?id= of a list: only C, conid, name

    # --- transport and control API hardening (see docs/simulator/realism.md)
    max_body_bytes: int = 10 * 1024 * 1024  # a request body above this answers 413, unread
    control_hosts: Tuple[str, ...] = ()  # Host names the control API accepts besides loopback ones

    # --- market data value formats (see docs/simulator/realism.md)
    display_formats: bool = True  # field 31 with C/H prefixes, sizes as "1,300" (off: plain numbers)
    halted_conids: Tuple[int, ...] = ()  # instruments shown halted: field 31 starts with H

    # --- orders
    order_questions: bool = True  # ask the documented precautionary questions
    # o354 is asked without a subscription for the instrument (names: US_STK US_OPT US_IND US_FUT US_BOND
    # NON_US; forex is free). None: the older stand-in, o354 until the session took a snapshot of the conid
    market_data_subscriptions: Optional[Tuple[str, ...]] = ('US_STK',)
    price_constraint_pct: float = 3.0  # limit price further than this from the market asks o163
    total_value_limit: float = 500_000.0  # order value above this asks o451
    order_question_ids: Tuple[str, ...] = (
        'o354',
        'o163',
        'o403',
        'o451',
        'o10331',
        'o2165',
    )  # (+'o10151': market orders)
    max_order_rounds: int = 10
    margin_checks: bool = True  # reject orders beyond the equity with loan value, with IBKR's text
    partial_fills: bool = False  # a fill takes at most the displayed size (refilled every second)

    # --- portfolio and accounts (see docs/simulator/portfolio_accounts.md)
    initial_positions: Dict[str, Any] = field(default_factory=dict)  # {account: [{conid, quantity, avg_price}]}
    dynamic_accounts: bool = False  # DYNACCT broker: account search/dynaccount work (else the documented 503)
    portfolio_accounts_first: bool = True  # /portfolio/accounts or /subaccounts before other /portfolio endpoints
    portfolio_positions_cache: bool = True  # /portfolio/{id}/positions/{page} shows the state as of the last invalidate
    position_info_first_call: bool = True  # first /portfolio/{id}/position/{conid} of a conid has no contract info

    # --- pacing and latency (see docs/simulator.md)
    pacing: bool = False  # enforce IBKR's pacing limits with 429s
    penalty_box: float = 0.0  # seconds of 429 for every request after a violation (0: off)
    global_rate: float = 10.0  # requests per second (gateway); 50 for OAuth
    latency: Dict[str, float] = field(default_factory=dict)  # 'METHOD /template' or '/template' -> seconds

    # --- OAuth 1.0a (see ibind.sim.oauth)
    oauth: Any = None  # an OAuthServerConfig, or None for gateway mode
    lst_lifetime: float = 24 * 3600.0

    # --- streaming (/v1/api/ws, see ibind.sim.streaming; POST /sim/ws changes them at run time)
    ws_smd_expiry: Optional[float] = (
        900.0  # an smd subscription ends this long after it was opened/renewed (None: never)
    )
    ws_heartbeat_interval: float = 10.0  # simulated seconds between "system" heartbeats (and sld/ssd updates)
    ws_smd_interval: float = 1.0  # simulated seconds between two smd ticks of one subscription

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> SimConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f'unknown simulator option(s) {sorted(unknown)}; known: {sorted(known)}')
        if 'accounts' in kwargs and isinstance(kwargs['accounts'], str):
            kwargs['accounts'] = tuple(a.strip() for a in kwargs['accounts'].split(',') if a.strip())
        elif 'accounts' in kwargs and kwargs['accounts'] is not None:
            kwargs['accounts'] = tuple(kwargs['accounts'])
        if kwargs.get('oauth') is not None:
            # IBKR's OAuth: no gateway opens the brokerage session (ssodh/init does), and 50 req/s apply
            kwargs.setdefault('brokerage_auto_init', False)
            kwargs.setdefault('global_rate', 50.0)
        # None means "not given" -- except for options where None is a value (idle_timeout=None: never time out)
        optional = {f.name for f in fields(cls) if 'Optional' in str(f.type) or f.type == 'Any'}
        config = cls(**{k: v for k, v in kwargs.items() if v is not None or k in optional})
        if not config.accounts:
            raise ValueError('the simulator needs at least one account')
        return config
