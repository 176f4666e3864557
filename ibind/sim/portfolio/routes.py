"""Simulated gateway routes: portfolio (/portfolio, /portfolio2); PortfolioAnalyst (/pa) is in ``analyst``.

Every figure is computed from the ledger and the current prices by ibind.sim.accounts.figures, so positions,
ledger, summary, allocation and transactions agree and follow fills. Key spellings and value types
follow the examples of IBKR's documentation (``faclient``, ``mktPrice`` in /portfolio but
``marketPrice`` and a string ``conid`` in /portfolio2); docs/simulator/portfolio_accounts.md lists
where that differs from the OpenAPI specification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ibind.sim.accounts.figures import (
    DERIVATIVE_TYPES,
    LEDGER_BUCKETS,
    Holding,
    account_figures,
    allocation,
    amount,
    holdings,
)
from ibind.sim.accounts.ledger import Account
from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError, whole_number
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

POSITIONS_PAGE_SIZE = 100
SUBACCOUNTS_PAGE_SIZE = 20
POSITION_PERIODS = ('1D', '7D', '1W', '1M')  # documented 1D, 7D, 1M; the documented example sends 1W


# ----------------------------------------------------------------- helpers


def _account(gw: Gateway, account_id: str) -> Account:
    """A listed account of this user (400 if unknown; the "query /portfolio/accounts first" rule when on)."""
    account = gw.account(account_id)
    gw.portfolio.require_listed(account.account_id)
    return account


def account_ids_from_body(gw: Gateway, body: Dict[str, Any]) -> List[str]:
    account_ids = body.get('acctIds')
    if not isinstance(account_ids, list) or not account_ids or not all(isinstance(a, str) for a in account_ids):
        raise ApiError(400, 'Bad Request: "acctIds" must be a non-empty array of account id strings')
    for account_id in account_ids:
        gw.account(account_id)
    return list(dict.fromkeys(account_ids))


def _direction(req: SimRequest) -> Optional[str]:
    direction = req.query.get('direction')
    if direction in (None, ''):
        return None
    if direction not in ('a', 'd'):
        raise ApiError(400, f'Bad Request: direction must be "a" (ascending) or "d" (descending), got {direction!r}')
    return direction


def _sorted_rows(rows: List[Dict[str, Any]], sort: Optional[str], direction: Optional[str]) -> List[Dict[str, Any]]:
    """Rows sorted by a column (numbers before text; rows without it last); unknown columns keep the order."""
    if not sort or not any(sort in row for row in rows):
        return list(reversed(rows)) if direction == 'd' else list(rows)

    def key(row: Dict[str, Any]) -> Tuple[int, Any]:
        value = row.get(sort)
        if isinstance(value, bool) or value is None:
            return (2, str(value))
        if isinstance(value, (int, float)):
            return (0, value)
        return (1, str(value).lower())

    return sorted(rows, key=key, reverse=direction == 'd')


def _float_or_zero(value: Optional[float]) -> float:
    return float(value) if value is not None else 0.0


def contract_description(instrument: Instrument) -> str:
    """The position's local description: the symbol for stocks, symbol/month/strike/right for derivatives."""
    if instrument.sec_type in ('STK', 'CASH', 'IND', 'BOND', 'FUND'):
        return instrument.symbol
    parts = [instrument.symbol, instrument.month or instrument.expiry or '']
    if instrument.strike is not None:
        parts.append(f'{instrument.strike:g}')
    if instrument.right:
        parts.append(instrument.right)
    return ' '.join(part for part in parts if part)


# ----------------------------------------------------------------- account descriptions


def account_info(gw: Gateway, account: Account, sub_account: bool = False) -> Dict[str, Any]:
    """One account as /portfolio/accounts, /subaccounts and /{id}/meta describe it (the documented example)."""
    account_id = account.account_id
    alias = account.alias if account.alias and account.alias != account_id else None
    return {
        'id': account_id,
        'PrepaidCrypto-Z': False,
        'PrepaidCrypto-P': False,
        'brokerageAccess': not sub_account,
        'accountId': account_id,
        'accountVan': account.alias or account_id,
        'accountTitle': account.title,
        'displayName': alias or account_id,
        'accountAlias': alias,
        'accountStatus': int(account.created_at * 1000),
        'currency': account.base_currency,
        'type': account.account_type,
        'tradingType': account.trading_type,
        'businessType': 'IB_PROSERVE',
        'ibEntity': 'IBLLC-US',
        'faclient': gw.portfolio.is_advisor and account_id != gw.portfolio.master_account,
        'clearingStatus': 'O',
        'covestor': False,
        'noClientTrading': False,
        'trackVirtualFXPortfolio': True,
        'parent': {'mmc': [], 'accountId': '', 'isMParent': False, 'isMChild': False, 'isMultiplex': False},
        'desc': f'{account_id} - {alias}' if alias else account_id,
    }


def _portfolio_account_ids(gw: Gateway) -> List[str]:
    """Non-tiered: every account. FA: the master only (its sub-accounts are listed by /subaccounts)."""
    master = gw.portfolio.master_account  # set exactly when the user is an advisor (PortfolioState.is_advisor)
    return [master] if master is not None else list(gw.portfolio.sub_accounts)


@routes.get('/portfolio/accounts', session='readonly')
def portfolio_accounts(gw: Gateway, req: SimRequest) -> Any:
    ids = _portfolio_account_ids(gw)
    gw.portfolio.mark_listed(ids)
    return [account_info(gw, gw.accounts[account_id]) for account_id in ids]


@routes.get('/portfolio/subaccounts', session='readonly')
def portfolio_subaccounts(gw: Gateway, req: SimRequest) -> Any:
    ids = list(gw.portfolio.sub_accounts)[:100]
    gw.portfolio.mark_listed(ids)
    return [account_info(gw, gw.accounts[account_id], sub_account=True) for account_id in ids]


@routes.get('/portfolio/subaccounts2', session='readonly')
def portfolio_subaccounts_large(gw: Gateway, req: SimRequest) -> Any:
    (page_text,) = req.require_query('page')
    page = whole_number('page', page_text)
    ids = list(gw.portfolio.sub_accounts)
    chosen = ids[page * SUBACCOUNTS_PAGE_SIZE : (page + 1) * SUBACCOUNTS_PAGE_SIZE]
    gw.portfolio.mark_listed(chosen)
    return {
        'metadata': {'total': len(ids), 'pageSize': SUBACCOUNTS_PAGE_SIZE, 'pageNum': page},
        'subaccounts': [account_info(gw, gw.accounts[account_id], sub_account=True) for account_id in chosen],
    }


@routes.get('/portfolio/{accountId}/meta', session='readonly')
def portfolio_meta(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    sub_account = gw.portfolio.is_advisor and account.account_id != gw.portfolio.master_account
    return account_info(gw, account, sub_account=sub_account)


# ----------------------------------------------------------------- allocation


def _rounded_allocation(data: Dict[str, Dict[str, Dict[str, float]]]) -> Dict[str, Any]:
    return {
        view: {side: {key: amount(value) for key, value in values.items()} for side, values in sides.items()}
        for view, sides in data.items()
    }


@routes.get('/portfolio/{accountId}/allocation', session='readonly')
def portfolio_allocation(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    return _rounded_allocation(allocation(gw, [account], gw.clock.now()))


@routes.post('/portfolio/allocation', session='readonly')
def portfolio_allocations(gw: Gateway, req: SimRequest) -> Any:
    account_ids = account_ids_from_body(gw, req.body_dict())
    accounts = [_account(gw, account_id) for account_id in account_ids]
    return _rounded_allocation(allocation(gw, accounts, gw.clock.now()))


# ----------------------------------------------------------------- positions


def position_row(holding: Holding) -> Dict[str, Any]:
    """A /portfolio/{id}/positions/{page} row (the documented example; deprecated fields are null/0)."""
    instrument = holding.instrument
    return {
        'acctId': holding.account_id,
        'conid': instrument.conid,
        'contractDesc': contract_description(instrument),
        'position': holding.quantity,
        'mktPrice': holding.price,
        'mktValue': amount(holding.market_value),
        'currency': instrument.currency,
        'avgCost': holding.avg_cost,
        'avgPrice': holding.avg_price,
        'realizedPnl': amount(holding.realized_pnl),
        'unrealizedPnl': amount(holding.unrealized_pnl),
        'exchs': None,
        'expiry': None,
        'putOrCall': None,
        'multiplier': None,
        'strike': 0.0,
        'exerciseStyle': None,
        'conExchMap': [],
        'assetClass': instrument.asset_class or instrument.sec_type,
        'undConid': 0,
        'model': '',
    }


def contract_details(gw: Gateway, instrument: Instrument) -> Dict[str, Any]:
    """The contract information and rules /portfolio/{id}/position/{conid} adds after its first answer."""
    derivative = instrument.sec_type in DERIVATIVE_TYPES
    has_options = any(
        other.underlying_conid == instrument.conid and other.sec_type == 'OPT' for other in gw.universe.all()
    )
    return {
        'expiry': instrument.expiry if derivative else None,
        'putOrCall': instrument.right if derivative else None,
        'multiplier': float(instrument.multiplier) if derivative else 0.0,
        'strike': f'{instrument.strike:g}' if instrument.strike is not None else '0',
        'undConid': instrument.underlying_conid or 0,
        'time': 12,
        'chineseName': instrument.chinese_name,
        'allExchanges': instrument.valid_exchanges,
        'listingExchange': instrument.exchange,
        'countryCode': instrument.country,
        'name': instrument.name,
        'lastTradingDay': instrument.expiry if derivative else None,
        'group': instrument.industry,
        'sector': instrument.sector,
        'sectorGroup': instrument.category,
        'ticker': instrument.symbol,
        'type': instrument.stock_type if instrument.sec_type == 'STK' else instrument.sec_type,
        'hasOptions': has_options,
        'fullName': contract_description(instrument),
        'isUS': instrument.is_us,
        'incrementRules': [{'lowerEdge': 0.0, 'increment': instrument.tick}],
        'displayRule': {
            'magnification': 0,
            'displayRuleStep': [{'decimalDigits': _decimals(instrument.tick), 'lowerEdge': 0.0, 'wholeDigits': 4}],
        },
        'isEventContract': False,
        'pageSize': POSITIONS_PAGE_SIZE,
    }


def _decimals(tick: float) -> int:
    text = f'{tick:.10f}'.rstrip('0')
    return len(text.split('.')[1]) if '.' in text else 0


def _position_rows(gw: Gateway, account: Account) -> List[Dict[str, Any]]:
    return [position_row(h) for h in holdings(gw, account, gw.clock.now())]


def _page(req: SimRequest, name: str = 'pageId') -> int:
    return whole_number(name, req.path_params[name])


@routes.get('/portfolio/{accountId}/positions/{pageId}', session='readonly')
def positions(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    page = _page(req)
    direction = _direction(req)
    period = req.query.get('period')
    if period not in (None, '') and period not in POSITION_PERIODS:
        raise ApiError(400, f'Bad Request: period must be one of {", ".join(POSITION_PERIODS)}, got {period!r}')
    rows = gw.portfolio.cached_positions(account.account_id, lambda: _position_rows(gw, account))
    rows = _sorted_rows(rows, req.query.get('sort'), direction)
    return rows[page * POSITIONS_PAGE_SIZE : (page + 1) * POSITIONS_PAGE_SIZE]


@routes.post('/portfolio/{accountId}/positions/invalidate', session='readonly')
def invalidate_positions(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    gw.portfolio.invalidate_positions(account.account_id)
    rows = gw.portfolio.cached_positions(account.account_id, lambda: _position_rows(gw, account))
    return rows[:POSITIONS_PAGE_SIZE]


@routes.get('/portfolio2/{accountId}/positions', session='readonly')
def positions_real_time(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    direction = _direction(req)
    timestamp = int(gw.clock.now())
    rows = []
    for holding in holdings(gw, account, gw.clock.now()):
        instrument = holding.instrument
        rows.append(
            {
                'position': holding.quantity,
                'conid': str(instrument.conid),
                'avgCost': holding.avg_cost,
                'avgPrice': holding.avg_price,
                'currency': instrument.currency,
                'description': contract_description(instrument),
                'isLastToLoq': False,
                'marketPrice': holding.price,
                'marketValue': amount(holding.market_value),
                'realizedPnl': amount(holding.realized_pnl),
                'secType': instrument.sec_type,
                'timestamp': timestamp,
                'unrealizedPnl': amount(holding.unrealized_pnl),
                'assetClass': instrument.asset_class or instrument.sec_type,
                'sector': instrument.sector,
                'group': instrument.industry,
                'model': '',
            }
        )
    return _sorted_rows(rows, req.query.get('sort'), direction)


@routes.get('/portfolio/{acctId}/position/{conid}', session='readonly')
def position_by_conid(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['acctId'])
    instrument = gw.universe.get(req.path_params['conid'])
    first = gw.portfolio.first_contract_request(instrument.conid)
    rows = []
    for holding in holdings(gw, account, gw.clock.now()):
        if holding.conid != instrument.conid:
            continue
        row = position_row(holding)
        if not first:
            row.update(contract_details(gw, instrument))
        rows.append(row)
    return rows


@routes.get('/portfolio/positions/{conid}', session='readonly')
def positions_all_accounts(gw: Gateway, req: SimRequest) -> Any:
    instrument = gw.universe.get(req.path_params['conid'])
    now = gw.clock.now()
    rows = []
    for account_id in gw.portfolio.all_account_ids():
        for holding in holdings(gw, gw.accounts[account_id], now):
            if holding.conid == instrument.conid:
                rows.append(position_row(holding))
    return rows


@routes.get('/portfolio/{accountId}/combo/positions', session='readonly')
def combo_positions(gw: Gateway, req: SimRequest) -> Any:
    _account(gw, req.path_params['accountId'])
    return []  # the simulator books no combination orders


# ----------------------------------------------------------------- summary and ledger


def _summary_entry(
    now_ms: int, number: float = 0.0, currency: Optional[str] = None, value: Optional[str] = None
) -> Dict[str, Any]:
    return {
        'amount': float(number),
        'currency': currency,
        'isNull': False,
        'timestamp': now_ms,
        'value': value,
        'severity': 0,
    }


@routes.get('/portfolio/{accountId}/summary', session='readonly')
def portfolio_summary(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    now = gw.clock.now()
    figures = account_figures(gw, account, now)
    base = figures.base
    now_ms = int(now * 1000)
    sec, com = figures.securities, figures.commodities
    summary: Dict[str, Dict[str, Any]] = {}

    def money(
        key: str,
        total: float,
        securities: Optional[float] = None,
        commodities: Optional[float] = None,
        segments: str = 'cs',
    ) -> None:
        summary[key] = _summary_entry(now_ms, amount(total), base)
        if 'c' in segments:
            summary[f'{key}-c'] = _summary_entry(now_ms, amount(commodities or 0.0), base)
        if 's' in segments:
            summary[f'{key}-s'] = _summary_entry(now_ms, amount(securities if securities is not None else total), base)

    def text(key: str, value: str) -> None:
        summary[key] = _summary_entry(now_ms, value=value)

    text('accountcode', account.account_id)
    text('accountready', 'true')
    text('accounttype', account.account_type)
    money('accruedcash', 0.0, 0.0, 0.0)
    money('accrueddividend', 0.0, 0.0, 0.0)
    money('availablefunds', figures.available_funds, sec.available_funds, com.available_funds)
    money('availabletotrade', figures.available_funds, sec.available_funds, com.available_funds)
    money('availabletowithdraw', figures.available_funds, sec.available_funds, com.available_funds)
    money('billable', 0.0, 0.0, 0.0)
    money('buyingpower', figures.buying_power, segments='')
    text('columnprio-c', '2')
    text('columnprio-s', '1')
    text('cushion', f'{figures.cushion:.6f}')
    for key in (
        'daytradesremaining',
        'daytradesremainingt+1',
        'daytradesremainingt+2',
        'daytradesremainingt+3',
        'daytradesremainingt+4',
    ):
        text(key, '-1')
    text('daytradingstatus-s', f': : false: {figures.equity_with_loan:.2f}: :false')
    text('depositoncredithold', 'null')
    money('equitywithloanvalue', figures.equity_with_loan, sec.net_liquidation, com.net_liquidation)
    money('excessliquidity', figures.excess_liquidity, sec.excess_liquidity, com.excess_liquidity)
    money('fullavailablefunds', figures.available_funds, sec.available_funds, com.available_funds)
    money('fullexcessliquidity', figures.excess_liquidity, sec.excess_liquidity, com.excess_liquidity)
    money('fullinitmarginreq', figures.initial_margin, sec.initial_margin, com.initial_margin)
    money('fullmaintmarginreq', figures.maintenance_margin, sec.maintenance_margin, com.maintenance_margin)
    money('grosspositionvalue', figures.gross_position_value, sec.gross_position_value, segments='s')
    money('guarantee', 0.0, 0.0, 0.0)
    text('highestseverity', 'null')
    money('indianstockhaircut', 0.0, 0.0, 0.0)
    money('initmarginreq', figures.initial_margin, sec.initial_margin, com.initial_margin)
    text('leverage-s', f'{figures.leverage:.2f}')
    money('lookaheadavailablefunds', figures.available_funds, sec.available_funds, com.available_funds)
    money('lookaheadexcessliquidity', figures.excess_liquidity, sec.excess_liquidity, com.excess_liquidity)
    money('lookaheadinitmarginreq', figures.initial_margin, sec.initial_margin, com.initial_margin)
    money('lookaheadmaintmarginreq', figures.maintenance_margin, sec.maintenance_margin, com.maintenance_margin)
    text('lookaheadnextchange', str(int(now - now % 86400 + 86400)))
    money('maintmarginreq', figures.maintenance_margin, sec.maintenance_margin, com.maintenance_margin)
    money('netliquidation', figures.net_liquidation, sec.net_liquidation, com.net_liquidation)
    money('netliquidationuncertainty', 0.0, segments='')
    text('nlvandmargininreview', 'false')
    money('pasharesvalue', 0.0, 0.0, 0.0)
    money('physicalcertificatevalue', 0.0, 0.0, 0.0)
    money('postexpirationexcess', 0.0, 0.0, 0.0)
    money('postexpirationmargin', 0.0, 0.0, 0.0)
    money('previousdayequitywithloanvalue', figures.nav_day_start, segments='s')
    money('regtequity', figures.equity_with_loan, sec.net_liquidation, segments='s')
    money('regtmargin', figures.reg_t_margin, segments='s')
    text('segmenttitle-c', 'US Commodities')
    text('segmenttitle-s', 'US Securities')
    money('sma', figures.sma, segments='s')
    money('totalcashvalue', figures.total_cash, sec.cash, com.cash)
    money('totaldebitcardpendingcharges', 0.0, 0.0, 0.0)
    text('tradingtype-s', account.trading_type)
    text('whatifpmenabled', 'true')
    return summary


_LEDGER_ZERO_KEYS = (
    'commoditymarketvalue',
    'interest',
    'moneyfunds',
    'issueroptionsmarketvalue',
    'tbondsmarketvalue',
    'cashbalancefxsegment',
    'tbillsmarketvalue',
    'dividends',
)


def _ledger_entry(
    account_id: str,
    key: str,
    timestamp: int,
    cash: float,
    net_liquidation: float,
    unrealized: float,
    realized: float,
    buckets: Dict[str, float],
    rate: float,
) -> Dict[str, Any]:
    entry: Dict[str, Any] = dict.fromkeys(_LEDGER_ZERO_KEYS, 0.0)
    entry.update({name: amount(buckets.get(name, 0.0)) for name in set(LEDGER_BUCKETS.values())})
    entry.update(
        {
            'settledcash': amount(cash),
            'exchangerate': 1 if rate == 1 else rate,
            'sessionid': 1,
            'cashbalance': amount(cash),
            'netliquidationvalue': amount(net_liquidation),
            'unrealizedpnl': amount(unrealized),
            'currency': key,
            'realizedpnl': amount(realized),
            'acctcode': account_id,
            'key': 'LedgerList',
            'timestamp': timestamp,
            'severity': 0,
            'futuresonlypnl': amount(buckets.get('futuresonlypnl', 0.0)),
            'secondkey': key,
        }
    )
    return entry


@routes.get('/portfolio/{accountId}/ledger', session='readonly')
def portfolio_ledger(gw: Gateway, req: SimRequest) -> Any:
    account = _account(gw, req.path_params['accountId'])
    now = gw.clock.now()
    figures = account_figures(gw, account, now)
    timestamp = int(now)
    futures_pnl: Dict[str, float] = {}
    for holding in figures.holdings:
        if holding.instrument.sec_type == 'FUT':
            futures_pnl[holding.currency] = futures_pnl.get(holding.currency, 0.0) + holding.unrealized_pnl
    ledger: Dict[str, Any] = {}
    for currency, entry in sorted(figures.currencies.items()):
        buckets = dict(entry.buckets, futuresonlypnl=futures_pnl.get(currency, 0.0))
        ledger[currency] = _ledger_entry(
            account.account_id,
            currency,
            timestamp,
            entry.cash,
            entry.net_liquidation,
            entry.unrealized_pnl,
            entry.realized_pnl,
            buckets,
            figures.rates[currency],
        )
        ledger[currency]['endofbundle'] = 1
    base_buckets = {name: figures.bucket(name) for name in set(LEDGER_BUCKETS.values())}
    base_buckets['futuresonlypnl'] = sum(pnl * figures.rates[c] for c, pnl in futures_pnl.items())
    ledger['BASE'] = _ledger_entry(
        account.account_id,
        'BASE',
        timestamp,
        figures.total_cash,
        figures.net_liquidation,
        figures.unrealized_pnl,
        figures.realized_pnl,
        base_buckets,
        1.0,
    )
    return ledger
