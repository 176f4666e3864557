"""The simulator finds the first instant a price reaches a level exactly, where sampling would miss it.

Checked against brute force: the price at every whole second (the path's turning points lie on
5-second marks, so a 1-second scan sees every extreme).
"""

import datetime as dt
import random

import pytest

from ibind.sim.engine.calendar import MarketCalendar
from ibind.sim.engine.clock import SimClock
from ibind.sim.engine.crossing import first_reach
from ibind.sim.engine.market import Market
from ibind.sim.engine.universe import Instrument, Universe

STOCK = Instrument(265598, 'AAPL', price=180.0, volatility=0.3)
START = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.timezone.utc).timestamp()  # a Monday, 09:00 New York


def market(calendar: bool = False) -> Market:
    return Market(Universe([STOCK]), seed=7, clock=SimClock(START, frozen=True), calendar=MarketCalendar(calendar))


def brute_first(m: Market, start: int, end: int, holds) -> float:
    return next((float(t) for t in range(start + 1, end + 1) if holds(t)), None)


@pytest.mark.parametrize('case', range(36))
def test_the_first_crossing_matches_a_one_second_scan(case):
    m, rng = market(), random.Random(case)
    start = int(START + rng.uniform(0, 86400 * 20))
    end = start + 2 * 3600
    prices = [m.last(STOCK.conid, t) for t in range(start, end + 1)]
    rising = rng.random() < 0.5
    extreme = max(prices) if rising else min(prices)
    kind = case % 3  # the window's extreme (reached for a moment), one tick beyond it (never), any price
    level = [extreme, extreme + (0.01 if rising else -0.01), rng.choice(prices)][kind]

    def holds(t):
        price = m.last(STOCK.conid, t)
        return price >= level if rising else price <= level

    if holds(start):  # the level holds from the start: look for its release instead
        rising, level = not rising, level + (-0.01 if rising else 0.01)
    expected = brute_first(m, start, end, holds)
    assert (expected is None) == (kind == 1) or kind == 2
    found = first_reach(m, STOCK.conid, start, end, holds, level, rising)
    if expected is None:
        assert found is None
    else:
        assert found is not None and holds(found)
        assert expected - 1.0 < found <= expected  # never later than the scan, and the scan's previous second missed


def test_a_brief_excursion_within_a_long_jump_is_found_where_sampling_misses_it():
    m = market()
    start, end = int(START), int(START) + 86400
    prices = {t: m.last(STOCK.conid, t) for t in range(start, end + 1)}
    # the day's highest price is reached for a moment only: 240 even samples (the old watch) skip it
    peak_time = max(prices, key=prices.get)
    level = prices[peak_time]
    sampled = [start + (end - start) * i / 240 for i in range(1, 241)]
    assert all(m.last(STOCK.conid, t) < level for t in sampled)
    found = first_reach(m, STOCK.conid, start, end, lambda t: m.last(STOCK.conid, t) >= level, level, True)
    assert found is not None and found <= peak_time and m.last(STOCK.conid, found) >= level


def test_closed_markets_hold_the_last_close_and_the_open_can_gap_through_the_level():
    m = market(calendar=True)
    post_end = dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.timezone.utc).timestamp()  # 20:00 New York
    next_open = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.timezone.utc).timestamp()  # 04:00 pre-market
    last_close = m.last(STOCK.conid, post_end + 3600)
    opening = m.last(STOCK.conid, next_open)
    assert last_close == m.last(STOCK.conid, next_open - 1)  # nothing trades overnight
    if opening == last_close:
        pytest.skip('no gap at this open')
    rising = opening > last_close
    level = opening

    def holds(t):
        price = m.last(STOCK.conid, t)
        return price >= level if rising else price <= level

    found = first_reach(m, STOCK.conid, post_end + 60, next_open + 3600, holds, level, rising)
    assert found == next_open
