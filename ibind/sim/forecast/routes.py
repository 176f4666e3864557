"""Simulated gateway routes: ForecastEx event contracts.

GET /forecast/category/tree                               categories (three levels) with their markets
GET /forecast/contract/market?underlyingConid=&exchange=  a market's contracts (YES and NO per strike)
GET /forecast/contract/details?conid=                     one contract: question, strike, both sides' conids
GET /forecast/contract/rules?conid=                       payout, increments, times, source agency
GET /forecast/contract/schedules?conid=                   the weekly trading schedule

Seed 002 describes ForecastEx through /trsrv/event/... (L3479-3660), not these routes; their shapes are the
spec's. State: ``gw.forecast`` (ibind.sim.forecast.state).
"""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import TYPE_CHECKING, Any

from ibind.sim.forecast.state import CATEGORIES, EXCHANGE, MARKETS, RULES_LINK, TIMEZONE, ForecastUniverse
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


@routes.get('/forecast/category/tree')
def category_tree(gw: Gateway, req: SimRequest) -> Any:
    categories = {}
    for category_id, (label, parent) in CATEGORIES.items():
        markets = [m for m in MARKETS if m.category == category_id]
        entry = {
            'name': label,
            'markets': [
                {'name': m.name, 'symbol': m.symbol, 'exchange': EXCHANGE, 'conid': m.underlying_conid} for m in markets
            ],
        }
        if parent:
            entry['parent_id'] = parent
        categories[category_id] = entry
    return {'categories': categories}


def _exchange(req: SimRequest) -> None:
    exchange = (req.query.get('exchange') or EXCHANGE).upper()
    if exchange != EXCHANGE:
        raise ApiError(400, f'Bad Request: event contracts trade on {EXCHANGE}, not {exchange}')


@routes.get('/forecast/contract/market')
def market(gw: Gateway, req: SimRequest) -> Any:
    (underlying,) = req.require_query('underlyingConid')
    _exchange(req)
    rows = gw.forecast.market(underlying)
    spec = rows[0].market
    return {
        'market_name': spec.name,
        'symbol': spec.symbol,
        'exchange': EXCHANGE,
        'logo_category': spec.logo,
        'payout': 1.0,
        'exclude_historical_data': False,
        'contracts': [
            {
                'conid': c.conid,
                'side': c.side,
                'strike': c.strike,
                'strike_label': c.strike_label,
                'expiration': c.expiration,
                'expiry_label': c.period,
                'time_specifier': c.period,
                'underlying_conid': spec.underlying_conid,
            }
            for c in rows
        ],
    }


@routes.get('/forecast/contract/details')
def details(gw: Gateway, req: SimRequest) -> Any:
    (conid,) = req.require_query('conid')
    contract = gw.forecast.contract(conid)
    yes, no = (contract.conid, contract.partner) if contract.side == 'Y' else (contract.partner, contract.conid)
    spec = contract.market
    return {
        'conid_yes': yes,
        'conid_no': no,
        'side': contract.side,
        'symbol': spec.symbol,
        'market_name': spec.name,
        'exchange': EXCHANGE,
        'category': CATEGORIES[spec.category][0],
        'logo_category': spec.logo,
        'question': ForecastUniverse.question(contract),
        'strike': contract.strike,
        'strike_label': contract.strike_label,
        'expiration': contract.expiration,
        'payout': 1.0,
        'measured_period': contract.period,
        'underlying_conid': spec.underlying_conid,
    }


def _epoch(day: str, hour: int) -> int:
    return calendar.timegm(_dt.datetime.strptime(day, '%Y%m%d').replace(hour=hour).timetuple())


@routes.get('/forecast/contract/rules')
def rules(gw: Gateway, req: SimRequest) -> Any:
    (conid,) = req.require_query('conid')
    contract = gw.forecast.contract(conid)
    spec = contract.market
    last_trade = _epoch(contract.expiration, 21)  # the resolution day, 15:00 Chicago (about 21:00 UTC)
    return {
        'asset_class': 'OPT',
        'market_name': spec.name,
        'product_code': spec.symbol,
        'measured_period': contract.period,
        'threshold': contract.strike_label,
        'payout': '1.00 USD',
        'price_increment': '0.01',
        'exchange_timezone': TIMEZONE,
        'last_trade_time': last_trade,
        'release_time': last_trade + 3600,
        'payout_time': last_trade + 4 * 3600,
        'source_agency': spec.source,
        'market_rules_link': RULES_LINK,
        'data_and_resolution_link': RULES_LINK,
    }


@routes.get('/forecast/contract/schedules')
def schedules(gw: Gateway, req: SimRequest) -> Any:
    (conid,) = req.require_query('conid')
    gw.forecast.contract(conid)
    # ForecastEx trades nearly around the clock: Sunday evening to Friday, with a short daily break
    weekdays = ('MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY')
    days = [('SUNDAY', '17:00', '23:59'), *((day, '00:00', '23:59') for day in weekdays), ('FRIDAY', '00:00', '16:00')]
    return {
        'timezone': TIMEZONE,
        'trading_schedules': [
            {'day_of_week': day, 'trading_times': [{'open': start, 'close': end}]} for day, start, end in days
        ],
    }
