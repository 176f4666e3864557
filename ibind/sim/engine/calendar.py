"""When markets trade: NYSE holidays and early closes for any year, US Eastern time, and each instrument's sessions.

Everything is computed by rule, with no data file and no time-zone database, so any year works the same
on every machine:

* US Eastern time: UTC-5, daylight time UTC-4 from the second Sunday of March to the first Sunday of
  November at 02:00 local (the rule since 2007; from 1987 to 2006 the first Sunday of April to the last
  Sunday of October).
* NYSE holidays (NYSE Rule 7.2 and the NYSE holiday calendar): New Year's Day (a Sunday moves to Monday;
  a Saturday is not made up), Martin Luther King Jr. Day (third Monday of January, from 1998),
  Washington's Birthday (third Monday of February), Good Friday, Memorial Day (last Monday of May),
  Juneteenth (June 19, from 2022), Independence Day, Labor Day (first Monday of September), Thanksgiving
  (fourth Thursday of November) and Christmas; a holiday on a Saturday is observed on the Friday before,
  on a Sunday on the Monday after. One-off closures (national days of mourning, storms) are not rules
  and are not included.
* NYSE early closes at 13:00 ET (post-market until 17:00): July 3 when it falls Monday to Thursday, the
  day after Thanksgiving, and December 24 when it falls Monday to Thursday.

Sessions per instrument, in ET:

* US stocks and ETFs (``us_equity``): pre-market 04:00-09:30, regular 09:30-16:00, post-market 16:00-20:00
  (IBKR's extended hours), on NYSE trading days.
* US options, indices and bonds (``us_rth``): 09:30-16:00 on NYSE trading days, no extended hours.
* Futures (``futures``, CME Globex): the trading day D runs from 18:00 on the evening before to 17:00 on
  D, Monday to Friday; the simulator closes it on NYSE holidays (CME's own holiday halts vary by product).
* Forex (``forex``, IDEALPRO): the trading day D runs from 17:15 on the evening before to 17:00 on D,
  Monday to Friday (so from Sunday 17:15 to Friday 17:00 ET).
* Anything else (non-US listings): open around the clock, as the simulator was before it had calendars.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Dict, List, NamedTuple, Optional, Tuple

if TYPE_CHECKING:
    from ibind.sim.engine.universe import Instrument

HOUR = 3600
DAY = 86400
EARLY_CLOSE_HOUR = 13


class Session(NamedTuple):
    """One trading session: [start, end) in epoch seconds, of kind 'pre', 'regular' or 'post'."""

    start: float
    end: float
    kind: str


# ----------------------------------------------------------------- US Eastern time


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) weekday (Monday=0) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


@functools.lru_cache(maxsize=256)
def _dst_bounds(year: int) -> Tuple[float, float]:
    """UTC epochs at which US Eastern daylight time starts and ends in a year."""
    if year >= 2007:
        begin, end = _nth_weekday(year, 3, 6, 2), _nth_weekday(year, 11, 6, 1)
    else:
        begin, end = _nth_weekday(year, 4, 6, 1), _nth_weekday(year, 10, 6, -1)
    start_utc = dt.datetime(begin.year, begin.month, begin.day, 7, tzinfo=dt.timezone.utc)  # 02:00 EST
    end_utc = dt.datetime(end.year, end.month, end.day, 6, tzinfo=dt.timezone.utc)  # 02:00 EDT
    return start_utc.timestamp(), end_utc.timestamp()


def eastern_offset(epoch: float) -> int:
    """Seconds to add to UTC for US Eastern time at an instant (-4 h in daylight time, else -5 h)."""
    year = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).year
    start, end = _dst_bounds(year)
    return -4 * HOUR if start <= epoch < end else -5 * HOUR


def eastern(epoch: float) -> dt.datetime:
    """The ET wall-clock time of an instant (naive datetime)."""
    return dt.datetime.fromtimestamp(epoch + eastern_offset(epoch), tz=dt.timezone.utc).replace(tzinfo=None)


def eastern_epoch(day: dt.date, hour: int, minute: int = 0) -> float:
    """The epoch of an ET wall-clock time on a day (times in the DST change hour do not occur here)."""
    naive = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc).timestamp()
    guess = naive + 5 * HOUR
    return naive - eastern_offset(guess)


# ----------------------------------------------------------------- NYSE holidays


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _observed(day: dt.date) -> dt.date:
    """A fixed-date holiday on a Saturday is observed on Friday, on a Sunday on Monday."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


@functools.lru_cache(maxsize=128)
def nyse_holidays(year: int) -> Dict[dt.date, str]:
    """The NYSE's full-day closures of a year, by rule (see the module docstring)."""
    days: Dict[dt.date, str] = {}
    new_year = dt.date(year, 1, 1)
    if new_year.weekday() != 5:  # a Saturday New Year's Day is not made up on the Friday before
        days[_observed(new_year)] = "New Year's Day"
    if year >= 1998:
        days[_nth_weekday(year, 1, 0, 3)] = 'Martin Luther King Jr. Day'
    days[_nth_weekday(year, 2, 0, 3)] = "Washington's Birthday"
    days[easter_sunday(year) - dt.timedelta(days=2)] = 'Good Friday'
    days[_nth_weekday(year, 5, 0, -1)] = 'Memorial Day'
    if year >= 2022:
        days[_observed(dt.date(year, 6, 19))] = 'Juneteenth National Independence Day'
    days[_observed(dt.date(year, 7, 4))] = 'Independence Day'
    days[_nth_weekday(year, 9, 0, 1)] = 'Labor Day'
    days[_nth_weekday(year, 11, 3, 4)] = 'Thanksgiving Day'
    days[_observed(dt.date(year, 12, 25))] = 'Christmas Day'
    return days


@functools.lru_cache(maxsize=128)
def nyse_early_closes(year: int) -> Tuple[dt.date, ...]:
    """Days the NYSE closes at 13:00 ET."""
    days = [_nth_weekday(year, 11, 3, 4) + dt.timedelta(days=1)]
    for month, day in ((7, 3), (12, 24)):
        candidate = dt.date(year, month, day)
        if candidate.weekday() <= 3:
            days.append(candidate)
    return tuple(sorted(days))


def is_nyse_trading_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in nyse_holidays(day.year)


# ----------------------------------------------------------------- sessions per instrument


def schedule_of(instrument: Instrument) -> str:
    """The calendar an instrument trades on: us_equity, us_rth, futures, forex or always."""
    sec_type = instrument.sec_type
    if sec_type == 'CASH':
        return 'forex'
    if sec_type in ('FUT', 'FOP'):
        return 'futures'
    if not instrument.is_us:
        return 'always'
    if sec_type == 'STK':
        return 'us_equity'
    return 'us_rth'


def sessions_on(schedule: str, day: dt.date) -> List[Session]:
    """The sessions of the trading day ``day`` (ET date) on a schedule; [] when it does not trade."""
    if schedule == 'always':
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()
        return [Session(start, start + DAY, 'regular')]
    if schedule in ('futures', 'forex'):
        if day.weekday() >= 5 or (schedule == 'futures' and day in nyse_holidays(day.year)):
            return []
        evening = day - dt.timedelta(days=1)
        opens = eastern_epoch(evening, 18) if schedule == 'futures' else eastern_epoch(evening, 17, 15)
        return [Session(opens, eastern_epoch(day, 17), 'regular')]
    if not is_nyse_trading_day(day):
        return []
    early = day in nyse_early_closes(day.year)
    open_, close = eastern_epoch(day, 9, 30), eastern_epoch(day, EARLY_CLOSE_HOUR if early else 16)
    if schedule == 'us_rth':
        return [Session(open_, close, 'regular')]
    return [
        Session(eastern_epoch(day, 4), open_, 'pre'),
        Session(open_, close, 'regular'),
        Session(close, eastern_epoch(day, 17 if early else 20), 'post'),
    ]


def trading_day_of(schedule: str, epoch: float) -> dt.date:
    """The trading day an instant belongs to (futures and forex evenings count toward the next day)."""
    local = eastern(epoch)
    if schedule in ('futures', 'forex') and local.hour >= 17:
        return local.date() + dt.timedelta(days=1)
    if schedule == 'always':
        return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).date()
    return local.date()


class MarketCalendar:
    """Trading sessions of instruments at simulated instants. ``enabled=False`` keeps markets always open."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def schedule(self, instrument: Instrument) -> str:
        return schedule_of(instrument) if self.enabled else 'always'

    def session_at(self, instrument: Instrument, epoch: float) -> Optional[Session]:
        """The session an instant falls in, or None when the market is closed."""
        schedule = self.schedule(instrument)
        day = trading_day_of(schedule, epoch)
        for session in sessions_on(schedule, day):
            if session.start <= epoch < session.end:
                return session
        return None

    def phase(self, instrument: Instrument, epoch: float) -> str:
        """'regular', 'pre', 'post' or 'closed'."""
        session = self.session_at(instrument, epoch)
        return session.kind if session else 'closed'

    def is_open(self, instrument: Instrument, epoch: float, outside_rth: bool = False) -> bool:
        phase = self.phase(instrument, epoch)
        return phase == 'regular' or (outside_rth and phase in ('pre', 'post'))

    def sessions_between(
        self, instrument: Instrument, start: float, end: float, outside_rth: bool = False
    ) -> List[Session]:
        """Every session overlapping [start, end), clipped to it, oldest first (extended ones if asked)."""
        schedule = self.schedule(instrument)
        found: List[Session] = []
        day = trading_day_of(schedule, start)
        last = trading_day_of(schedule, end)
        while day <= last:
            for session in sessions_on(schedule, day):
                if session.kind != 'regular' and not outside_rth:
                    continue
                begin, finish = max(session.start, start), min(session.end, end)
                if begin < finish:
                    found.append(Session(begin, finish, session.kind))
            day += dt.timedelta(days=1)
        return found

    def trading_days(self, instrument: Instrument, start: float, end: float) -> List[Tuple[dt.date, float, float]]:
        """(day, regular open, regular close) of every trading day whose regular session overlaps [start, end)."""
        schedule = self.schedule(instrument)
        days = []
        day, last = trading_day_of(schedule, start), trading_day_of(schedule, end)
        while day <= last:
            for session in sessions_on(schedule, day):
                if session.kind == 'regular' and session.start < end and session.end > start:
                    days.append((day, session.start, session.end))
            day += dt.timedelta(days=1)
        return days

    def trading_minutes(self, instrument: Instrument, outside_rth: bool = False) -> int:
        """Minutes of a full trading day (the history answer's tradingDayDuration)."""
        schedule = self.schedule(instrument)
        if schedule == 'us_equity':
            return 960 if outside_rth else 390
        if schedule == 'us_rth':
            return 390
        if schedule == 'futures':
            return 1380
        if schedule == 'forex':
            return 1425
        return 1440

    def next_open(
        self, instrument: Instrument, epoch: float, outside_rth: bool = False, horizon_days: int = 15
    ) -> float:
        """The first instant at or after ``epoch`` when an order may trade."""
        if self.is_open(instrument, epoch, outside_rth):
            return epoch
        schedule = self.schedule(instrument)
        day = trading_day_of(schedule, epoch)
        for _ in range(horizon_days):
            for session in sessions_on(schedule, day):
                if (session.kind == 'regular' or outside_rth) and session.start >= epoch:
                    return session.start
            day += dt.timedelta(days=1)
        return epoch

    def last_trade_time(self, instrument: Instrument, epoch: float) -> float:
        """``epoch`` while any session trades, else the end of the latest session before it."""
        if self.session_at(instrument, epoch) is not None:
            return epoch
        schedule = self.schedule(instrument)
        day = trading_day_of(schedule, epoch)
        for _ in range(15):
            ends = [session.end for session in sessions_on(schedule, day) if session.end <= epoch]
            if ends:
                return max(ends) - 1e-3
            day -= dt.timedelta(days=1)
        return epoch
