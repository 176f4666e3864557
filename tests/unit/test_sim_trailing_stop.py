"""A trailing stop in the simulator follows every new high (low) and triggers exactly, however far the clock
jumps: checked against a walk over every 5-second mark, where the path's turning points lie."""

import datetime as dt
import random

import pytest

from ibind.sim.engine.calendar import MarketCalendar
from ibind.sim.engine.clock import SimClock
from ibind.sim.engine.crossing import trailing_stop
from ibind.sim.engine.market import Market, round_to_tick
from ibind.sim.engine.universe import Instrument, Universe

STOCK = Instrument(265598, 'AAPL', price=180.0, volatility=0.3)
START = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.timezone.utc).timestamp()
MARK = 5


def market() -> Market:
    return Market(Universe([STOCK]), seed=11, clock=SimClock(START, frozen=True), calendar=MarketCalendar(False))


def trail(amount: float, percent: bool):
    return lambda price: price * amount / 100 if percent else amount


def mover(selling: bool, offset):
    return lambda price: round_to_tick(price - offset(price) if selling else price + offset(price), 0.01)


def walk(m: Market, start: int, end: int, stop: float, moved_stop, selling: bool):
    """(the 5-second mark at or after which the stop triggers, the stop then), by visiting every mark."""
    for t in range(start - start % MARK + MARK, end + 1, MARK):
        price = m.last(STOCK.conid, t)
        if (price <= stop) if selling else (price >= stop):
            return t, stop
        moved = moved_stop(price)
        stop = max(stop, moved) if selling else min(stop, moved)
    return None, stop


@pytest.mark.parametrize('case', range(24))
def test_the_trigger_and_the_stop_match_a_walk_over_every_mark(case):
    m, rng = market(), random.Random(case)
    start = int(START + rng.uniform(0, 86400 * 20)) // MARK * MARK
    end = start + 86400  # one jump of a day
    selling, percent = case % 2 == 0, case % 4 >= 2
    amount = rng.uniform(0.3, 1.5) if percent else rng.uniform(0.5, 3.0)
    offset = trail(amount, percent)
    moved_stop = mover(selling, offset)
    stop = moved_stop(m.last(STOCK.conid, start))
    expected_mark, expected_stop = walk(m, start, end, stop, moved_stop, selling)
    hit, found_stop = trailing_stop(m, STOCK.conid, start, end, stop, offset, selling)
    assert found_stop == expected_stop
    if expected_mark is None:
        assert hit is None
    else:
        assert hit is not None and expected_mark - MARK < hit <= expected_mark
        price = m.last(STOCK.conid, hit)
        assert (price <= found_stop) if selling else (price >= found_stop)


def test_a_stop_that_never_moves_triggers_like_a_plain_stop():
    m = market()
    start = int(START)
    low = min(m.last(STOCK.conid, t) for t in range(start, start + 4 * 3600, MARK))
    wide = lambda price: price  # noqa: E731 -- a trail as wide as the price: no new high moves the stop
    hit, stop = trailing_stop(m, STOCK.conid, start, start + 4 * 3600, low, wide, selling=True)
    assert stop == low and hit is not None and m.last(STOCK.conid, hit) <= low


def test_past_its_budget_the_search_samples_and_the_stop_still_only_ratchets(monkeypatch):
    import ibind.sim.engine.crossing as crossing

    monkeypatch.setattr(crossing, 'MAX_EVALUATIONS', 0)  # sample from the first span on
    m = market()

    def samples(start):
        return [m.last(STOCK.conid, start + 86400 / 240 * index) for index in range(1, 241)]

    # a day that ends well below its highest sample: a stop that followed only the last sample would be lower
    start = next(s for s in range(int(START), int(START) + 60 * 86400, 86400) if samples(s)[-1] < max(samples(s)) - 1)
    end = start + 86400
    offset = trail(20.0, False)  # wide: no trigger within the day, so the stop ends at the day's highest sample
    moved_stop = mover(True, offset)
    stop = moved_stop(m.last(STOCK.conid, start))
    expected_hit, expected_stop = None, stop
    for index in range(1, 241):  # the same 240 samples, the stop moving with each one that does not trigger
        t = end if index == 240 else start + (end - start) / 240 * index
        if m.last(STOCK.conid, t) <= expected_stop:
            expected_hit = t
            break
        expected_stop = max(expected_stop, moved_stop(m.last(STOCK.conid, t)))
    hit, found_stop = trailing_stop(m, STOCK.conid, start, end, stop, offset, True)
    assert expected_hit is None and expected_stop > stop
    assert (hit, found_stop) == (expected_hit, expected_stop)
