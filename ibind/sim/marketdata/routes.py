"""Simulated gateway routes: market data (snapshot, regulatory snapshot, history, HMDS, unsubscribe).

Documented behaviour reproduced (seed 002 "Market Data"; see docs/simulator/marketdata.md):

* snapshot: ``/iserver/accounts`` must come first (``require_accounts_first``); the first snapshot of a
  conid in a brokerage session is a pre-flight without field values (``preflight_snapshot``); a
  derivative needs a prior ``/iserver/secdef/search`` of its underlying (``secdef_search_first``).
* history: the documented bar sizes, period syntax and step-size table, at most 1000 points.
* hmds: the first request answers 404 with an HTML page (``hmds_first_404``).
* unsubscribe: 500 when no feed is open for the conid; unsubscribeall closes every feed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ibind.sim.engine.history_bars import (
    HMDS_MAX_POINTS,
    MAX_POINTS,
    check_step_size,
    format_time,
    make_bars,
    parse_bar,
    parse_hmds_bar,
    parse_hmds_period,
    parse_period,
    parse_start_time,
    session_bar_windows,
)
from ibind.sim.marketdata.fields import DERIVATIVES, EXCHANGE_CODES, SnapshotFields, exchange_codes, price_decimals
from ibind.sim.transport.http import ApiError, SimResponse, html_not_found
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.engine.universe import Instrument
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import ContractSearches
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

_CONID = re.compile(r'^(\d+)(?:@([A-Za-z0-9_.]+))?$')
MARKET_DATA_AVAILABILITY = 'RpB'  # RealTime, consolidated, Book
HMDS_BAR_TYPES = ('Last', 'Bid', 'Ask', 'Midpoint', 'FeeRate', 'Inventory')


# ----------------------------------------------------------------- arguments


def _parse_conid(gw: Gateway, text: Any, name: str = 'conid') -> Tuple[Any, str, Optional[str]]:
    """'265598' or '265598@SMART' -> (instrument, conidEx as given, exchange or None)."""
    match = _CONID.match(str(text).strip())
    if match is None:
        raise ApiError(400, f'Bad Request: invalid {name} {text!r}: expected a conid like 265598 or 265598@SMART')
    return gw.universe.get(match.group(1)), match.group(0), match.group(2)


def _parse_conids(gw: Gateway, text: str) -> List[Tuple[Any, str, Optional[str]]]:
    specs, seen = [], set()
    for part in text.split(','):
        part = part.strip()
        if not part or part in seen:
            continue
        seen.add(part)
        specs.append(_parse_conid(gw, part, 'conids'))
    if not specs:
        raise ApiError(400, 'Bad Request: conids must name at least one conid')
    return specs


def _parse_fields(text: str) -> List[str]:
    fields = []
    for part in text.split(','):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ApiError(400, f'Bad Request: invalid field {part!r}: fields are numeric ids like 31,84,86')
        fields.append(str(int(part)))
    return fields


def _secdef_searched(gw: Gateway, instrument: Instrument) -> bool:
    """Derivatives need a /iserver/secdef/search of their underlying first (``ContractSearches``)."""
    if instrument.sec_type not in DERIVATIVES:
        return True
    searches: ContractSearches = gw.contracts
    return searches.searched(instrument.underlying_conid or instrument.conid)


# ----------------------------------------------------------------- snapshot


@routes.get('/iserver/marketdata/snapshot')
def snapshot(gw: Gateway, req: SimRequest) -> Any:
    gw.session.require_accounts_queried()
    conids_text, fields_text = req.require_query('conids', 'fields')
    specs = _parse_conids(gw, conids_text)
    field_ids = _parse_fields(fields_text)
    state = gw.marketdata
    state.sync_session()
    state.snapshot_requests += 1
    updated = gw.clock.now_ms()
    entries = []
    for instrument, conid_ex, exchange in specs:
        entry: Dict[str, Any] = {'_updated': updated, 'conidEx': conid_ex, 'conid': instrument.conid}
        entries.append(entry)
        if not _secdef_searched(gw, instrument):
            continue  # no feed opens for a derivative whose underlying was not searched
        feed = state.feed(instrument.conid)
        preflight = feed is None and gw.config.preflight_snapshot
        if feed is None:
            feed = state.open_feed(instrument.conid, exchange)
        feed.snapshots += 1
        entry['server_id'] = feed.server_id
        entry['6119'] = feed.server_id
        if preflight:
            continue
        entry.update(SnapshotFields(gw, instrument).values(field_ids))
        entry['6509'] = MARKET_DATA_AVAILABILITY
    return entries


@routes.get('/md/regsnapshot')
def regulatory_snapshot(gw: Gateway, req: SimRequest) -> Any:
    (conid_text,) = req.require_query('conid')
    instrument, conid_ex, _ = _parse_conid(gw, conid_text)
    gw.marketdata.charge_regsnapshot()
    fields = SnapshotFields(gw, instrument)
    bid_exchanges, ask_exchanges, last_exchanges = (exchange_codes(fields, kind) for kind in (3, 1, 2))
    return {
        'conid': instrument.conid,
        'conidEx': conid_ex,
        'BboExchange': '9c0303',
        'HasDelayed': False,
        '84': fields.bid,
        '86': fields.ask,
        '88': fields.size(88),
        '85': fields.size(85),
        'BestBidExch': _exchange_mask(bid_exchanges),
        'BestAskExch': _exchange_mask(ask_exchanges),
        '31': fields.last,
        '7059': fields.size(7059) * (100 if instrument.sec_type == 'STK' else 1),
        'LastExch': _exchange_mask(last_exchanges),
        '7057': ask_exchanges,
        '7068': bid_exchanges,
        '7058': last_exchanges,
    }


def _exchange_mask(codes: str) -> int:
    """The exchanges of a code string as the "binary integer" the regulatory snapshot reports."""
    return sum(1 << EXCHANGE_CODES.index(code) for code in set(codes))


# ----------------------------------------------------------------- history


@routes.get('/iserver/marketdata/history')
def history(gw: Gateway, req: SimRequest) -> Any:
    conid_text, bar = req.require_query('conid', 'bar')
    instrument, _, _ = _parse_conid(gw, conid_text)
    period = req.query.get('period') or '1w'
    period_seconds = parse_period(period)
    size = parse_bar(bar)
    check_step_size(period, period_seconds, bar)
    outside_rth = bool(req.query_bool('outsideRth', False))
    now = gw.clock.now()
    anchor = parse_start_time(req.query.get('startTime'))
    end = now if anchor is None else min(anchor, now)
    data = make_bars(
        gw.market,
        instrument,
        session_bar_windows(gw.calendar, instrument, end - period_seconds, end, size, MAX_POINTS, outside_rth),
        seed=gw.config.seed,
        volume_scale=gw.market.volume_scale(instrument.conid),
    )
    decimals = price_decimals(instrument.tick)
    price_factor = 10**decimals
    hundreds = instrument.sec_type == 'STK' and instrument.is_us
    first_t = data[0]['t'] if data else int((end - period_seconds) * 1000)
    body = {
        'serverId': gw.marketdata.next_history_server_id(),
        'symbol': instrument.symbol,
        'text': instrument.name,
        'priceFactor': price_factor,
        'startTime': format_time(first_t / 1000.0),
        'high': _extreme(data, 'h', max, price_factor, first_t),
        'low': _extreme(data, 'l', min, price_factor, first_t),
        'timePeriod': period,
        'barLength': size.length,
        'mdAvailability': 'S',
        'mktDataDelay': 0,
        'outsideRth': outside_rth,
        'tradingDayDuration': gw.calendar.trading_minutes(instrument, outside_rth),
        'volumeFactor': 100 if hundreds else 1,
        'priceDisplayRule': 1,
        'priceDisplayValue': str(decimals),
        'chartPanStartTime': format_time(end),
        'direction': -1,
        'negativeCapable': False,
        'messageVersion': 2,
        'data': data,
        'points': max(0, len(data) - 1),
        'travelTime': 1 + len(data) // 40,
    }
    response = SimResponse(body=body)
    gw.marketdata.history_started(response)
    return response


def _extreme(
    data: List[Dict[str, Any]], key: str, pick: Callable[..., Dict[str, Any]], price_factor: int, first_t: int
) -> str:
    """The docs' '%h/%v/%t': price x priceFactor / that bar's volume / minutes from the chart start."""
    if not data:
        return '0/0/0'
    bar = pick(data, key=lambda item: item[key])
    volume = f'{bar["v"]:.2f}'.rstrip('0').rstrip('.')
    return f'{int(round(bar[key] * price_factor))}/{volume}/{int((bar["t"] - first_t) // 60000)}'


@routes.get('/hmds/history')
def hmds_history(gw: Gateway, req: SimRequest) -> Any:
    state = gw.marketdata
    state.sync_session()
    state.hmds_requests += 1
    if not state.hmds_initialised:
        state.hmds_initialised = True
        if gw.config.hmds_first_404:
            return html_not_found()  # this first request starts the historical market data service
    conid_text, period, bar = req.require_query('conid', 'period', 'bar')
    instrument, _, _ = _parse_conid(gw, conid_text)
    period_seconds = parse_hmds_period(period)
    size = parse_hmds_bar(bar, period, period_seconds)
    direction = req.query.get('direction') or '1'
    if direction not in ('-1', '1'):
        raise ApiError(400, f'Bad Request: invalid direction {direction!r}: expected -1 or 1')
    bar_type = req.query.get('barType') or 'Last'
    if bar_type not in HMDS_BAR_TYPES:
        raise ApiError(400, f'Bad Request: invalid barType {bar_type!r}: expected one of {", ".join(HMDS_BAR_TYPES)}')
    now = gw.clock.now()
    anchor = parse_start_time(req.query.get('startTime'))
    if anchor is not None and direction == '-1':  # from startTime forward
        start, end = anchor, min(anchor + period_seconds, now)
    else:  # the period up to startTime (default: now)
        end = now if anchor is None else min(anchor, now)
        start = end - period_seconds
    outside_rth = bool(req.query_bool('outsideRth', False))
    data = make_bars(
        gw.market,
        instrument,
        session_bar_windows(gw.calendar, instrument, start, end, size, HMDS_MAX_POINTS, outside_rth),
        kind=bar_type,
        seed=gw.config.seed,
        volume_scale=gw.market.volume_scale(instrument.conid),
    )
    start_ms = data[0]['t'] if data else int(start * 1000)
    end_ms = int(end * 1000)
    return {
        'startTime': format_time(start_ms / 1000.0),
        'startTimeVal': start_ms,
        'endTime': format_time(end),
        'endTimeVal': end_ms,
        'data': [
            {'t': bar['t'], 'o': bar['o'], 'c': bar['c'], 'h': bar['h'], 'l': bar['l'], 'v': bar['v']} for bar in data
        ],
        'points': max(0, len(data) - 1),
        'mktDataDelay': 0,
    }


# ----------------------------------------------------------------- unsubscribe


@routes.post('/iserver/marketdata/unsubscribe')
def unsubscribe(gw: Gateway, req: SimRequest) -> Any:
    (conid,) = req.require_body('conid')
    if isinstance(conid, bool) or not (isinstance(conid, int) or (isinstance(conid, str) and conid.strip().isdigit())):
        raise ApiError(400, f'Bad Request: invalid conid {conid!r}: expected a conid like 265598')
    state = gw.marketdata
    state.sync_session()
    if not state.close_feed(int(conid)):
        raise ApiError(500, 'unknown')  # the documented answer when no feed is open for the conid
    return {'success': True}


@routes.get('/iserver/marketdata/unsubscribeall')
def unsubscribe_all(gw: Gateway, req: SimRequest) -> Any:
    state = gw.marketdata
    state.sync_session()
    state.close_all_feeds()
    # seed 002 documents {"confirmed": String}; IBKR's OpenAPI spec {"unsubscribed": true}: both are sent
    return {'confirmed': 'true', 'unsubscribed': True}
