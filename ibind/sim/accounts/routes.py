"""Simulated gateway routes: accounts (brokerage accounts, account switching, DYNACCT, PnL, owners, summary).

Shapes follow the examples of IBKR's "Accounts" documentation; the /iserver/account/{id}/summary family
(not in that documentation) follows IBKR's OpenAPI specification. Figures come from ibind.sim.accounts.figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ibind.sim.accounts.figures import AccountFigures, Segment, account_figures, amount, fx_rate
from ibind.sim.session.state import SERVER_INFO
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

DYNACCT_UNAVAILABLE = (
    'Details currently unavailable. Please try again later and contact client services if the issue persists.'
)


def _require_dynamic_accounts(gw: Gateway) -> None:
    if not gw.config.dynamic_accounts:
        raise ApiError(503, DYNACCT_UNAVAILABLE)


def _account_id_from_body(req: SimRequest) -> str:
    (account_id,) = req.require_body('acctId')
    if not isinstance(account_id, str) or not account_id.strip():
        raise ApiError(400, 'Bad Request: "acctId" must be a non-empty string')
    return account_id.strip()


def account_properties(ids: List[str], master: Optional[str]) -> Dict[str, Dict[str, bool]]:
    """``acctProps`` of /iserver/accounts and of the stream's ``act`` message."""
    props = {
        'supportsCashQty': True,
        'noFXConv': False,
        'isProp': False,
        'supportsFractions': True,
        'allowCustomerTime': False,
    }
    return {account_id: {'hasChildAccounts': account_id == master, **props} for account_id in ids}


def allowed_features(dynamic_accounts: bool, asset_types: str) -> Dict[str, Any]:
    """``allowFeatures`` of /iserver/accounts and of the stream's ``act`` message."""
    return {
        'showGFIS': True,
        'showEUCostReport': False,
        'allowEventContract': True,
        'allowFXConv': True,
        'allowFinancialLens': False,
        'allowMTA': True,
        'allowTypeAhead': True,
        'allowEventTrading': True,
        'snapshotRefreshTimeout': 30,
        'liteUser': False,
        'showWebNews': True,
        'research': True,
        'debugPnl': True,
        'showTaxOpt': True,
        'showImpactDashboard': True,
        'allowDynAccount': dynamic_accounts,
        'allowCrypto': False,
        'allowedAssetTypes': asset_types,
    }


# ----------------------------------------------------------------- /iserver/accounts


@routes.get('/iserver/accounts')
def brokerage_accounts(gw: Gateway, req: SimRequest) -> Any:
    gw.session.accounts_queried = True
    portfolio = gw.portfolio
    if gw.config.dynamic_accounts:
        ids = [portfolio.dynamic_account] if portfolio.dynamic_account else []
        selected = portfolio.dynamic_account or ''
    else:
        ids = portfolio.all_account_ids()
        selected = gw.selected_account
    sec_types = sorted({instrument.sec_type for instrument in gw.universe.all()})
    session_id = gw.session.session_id
    return {
        'accounts': ids,
        'acctProps': account_properties(ids, master=portfolio.master_account),
        'aliases': {account_id: gw.accounts[account_id].alias or account_id for account_id in ids},
        'allowFeatures': allowed_features(bool(gw.config.dynamic_accounts), ','.join(sec_types)),
        'chartPeriods': {sec_type: ['*'] for sec_type in sec_types},
        'groups': ['All'] if portfolio.is_advisor else [],
        'profiles': [],
        'selectedAccount': selected,
        'serverInfo': dict(SERVER_INFO),
        'sessionId': f'{session_id[:7]}.{session_id[7:15]}',
        'isFT': False,
        'isPaper': all(account_id.startswith('D') for account_id in gw.accounts),
    }


@routes.post('/iserver/account')
def switch_account(gw: Gateway, req: SimRequest) -> Any:
    account_id = _account_id_from_body(req)
    gw.account(account_id)
    gw.selected_account = account_id
    return {'set': True, 'acctId': account_id}


# ----------------------------------------------------------------- DYNACCT


@routes.get('/iserver/account/search/{searchPattern}')
def search_dynamic_account(gw: Gateway, req: SimRequest) -> Any:
    _require_dynamic_accounts(gw)
    pattern = req.path_params['searchPattern']
    needle = pattern.strip().upper()
    matched = [account_id for account_id in gw.portfolio.sub_accounts if needle in account_id.upper()]
    return {
        'matchedAccounts': [
            {
                'accountId': account_id,
                'alias': gw.accounts[account_id].alias or account_id,
                'allocationId': str(index + 1),
            }
            for index, account_id in enumerate(matched)
        ],
        'pattern': pattern,
    }


@routes.post('/iserver/dynaccount')
def set_dynamic_account(gw: Gateway, req: SimRequest) -> Any:
    _require_dynamic_accounts(gw)
    account_id = _account_id_from_body(req)
    gw.account(account_id)
    gw.portfolio.dynamic_account = account_id
    gw.selected_account = account_id
    return {'set': 'true', 'acctId': account_id}  # "set" is the string "true" in the documented example


# ----------------------------------------------------------------- PnL


@routes.get('/iserver/account/pnl/partitioned')
def pnl_partitioned(gw: Gateway, req: SimRequest) -> Any:
    now = gw.clock.now()
    portfolio = gw.portfolio
    if portfolio.is_advisor and gw.selected_account == portfolio.master_account:
        ids = portfolio.all_account_ids()
    else:
        ids = [gw.selected_account]
    rows = {}
    for row_type, account_id in enumerate(ids, start=1):
        figures = account_figures(gw, gw.account(account_id), now)
        rows[f'{account_id}.Core'] = {
            'rowType': row_type,
            'dpl': amount(figures.daily_pnl),
            'nl': amount(figures.net_liquidation),
            'upl': amount(figures.unrealized_pnl),
            'el': amount(figures.excess_liquidity),
            'mv': amount(figures.market_value),
        }
    return {'upnl': rows}


# ----------------------------------------------------------------- owners


@routes.get('/acesws/{accountId}/signatures-and-owners', session='readonly')
def signatures_and_owners(gw: Gateway, req: SimRequest) -> Any:
    account = gw.account(req.path_params['accountId'])
    username = gw.config.username
    first, last = 'Sim', 'User'
    return {
        'accountId': account.account_id,
        'users': [
            {
                'roleId': 'OWNER',
                'hasRightCodeInd': True,
                'userName': username,
                'entity': {
                    'firstName': first,
                    'lastName': last,
                    'entityType': 'INDIVIDUAL',
                    'entityName': f'{first} {last}',
                },
            }
        ],
        'applicant': {'signatures': [f'{first} {last}']},
    }


# ----------------------------------------------------------------- /iserver/account/{id}/summary (OpenAPI)


def _figures(gw: Gateway, req: SimRequest) -> AccountFigures:
    return account_figures(gw, gw.account(req.path_params['accountId']), gw.clock.now())


def _money(value: float, currency: str = '') -> str:
    """The summary sub-routes' text amounts: whole units with thousands separators, e.g. '1,234 USD'."""
    text = f'{round(value):,}'
    return f'{text} {currency}' if currency else text


@routes.get('/iserver/account/{accountId}/summary')
def account_summary(gw: Gateway, req: SimRequest) -> Any:
    figures = _figures(gw, req)
    base = figures.base
    balances: List[Dict[str, Any]] = [
        {'currency': currency, 'balance': amount(ledger.cash), 'settledCash': amount(ledger.cash)}
        for currency, ledger in sorted(figures.currencies.items())
    ]
    balances.append(
        {
            'currency': f'Total (in {base})',
            'balance': amount(figures.total_cash),
            'settledCash': amount(figures.total_cash),
        }
    )
    return {
        'accountType': '',
        'status': '',
        'balance': amount(figures.available_funds),
        'SMA': amount(figures.sma),
        'buyingPower': amount(figures.buying_power),
        'availableFunds': amount(figures.available_funds),
        'excessLiquidity': amount(figures.excess_liquidity),
        'netLiquidationValue': amount(figures.net_liquidation),
        'equityWithLoanValue': amount(figures.equity_with_loan),
        'regTLoan': 0.0,
        'securitiesGVP': amount(figures.securities.gross_position_value),
        'totalCashValue': amount(figures.total_cash),
        'accruedInterest': 0.0,
        'regTMargin': amount(figures.reg_t_margin),
        'initialMargin': amount(figures.initial_margin),
        'maintenanceMargin': amount(figures.maintenance_margin),
        'cashBalances': balances,
    }


def _segments(figures: AccountFigures) -> Tuple[Tuple[str, Optional[Segment]], ...]:
    """(name, segment-or-None) of the summary sub-routes; None is the total."""
    return (('commodities', figures.commodities), ('securities', figures.securities), ('total', None))


@routes.get('/iserver/account/{accountId}/summary/available_funds')
def account_summary_available_funds(gw: Gateway, req: SimRequest) -> Any:
    figures = _figures(gw, req)
    base = figures.base
    result: Dict[str, Dict[str, str]] = {
        'Crypto at Paxos': {
            key: _money(0, base)
            for key in (
                'Lk Ahd Avlbl Fnds',
                'Lk Ahd Excss Lqdty',
                'Prdctd Pst-xpry Excss',
                'current_available',
                'current_excess',
                'overnight_available',
                'overnight_excess',
            )
        }
    }
    for name, segment in _segments(figures):
        available = segment.available_funds if segment else figures.available_funds
        excess = segment.excess_liquidity if segment else figures.excess_liquidity
        entry = {
            'Lk Ahd Avlbl Fnds': _money(available, base),
            'Lk Ahd Excss Lqdty': _money(excess, base),
            'Prdctd Pst-xpry Excss': _money(0, base),
            'current_available': _money(available, base),
            'current_excess': _money(excess, base),
            'overnight_available': _money(available, base),
            'overnight_excess': _money(excess, base),
        }
        if name != 'commodities':
            entry['SMA'] = _money(figures.sma, base)
            entry['leverage'] = f'{figures.leverage:.2f}' if name == 'securities' else 'n/a'
        if name == 'total':
            entry['Lk Ahd Nxt Chng'] = '@ 16:00:00'
            entry['buying_power'] = _money(figures.buying_power, base)
            entry['day_trades_left'] = 'Unlimited'
        result[name] = entry
    return result


@routes.get('/iserver/account/{accountId}/summary/balances')
def account_summary_balances(gw: Gateway, req: SimRequest) -> Any:
    figures = _figures(gw, req)
    base = figures.base
    result: Dict[str, Dict[str, str]] = {
        'Crypto at Paxos': {
            key: _money(0, base)
            for key in ('MTD Interest', 'Pndng Dbt Crd Chrgs', 'cash', 'equity_with_loan', 'net_liquidation')
        }
    }
    for name, segment in _segments(figures):
        cash = segment.cash if segment else figures.total_cash
        nlv = segment.net_liquidation if segment else figures.net_liquidation
        entry = {
            'MTD Interest': _money(0, base),
            'Pndng Dbt Crd Chrgs': _money(0, base),
            'cash': _money(cash, base),
            'equity_with_loan': _money(nlv, base),
            'net_liquidation': _money(nlv, base),
        }
        if name != 'commodities':
            start = figures.nav_day_start
            entry.update(
                {
                    'Prvs Dy Eqty Wth Ln Vl': _money(start, base),
                    'Rg T Eqty Wth Ln Vl': _money(nlv, base),
                    'sec_gross_pos_val': _money(figures.securities.gross_position_value, base),
                }
            )
        if name == 'total':
            entry['Nt Lqdtn Uncrtnty'] = _money(0, base)
        result[name] = entry
    return result


@routes.get('/iserver/account/{accountId}/summary/margins')
def account_summary_margins(gw: Gateway, req: SimRequest) -> Any:
    figures = _figures(gw, req)
    base = figures.base
    keys = (
        'Prdctd Pst-xpry Mrgn @ Opn',
        'Prjctd Lk Ahd Mntnnc Mrgn',
        'Prjctd Ovrnght Mntnnc Mrgn',
        'current_initial',
        'current_maint',
        'projected_liquidity_inital_margin',
        'projected_overnight_initial_margin',
    )
    result: Dict[str, Dict[str, str]] = {'Crypto at Paxos': {key: _money(0, base) for key in keys}}
    for name, segment in _segments(figures):
        initial = segment.initial_margin if segment else figures.initial_margin
        maintenance = segment.maintenance_margin if segment else figures.maintenance_margin
        entry = {
            'Prdctd Pst-xpry Mrgn @ Opn': _money(0, base),
            'Prjctd Lk Ahd Mntnnc Mrgn': _money(maintenance, base),
            'Prjctd Ovrnght Mntnnc Mrgn': _money(maintenance, base),
            'current_initial': _money(initial, base),
            'current_maint': _money(maintenance, base),
            'projected_liquidity_inital_margin': _money(initial, base),
            'projected_overnight_initial_margin': _money(initial, base),
        }
        if name != 'commodities':
            entry['RegT Margin'] = _money(figures.reg_t_margin, base)
        result[name] = entry
    return result


_MARKET_VALUE_BUCKETS = (
    ('Cryptocurrency', None),
    ('Govt Bonds', None),
    ('MTD Interest', None),
    ('Notional CFD', None),
    ('bonds', 'corporatebondsmarketvalue'),
    ('cfd', None),
    ('commodity', None),
    ('dividends_receivable', None),
    ('funds', 'funds'),
    ('future_options', 'futureoptionmarketvalue'),
    ('futures', 'futuremarketvalue'),
    ('issuer_option', None),
    ('money_market', None),
    ('mutual_funds', None),
    ('options', 'stockoptionmarketvalue'),
    ('stock', 'stockmarketvalue'),
    ('t_bills', None),
    ('warrants', 'warrantsmarketvalue'),
)


@routes.get('/iserver/account/{accountId}/summary/market_value')
def account_summary_market_value(gw: Gateway, req: SimRequest) -> Any:
    figures = _figures(gw, req)
    base = figures.base
    result: Dict[str, Dict[str, str]] = {}
    for currency, ledger in sorted(figures.currencies.items()):
        rate = fx_rate(gw, currency, base, figures.time)
        entry = {
            label: _money(ledger.buckets.get(bucket, 0.0) if bucket else 0.0) for label, bucket in _MARKET_VALUE_BUCKETS
        }
        entry.update(
            {
                'Exchange Rate': f'{rate:.2f}' if rate == 1 else f'{rate:.7g}',
                'net_liquidation': _money(ledger.net_liquidation),
                'realized_pnl': _money(ledger.realized_pnl),
                'settled_cash': _money(ledger.cash),
                'total_cash': _money(ledger.cash),
                'unrealized_pnl': _money(ledger.unrealized_pnl),
            }
        )
        result[currency] = dict(sorted(entry.items()))
    total = {label: _money(figures.bucket(bucket) if bucket else 0.0) for label, bucket in _MARKET_VALUE_BUCKETS}
    total.update(
        {
            'Exchange Rate': '1.00',
            'net_liquidation': _money(figures.net_liquidation),
            'realized_pnl': _money(figures.realized_pnl),
            'settled_cash': _money(figures.total_cash),
            'total_cash': _money(figures.total_cash),
            'unrealized_pnl': _money(figures.unrealized_pnl),
        }
    )
    result[f'Total (in {base})'] = dict(sorted(total.items()))
    return result
