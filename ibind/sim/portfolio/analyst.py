"""Simulated gateway routes: PortfolioAnalyst (/pa): performance series and transaction history.

Values are recomputed from the account ledger at each simulated day's close (see accounts.figures).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from ibind.sim.accounts.figures import amount, eastern_date, eastern_label, eastern_midnight, fx_rate, nav_at
from ibind.sim.accounts.ledger import Account
from ibind.sim.portfolio.routes import account_ids_from_body
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

PERFORMANCE_PERIODS = ('1D', '7D', 'MTD', '1M', '3M', '6M', '12M', 'YTD', '1Y')
DEFAULT_TRANSACTION_DAYS = 90


def _months_back(day: _dt.date, months: int) -> _dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = _dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - _dt.timedelta(days=1)).day
    return _dt.date(year, month, min(day.day, last_day))


def performance_start(today: _dt.date, period: str) -> _dt.date:
    """First day of the analysed period (inclusive)."""
    one_day = _dt.timedelta(days=1)
    if period == '1D':
        return today
    if period == '7D':
        return today - 6 * one_day
    if period == 'MTD':
        return today.replace(day=1)
    if period == 'YTD':
        return today.replace(month=1, day=1)
    months = {'1M': 1, '3M': 3, '6M': 6, '12M': 12, '1Y': 12}[period]
    return _months_back(today, months) + one_day


def day_close(day: _dt.date, now: float) -> float:
    """The instant a day's NAV is taken: its last second (New York), or now for today."""
    return min(eastern_midnight(day + _dt.timedelta(days=1)) - 1, now)


def consolidated_nav(gw: Gateway, accounts: List[Account], t: float, base: str) -> float:
    return sum(nav_at(gw, account, t) * fx_rate(gw, account.base_currency, base, t) for account in accounts)


def _series_entry(id_: str, start: str, end: str, base: str, **values: Any) -> Dict[str, Any]:
    entry: Dict[str, Any] = {'idType': 'acctid', 'start': start, 'end': end}
    entry.update(values)
    entry.update({'id': id_, 'baseCurrency': base})
    return entry


@routes.post('/pa/performance', session='readonly')
def pa_performance(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    account_ids = account_ids_from_body(gw, body)
    period = body.get('period')
    if period not in PERFORMANCE_PERIODS:
        raise ApiError(400, f'Bad Request: period must be one of {", ".join(PERFORMANCE_PERIODS)}, got {period!r}')
    accounts = [gw.accounts[account_id] for account_id in account_ids]
    base = accounts[0].base_currency
    now = gw.clock.now()
    today = eastern_date(now)
    start = performance_start(today, period)
    days = [start + _dt.timedelta(days=i) for i in range((today - start).days + 1)]
    before = start - _dt.timedelta(days=1)
    start_nav = consolidated_nav(gw, accounts, day_close(before, now), base)
    navs = [consolidated_nav(gw, accounts, day_close(day, now), base) for day in days]
    returns = [amount(nav / start_nav - 1, 4) if start_nav else 0.0 for nav in navs]

    months: Dict[str, float] = {}  # YYYYMM -> NAV at the month's last analysed day
    for day, nav in zip(days, navs):
        months[day.strftime('%Y%m')] = nav
    monthly, previous = [], start_nav
    for nav in months.values():
        monthly.append(amount(nav / previous - 1, 4) if previous else 0.0)
        previous = nav

    dates = [day.strftime('%Y%m%d') for day in days]
    first, last = dates[0], dates[-1]
    series_id = ','.join(account_ids)
    return {
        'currencyType': 'base',
        'rc': 0,
        'nav': {
            'data': [
                _series_entry(
                    series_id,
                    first,
                    last,
                    base,
                    navs=[amount(n) for n in navs],
                    startNAV={'date': before.strftime('%Y%m%d'), 'val': amount(start_nav)},
                )
            ],
            'freq': 'D',
            'dates': dates,
        },
        'nd': len(dates),
        'cps': {'data': [_series_entry(series_id, first, last, base, returns=returns)], 'freq': 'D', 'dates': dates},
        'tpps': {
            'data': [_series_entry(series_id, first, last, base, returns=monthly)],
            'freq': 'M',
            'dates': list(months),
        },
        'id': 'getPerformanceData',
        'included': account_ids,
        'pm': 'TWR',
    }


def _number(value: float) -> Any:
    """An int when the value is whole (quantities are ints in the documented example), else the float."""
    return int(value) if float(value).is_integer() else value


def _transaction_days(body: Dict[str, Any]) -> int:
    days = body.get('days', DEFAULT_TRANSACTION_DAYS)
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ApiError(400, f'Bad Request: days must be a positive integer, got {days!r}')
    return days


@routes.post('/pa/transactions', session='readonly')
def pa_transactions(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    account_ids = account_ids_from_body(gw, body)
    conids = body.get('conids')
    if not isinstance(conids, list) or not conids:
        raise ApiError(400, 'Bad Request: "conids" must be a non-empty array of contract ids')
    if len(conids) > 1:
        raise ApiError(400, 'Bad Request: only one contract id is supported per request')
    instrument = gw.universe.get(conids[0])
    currency = body.get('currency') or 'USD'
    if not isinstance(currency, str):
        raise ApiError(400, f'Bad Request: currency must be a currency code like "USD", got {currency!r}')
    currency = currency.upper()
    days = _transaction_days(body)

    now = gw.clock.now()
    to_time = eastern_midnight(eastern_date(now) + _dt.timedelta(days=1))
    from_time = eastern_midnight(eastern_date(now) - _dt.timedelta(days=days - 1))
    multiplier = float(instrument.multiplier or 1.0)
    transactions: List[Tuple[float, Dict[str, Any]]] = []  # (time, row): sorted by time at the end
    realized: Dict[Tuple[str, str], float] = {}  # (YYYYMMDD, account) -> realized PnL in `currency`
    for account_id in account_ids:
        for execution in gw.accounts[account_id].executions:
            if execution.conid != instrument.conid or not from_time <= execution.time < to_time:
                continue
            rate = fx_rate(gw, instrument.currency, currency, execution.time)
            day = eastern_date(execution.time)
            signed = execution.quantity if execution.side == 'B' else -execution.quantity
            transactions.append(
                (
                    execution.time,
                    {
                        'date': eastern_label(day),
                        'cur': instrument.currency,
                        'fxRate': _number(rate),
                        'pr': execution.price,
                        'qty': _number(signed),
                        'acctid': account_id,
                        'amt': amount(-signed * execution.price * multiplier * rate),
                        'conid': instrument.conid,
                        'type': 'Buy' if execution.side == 'B' else 'Sell',
                        'desc': instrument.name,
                    },
                )
            )
            closed_pnl = execution.realized_pnl + execution.commission  # realized before commission
            if abs(closed_pnl) > 1e-9:
                key = (day.strftime('%Y%m%d'), account_id)
                realized[key] = realized.get(key, 0.0) + execution.realized_pnl * rate
    transactions.sort(key=lambda item: item[0])
    rpnl_rows = [
        {
            'date': date,
            'cur': currency,
            'fxRate': 1,
            'side': 'G' if pnl >= 0 else 'L',
            'acctid': account_id,
            'amt': f'{pnl:.4f}',
            'conid': str(instrument.conid),
        }
        for (date, account_id), pnl in sorted(realized.items())
    ]
    return {
        'rc': 0,
        'nd': days + 1,
        'rpnl': {'data': rpnl_rows, 'amt': f'{sum(realized.values()):.4f}'},
        'currency': currency,
        'from': int(from_time * 1000),
        'id': 'getTransactions',
        'to': int(to_time * 1000),
        'includesRealTime': True,
        'transactions': [row for _, row in transactions],
    }
