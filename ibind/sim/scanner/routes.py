"""Simulated gateway routes: the iserver and HMDS market scanners.

GET  /iserver/scanner/params   instrument types, scan codes, filters and locations the scanner accepts
POST /iserver/scanner/run      {"instrument", "type", "location", "filter"} -> at most 50 contracts
GET  /hmds/scanner/params      the HMDS scanner's instrument types, scan codes and locations
POST /hmds/scanner/run         {"instrument", "locations", "scanCode", "secType", "filters", "maxItems"}

Scans rank the instruments of the universe by what the simulated market shows right now (day
change, volume, trade count, bond yield), so results move with the simulated clock and agree with
snapshots. Values must come from the params answers: anything else is a 400. See
docs/simulator/scanner.md.
"""

from __future__ import annotations

import base64
import datetime
import numbers
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable
from ibind.sim.watchlist.state import local_symbol

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

ISERVER_MAX_CONTRACTS = 50
HMDS_MAX_ITEMS = 250
OTC_EXCHANGES = frozenset({'PINK', 'PINKSHEETS', 'OTC', 'OTCBB', 'OTCLNKECN', 'VALUE'})
AVERAGE_TRADE_SIZE = 120  # shares per trade, to turn simulated volume into a trade count


# ----------------------------------------------------------------- what the market shows for an instrument


class Metrics:
    """Today's numbers for one instrument, computed once per scan from the simulated market."""

    last: float
    prior_close: float
    volume: float
    average_volume: int
    change_pct: float
    trades: float
    ask_yield: Optional[float]  # bonds with a coupon only
    bid_yield: Optional[float]

    def __init__(self, gw: Gateway, instrument: Instrument) -> None:
        stats = gw.market.day_stats(instrument.conid)
        self.instrument = instrument
        self.last = gw.market.last(instrument.conid)
        self.prior_close = stats['prior_close']
        self.volume = stats['volume']
        self.average_volume = instrument.daily_volume
        self.change_pct = _percent(self.last, self.prior_close)
        self.trades = self.volume // AVERAGE_TRADE_SIZE
        coupon = instrument.extra.get('coupon')
        bid, ask, _ = gw.market.quote(instrument.conid)
        self.ask_yield = 100.0 * float(coupon) / ask if coupon and ask > 0 else None
        self.bid_yield = 100.0 * float(coupon) / bid if coupon and bid > 0 else None


def _percent(value: float, reference: float) -> float:
    return (value / reference - 1.0) * 100.0 if reference else 0.0


def _compact(value: float) -> str:
    """163773 -> '163.773K', as the scanner's scan_data shows counts."""
    for divisor, suffix in ((1e9, 'B'), (1e6, 'M'), (1e3, 'K')):
        if abs(value) >= divisor:
            return f'{value / divisor:.3f}{suffix}'
    return f'{value:.0f}'


def _signed_percent(value: float) -> str:
    return f'{value:+.2f}%'


# ----------------------------------------------------------------- scan codes, filters, locations


@dataclass(frozen=True)
class ScanType:
    code: str
    display_name: str
    column_name: str  # scan_data_column_name
    instruments: Tuple[str, ...]
    rank: Callable[[Metrics], Optional[float]]  # None: the instrument is not part of this scan
    render: Callable[[Metrics], str]  # scan_data
    descending: bool = True


def _positive(value: Optional[float]) -> Optional[float]:
    return value if value is not None and value > 0 else None


def _negative(value: Optional[float]) -> Optional[float]:
    return value if value is not None and value < 0 else None


_EQUITY_INSTRUMENTS = ('STK', 'ETF.EQ.US')
_ALL_ISERVER_INSTRUMENTS = ('STK', 'ETF.EQ.US', 'FUT.US', 'IND.US')

ISERVER_SCAN_TYPES: Tuple[ScanType, ...] = (
    ScanType(
        'TOP_PERC_GAIN',
        'Top % Gainers',
        '% Change',
        _ALL_ISERVER_INSTRUMENTS,
        lambda m: _positive(m.change_pct),
        lambda m: _signed_percent(m.change_pct),
    ),
    ScanType(
        'TOP_PERC_LOSE',
        'Top % Losers',
        '% Change',
        _ALL_ISERVER_INSTRUMENTS,
        lambda m: _negative(m.change_pct),
        lambda m: _signed_percent(m.change_pct),
        descending=False,
    ),
    ScanType(
        'MOST_ACTIVE',
        'Most Active',
        'Volume',
        ('STK', 'ETF.EQ.US', 'FUT.US'),
        lambda m: float(m.volume),
        lambda m: _compact(m.volume),
    ),
    ScanType(
        'TOP_TRADE_COUNT',
        'Top Trade Count',
        'Trades',
        _EQUITY_INSTRUMENTS,
        lambda m: float(m.trades),
        lambda m: _compact(m.trades),
    ),
    ScanType(
        'HOT_BY_VOLUME',
        'Hot by Volume',
        'Volume Rate',
        _EQUITY_INSTRUMENTS,
        lambda m: m.volume / m.average_volume if m.average_volume else None,
        lambda m: f'{m.volume / m.average_volume:.2f}' if m.average_volume else '0.00',
    ),
)


@dataclass(frozen=True)
class Filter:
    code: str
    display_name: str
    keep: Callable[[Metrics, float], bool]


FILTERS: Tuple[Filter, ...] = (
    Filter('priceAbove', 'Price Above', lambda m, v: m.last > v),
    Filter('priceBelow', 'Price Below', lambda m, v: m.last < v),
    Filter('volumeAbove', 'Volume Above', lambda m, v: m.volume > v),
    Filter('volumeBelow', 'Volume Below', lambda m, v: m.volume < v),
    Filter('avgVolumeAbove', 'Average Volume Above', lambda m, v: m.average_volume > v),
    Filter('changePercAbove', 'Change (%) Above', lambda m, v: m.change_pct > v),
    Filter('changePercBelow', 'Change (%) Below', lambda m, v: m.change_pct < v),
    Filter('bondAskYieldAbove', 'Bond Ask Yield Above', lambda m, v: m.ask_yield is not None and m.ask_yield > v),
    Filter('bondAskYieldBelow', 'Bond Ask Yield Below', lambda m, v: m.ask_yield is not None and m.ask_yield < v),
)
FILTERS_BY_CODE = {f.code: f for f in FILTERS}


@dataclass(frozen=True)
class InstrumentType:
    type: str
    display_name: str
    filters: Tuple[str, ...]
    member: Callable[[Instrument], bool]


_PRICE_VOLUME = (
    'priceAbove',
    'priceBelow',
    'volumeAbove',
    'volumeBelow',
    'avgVolumeAbove',
    'changePercAbove',
    'changePercBelow',
)

ISERVER_INSTRUMENTS: Tuple[InstrumentType, ...] = (
    InstrumentType('STK', 'US Stocks', _PRICE_VOLUME, lambda i: i.sec_type == 'STK' and i.is_us),
    InstrumentType(
        'ETF.EQ.US',
        'US Equity ETFs',
        _PRICE_VOLUME,
        lambda i: i.sec_type == 'STK' and i.is_us and i.stock_type == 'ETF',
    ),
    InstrumentType(
        'FUT.US',
        'US Futures',
        ('priceAbove', 'priceBelow', 'volumeAbove', 'changePercAbove', 'changePercBelow'),
        lambda i: i.sec_type == 'FUT' and i.is_us,
    ),
    InstrumentType(
        'IND.US',
        'US Indexes',
        ('priceAbove', 'priceBelow', 'changePercAbove', 'changePercBelow'),
        lambda i: i.sec_type == 'IND' and i.is_us,
    ),
)


@dataclass(frozen=True)
class Location:
    code: str
    display_name: str
    member: Callable[[Instrument], bool]


def _on(*exchanges: str) -> Callable[[Instrument], bool]:
    names = frozenset(exchanges)
    return lambda i: i.exchange.upper() in names or i.listing_exchange.upper().split('.')[0] in names


# location_tree: instrument type -> its locations (the doc's second level; a third level is always empty)
ISERVER_LOCATIONS: Dict[str, Tuple[Location, ...]] = {
    'STK': (
        Location('STK.US.MAJOR', 'Listed/NASDAQ', lambda i: i.exchange.upper() not in OTC_EXCHANGES),
        Location('STK.US.MINOR', 'OTCMarkets', lambda i: i.exchange.upper() in OTC_EXCHANGES),
        Location('STK.NASDAQ', 'NASDAQ', _on('NASDAQ')),
        Location('STK.NYSE', 'NYSE', _on('NYSE')),
        Location('STK.ARCA', 'NYSE Arca', _on('ARCA')),
        Location('STK.AMEX', 'NYSE American', _on('AMEX')),
    ),
    'ETF.EQ.US': (Location('ETF.EQ.US.MAJOR', 'US Equity ETFs', lambda i: i.exchange.upper() not in OTC_EXCHANGES),),
    'FUT.US': (
        Location('FUT.CME', 'CME', _on('CME', 'GLOBEX')),
        Location('FUT.CBOT', 'CBOT', _on('CBOT', 'ECBOT')),
        Location('FUT.NYMEX', 'NYMEX', _on('NYMEX')),
        Location('FUT.COMEX', 'COMEX', _on('COMEX')),
    ),
    'IND.US': (Location('IND.US', 'US Indexes', lambda i: True),),
}

HMDS_SCAN_TYPES: Tuple[ScanType, ...] = (
    ScanType(
        'HIGH_BOND_ASK_YIELD_ALL',
        'Highest Ask Yield',
        'Ask Yield',
        ('BOND',),
        lambda m: m.ask_yield,
        lambda m: f'{m.ask_yield:.3f}%',
    ),
    ScanType(
        'LOW_BOND_BID_YIELD_ALL',
        'Lowest Bid Yield',
        'Bid Yield',
        ('BOND',),
        lambda m: m.bid_yield,
        lambda m: f'{m.bid_yield:.3f}%',
        descending=False,
    ),
    ScanType('MOST_ACTIVE', 'Most Active', 'Volume', ('STK',), lambda m: float(m.volume), lambda m: _compact(m.volume)),
    ScanType(
        'TOP_PERC_GAIN',
        'Top % Gainers',
        '% Change',
        ('STK',),
        lambda m: _positive(m.change_pct),
        lambda m: _signed_percent(m.change_pct),
    ),
    ScanType(
        'TOP_PERC_LOSE',
        'Top % Losers',
        '% Change',
        ('STK',),
        lambda m: _negative(m.change_pct),
        lambda m: _signed_percent(m.change_pct),
        descending=False,
    ),
)

HMDS_INSTRUMENTS: Tuple[InstrumentType, ...] = (
    InstrumentType(
        'BOND',
        'US Corporate Bonds',
        ('bondAskYieldAbove', 'bondAskYieldBelow', 'priceAbove', 'priceBelow'),
        lambda i: i.sec_type == 'BOND' and i.currency == 'USD',
    ),
    InstrumentType('STK', 'US Stocks', _PRICE_VOLUME, lambda i: i.sec_type == 'STK' and i.is_us),
)

# HMDS location_tree: the tree's "type" is the secType of a request, "locationCode" its locations
HMDS_LOCATIONS: Dict[str, Tuple[Location, ...]] = {
    'BOND': (Location('BOND.US', 'US', lambda i: True),),
    'STK': ISERVER_LOCATIONS['STK'][:2],
}
HMDS_TREE_NAMES = {'BOND': 'US Corporate Bonds', 'STK': 'US Stocks'}


# ----------------------------------------------------------------- params answers


def _scan_type_list(scan_types: Sequence[ScanType]) -> List[Dict[str, Any]]:
    return [{'display_name': s.display_name, 'code': s.code, 'instruments': list(s.instruments)} for s in scan_types]


def _instrument_list(instruments: Sequence[InstrumentType]) -> List[Dict[str, Any]]:
    return [{'display_name': i.display_name, 'type': i.type, 'filters': list(i.filters)} for i in instruments]


@routes.get('/iserver/scanner/params')
def scanner_params(gw: Gateway, req: SimRequest) -> Any:
    used = {code for instrument in ISERVER_INSTRUMENTS for code in instrument.filters}
    return {
        'scan_type_list': _scan_type_list(ISERVER_SCAN_TYPES),
        'instrument_list': _instrument_list(ISERVER_INSTRUMENTS),
        'filter_list': [
            {'group': f.code, 'display_name': f.display_name, 'code': f.code, 'type': 'non-range'}
            for f in FILTERS
            if f.code in used
        ],
        'location_tree': [
            {
                'display_name': instrument.display_name,
                'type': instrument.type,
                'locations': [
                    {'display_name': loc.display_name, 'type': loc.code, 'locations': []}
                    for loc in ISERVER_LOCATIONS[instrument.type]
                ],
            }
            for instrument in ISERVER_INSTRUMENTS
        ],
    }


@routes.get('/hmds/scanner/params')
def hmds_scanner_params(gw: Gateway, req: SimRequest) -> Any:
    return {
        'instrument_list': _instrument_list(HMDS_INSTRUMENTS),
        'scan_type_list': _scan_type_list(HMDS_SCAN_TYPES),
        'location_tree': [
            {
                'display_name': HMDS_TREE_NAMES[sec_type],
                'type': sec_type,
                'locations': [
                    {'display_name': loc.display_name, 'locationCode': loc.code, 'locations': []} for loc in locations
                ],
            }
            for sec_type, locations in HMDS_LOCATIONS.items()
        ],
    }


# ----------------------------------------------------------------- running a scan


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f'Bad Request: {name} must be a non-empty string')
    return value.strip()


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ApiError(400, f'Bad Request: the value of filter {name} must be a number')
    if isinstance(value, numbers.Real):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ApiError(400, f'Bad Request: the value of filter {name} must be a number, got {value!r}') from None


def _pick(options: Sequence[Any], key: Callable[[Any], str], wanted: str, what: str) -> Any:
    for option in options:
        if key(option) == wanted:
            return option
    valid = ', '.join(key(option) for option in options)
    raise ApiError(400, f'Bad Request: unknown {what} {wanted!r}; valid: {valid}')


def _filters(pairs: List[Tuple[str, Any]], instrument: InstrumentType) -> List[Tuple[Filter, float]]:
    chosen = []
    for code, value in pairs:
        if code not in instrument.filters:
            raise ApiError(
                400,
                f'Bad Request: filter {code!r} is not available for instrument {instrument.type}; '
                f'valid: {", ".join(instrument.filters)}',
            )
        chosen.append((FILTERS_BY_CODE[code], _number(code, value)))
    return chosen


def _scan(
    gw: Gateway,
    instrument: InstrumentType,
    location: Location,
    scan_type: ScanType,
    filters: List[Tuple[Filter, float]],
) -> List[Metrics]:
    """Every matching instrument of the universe, best first (ties broken by conid, so results are stable)."""
    ranked = []
    for candidate in gw.universe.all():
        if not (instrument.member(candidate) and location.member(candidate)):
            continue
        metrics = Metrics(gw, candidate)
        score = scan_type.rank(metrics)
        if score is None or not all(f.keep(metrics, value) for f, value in filters):
            continue
        ranked.append((-score if scan_type.descending else score, candidate.conid, metrics))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return [metrics for _, _, metrics in ranked]


@routes.post('/iserver/scanner/run')
def scanner_run(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    instrument_code, scan_code, location_code = req.require_body('instrument', 'type', 'location')
    instrument = _pick(ISERVER_INSTRUMENTS, lambda i: i.type, _text('instrument', instrument_code), 'instrument')
    scan_type = _pick(ISERVER_SCAN_TYPES, lambda s: s.code, _text('type', scan_code), 'scan type')
    if instrument.type not in scan_type.instruments:
        raise ApiError(
            400, f'Bad Request: scan type {scan_type.code} is not available for instrument {instrument.type}'
        )
    location = _pick(
        ISERVER_LOCATIONS[instrument.type],
        lambda loc: loc.code,
        _text('location', location_code),
        f'location for instrument {instrument.type}',
    )
    raw_filters = body.get('filter')
    if raw_filters is None:
        raw_filters = []
    if not isinstance(raw_filters, list) or not all(
        isinstance(f, dict) and isinstance(f.get('code'), str) and 'value' in f for f in raw_filters
    ):
        raise ApiError(400, 'Bad Request: filter must be an array of {"code": ..., "value": ...} objects')
    filters = _filters([(f['code'], f['value']) for f in raw_filters], instrument)

    found = _scan(gw, instrument, location, scan_type, filters)[:ISERVER_MAX_CONTRACTS]
    contracts = []
    for position, metrics in enumerate(found):
        contract_instrument = metrics.instrument
        contract = {
            'server_id': str(position),
            'symbol': contract_instrument.symbol,
            'conidex': str(contract_instrument.conid),
            'con_id': contract_instrument.conid,
            'available_chart_periods': '#R|1',
            'company_name': contract_instrument.name,
            'scan_data': scan_type.render(metrics),
            'contract_description_1': local_symbol(contract_instrument),
            'listing_exchange': contract_instrument.listing_exchange,
            'sec_type': contract_instrument.sec_type,
        }
        if position == 0:
            contract['column_name'] = scan_type.column_name
        contracts.append(contract)
    return {'contracts': contracts, 'scan_data_column_name': scan_type.column_name}


def _hmds_filter_pairs(raw: Any) -> List[Tuple[str, Any]]:
    """HMDS filters are ``{code: value}`` objects; ``{"code": c, "value": v}`` is read as ``{c: v}`` too."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ApiError(400, 'Bad Request: filters must be an array of objects (it may be empty)')
    pairs: List[Tuple[str, Any]] = []
    for item in raw:
        if set(item) == {'code', 'value'} and isinstance(item['code'], str):
            pairs.append((item['code'], item['value']))
        else:
            pairs.extend(item.items())
    return pairs


def _max_items(value: Any) -> int:
    if value is None:
        return HMDS_MAX_ITEMS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, f'Bad Request: maxItems must be a positive integer (at most {HMDS_MAX_ITEMS})')
    return min(value, HMDS_MAX_ITEMS)


@routes.post('/hmds/scanner/run')
def hmds_scanner_run(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    instrument_code, locations_code, scan_code, sec_type = req.require_body(
        'instrument', 'locations', 'scanCode', 'secType'
    )
    if 'filters' not in body:
        raise ApiError(400, 'Bad Request: filters is required (an empty array is fine)')
    instrument = _pick(HMDS_INSTRUMENTS, lambda i: i.type, _text('instrument', instrument_code), 'instrument')
    scan_type = _pick(HMDS_SCAN_TYPES, lambda s: s.code, _text('scanCode', scan_code), 'scanCode')
    if instrument.type not in scan_type.instruments:
        raise ApiError(400, f'Bad Request: scanCode {scan_type.code} is not available for instrument {instrument.type}')
    sec_type = _text('secType', sec_type)
    if sec_type not in HMDS_LOCATIONS or sec_type != instrument.type:
        raise ApiError(400, f'Bad Request: secType {sec_type!r} does not match instrument {instrument.type}')
    location = _pick(
        HMDS_LOCATIONS[sec_type],
        lambda loc: loc.code,
        _text('locations', locations_code),
        f'locations for secType {sec_type}',
    )
    filters = _filters(_hmds_filter_pairs(body.get('filters')), instrument)
    max_items = _max_items(body.get('maxItems'))

    found = _scan(gw, instrument, location, scan_type, filters)
    returned = found[:max_items]
    scan_time = datetime.datetime.fromtimestamp(gw.clock.now(), tz=datetime.timezone.utc).strftime('%Y%m%d-%H:%M:%S')
    scan_number = next(gw.ids)
    position = 'v1:' + base64.b64encode(struct.pack('>IIII', 1, scan_number, len(found), len(returned))).decode()
    return {
        'total': str(len(found)),
        'size': str(len(returned)),
        'offset': '0',
        'scanTime': scan_time,
        'id': f'scanner{scan_number}',
        'position': position,
        'Contracts': {'Contract': [{'inScanTime': scan_time, 'contractID': str(m.instrument.conid)} for m in returned]},
    }
