"""The simulator's exchange calendar: NYSE holidays, early closes, US Eastern time and sessions, by rule."""

import datetime as dt

import pytest

from ibind.sim.engine.calendar import (
    MarketCalendar,
    easter_sunday,
    eastern,
    eastern_epoch,
    is_nyse_trading_day,
    nyse_early_closes,
    nyse_holidays,
)
from ibind.sim.engine.universe import Instrument

D = dt.date
UTC = dt.timezone.utc
STOCK = Instrument(265598, 'AAPL')
FUTURE = Instrument(1, 'ES', sec_type='FUT', exchange='CME')
FOREX = Instrument(2, 'EUR', sec_type='CASH', exchange='IDEALPRO', currency='USD')
OPTION = Instrument(3, 'AAPL', sec_type='OPT')
FOREIGN = Instrument(4, 'VOD', exchange='LSE', currency='GBP', country='GB', is_us=False)


def epoch(*args):
    return dt.datetime(*args, tzinfo=UTC).timestamp()


# NYSE's published holiday calendars for 2025 and 2026 (one-off closures such as 2025-01-09 are not rules)
@pytest.mark.parametrize(
    'year, expected',
    [
        (
            2025,
            [
                '2025-01-01',
                '2025-01-20',
                '2025-02-17',
                '2025-04-18',
                '2025-05-26',
                '2025-06-19',
                '2025-07-04',
                '2025-09-01',
                '2025-11-27',
                '2025-12-25',
            ],
        ),
        (
            2026,
            [
                '2026-01-01',
                '2026-01-19',
                '2026-02-16',
                '2026-04-03',
                '2026-05-25',
                '2026-06-19',
                '2026-07-03',
                '2026-09-07',
                '2026-11-26',
                '2026-12-25',
            ],
        ),
    ],
)
def test_nyse_holidays_follow_the_published_calendar(year, expected):
    assert sorted(day.isoformat() for day in nyse_holidays(year)) == expected


def test_a_saturday_new_year_is_not_made_up_and_sunday_holidays_move_to_monday():
    assert D(2021, 12, 31) not in nyse_holidays(2021) and D(2022, 1, 1) not in nyse_holidays(2022)
    assert D(2022, 12, 26) in nyse_holidays(2022)  # Christmas on a Sunday
    assert D(2021, 6, 18) not in nyse_holidays(2021)  # Juneteenth only from 2022


def test_early_closes():
    assert nyse_early_closes(2025) == (D(2025, 7, 3), D(2025, 11, 28), D(2025, 12, 24))
    assert nyse_early_closes(2026) == (D(2026, 11, 27), D(2026, 12, 24))  # July 3 2026 is the holiday itself


def test_easter_and_trading_day_count():
    assert [easter_sunday(y) for y in (2024, 2025, 2026)] == [D(2024, 3, 31), D(2025, 4, 20), D(2026, 4, 5)]
    assert sum(is_nyse_trading_day(D(2025, 1, 1) + dt.timedelta(days=i)) for i in range(365)) == 251


def test_eastern_time_switches_on_the_second_sunday_of_march_and_first_of_november():
    assert eastern(epoch(2026, 3, 8, 6, 59)).hour == 1 and eastern(epoch(2026, 3, 8, 7, 0)).hour == 3
    assert eastern(epoch(2026, 11, 1, 5, 59)).hour == 1 and eastern(epoch(2026, 11, 1, 6, 0)).hour == 1
    assert eastern_epoch(D(2026, 1, 5), 9, 30) == epoch(2026, 1, 5, 14, 30)
    assert eastern_epoch(D(2026, 7, 6), 9, 30) == epoch(2026, 7, 6, 13, 30)


def test_stock_phases_through_a_day_and_a_weekend():
    calendar = MarketCalendar()
    monday = D(2025, 1, 13)
    assert calendar.phase(STOCK, eastern_epoch(monday, 3, 59)) == 'closed'
    assert calendar.phase(STOCK, eastern_epoch(monday, 4)) == 'pre'
    assert calendar.phase(STOCK, eastern_epoch(monday, 9, 30)) == 'regular'
    assert calendar.phase(STOCK, eastern_epoch(monday, 16)) == 'post'
    assert calendar.phase(STOCK, eastern_epoch(monday, 20)) == 'closed'
    assert calendar.phase(STOCK, eastern_epoch(D(2025, 1, 11), 12)) == 'closed'  # Saturday
    assert calendar.phase(STOCK, eastern_epoch(D(2025, 1, 20), 12)) == 'closed'  # MLK day
    assert calendar.phase(STOCK, eastern_epoch(D(2025, 11, 28), 13, 30)) == 'post'  # early close
    assert calendar.phase(OPTION, eastern_epoch(monday, 8)) == 'closed'  # options: no extended hours
    assert calendar.is_open(STOCK, eastern_epoch(monday, 8), outside_rth=True)
    assert not calendar.is_open(STOCK, eastern_epoch(monday, 8))
    assert calendar.next_open(STOCK, eastern_epoch(D(2025, 1, 11), 12)) == eastern_epoch(monday, 9, 30)
    assert calendar.next_open(STOCK, eastern_epoch(D(2025, 1, 18), 12)) == eastern_epoch(D(2025, 1, 21), 9, 30)


def test_futures_and_forex_sessions():
    calendar = MarketCalendar()
    sunday, monday, friday = D(2025, 1, 12), D(2025, 1, 13), D(2025, 1, 17)
    assert calendar.phase(FUTURE, eastern_epoch(sunday, 17, 59)) == 'closed'
    assert calendar.phase(FUTURE, eastern_epoch(sunday, 18)) == 'regular'
    assert calendar.phase(FUTURE, eastern_epoch(monday, 17, 30)) == 'closed'  # the daily break
    assert calendar.phase(FUTURE, eastern_epoch(friday, 17, 1)) == 'closed'
    assert calendar.phase(FOREX, eastern_epoch(sunday, 17, 15)) == 'regular'
    assert calendar.phase(FOREX, eastern_epoch(monday, 17, 10)) == 'closed'
    assert calendar.phase(FOREX, eastern_epoch(D(2025, 1, 11), 12)) == 'closed'


def test_foreign_listings_and_a_disabled_calendar_trade_around_the_clock():
    saturday = eastern_epoch(D(2025, 1, 11), 12)
    assert MarketCalendar().phase(FOREIGN, saturday) == 'regular'
    assert MarketCalendar(enabled=False).phase(STOCK, saturday) == 'regular'
