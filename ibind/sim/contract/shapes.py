"""How the gateway describes an instrument: the payloads of the contract endpoints (secdef entries, contract info,
rules, search results) and the parameter parsers they share.

Public so other categories describe an instrument the same way the contract routes do.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.sim.contract.state import DERIVATIVE_TYPES, STRIKED_TYPES
from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

BOND_FAMILY_CONID = '2147483647'  # what IBKR's search shows as the conid of a bond family entry
SEARCH_SEC_TYPES = ('STK', 'IND', 'BOND')
SCHEDULE_ASSET_CLASSES = {
    'STK': 'STK',
    'OPT': 'OPT',
    'FUT': 'FUT',
    'CFD': 'CFD',
    'WAR': 'WAR',
    'SWP': 'CASH',
    'FND': 'FUND',
    'BND': 'BOND',
    'ICS': 'ICS',
    'IND': 'IND',
    'CASH': 'CASH',
    'BOND': 'BOND',
}

ORDER_TYPES = [
    'limit',
    'midprice',
    'market',
    'stop',
    'stop_limit',
    'mit',
    'lit',
    'trailing_stop',
    'trailing_stop_limit',
    'relative',
    'marketonclose',
    'limitonclose',
]
IB_ALGO_TYPES = ['limit', 'stop_limit', 'lit', 'trailing_stop_limit', 'relative', 'marketonclose', 'limitonclose']
FRACTIONAL_TYPES = ['limit', 'market', 'stop', 'stop_limit', 'mit', 'lit', 'trailing_stop', 'trailing_stop_limit']
OUTSIDE_RTH_TYPES = ['limit', 'stop_limit', 'lit', 'trailing_stop_limit', 'relative']
TIF_TYPES = [
    'IOC/MARKET,LIMIT,RELATIVE,MARKETONCLOSE,MIDPRICE,LIMITONCLOSE,MKT_PROTECT,STPPRT,a',
    'GTC/o,a',
    'OPG/LIMIT,MARKET,a',
    'GTD/o,a',
    'DAY/o,a',
]
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


def sec_type_query(req: SimRequest) -> Optional[str]:
    """The security type of a secdef query, None when absent: the docs spell it ``sectype``, their examples ``secType``."""
    value = req.query.get('secType') or req.query.get('sectype') or req.query.get('SecType')
    return value.strip().upper() if value else None


def sec_type_param(req: SimRequest) -> str:
    """The security type of a secdef query that requires one (absent: the gateway's 400)."""
    value = sec_type_query(req)
    if value is None:
        raise ApiError(400, 'Bad Request: missing required parameter(s): sectype')
    return value


def query_any(req: SimRequest, *names: str) -> Optional[str]:
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
        text += f' {strike_text(instrument.strike)} {"Call" if instrument.right == "C" else "Put"}'
    return text


_FUTURE_MONTH_LETTERS = 'FGHJKMNQUVXZ'


def local_symbol(instrument: Instrument) -> str:
    """The exchange's symbol: OCC for options (``IBM   240315C00187500``), ``ESZ6`` for futures."""
    expiry = expiry_date(instrument)
    if instrument.sec_type in STRIKED_TYPES and expiry and instrument.strike is not None:
        return (
            f'{instrument.symbol:<6}{expiry.strftime("%y%m%d")}{instrument.right}'
            f'{int(round(instrument.strike * 1000)):08d}'
        )
    if instrument.sec_type == 'FUT' and expiry:
        return f'{instrument.symbol}{_FUTURE_MONTH_LETTERS[expiry.month - 1]}{expiry.year % 10}'
    if instrument.sec_type == 'BOND':
        return instrument.name
    return instrument.symbol


def full_name(instrument: Instrument) -> str:
    expiry = expiry_date(instrument)
    if instrument.sec_type in DERIVATIVE_TYPES and expiry:
        name = f'{instrument.symbol} {expiry.strftime("%b").upper()}{expiry.year % 100:02d}'
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


def secdef_entry(gw: Gateway, instrument: Instrument) -> Dict[str, Any]:
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
        'displayRule': {
            'magnification': 0,
            'displayRuleStep': [{'decimalDigits': decimals(instrument.tick), 'lowerEdge': 0.0, 'wholeDigits': 4}],
        },
        'isEventContract': False,
        'pageSize': 100,
    }


def _cfi_code(instrument: Instrument) -> str:
    if instrument.sec_type in ('OPT', 'FOP'):
        return 'OCXXXS' if instrument.right == 'C' else 'OPXXXS'
    if instrument.sec_type == 'FUT':
        return 'FFICSX'
    return ''


def contract_info(gw: Gateway, instrument: Instrument) -> Dict[str, Any]:
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


def contract_rules(gw: Gateway, instrument: Instrument, is_buy: bool = True, modify: bool = False) -> Dict[str, Any]:
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
        coupon, desc2 = f'{instrument.extra.get("coupon", 0):g}', instrument.name.split(' ', 1)[-1]
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


def search_entry(gw: Gateway, instrument: Instrument) -> Dict[str, Any]:
    """A ``/iserver/secdef/search`` result for a symbol: the underlying and the derivatives it has."""
    sections: List[Dict[str, str]] = [{'secType': instrument.sec_type}]
    for sec_type in DERIVATIVE_TYPES:
        listed = gw.contracts.derivatives(instrument.conid, sec_type)
        if listed:
            exchanges = dict.fromkeys(v for d in listed for v in venues(d))
            sections.append(
                {
                    'secType': sec_type,
                    'months': ';'.join(gw.contracts.months(instrument.conid, sec_type)),
                    'exchange': ';'.join(exchanges),
                }
            )
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
