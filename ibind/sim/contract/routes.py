"""Simulated gateway routes: contract (security definitions, search, rules, algos, schedules, forex).

Response shapes follow the examples of IBKR's Client Portal Web API docs (seed 002); where IBKR's
OpenAPI spec disagrees, the docs win and docs/simulator/contract.md records the difference.
The payload builders (``contract_info``, ``contract_rules``, ``secdef_entry``...) are public so other
categories can describe an instrument the same way.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any, Dict, List, Optional

from ibind.sim.contract.state import DERIVATIVE_TYPES, STRIKED_TYPES, UNDERLYING_TYPES, month_of, trades_on
from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

routes = RouteTable()

BOND_FAMILY_CONID = '2147483647'   # what IBKR's search shows as the conid of a bond family entry
SEARCH_SEC_TYPES = ('STK', 'IND', 'BOND')
SCHEDULE_ASSET_CLASSES = {'STK': 'STK', 'OPT': 'OPT', 'FUT': 'FUT', 'CFD': 'CFD', 'WAR': 'WAR', 'SWP': 'CASH',
                          'FND': 'FUND', 'BND': 'BOND', 'ICS': 'ICS', 'IND': 'IND', 'CASH': 'CASH', 'BOND': 'BOND'}

ORDER_TYPES = ['limit', 'midprice', 'market', 'stop', 'stop_limit', 'mit', 'lit', 'trailing_stop',
               'trailing_stop_limit', 'relative', 'marketonclose', 'limitonclose']
IB_ALGO_TYPES = ['limit', 'stop_limit', 'lit', 'trailing_stop_limit', 'relative', 'marketonclose', 'limitonclose']
FRACTIONAL_TYPES = ['limit', 'market', 'stop', 'stop_limit', 'mit', 'lit', 'trailing_stop', 'trailing_stop_limit']
OUTSIDE_RTH_TYPES = ['limit', 'stop_limit', 'lit', 'trailing_stop_limit', 'relative']
TIF_TYPES = ['IOC/MARKET,LIMIT,RELATIVE,MARKETONCLOSE,MIDPRICE,LIMITONCLOSE,MKT_PROTECT,STPPRT,a', 'GTC/o,a',
             'OPG/LIMIT,MARKET,a', 'GTD/o,a', 'DAY/o,a']
MODIFY_TYPES = ['limit', 'market', 'stop', 'stop_limit', 'trailing_stop', 'trailing_stop_limit']


# =========================================================================== small helpers

def parse_conid(value: Any, name: str = 'conid') -> int:
    try:
        conid = int(str(value).strip())
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: {name} must be an integer contract id, got {value!r}') from None
    if conid <= 0:
        raise ApiError(400, f'Bad Request: {name} must be a positive integer contract id, got {value!r}')
    return conid


def sec_type_param(req, required: bool = True) -> Optional[str]:
    """The security type of a secdef query: the docs spell it ``sectype``, their examples ``secType``."""
    value = req.query.get('secType') or req.query.get('sectype') or req.query.get('SecType')
    if not value and required:
        raise ApiError(400, 'Bad Request: missing required parameter(s): sectype')
    return value.strip().upper() if value else None


def query_any(req, *names: str) -> Optional[str]:
    for name in names:
        value = req.query.get(name)
        if value:
            return value.strip()
    return None


def comma_list(value: str) -> List[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(',') if part.strip()))


def decimals(tick: float) -> int:
    text = f'{tick:.10f}'.rstrip('0')
    return len(text.split('.')[1]) if '.' in text else 0


def strike_text(strike: Optional[float]) -> str:
    return f'{strike:g}' if strike else '0'


def expiry_date(instrument: Instrument) -> Optional[dt.date]:
    if not instrument.expiry:
        return None
    return dt.datetime.strptime(instrument.expiry[:8], '%Y%m%d').date()


def derivative_text(instrument: Instrument) -> Optional[str]:
    """IBKR's short description of a derivative: ``JAN 16 '25 3975 Put`` (options) or ``DEC 19 '25`` (futures)."""
    expiry = expiry_date(instrument)
    if expiry is None or instrument.sec_type not in DERIVATIVE_TYPES:
        return None
    text = f"{expiry.strftime('%b').upper()} {expiry.day:02d} '{expiry.year % 100:02d}"
    if instrument.sec_type in STRIKED_TYPES:
        text += f" {strike_text(instrument.strike)} {'Call' if instrument.right == 'C' else 'Put'}"
    return text


_FUTURE_MONTH_LETTERS = 'FGHJKMNQUVXZ'


def local_symbol(instrument: Instrument) -> str:
    """The exchange's symbol: OCC for options (``IBM   240315C00187500``), ``ESZ6`` for futures."""
    expiry = expiry_date(instrument)
    if instrument.sec_type in STRIKED_TYPES and expiry and instrument.strike is not None:
        return (f'{instrument.symbol:<6}{expiry.strftime("%y%m%d")}{instrument.right}'
                f'{int(round(instrument.strike * 1000)):08d}')
    if instrument.sec_type == 'FUT' and expiry:
        return f'{instrument.symbol}{_FUTURE_MONTH_LETTERS[expiry.month - 1]}{expiry.year % 10}'
    if instrument.sec_type == 'BOND':
        return instrument.name
    return instrument.symbol


def full_name(instrument: Instrument) -> str:
    expiry = expiry_date(instrument)
    if instrument.sec_type in DERIVATIVE_TYPES and expiry:
        name = f"{instrument.symbol} {expiry.strftime('%b').upper()}{expiry.year % 100:02d}"
        if instrument.sec_type in STRIKED_TYPES:
            name += f' {strike_text(instrument.strike)} {instrument.right}'
        return name
    return instrument.symbol


def trading_class(instrument: Instrument) -> str:
    if instrument.trading_class:
        return instrument.trading_class
    if instrument.listing_exchange == 'NASDAQ.NMS':
        return 'NMS'
    return instrument.symbol


def venues(instrument: Instrument) -> List[str]:
    return [venue.strip() for venue in instrument.valid_exchanges.split(',') if venue.strip()]


def increment_rules(instrument: Instrument) -> List[Dict[str, float]]:
    return [{'lowerEdge': 0.0, 'increment': instrument.tick}]


# =========================================================================== payloads

def secdef_entry(gw, instrument: Instrument) -> Dict[str, Any]:
    """One element of ``/trsrv/secdef``'s ``secdef`` list."""
    derivative = instrument.sec_type in DERIVATIVE_TYPES
    return {
        'conid': instrument.conid,
        'currency': instrument.currency,
        'time': 12,
        'chineseName': instrument.chinese_name or None,
        'allExchanges': ','.join(v for v in venues(instrument) if v != 'SMART') or instrument.exchange,
        'listingExchange': instrument.exchange,
        'countryCode': instrument.country,
        'name': instrument.name,
        'assetClass': instrument.asset_class,
        'expiry': instrument.expiry if derivative else None,
        'lastTradingDay': instrument.expiry if derivative else None,
        'group': instrument.industry or None,
        'putOrCall': instrument.right,
        'sector': instrument.sector or None,
        'sectorGroup': instrument.category or None,
        'strike': strike_text(instrument.strike),
        'ticker': instrument.symbol,
        'undConid': instrument.underlying_conid or 0,
        'multiplier': float(instrument.multiplier) if derivative else 0.0,
        'type': instrument.stock_type if instrument.sec_type == 'STK' else None,
        'hasOptions': gw.contracts.has_options(instrument.conid),
        'fullName': full_name(instrument),
        'isUS': instrument.is_us,
        'incrementRules': increment_rules(instrument),
        'displayRule': {'magnification': 0,
                        'displayRuleStep': [{'decimalDigits': decimals(instrument.tick), 'lowerEdge': 0.0,
                                             'wholeDigits': 4}]},
        'isEventContract': False,
        'pageSize': 100,
    }


def _cfi_code(instrument: Instrument) -> str:
    if instrument.sec_type in ('OPT', 'FOP'):
        return 'OCXXXS' if instrument.right == 'C' else 'OPXXXS'
    if instrument.sec_type == 'FUT':
        return 'FFICSX'
    return ''


def contract_info(gw, instrument: Instrument) -> Dict[str, Any]:
    """``/iserver/contract/{conid}/info``: the snake_case object of the docs' example."""
    derivative = instrument.sec_type in DERIVATIVE_TYPES
    smart = 'SMART' in venues(instrument)
    info: Dict[str, Any] = {
        'cfi_code': _cfi_code(instrument),
        'symbol': instrument.symbol,
        'cusip': instrument.cusip,
        'expiry_full': instrument.expiry if derivative else None,
        'con_id': instrument.conid,
        'maturity_date': instrument.expiry,
        'industry': instrument.industry or None,
        'instrument_type': instrument.sec_type,
        'trading_class': trading_class(instrument),
        'valid_exchanges': instrument.valid_exchanges,
        'allow_sell_long': False,
        'is_zero_commission_security': False,
        'local_symbol': local_symbol(instrument),
        'contract_clarification_type': None,
        'classifier': None,
        'currency': instrument.currency,
        'text': derivative_text(instrument),
        'underlying_con_id': instrument.underlying_conid or 0,
        'r_t_h': instrument.sec_type in ('STK', 'CASH'),
        'multiplier': f'{instrument.multiplier:g}' if derivative else None,
        'underlying_issuer': instrument.extra.get('issuer_name') if instrument.sec_type == 'BOND' else None,
        'contract_month': instrument.expiry[:6] if derivative and instrument.expiry else None,
        'company_name': instrument.name,
        'smart_available': smart,
        'exchange': 'SMART' if smart else instrument.exchange,
        'category': instrument.category or None,
    }
    if instrument.sec_type in STRIKED_TYPES:
        info['right'] = 'CALL' if instrument.right == 'C' else 'PUT'
        info['strike'] = strike_text(instrument.strike)
    return info


def contract_rules(gw, instrument: Instrument, is_buy: bool = True, modify: bool = False) -> Dict[str, Any]:
    """``/iserver/contract/rules``: order types, sizes, TIFs and price increments; default prices from the market."""
    bid, ask, _ = gw.market.quote(instrument.conid)
    price = ask if is_buy else bid
    stock = instrument.sec_type == 'STK'
    fractional = stock and instrument.is_us
    digits = decimals(instrument.tick)
    default_size = 100 if stock else 25_000 if instrument.sec_type == 'CASH' else 1
    rules: Dict[str, Any] = {
        'algoEligible': instrument.sec_type in ('STK', 'OPT', 'FUT'),
        'overnightEligible': fractional,
        'costReport': False,
        'canTradeAcctIds': list(gw.accounts),
        'error': None,
        'orderTypes': list(ORDER_TYPES),
        'ibAlgoTypes': list(IB_ALGO_TYPES),
        'fraqTypes': list(FRACTIONAL_TYPES) if fractional else [],
        'forceOrderPreview': False,
        'cqtTypes': list(FRACTIONAL_TYPES) if stock else [],
        'orderDefaults': {'LMT': {'LP': f'{price:.{digits}f}'}},
        'orderTypesOutside': list(OUTSIDE_RTH_TYPES),
        'defaultSize': default_size,
        'cashSize': 0.0,
        'sizeIncrement': 100 if stock else 1,
        'tifTypes': list(TIF_TYPES),
        'tifDefaults': {'TIF': 'DAY', 'SIZE': f'{default_size:.2f}'},
        'limitPrice': price,
        'stopprice': price,
        'orderOrigination': None,
        'preview': True,
        'displaySize': None,
        'fraqInt': 4 if fractional else 0,
        'cashCcy': instrument.currency,
        'cashQtyIncr': 500,
        'priceMagnifier': None,
        'negativeCapable': False,
        'incrementType': 1,
        'incrementRules': increment_rules(instrument),
        'hasSecondary': True,
        'increment': instrument.tick,
        'incrementDigits': digits,
    }
    if modify:
        rules['modTypes'] = list(MODIFY_TYPES)
    return rules


def secdef_info(instrument: Instrument, exchange: Optional[str] = None) -> Dict[str, Any]:
    """One element of ``/iserver/secdef/info``'s list (the docs' example keys plus the documented field list)."""
    derivative = instrument.sec_type in DERIVATIVE_TYPES
    if instrument.sec_type == 'BOND':
        coupon, desc2 = f"{instrument.extra.get('coupon', 0):g}", instrument.name.split(' ', 1)[-1]
    else:
        coupon, desc2 = 'No Coupon', derivative_text(instrument) or instrument.name
    return {
        'conid': instrument.conid,
        'symbol': instrument.symbol,
        'ticker': instrument.symbol,
        'secType': instrument.sec_type,
        'exchange': (exchange or ('SMART' if 'SMART' in venues(instrument) else instrument.exchange)).upper(),
        'listingExchange': None if derivative else instrument.exchange,
        'right': instrument.right if instrument.sec_type in STRIKED_TYPES else '?',
        'strike': float(instrument.strike or 0.0),
        'currency': instrument.currency,
        'cusip': instrument.cusip,
        'coupon': coupon,
        'desc1': instrument.symbol,
        'desc2': desc2,
        'maturityDate': instrument.expiry,
        'multiplier': f'{instrument.multiplier:g}' if derivative else None,
        'tradingClass': trading_class(instrument),
        'validExchanges': instrument.valid_exchanges,
        'companyName': instrument.name,
        'priceRendering': None,
    }


def search_entry(gw, instrument: Instrument) -> Dict[str, Any]:
    """A ``/iserver/secdef/search`` result for a symbol: the underlying and the derivatives it has."""
    sections: List[Dict[str, str]] = [{'secType': instrument.sec_type}]
    for sec_type in DERIVATIVE_TYPES:
        listed = gw.contracts.derivatives(instrument.conid, sec_type)
        if listed:
            exchanges = dict.fromkeys(v for d in listed for v in venues(d))
            sections.append({'secType': sec_type, 'months': ';'.join(gw.contracts.months(instrument.conid, sec_type)),
                             'exchange': ';'.join(exchanges)})
    options = gw.contracts.derivatives(instrument.conid, 'OPT')
    futures_options = gw.contracts.derivatives(instrument.conid, 'FOP')
    warrants = gw.contracts.derivatives(instrument.conid, 'WAR')
    return {
        'conid': str(instrument.conid),
        'companyHeader': f'{instrument.name} - {instrument.exchange}',
        'companyName': instrument.name,
        'symbol': instrument.symbol,
        'description': instrument.exchange,
        'restricted': 'IND' if instrument.sec_type == 'IND' else None,
        'fop': _expiries(futures_options),
        'opt': _expiries(options),
        'war': _expiries(warrants),
        'sections': sections,
        'secType': instrument.sec_type,
    }


def _expiries(instruments: List[Instrument]) -> Optional[str]:
    dates = ';'.join(dict.fromkeys(i.expiry for i in instruments if i.expiry))
    return dates or None


def name_search_entry(instrument: Instrument) -> Dict[str, Any]:
    """A company-name search result: the limited response of the docs' example (no sections)."""
    return {
        'conid': str(instrument.conid),
        'companyHeader': f'{instrument.symbol} {instrument.name} ({instrument.exchange}) ',
        'companyName': f'{instrument.name} ({instrument.exchange})',
        'symbol': instrument.symbol,
        'description': None,
        'restricted': None,
        'sections': [],
        'secType': instrument.sec_type,
    }


def bond_search_entry(issuers: List[Dict[str, str]]) -> Dict[str, Any]:
    """The bond family entry of a search: the issuers, whose ids secdef/info and bond-filters take."""
    return {
        'bondid': 5,
        'conid': BOND_FAMILY_CONID,
        'companyHeader': 'Corporate Fixed Income',
        'companyName': None,
        'symbol': None,
        'description': None,
        'restricted': None,
        'fop': None,
        'opt': None,
        'war': None,
        'issuers': issuers,
        'sections': [{'secType': 'BOND'}],
    }


# =========================================================================== /trsrv

@routes.get('/trsrv/secdef', session='readonly')
def security_definitions(gw, req):
    conids = [parse_conid(value, 'conids') for value in comma_list(req.require_query('conids')[0])]
    found = [gw.universe.find(conid) for conid in conids]
    return {'secdef': [secdef_entry(gw, instrument) for instrument in found if instrument is not None]}


@routes.get('/trsrv/all-conids', session='readonly')
def all_conids(gw, req):
    exchange = req.require_query('exchange')[0].strip().upper()
    asset_class = (req.query.get('assetClass') or 'STK').strip().upper()
    listed = [i for i in gw.universe.all() if i.asset_class == asset_class and trades_on(i, exchange)]
    listed.sort(key=lambda i: (i.symbol, i.conid))
    return [{'ticker': i.symbol, 'conid': i.conid, 'exchange': i.exchange} for i in listed]


@routes.get('/trsrv/stocks', session='readonly')
def stocks_by_symbol(gw, req):
    """Every stock listing of each symbol, grouped by company name. Symbols match exactly (capital letters)."""
    result: Dict[str, List[Dict[str, Any]]] = {}
    for symbol in comma_list(req.require_query('symbols')[0]):
        groups: Dict[str, Dict[str, Any]] = {}
        for instrument in gw.universe.by_symbol(symbol, 'STK'):
            if instrument.symbol != symbol:
                continue
            group = groups.setdefault(instrument.name, {
                'name': instrument.name, 'chineseName': instrument.chinese_name or None, 'assetClass': 'STK',
                'contracts': []})
            group['contracts'].append({'conid': instrument.conid, 'exchange': instrument.exchange,
                                       'isUS': instrument.is_us})
        if groups:
            result[symbol] = list(groups.values())
    return result


@routes.get('/trsrv/futures', session='readonly')
def futures_by_symbol(gw, req):
    exchange = query_any(req, 'exchange')
    result: Dict[str, List[Dict[str, Any]]] = {}
    for symbol in comma_list(req.require_query('symbols')[0]):
        listed = gw.contracts.futures(symbol, exchange)
        if listed:
            result[symbol] = [_future_entry(future) for future in listed]
    return result


def _future_entry(future: Instrument) -> Dict[str, Any]:
    expiry = expiry_date(future)
    last_trading_day = int((expiry - dt.timedelta(days=1)).strftime('%Y%m%d'))
    return {'symbol': future.symbol, 'conid': future.conid, 'underlyingConid': future.underlying_conid or 0,
            'expirationDate': int(future.expiry), 'ltd': last_trading_day, 'shortFuturesCutOff': last_trading_day,
            'longFuturesCutOff': last_trading_day}


@routes.get('/trsrv/secdef/schedule', session='readonly')
def trading_schedule(gw, req):
    asset_class, symbol = (value.strip() for value in req.require_query('assetClass', 'symbol'))
    sec_type = SCHEDULE_ASSET_CLASSES.get(asset_class.upper())
    if sec_type is None:
        raise ApiError(400, f'Bad Request: unknown assetClass {asset_class!r}; expected one of '
                            f'{", ".join(sorted(SCHEDULE_ASSET_CLASSES))}')
    conid = req.query.get('conid')
    if conid:
        candidates = [gw.universe.get(parse_conid(conid))]
    else:
        candidates = gw.universe.by_symbol(symbol, sec_type)
    if not candidates:
        raise ApiError(400, f'Bad Request: no {asset_class} contract for symbol {symbol!r}')
    exchange = (req.query.get('exchange') or '').strip().upper()
    instrument = next((i for i in candidates if i.exchange.upper() == exchange), candidates[0])
    exchanges = comma_list(req.query.get('exchangeFilter') or '') or [exchange or instrument.exchange]
    return [_schedule(instrument, exchange.upper()) for exchange in exchanges]


_EXCHANGE_NAMES = {'NYSE': 'New York Stock Exchange', 'NASDAQ': 'NASDAQ', 'ISLAND': 'NASDAQ', 'ARCA': 'NYSE Arca',
                   'AMEX': 'NYSE American', 'CME': 'Chicago Mercantile Exchange', 'CBOE': 'Cboe Options Exchange',
                   'IDEALPRO': 'IDEALPRO forex'}


def _schedule(instrument: Instrument, exchange: str) -> Dict[str, Any]:
    """A weekly template (20000103 = any Monday ... 20000107 = any Friday), as the docs describe it."""
    if instrument.sec_type in ('FUT', 'FOP'):
        timezone, liquid, trading, clearing = 'America/Chicago', ('0830', '1500'), ('1700', '1600'), '1600'
    elif instrument.sec_type == 'CASH':
        timezone, liquid, trading, clearing = 'America/New_York', ('1715', '1700'), ('1715', '1700'), '1700'
    elif instrument.is_us:
        timezone, liquid, trading, clearing = 'America/New_York', ('0930', '1600'), ('0400', '2000'), '2000'
    else:
        timezone, liquid, trading, clearing = 'Europe/London', ('0800', '1630'), ('0800', '1630'), '1630'
    key = zlib.crc32(exchange.encode('utf-8'))
    days = []
    for day in range(3, 8):  # Monday .. Friday
        days.append({
            'clearingCycleEndTime': clearing,
            'tradingScheduleDate': f'2000010{day}',
            'sessions': [{'openingTime': liquid[0], 'closingTime': liquid[1], 'prop': 'LIQUID'}],
            'tradingtimes': [{'openingTime': trading[0], 'closingTime': trading[1], 'cancelDayOrders': 'Y'}],
        })
    return {'id': f'p{100000 + key % 900000}', 'tradeVenueId': f'v{10000 + key % 90000}',
            'exchange': exchange, 'description': _EXCHANGE_NAMES.get(exchange, exchange),
            'timezone': timezone, 'schedules': days}


# =========================================================================== /iserver/contract

@routes.get('/iserver/contract/{conid}/info')
def contract_information(gw, req):
    return contract_info(gw, gw.universe.get(parse_conid(req.path_params['conid'])))


@routes.get('/iserver/contract/{conid}/info-and-rules')
def info_and_rules(gw, req):
    instrument = gw.universe.get(parse_conid(req.path_params['conid']))
    info = contract_info(gw, instrument)
    info['rules'] = contract_rules(gw, instrument, is_buy=req.query_bool('isBuy', True))
    return info


@routes.post('/iserver/contract/rules')
def rules(gw, req):
    body = req.body_dict()
    conid_value, = req.require_body('conid')
    instrument = gw.universe.get(parse_conid(conid_value))
    is_buy = body.get('isBuy', True)
    modify = body.get('modifyOrder', False)
    for name, value in (('isBuy', is_buy), ('modifyOrder', modify)):
        if not isinstance(value, bool):
            raise ApiError(400, f'Bad Request: {name} must be true or false, got {value!r}')
    if modify and body.get('orderId') is None:
        raise ApiError(400, 'Bad Request: orderId is required when modifyOrder is true')
    exchange = body.get('exchange')
    if exchange is not None and (not isinstance(exchange, str) or not trades_on(instrument, exchange)):
        raise ApiError(400, f'Bad Request: conid {instrument.conid} does not trade on exchange {exchange!r}')
    return contract_rules(gw, instrument, is_buy=is_buy, modify=modify)


def _param(id_: str, name: str, value_class: str, rank: int, **extra: Any) -> Dict[str, Any]:
    return {'guiRank': rank, 'name': name, 'id': id_, 'valueClassName': value_class, **extra}


_TIME_WINDOW = [
    _param('startTime', 'Start Time', 'Time', 2, description='Defaults to start of market trading'),
    _param('endTime', 'End Time', 'Time', 3, description='Defaults to end of market trading'),
    _param('allowPastEndTime', 'Allow trading past end time', 'Boolean', 4, defaultValue=False),
]
_RISK = _param('riskAversion', 'Urgency/risk aversion', 'String', 2, defaultValue='Neutral',
               legalStrings=['Get Done', 'Aggressive', 'Neutral', 'Passive'], required='true')
_MAX_PCT = _param('maxPctVol', 'Max Percentage', 'Double', 1, minValue=0.01, maxValue=50,
                  description='From 0.01 to 50.0')

ALGOS: List[Dict[str, Any]] = [
    {'name': 'Adaptive', 'id': 'Adaptive',
     'description': 'Seeks price improvement between the bid and the ask while keeping to the urgency chosen',
     'parameters': [_param('adaptivePriority', 'Adaptive order priority/urgency', 'String', 1, defaultValue='Normal',
                           legalStrings=['Urgent', 'Normal', 'Patient'], required='true')]},
    {'name': 'Arrival Price', 'id': 'ArrivalPx',
     'description': 'Aims at the bid/ask midpoint at the time the order arrives',
     'parameters': [_MAX_PCT, _RISK] + _TIME_WINDOW},
    {'name': 'Close Price', 'id': 'ClosePx', 'description': 'Aims at the closing price while limiting market impact',
     'parameters': [_MAX_PCT, _RISK, _TIME_WINDOW[0]]},
    {'name': 'DarkIce', 'id': 'DarkIce', 'description': 'Shows only a part of the order, randomising the display',
     'parameters': [_param('displaySize', 'Display Size', 'Integer', 1, required='true')] + _TIME_WINDOW},
    {'name': 'Percentage of Volume', 'id': 'PctVol', 'description': 'Participates in a share of the market volume',
     'parameters': [_param('pctVol', 'Target Percentage', 'Double', 1, minValue=0.01, maxValue=50,
                           required='true')] + _TIME_WINDOW[:2]
     + [_param('noTakeLiq', 'Attempt to never take liquidity', 'Boolean', 5, defaultValue=False)]},
    {'name': 'TWAP', 'id': 'Twap', 'description': 'Trades evenly over the time window',
     'parameters': [_param('strategyType', 'Trade when', 'String', 1, defaultValue='Marketable',
                           legalStrings=['Marketable', 'Matching Midpoint', 'Matching Same Side', 'Matching Last'],
                           required='true')] + _TIME_WINDOW},
    {'name': 'VWAP', 'id': 'Vwap', 'description': 'Aims at the volume-weighted average price of the time window',
     'parameters': [
         _param('noTakeLiq', 'Attempt to never take liquidity', 'Boolean', 5, defaultValue=False),
         _param('optoutClosingAuction', 'Opt-out closing auction', 'Boolean', 11, defaultValue=False),
         _param('allowPastEndTime', 'Allow trading past end time', 'Boolean', 4, defaultValue=False),
         _param('speedUp', 'Speed up when market approaches limit price', 'Boolean', 8, defaultValue=False,
                description='Compensate for decreased fill rate due to presence of limit price.',
                enabledConditions=['MKT:speedUp:=:no']),
         _param('conditionalPrice', 'Trade when price is more aggressive than:', 'Double', 12,
                description='Evaluates with bid for buy order and ask for sell order'),
         _param('startTime', 'Start Time', 'Time', 2, description='Defaults to start of market trading'),
         _MAX_PCT,
         _param('endTime', 'End Time', 'Time', 3, description='Defaults to end of market trading'),
     ]},
]
_ALGOS_BY_TYPE = {'STK': None, 'OPT': ('Adaptive',), 'FUT': ('Adaptive', 'Twap', 'Vwap')}  # None: all


def _flag(value: Optional[str]) -> bool:
    return (value or '').strip().lower() in ('1', 'true', 'yes')


@routes.get('/iserver/contract/{conid}/algos')
def algos(gw, req):
    instrument = gw.universe.get(parse_conid(req.path_params['conid']))
    if instrument.sec_type not in _ALGOS_BY_TYPE:
        return {'algos': []}
    allowed = _ALGOS_BY_TYPE[instrument.sec_type]
    wanted = [part for part in (req.query.get('algos') or '').split(';') if part]
    with_description, with_params = _flag(req.query.get('addDescription')), _flag(req.query.get('addParams'))
    listed = []
    for algo in ALGOS:
        if (allowed is not None and algo['id'] not in allowed) or (wanted and algo['id'] not in wanted):
            continue
        entry: Dict[str, Any] = {'name': algo['name'], 'id': algo['id']}
        if with_description:
            entry['description'] = algo['description']
        if with_params:
            entry['parameters'] = [
                {k: v for k, v in parameter.items() if with_description or k != 'description'}
                for parameter in algo['parameters']]
        listed.append(entry)
    return {'algos': listed}


# =========================================================================== /iserver/currency, exchangerate

@routes.get('/iserver/currency/pairs')
def currency_pairs(gw, req):
    currency = req.require_query('currency')[0].strip().upper()
    pairs = []
    for pair in gw.contracts.currency_pairs(currency):
        base, quote = pair.symbol.upper().split('.', 1)
        pairs.append({'symbol': pair.symbol, 'conid': pair.conid, 'ccyPair': quote if base == currency else base})
    return {currency: pairs}


@routes.get('/iserver/exchangerate')
def exchange_rate(gw, req):
    source = query_any(req, 'source', 'Source')
    target = query_any(req, 'target', 'Target')
    missing = [name for name, value in (('source', source), ('target', target)) if not value]
    if missing:
        raise ApiError(400, f'Bad Request: missing required parameter(s): {", ".join(missing)}')
    rate = gw.contracts.exchange_rate(source, target)
    if rate is None:
        raise ApiError(400, f'Bad Request: no exchange rate for {source.upper()} to {target.upper()}')
    return {'rate': round(rate, 8)}


# =========================================================================== /iserver/secdef

@routes.get('/iserver/secdef/search')
def search(gw, req):
    symbol = req.require_query('symbol')[0].strip()
    sec_type = sec_type_param(req, required=False)
    if sec_type is not None and sec_type not in SEARCH_SEC_TYPES:
        raise ApiError(400, f'Bad Request: secType must be one of {", ".join(SEARCH_SEC_TYPES)}, got {sec_type!r}')
    types = (sec_type,) if sec_type in UNDERLYING_TYPES else () if sec_type == 'BOND' else UNDERLYING_TYPES

    if req.query_bool('name', False):
        wanted = symbol.upper()
        found = [i for i in gw.universe.all() if i.sec_type in types and wanted in i.name.upper()]
        gw.contracts.record_search(conids=[i.conid for i in found])
        return [name_search_entry(i) for i in found]

    found = [i for i in gw.universe.by_symbol(symbol) if i.sec_type in types]
    results = [search_entry(gw, i) for i in found]
    issuers = gw.contracts.issuers(symbol) if sec_type in (None, 'BOND') else []
    if issuers:
        results.append(bond_search_entry(issuers))
    gw.contracts.record_search(conids=[i.conid for i in found], issuer_ids=[issuer['id'] for issuer in issuers])
    return results


@routes.get('/iserver/secdef/strikes')
def strikes(gw, req):
    """Call and put strikes of a month; empty arrays until the underlying was searched (documented quirk)."""
    conid_value, month = req.require_query('conid', 'month')
    sec_type = sec_type_param(req)
    instrument = gw.universe.get(parse_conid(conid_value))
    if not gw.contracts.searched(instrument.conid):
        return {'call': [], 'put': []}
    calls, puts = gw.contracts.strikes(instrument.conid, sec_type, month.strip(),
                                       query_any(req, 'exchange') or 'SMART')
    return {'call': calls, 'put': puts}


@routes.get('/iserver/secdef/info')
def secdef_information(gw, req):
    sec_type = sec_type_param(req)
    exchange = query_any(req, 'exchange')
    if sec_type == 'BOND':
        return _bond_info(gw, req, exchange)
    instrument = gw.universe.get(parse_conid(req.require_query('conid')[0]))
    if instrument.sec_type == sec_type:  # the final contract's own conid
        gw.contracts.require_searched(instrument.underlying_conid or instrument.conid)
        return [secdef_info(instrument, exchange)]
    if sec_type not in DERIVATIVE_TYPES:
        raise ApiError(400, f'Bad Request: conid {instrument.conid} is a {instrument.sec_type}, not a {sec_type}')
    gw.contracts.require_searched(instrument.conid)
    return [secdef_info(contract, exchange) for contract in _derivatives_matching(gw, req, instrument, sec_type)]


def _derivatives_matching(gw, req, underlying: Instrument, sec_type: str) -> List[Instrument]:
    month = query_any(req, 'month')
    if not month:
        raise ApiError(400, f'Bad Request: month is required for {sec_type} (e.g. JAN25)')
    strike: Optional[float] = None
    right = (query_any(req, 'right') or '').upper()[:1] or None
    if sec_type in STRIKED_TYPES:
        strike_value = query_any(req, 'strike')
        if not strike_value:
            raise ApiError(400, f'Bad Request: strike is required for {sec_type}')
        try:
            strike = float(strike_value)
        except ValueError:
            raise ApiError(400, f'Bad Request: strike must be a number, got {strike_value!r}') from None
        if right is not None and right not in ('C', 'P'):
            raise ApiError(400, f'Bad Request: right must be C or P, got {query_any(req, "right")!r}')
    exchange = query_any(req, 'exchange')
    found = [d for d in gw.contracts.derivatives(underlying.conid, sec_type)
             if month_of(d) == month.upper()
             and (strike is None or (d.strike is not None and abs(d.strike - strike) < 1e-9))
             and (right is None or d.right == right)
             and (exchange is None or trades_on(d, exchange))]
    if not found:
        detail = f' strike {strike:g}' if strike is not None else ''
        detail += f' right {right}' if right else ''
        raise ApiError(400, f'Bad Request: no {sec_type} contract on conid {underlying.conid} for month '
                            f'{month.upper()}{detail}')
    return found


def _bond_info(gw, req, exchange: Optional[str]) -> List[Dict[str, Any]]:
    issuer_id = query_any(req, 'issuerId', 'issuerid')
    if not issuer_id:
        raise ApiError(400, 'Bad Request: issuerId is required for BOND')
    gw.contracts.require_issuer_searched(issuer_id)
    bonds = gw.contracts.bonds(issuer_id=issuer_id)
    month = (query_any(req, 'month') or '').upper()
    if month:
        bonds = [b for b in bonds if (b.expiry or '').startswith(month) or month_of(b) == month]
    return [secdef_info(bond, exchange) for bond in bonds]


@routes.get('/iserver/secdef/bond-filters')
def bond_filters(gw, req):
    symbol, issuer_id = (value.strip() for value in req.require_query('symbol', 'issuerId'))
    if symbol.upper() != 'BOND':
        raise ApiError(400, f'Bad Request: symbol must be BOND, got {symbol!r}')
    bonds = gw.contracts.bonds(issuer_id=issuer_id)
    if not bonds:
        return {'bondFilters': []}

    def options(pairs):
        return [dict(option) for option in dict.fromkeys(tuple(sorted(pair.items())) for pair in pairs)]

    maturities = sorted({b.expiry[:6] for b in bonds if b.expiry})
    issues = sorted({str(b.extra.get('issue_date')) for b in bonds if b.extra.get('issue_date')})
    return {'bondFilters': [
        {'displayText': 'Exchange', 'columnId': 0, 'options': options({'value': v} for b in bonds for v in venues(b))},
        {'displayText': 'Maturity Date', 'columnId': 27, 'options': [
            {'text': dt.datetime.strptime(m, '%Y%m').strftime('%b %Y'), 'value': m} for m in maturities]},
        {'displayText': 'Issue Date', 'columnId': 28, 'options': [
            {'text': dt.datetime.strptime(d, '%Y%m%d').strftime('%b %d %Y'), 'value': d} for d in issues]},
        {'displayText': 'Coupon', 'columnId': 25, 'options': [
            {'value': f'{c:g}'} for c in sorted({float(b.extra.get('coupon', 0)) for b in bonds})]},
        {'displayText': 'Currency', 'columnId': 5,
         'options': [{'value': c} for c in sorted({b.currency for b in bonds})]},
    ]}
