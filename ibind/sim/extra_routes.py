"""Simulated gateway routes added to existing categories by the full-API work (issue 13).

POST /pa/allperiods               performance of the accounts over every period at once
GET  /contract/trading-schedule   the newer schedule route: the next days' liquid and extended hours, epoch seconds
POST /iserver/notification        answer (dismiss) a server prompt
POST /iserver/secdef/search       the POST form of the symbol search (body instead of query)

They live here, not in the category modules, so those stay as they were; each reuses its category's public
helpers (contract.routes.weekly_schedule/search, portfolio.analyst.consolidated_nav/day_close).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Tuple

from ibind.sim.accounts.figures import amount, eastern_date, eastern_midnight
from ibind.sim.contract import routes as _contract
from ibind.sim.contract.shapes import parse_conid, venues
from ibind.sim.portfolio import analyst as _analyst
from ibind.sim.portfolio.routes import account_ids_from_body
from ibind.sim.transport.http import ApiError, SimResponse
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.accounts.ledger import Account
    from ibind.sim.engine.universe import Instrument
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

ALL_PERIODS = ('1D', '7D', 'MTD', '1M', 'YTD', '1Y')  # the periods the all-periods answer lists
SCHEDULE_DAYS = 7


# ----------------------------------------------------------------- PortfolioAnalyst: all periods


def _period_series(gw: Gateway, accounts: List[Account], period: str, now: float) -> Dict[str, Any]:
    base = accounts[0].base_currency
    today = eastern_date(now)
    start = _analyst.performance_start(today, period)
    days = [start + _dt.timedelta(days=i) for i in range((today - start).days + 1)]
    before = start - _dt.timedelta(days=1)
    start_nav = _analyst.consolidated_nav(gw, accounts, _analyst.day_close(before, now), base)
    navs = [_analyst.consolidated_nav(gw, accounts, _analyst.day_close(day, now), base) for day in days]
    return {
        'freq': 'D',
        'dates': [day.strftime('%Y%m%d') for day in days],
        'nav': [amount(n) for n in navs],
        'cps': [amount(n / start_nav - 1, 4) if start_nav else 0.0 for n in navs],
        'startNav': {'date': before.strftime('%Y%m%d'), 'val': amount(start_nav)},
    }


@routes.post('/pa/allperiods', session='readonly')
def pa_all_periods(gw: Gateway, req: SimRequest) -> Any:
    """Like /pa/performance for every period, keyed by account (several accounts: also consolidated)."""
    account_ids = account_ids_from_body(gw, req.body_dict())
    now = gw.clock.now()
    answer: Dict[str, Any] = {
        'currencyType': 'base',
        'rc': 0,
        'id': 'getPerformanceAllPeriods',
        'included': account_ids,
        'pm': 'TWR',
        'view': list(account_ids),
    }
    groups: List[List[str]] = [[account_id] for account_id in account_ids]
    if len(account_ids) > 1:
        groups.append(account_ids)
        answer['view'].append('consolidated')
    longest = 0
    for group in groups:
        accounts = [gw.accounts[account_id] for account_id in group]
        updated = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime('%Y-%m-%d %H:%M:%S')
        entry: Dict[str, Any] = {
            'baseCurrency': accounts[0].base_currency,
            'periods': list(ALL_PERIODS),
            'lastSuccessfulUpdate': updated,
        }
        for period in ALL_PERIODS:
            entry[period] = _period_series(gw, accounts, period, now)
            longest = max(longest, len(entry[period]['dates']))
        entry['start'] = entry['1Y']['dates'][0]
        entry['end'] = entry['1Y']['dates'][-1]
        answer['consolidated' if len(group) > 1 else group[0]] = entry
    answer['nd'] = longest
    return answer


# ----------------------------------------------------------------- contract: the newer trading schedule


class _Hours(NamedTuple):
    timezone: str
    liquid: Tuple[str, str]  # (open, close) as HHMM local
    extended: Tuple[str, str]


def _hours(instrument: Instrument) -> _Hours:
    """(time zone, liquid (open, close), extended (open, close)) as HHMM local, as /trsrv/secdef/schedule uses."""
    template = _contract.weekly_schedule(instrument, instrument.exchange.upper())
    day = template['schedules'][0]
    liquid = day['sessions'][0]
    extended = day['tradingtimes'][0]
    return _Hours(
        timezone=template['timezone'],
        liquid=(liquid['openingTime'], liquid['closingTime']),
        extended=(extended['openingTime'], extended['closingTime']),
    )


def _epoch(day: _dt.date, hhmm: str, timezone: str) -> int:
    """Local HHMM of ``day`` in ``timezone`` as epoch seconds (zoneinfo; New York via the views' offset if absent)."""
    try:
        from zoneinfo import ZoneInfo

        local = _dt.datetime(day.year, day.month, day.day, int(hhmm[:2]), int(hhmm[2:]), tzinfo=ZoneInfo(timezone))
        return int(local.timestamp())
    except Exception:  # no tz database on this machine: New York hours from the views' DST rule
        return int(eastern_midnight(day) + int(hhmm[:2]) * 3600 + int(hhmm[2:]) * 60)


def _span(day: _dt.date, opening: str, closing: str, timezone: str) -> Dict[str, int]:
    open_epoch = _epoch(day, opening, timezone)
    close_day = day + _dt.timedelta(days=1) if closing <= opening else day  # overnight sessions close next day
    return {'opening': open_epoch, 'closing': _epoch(close_day, closing, timezone)}


@routes.get('/contract/trading-schedule', session='readonly')
def trading_schedule_new(gw: Gateway, req: SimRequest) -> Any:
    (conid,) = req.require_query('conid')
    instrument = gw.universe.get(parse_conid(conid))
    exchange = (req.query.get('exchange') or instrument.exchange).strip().upper()
    if exchange not in (instrument.exchange.upper(), 'SMART') and exchange not in venues(instrument):
        raise ApiError(400, f'Bad Request: {instrument.symbol} does not trade on {exchange}')
    hours = _hours(instrument)
    today = eastern_date(gw.clock.now())
    schedules: Dict[str, Any] = {}
    for offset in range(SCHEDULE_DAYS):
        day = today + _dt.timedelta(days=offset)
        if day.weekday() >= 5 and instrument.sec_type != 'CRYPTO':
            continue  # no weekend sessions
        schedules[day.strftime('%Y%m%d')] = {
            'liquid_hours': [_span(day, *hours.liquid, hours.timezone)],
            'extended_hours': [dict(_span(day, *hours.extended, hours.timezone), cancel_daily_orders=True)],
        }
    return {'exchange_time_zone': hours.timezone, 'schedules': schedules}


# ----------------------------------------------------------------- server prompts


@routes.post('/iserver/notification')
def dismiss_prompt(gw: Gateway, req: SimRequest) -> Any:
    """Answer a server prompt: ``{"orderId", "reqId", "text"}`` (the choice made); the gateway answers a string."""
    body = req.body_dict()
    order_id, req_id, text = req.require_body('orderId', 'reqId', 'text')
    if isinstance(order_id, bool) or not isinstance(order_id, int):
        raise ApiError(400, f'Bad Request: orderId must be an integer, got {order_id!r}')
    if not isinstance(req_id, str) or not req_id.strip() or not isinstance(text, str) or not text.strip():
        raise ApiError(400, 'Bad Request: reqId and text must be non-empty strings')
    gw.prompt_answers.append(
        {
            'orderId': order_id,
            'reqId': req_id,
            'text': text,
            'time': gw.clock.now(),
            'extra': {k: v for k, v in body.items() if k not in ('orderId', 'reqId', 'text')},
        }
    )
    return SimResponse(body='"Success"', content_type='application/json; charset=utf-8')  # a JSON string


# ----------------------------------------------------------------- secdef search, POST form


@routes.post('/iserver/secdef/search')
def search_post(gw: Gateway, req: SimRequest) -> Any:
    """The same search as GET /iserver/secdef/search, its parameters in a JSON body."""
    body = req.body_dict()
    symbol = body.get('symbol')
    if not isinstance(symbol, str) or not symbol.strip():
        raise ApiError(400, 'Bad Request: missing required field(s): symbol')
    for name in ('name', 'more', 'fund', 'pattern'):
        if name in body and not isinstance(body[name], bool):
            raise ApiError(400, f'Bad Request: {name} must be true or false, got {body[name]!r}')
    query = {'symbol': symbol}
    if body.get('secType') is not None:
        query['secType'] = str(body['secType'])
    if body.get('name'):
        query['name'] = 'true'
    req.query = dict(query)
    req.query_all = {key: [value] for key, value in query.items()}
    return _contract.search(gw, req)
