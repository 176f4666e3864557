"""Historical bars of the simulated market, and the period/bar vocabularies of IBKR's two history endpoints.

Bars are cut from the same seeded price path that snapshots and fills read (``gw.market``), so the
close of the latest bar is the current last price, and any bar of any size, years back, is computed
directly. Bars are aligned to UTC: minutes and hours to multiples of their length, days to midnight,
weeks to Monday, months to the first of the month. With market hours on (``SimConfig.market_hours``,
see ibind.sim.engine.calendar) ``session_bar_windows`` keeps only what trades: intraday bars inside the
sessions (clipped to them; pre/post-market only with ``outsideRth``), one daily bar per trading day
from its open to its close, and weeks/months cut to their first open and last close.

Vocabularies (seed 002):
* ``/iserver/marketdata/history``: bars 1min..1m (``m`` = month), periods {1-30}min, {1-8}h,
  {1-1000}d, {1-792}w, {1-182}m, {1-15}y, the step-size table, at most 1000 points.
* ``/hmds/history``: periods in S, d, w, m, y; bars in secs, mins, hrs, d, w (and m); the allowed bar
  units depend on the period ("Valid Bar Units" table).
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ibind.sim.engine.market import round_to_tick, unit_noise
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.engine.calendar import MarketCalendar
    from ibind.sim.engine.market import Market
    from ibind.sim.engine.universe import Instrument

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 7 * 86400
MONTH = 30 * DAY  # a period or bar length of one month, where a length in seconds is needed
YEAR = 365 * DAY
MAX_POINTS = 1000  # /iserver/marketdata/history "only provides up to 1000 data points"
HMDS_MAX_POINTS = 5000  # /hmds/history: "only a few thousand bars are returned at a time"
TIME_FORMAT = '%Y%m%d-%H:%M:%S'
_MONDAY_OFFSET = 4 * DAY  # 1970-01-01 was a Thursday; 1970-01-05 a Monday

BAR_SECONDS: Dict[str, int] = {
    '1min': MINUTE,
    '2min': 2 * MINUTE,
    '3min': 3 * MINUTE,
    '5min': 5 * MINUTE,
    '10min': 10 * MINUTE,
    '15min': 15 * MINUTE,
    '30min': 30 * MINUTE,
    '1h': HOUR,
    '2h': 2 * HOUR,
    '3h': 3 * HOUR,
    '4h': 4 * HOUR,
    '8h': 8 * HOUR,
    '1d': DAY,
    '1w': WEEK,
    '1m': MONTH,
}
PERIOD_UNITS: Dict[str, Tuple[int, int]] = {  # unit -> (seconds, largest count)
    'min': (MINUTE, 30),
    'h': (HOUR, 8),
    'd': (DAY, 1000),
    'w': (WEEK, 792),
    'm': (MONTH, 182),
    'y': (YEAR, 15),
}
# The docs' step-size table: period column -> (smallest bar, largest bar, default bar)
STEP_SIZES: Tuple[Tuple[int, str, str, str], ...] = (
    (MINUTE, '1min', '1min', '1min'),
    (HOUR, '1min', '8h', '1min'),
    (DAY, '1min', '8h', '1min'),
    (WEEK, '10min', '1w', '15min'),
    (MONTH, '1h', '1m', '30min'),
    (3 * MONTH, '2h', '1m', '1d'),
    (6 * MONTH, '4h', '1m', '1d'),
    (YEAR, '8h', '1m', '1d'),
    (2 * YEAR, '1d', '1m', '1d'),
    (3 * YEAR, '1d', '1m', '1w'),
    (15 * YEAR, '1w', '1m', '1w'),
)

_PERIOD = re.compile(r'^([1-9]\d*)(min|h|d|w|m|y)$')
_HMDS_PERIOD = re.compile(r'^([1-9]\d*)(S|d|w|m|y)$')
_HMDS_BAR = re.compile(r'^([1-9]\d*)(secs|sec|mins|min|hrs|hr|d|w|m)$')
_HMDS_PERIOD_SECONDS = {'S': 1, 'd': DAY, 'w': WEEK, 'm': MONTH, 'y': YEAR}
_HMDS_BAR_UNITS = {
    'secs': ('secs', 1),
    'sec': ('secs', 1),
    'mins': ('mins', MINUTE),
    'min': ('mins', MINUTE),
    'hrs': ('hrs', HOUR),
    'hr': ('hrs', HOUR),
    'd': ('d', DAY),
    'w': ('w', WEEK),
    'm': ('m', MONTH),
}
_HMDS_UNIT_ORDER = ('secs', 'mins', 'hrs', 'd', 'w', 'm')
# "Valid Bar Units" table: periods up to this many seconds -> (smallest, largest) bar unit
_HMDS_BAR_RANGES = ((8 * HOUR, 'secs', 'mins'), (WEEK, 'mins', 'hrs'), (31 * DAY, 'mins', 'd'), (math.inf, 'd', 'w'))


class BarSize:
    """A bar length: a number of seconds, or whole calendar months."""

    def __init__(self, seconds: int = 0, months: int = 0):
        self.seconds = seconds
        self.months = months

    @property
    def length(self) -> int:
        """Nominal length in seconds (a month counts 30 days)."""
        return self.seconds or self.months * MONTH


# ----------------------------------------------------------------- /iserver/marketdata/history


def parse_period(period: str) -> int:
    """Seconds of an /iserver/marketdata/history period; a malformed or too long one is a 400."""
    match = _PERIOD.match(period or '')
    if match is None:
        raise ApiError(
            400,
            f'Bad Request: invalid period {period!r}: expected {{1-30}}min, {{1-8}}h, {{1-1000}}d, '
            '{1-792}w, {1-182}m or {1-15}y',
        )
    count, unit = int(match.group(1)), match.group(2)
    seconds, largest = PERIOD_UNITS[unit]
    if count > largest:
        raise ApiError(400, f'Bad Request: invalid period {period!r}: at most {largest}{unit}')
    return count * seconds


def parse_bar(bar: str) -> BarSize:
    if bar not in BAR_SECONDS:
        raise ApiError(400, f'Bad Request: invalid bar {bar!r}: expected one of {", ".join(BAR_SECONDS)}')
    return BarSize(months=1) if bar == '1m' else BarSize(seconds=BAR_SECONDS[bar])


def step_size(period_seconds: int) -> Tuple[str, str, str]:
    """(smallest bar, largest bar, default bar) for a period: the table column at or below it."""
    row = STEP_SIZES[0]
    for candidate in STEP_SIZES:
        if candidate[0] <= period_seconds:
            row = candidate
    return row[1], row[2], row[3]


def check_step_size(period: str, period_seconds: int, bar: str) -> None:
    """The bar must lie in the step-size range of the period, else the gateway's 500 error.

    The table's largest bar is widened to the period itself (up to a month): the docs' own example asks
    for period=1d with bar=1d, which the table's 1min-8h would refuse.
    """
    smallest, largest, _ = step_size(period_seconds)
    widest = max(BAR_SECONDS[largest], min(period_seconds, MONTH))
    if not BAR_SECONDS[smallest] <= BAR_SECONDS[bar] <= widest:
        allowed = [name for name, seconds in BAR_SECONDS.items() if BAR_SECONDS[smallest] <= seconds <= widest]
        raise ApiError(500, f'Bar size {bar} is not permitted for period {period}: use one of {", ".join(allowed)}')


# ----------------------------------------------------------------- /hmds/history


def parse_hmds_period(period: str) -> int:
    match = _HMDS_PERIOD.match(period or '')
    if match is None:
        raise ApiError(
            400,
            f'Bad Request: invalid period {period!r}: expected a count and one of S, d, w, m, y '
            '(case sensitive), e.g. 3600S or 1d',
        )
    return int(match.group(1)) * _HMDS_PERIOD_SECONDS[match.group(2)]


def parse_hmds_bar(bar: str, period: str, period_seconds: int) -> BarSize:
    match = _HMDS_BAR.match(bar or '')
    if match is None:
        raise ApiError(
            400,
            f'Bad Request: invalid bar {bar!r}: expected a count and one of secs, mins, hrs, d, w '
            '(case sensitive), e.g. 5mins or 1hrs',
        )
    count = int(match.group(1))
    unit, unit_seconds = _HMDS_BAR_UNITS[match.group(2)]
    smallest, largest = next((low, high) for limit, low, high in _HMDS_BAR_RANGES if period_seconds <= limit)
    rank = _HMDS_UNIT_ORDER.index(unit)
    if not _HMDS_UNIT_ORDER.index(smallest) <= rank <= _HMDS_UNIT_ORDER.index(largest):
        raise ApiError(
            400,
            f'Bad Request: bar {bar!r} is not valid for period {period!r}: use bar units from {smallest} to {largest}',
        )
    return BarSize(months=count) if unit == 'm' else BarSize(seconds=count * unit_seconds)


# ----------------------------------------------------------------- time


def parse_start_time(text: Optional[str]) -> Optional[float]:
    """'YYYYMMDD-HH:MM:SS' (UTC) -> epoch seconds; None when absent; malformed is a 400."""
    if text is None or text == '':
        return None
    try:
        moment = datetime.datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise ApiError(400, f'Bad Request: invalid startTime {text!r}: expected YYYYMMDD-HH:mm:ss (UTC)') from None
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def format_time(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime(TIME_FORMAT)


# ----------------------------------------------------------------- bars


def bar_windows(start: float, end: float, size: BarSize, max_points: int) -> List[Tuple[float, float]]:
    """(bar start, bar end) of every bar that starts in [start, end), aligned to UTC; the last one is partial.

    A bar longer than the whole window gives the one bar that contains the window's start.

    When there would be more than ``max_points`` bars, the latest ones are kept.
    """
    if end <= start:
        return []
    if size.months:
        starts = _month_starts(start, end, size.months)
    else:
        length = size.seconds
        offset = _MONDAY_OFFSET if length % WEEK == 0 else 0
        first = math.ceil((start - offset) / length) * length + offset
        if first >= end:  # a bar longer than the period: the one bar that contains it
            first = math.floor((start - offset) / length) * length + offset
        count = max(0, math.ceil((end - first) / length))
        skip = max(0, count - max_points)
        starts = [first + (skip + index) * length for index in range(count - skip)]
    starts = starts[-max_points:]
    return [(bar_start, min(_bar_end(bar_start, size), end)) for bar_start in starts]


def session_bar_windows(
    calendar: Optional[MarketCalendar],
    instrument: Instrument,
    start: float,
    end: float,
    size: BarSize,
    max_points: int,
    outside_rth: bool = False,
) -> List[Tuple[float, float]]:
    """Like ``bar_windows``, but only the periods in which the instrument trades (see the module docstring)."""
    if calendar is None or calendar.schedule(instrument) == 'always':
        return bar_windows(start, end, size, max_points)
    windows: List[Tuple[float, float]] = []
    if not size.months and size.seconds < DAY:
        length = size.seconds
        for session in calendar.sessions_between(instrument, start, end, outside_rth):
            bar_start: float = math.floor(session.start / length) * length
            while bar_start < session.end:
                windows.append((max(bar_start, session.start), min(bar_start + length, session.end)))
                bar_start += length
    elif not size.months and size.seconds == DAY:
        for _, open_, close in calendar.trading_days(instrument, start, end):
            if outside_rth:
                sessions = calendar.sessions_between(instrument, open_ - DAY / 2, close + DAY / 2, True)
                same_day = [s for s in sessions if s.end >= open_ and s.start <= close]
                open_, close = min(s.start for s in same_day), max(s.end for s in same_day)
            windows.append((open_, min(close, end)))
    else:
        for bar_start, bar_end in bar_windows(start, end, size, max_points):
            days = calendar.trading_days(instrument, bar_start, bar_end)
            if days:
                windows.append((max(bar_start, days[0][1]), min(bar_end, days[-1][2])))
    return windows[-max_points:]


def _bar_end(bar_start: float, size: BarSize) -> float:
    if not size.months:
        return bar_start + size.seconds
    moment = datetime.datetime.fromtimestamp(bar_start, tz=datetime.timezone.utc)
    return _add_months(moment, size.months).timestamp()


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _month_starts(start: float, end: float, months: int) -> List[float]:
    moment = datetime.datetime.fromtimestamp(start, tz=datetime.timezone.utc)
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if first.timestamp() < start and _add_months(first, 1).timestamp() < end:
        first = _add_months(first, 1)
    starts = []
    current = first
    while current.timestamp() < end:
        starts.append(current.timestamp())
        current = _add_months(current, months)
    return starts


def make_bars(
    market: Market,
    instrument: Instrument,
    windows: List[Tuple[float, float]],
    kind: str = 'Last',
    seed: int = 0,
    volume_scale: float = 1.0,
) -> List[Dict[str, Any]]:
    """Bars {t, o, c, h, l, v} over the windows, sampled from the instrument's price path.

    ``kind`` is the HMDS bar type: Last and Midpoint are the path itself, Bid and Ask are shifted by the
    half spread of the quotes, FeeRate and Inventory are the borrow fee (%) and the shares available.
    ``v`` is the volume; for US stocks in hundreds of shares, as IBKR reports it; 0 for quote bars.
    ``volume_scale`` spreads a day's volume over its trading hours (24 h / trading hours) when markets close.
    """
    path = market.path(instrument.conid)
    tick = path.tick
    hundreds = instrument.sec_type == 'STK' and instrument.is_us
    bars: List[Dict[str, Any]] = []
    previous_end: Optional[float] = None
    previous_price = 0.0
    for bar_start, bar_end in windows:
        first = previous_price if previous_end == bar_start else path.raw(bar_start)
        step = (bar_end - bar_start) / 3.0
        inner = [path.raw(bar_start + step), path.raw(bar_start + 2 * step)] if step > 0 else []
        last = path.raw(bar_end)
        points = [first] + inner + [last]
        previous_end, previous_price = bar_end, last
        o, h, l, c = points[0], max(points), min(points), points[-1]
        volume = int(market.volume(instrument.conid, bar_start, bar_end) * volume_scale)
        if kind in ('Bid', 'Ask'):
            sign = -1.0 if kind == 'Bid' else 1.0
            o, h, l, c = (value + sign * max(tick, value * 0.0001) for value in (o, h, l, c))
            volume = 0
        elif kind == 'Midpoint':
            volume = 0
        elif kind in ('FeeRate', 'Inventory'):
            o, h, l, c = _borrow_bar(instrument, bar_start, kind, seed)
            volume = 0
        if kind not in ('FeeRate', 'Inventory'):
            o, h, l, c = (round_to_tick(value, tick) for value in (o, h, l, c))
        bars.append(
            {
                'o': o,
                'c': c,
                'h': h,
                'l': l,
                'v': round(volume / 100.0, 2) if hundreds else float(volume),
                't': int(round(bar_start * 1000)),
            }
        )
    return bars


def _borrow_bar(instrument: Instrument, bar_start: float, kind: str, seed: int) -> Tuple[float, float, float, float]:
    day = int(bar_start // DAY)
    draws = [unit_noise(seed, instrument.conid, 300 if kind == 'FeeRate' else 301, day, index) for index in range(4)]
    if kind == 'FeeRate':
        values = [round(0.25 + 0.05 * draw, 4) for draw in draws]
    else:
        values = [float(int(instrument.daily_volume * (2.0 + draw))) for draw in draws]
    return values[0], max(values), min(values), values[-1]
