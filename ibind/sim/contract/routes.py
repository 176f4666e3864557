"""Simulated gateway routes: contract (security definitions, search, rules, algos, schedules, forex).

Response shapes follow the examples of IBKR's Client Portal Web API docs (seed 002); where IBKR's
OpenAPI spec disagrees, the docs win and docs/simulator/contract.md records the difference.
The payload builders (``contract_info``, ``contract_rules``, ``secdef_entry``...) are in ``shapes``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

from ibind.sim.contract.shapes import (
    SCHEDULE_ASSET_CLASSES,
    SEARCH_SEC_TYPES,
    bond_search_entry,
    comma_list,
    contract_info,
    contract_rules,
    expiry_date,
    name_search_entry,
    parse_conid,
    query_any,
    search_entry,
    sec_type_param,
    sec_type_query,
    secdef_entry,
    secdef_info,
    venues,
)
from ibind.sim.contract.state import DERIVATIVE_TYPES, STRIKED_TYPES, UNDERLYING_TYPES, month_of, trades_on
from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


# =========================================================================== /trsrv


@routes.get('/trsrv/secdef', session='readonly')
def security_definitions(gw: Gateway, req: SimRequest) -> Any:
    conids = [parse_conid(value, 'conids') for value in comma_list(req.require_query('conids')[0])]
    found = [gw.universe.find(conid) for conid in conids]
    return {'secdef': [secdef_entry(gw, instrument) for instrument in found if instrument is not None]}


@routes.get('/trsrv/all-conids', session='readonly')
def all_conids(gw: Gateway, req: SimRequest) -> Any:
    exchange = req.require_query('exchange')[0].strip().upper()
    asset_class = (req.query.get('assetClass') or 'STK').strip().upper()
    listed = [i for i in gw.universe.all() if i.asset_class == asset_class and trades_on(i, exchange)]
    listed.sort(key=lambda i: (i.symbol, i.conid))
    return [{'ticker': i.symbol, 'conid': i.conid, 'exchange': i.exchange} for i in listed]


@routes.get('/trsrv/stocks', session='readonly')
def stocks_by_symbol(gw: Gateway, req: SimRequest) -> Any:
    """Every stock listing of each symbol, grouped by company name. Symbols match exactly (capital letters)."""
    result: Dict[str, List[Dict[str, Any]]] = {}
    for symbol in comma_list(req.require_query('symbols')[0]):
        groups: Dict[str, Dict[str, Any]] = {}
        for instrument in gw.universe.by_symbol(symbol, 'STK'):
            if instrument.symbol != symbol:
                continue
            group = groups.setdefault(
                instrument.name,
                {
                    'name': instrument.name,
                    'chineseName': instrument.chinese_name or None,
                    'assetClass': 'STK',
                    'contracts': [],
                },
            )
            group['contracts'].append(
                {'conid': instrument.conid, 'exchange': instrument.exchange, 'isUS': instrument.is_us}
            )
        if groups:
            result[symbol] = list(groups.values())
    return result


@routes.get('/trsrv/futures', session='readonly')
def futures_by_symbol(gw: Gateway, req: SimRequest) -> Any:
    exchange = query_any(req, 'exchange')
    result: Dict[str, List[Dict[str, Any]]] = {}
    for symbol in comma_list(req.require_query('symbols')[0]):
        listed = gw.contracts.futures(symbol, exchange)
        if listed:
            result[symbol] = [_future_entry(future) for future in listed]
    return result


def _future_entry(future: Instrument) -> Dict[str, Any]:
    expiry = expiry_date(future)
    if expiry is None or not future.expiry:  # ContractState.futures lists only futures with an expiry
        raise ApiError(500, f'future {future.conid} has no expiry')
    last_trading_day = int((expiry - dt.timedelta(days=1)).strftime('%Y%m%d'))
    return {
        'symbol': future.symbol,
        'conid': future.conid,
        'underlyingConid': future.underlying_conid or 0,
        'expirationDate': int(future.expiry),
        'ltd': last_trading_day,
        'shortFuturesCutOff': last_trading_day,
        'longFuturesCutOff': last_trading_day,
    }


@routes.get('/trsrv/secdef/schedule', session='readonly')
def trading_schedule(gw: Gateway, req: SimRequest) -> Any:
    asset_class, symbol = (value.strip() for value in req.require_query('assetClass', 'symbol'))
    sec_type = SCHEDULE_ASSET_CLASSES.get(asset_class.upper())
    if sec_type is None:
        raise ApiError(
            400,
            f'Bad Request: unknown assetClass {asset_class!r}; expected one of '
            f'{", ".join(sorted(SCHEDULE_ASSET_CLASSES))}',
        )
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
    return [weekly_schedule(instrument, exchange.upper()) for exchange in exchanges]


_EXCHANGE_NAMES = {
    'NYSE': 'New York Stock Exchange',
    'NASDAQ': 'NASDAQ',
    'ISLAND': 'NASDAQ',
    'ARCA': 'NYSE Arca',
    'AMEX': 'NYSE American',
    'CME': 'Chicago Mercantile Exchange',
    'CBOE': 'Cboe Options Exchange',
    'IDEALPRO': 'IDEALPRO forex',
}


def weekly_schedule(instrument: Instrument, exchange: str) -> Dict[str, Any]:
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
        days.append(
            {
                'clearingCycleEndTime': clearing,
                'tradingScheduleDate': f'2000010{day}',
                'sessions': [{'openingTime': liquid[0], 'closingTime': liquid[1], 'prop': 'LIQUID'}],
                'tradingtimes': [{'openingTime': trading[0], 'closingTime': trading[1], 'cancelDayOrders': 'Y'}],
            }
        )
    return {
        'id': f'p{100000 + key % 900000}',
        'tradeVenueId': f'v{10000 + key % 90000}',
        'exchange': exchange,
        'description': _EXCHANGE_NAMES.get(exchange, exchange),
        'timezone': timezone,
        'schedules': days,
    }


# =========================================================================== /iserver/contract


@routes.get('/iserver/contract/{conid}/info')
def contract_information(gw: Gateway, req: SimRequest) -> Any:
    return contract_info(gw, gw.universe.get(parse_conid(req.path_params['conid'])))


@routes.get('/iserver/contract/{conid}/info-and-rules')
def info_and_rules(gw: Gateway, req: SimRequest) -> Any:
    instrument = gw.universe.get(parse_conid(req.path_params['conid']))
    info = contract_info(gw, instrument)
    info['rules'] = contract_rules(gw, instrument, is_buy=req.query_bool('isBuy', True))
    return info


@routes.post('/iserver/contract/rules')
def rules(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    (conid_value,) = req.require_body('conid')
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
_RISK = _param(
    'riskAversion',
    'Urgency/risk aversion',
    'String',
    2,
    defaultValue='Neutral',
    legalStrings=['Get Done', 'Aggressive', 'Neutral', 'Passive'],
    required='true',
)
_MAX_PCT = _param(
    'maxPctVol', 'Max Percentage', 'Double', 1, minValue=0.01, maxValue=50, description='From 0.01 to 50.0'
)

ALGOS: List[Dict[str, Any]] = [
    {
        'name': 'Adaptive',
        'id': 'Adaptive',
        'description': 'Seeks price improvement between the bid and the ask while keeping to the urgency chosen',
        'parameters': [
            _param(
                'adaptivePriority',
                'Adaptive order priority/urgency',
                'String',
                1,
                defaultValue='Normal',
                legalStrings=['Urgent', 'Normal', 'Patient'],
                required='true',
            )
        ],
    },
    {
        'name': 'Arrival Price',
        'id': 'ArrivalPx',
        'description': 'Aims at the bid/ask midpoint at the time the order arrives',
        'parameters': [_MAX_PCT, _RISK] + _TIME_WINDOW,
    },
    {
        'name': 'Close Price',
        'id': 'ClosePx',
        'description': 'Aims at the closing price while limiting market impact',
        'parameters': [_MAX_PCT, _RISK, _TIME_WINDOW[0]],
    },
    {
        'name': 'DarkIce',
        'id': 'DarkIce',
        'description': 'Shows only a part of the order, randomising the display',
        'parameters': [_param('displaySize', 'Display Size', 'Integer', 1, required='true')] + _TIME_WINDOW,
    },
    {
        'name': 'Percentage of Volume',
        'id': 'PctVol',
        'description': 'Participates in a share of the market volume',
        'parameters': [_param('pctVol', 'Target Percentage', 'Double', 1, minValue=0.01, maxValue=50, required='true')]
        + _TIME_WINDOW[:2]
        + [_param('noTakeLiq', 'Attempt to never take liquidity', 'Boolean', 5, defaultValue=False)],
    },
    {
        'name': 'TWAP',
        'id': 'Twap',
        'description': 'Trades evenly over the time window',
        'parameters': [
            _param(
                'strategyType',
                'Trade when',
                'String',
                1,
                defaultValue='Marketable',
                legalStrings=['Marketable', 'Matching Midpoint', 'Matching Same Side', 'Matching Last'],
                required='true',
            )
        ]
        + _TIME_WINDOW,
    },
    {
        'name': 'VWAP',
        'id': 'Vwap',
        'description': 'Aims at the volume-weighted average price of the time window',
        'parameters': [
            _param('noTakeLiq', 'Attempt to never take liquidity', 'Boolean', 5, defaultValue=False),
            _param('optoutClosingAuction', 'Opt-out closing auction', 'Boolean', 11, defaultValue=False),
            _param('allowPastEndTime', 'Allow trading past end time', 'Boolean', 4, defaultValue=False),
            _param(
                'speedUp',
                'Speed up when market approaches limit price',
                'Boolean',
                8,
                defaultValue=False,
                description='Compensate for decreased fill rate due to presence of limit price.',
                enabledConditions=['MKT:speedUp:=:no'],
            ),
            _param(
                'conditionalPrice',
                'Trade when price is more aggressive than:',
                'Double',
                12,
                description='Evaluates with bid for buy order and ask for sell order',
            ),
            _param('startTime', 'Start Time', 'Time', 2, description='Defaults to start of market trading'),
            _MAX_PCT,
            _param('endTime', 'End Time', 'Time', 3, description='Defaults to end of market trading'),
        ],
    },
]
_ALGOS_BY_TYPE = {'STK': None, 'OPT': ('Adaptive',), 'FUT': ('Adaptive', 'Twap', 'Vwap')}  # None: all


def _flag(value: Optional[str]) -> bool:
    return (value or '').strip().lower() in ('1', 'true', 'yes')


@routes.get('/iserver/contract/{conid}/algos')
def algos(gw: Gateway, req: SimRequest) -> Any:
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
                for parameter in algo['parameters']
            ]
        listed.append(entry)
    return {'algos': listed}


# =========================================================================== /iserver/currency, exchangerate


@routes.get('/iserver/currency/pairs')
def currency_pairs(gw: Gateway, req: SimRequest) -> Any:
    currency = req.require_query('currency')[0].strip().upper()
    pairs = []
    for pair in gw.contracts.currency_pairs(currency):
        base, quote = pair.symbol.upper().split('.', 1)
        pairs.append({'symbol': pair.symbol, 'conid': pair.conid, 'ccyPair': quote if base == currency else base})
    return {currency: pairs}


@routes.get('/iserver/exchangerate')
def exchange_rate(gw: Gateway, req: SimRequest) -> Any:
    source = query_any(req, 'source', 'Source')
    target = query_any(req, 'target', 'Target')
    if not source or not target:
        missing = [name for name, value in (('source', source), ('target', target)) if not value]
        raise ApiError(400, f'Bad Request: missing required parameter(s): {", ".join(missing)}')
    rate = gw.contracts.exchange_rate(source, target)
    if rate is None:
        raise ApiError(400, f'Bad Request: no exchange rate for {source.upper()} to {target.upper()}')
    return {'rate': round(rate, 8)}


# =========================================================================== /iserver/secdef


@routes.get('/iserver/secdef/search')
def search(gw: Gateway, req: SimRequest) -> Any:
    symbol = req.require_query('symbol')[0].strip()
    sec_type = sec_type_query(req)
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
def strikes(gw: Gateway, req: SimRequest) -> Any:
    """Call and put strikes of a month; empty arrays until the underlying was searched (documented quirk)."""
    conid_value, month = req.require_query('conid', 'month')
    sec_type = sec_type_param(req)
    instrument = gw.universe.get(parse_conid(conid_value))
    if not gw.contracts.searched(instrument.conid):
        return {'call': [], 'put': []}
    calls, puts = gw.contracts.strikes(instrument.conid, sec_type, month.strip(), query_any(req, 'exchange') or 'SMART')
    return {'call': calls, 'put': puts}


@routes.get('/iserver/secdef/info')
def secdef_information(gw: Gateway, req: SimRequest) -> Any:
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


def _derivatives_matching(gw: Gateway, req: SimRequest, underlying: Instrument, sec_type: str) -> List[Instrument]:
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
    found = [
        d
        for d in gw.contracts.derivatives(underlying.conid, sec_type)
        if month_of(d) == month.upper()
        and (strike is None or (d.strike is not None and abs(d.strike - strike) < 1e-9))
        and (right is None or d.right == right)
        and (exchange is None or trades_on(d, exchange))
    ]
    if not found:
        detail = f' strike {strike:g}' if strike is not None else ''
        detail += f' right {right}' if right else ''
        raise ApiError(
            400, f'Bad Request: no {sec_type} contract on conid {underlying.conid} for month {month.upper()}{detail}'
        )
    return found


def _bond_info(gw: Gateway, req: SimRequest, exchange: Optional[str]) -> List[Dict[str, Any]]:
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
def bond_filters(gw: Gateway, req: SimRequest) -> Any:
    symbol, issuer_id = (value.strip() for value in req.require_query('symbol', 'issuerId'))
    if symbol.upper() != 'BOND':
        raise ApiError(400, f'Bad Request: symbol must be BOND, got {symbol!r}')
    bonds = gw.contracts.bonds(issuer_id=issuer_id)
    if not bonds:
        return {'bondFilters': []}

    def options(pairs: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return [dict(option) for option in dict.fromkeys(tuple(sorted(pair.items())) for pair in pairs)]

    maturities = sorted({b.expiry[:6] for b in bonds if b.expiry})
    issues = sorted({str(b.extra.get('issue_date')) for b in bonds if b.extra.get('issue_date')})
    return {
        'bondFilters': [
            {
                'displayText': 'Exchange',
                'columnId': 0,
                'options': options({'value': v} for b in bonds for v in venues(b)),
            },
            {
                'displayText': 'Maturity Date',
                'columnId': 27,
                'options': [
                    {'text': dt.datetime.strptime(m, '%Y%m').strftime('%b %Y'), 'value': m} for m in maturities
                ],
            },
            {
                'displayText': 'Issue Date',
                'columnId': 28,
                'options': [
                    {'text': dt.datetime.strptime(d, '%Y%m%d').strftime('%b %d %Y'), 'value': d} for d in issues
                ],
            },
            {
                'displayText': 'Coupon',
                'columnId': 25,
                'options': [{'value': f'{c:g}'} for c in sorted({float(b.extra.get('coupon', 0)) for b in bonds})],
            },
            {
                'displayText': 'Currency',
                'columnId': 5,
                'options': [{'value': c} for c in sorted({b.currency for b in bonds})],
            },
        ]
    }
