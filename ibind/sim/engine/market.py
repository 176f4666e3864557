"""Deterministic prices: a seeded, multi-scale random path for every instrument.

The log-price of an instrument at time ``t`` is a sum of value-noise layers at scales from seconds to
months, each scaled like a random walk (amplitude ~ sqrt(scale)). The result looks like a random walk
at every horizon, yet any instant -- now, a bar a year ago -- is computed directly from
``(seed, conid, t)`` with no stored history. So prices are reproducible for a seed, history bars agree
with snapshots, and moving the simulated clock forward moves prices without replaying anything.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Dict, Optional, Tuple, Union

if TYPE_CHECKING:
    from ibind.sim.engine.calendar import MarketCalendar
    from ibind.sim.engine.clock import SimClock
    from ibind.sim.engine.universe import Instrument, Universe

SECONDS_PER_YEAR = 365.25 * 86400
_SCALES = (5.0, 60.0, 600.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0, 180 * 86400.0)
FINEST_SCALE = _SCALES[0]  # every scale is a multiple of it, so the path is linear between its multiples
_MASK = (1 << 64) - 1


def _mix(value: int) -> int:
    """splitmix64 finaliser: a fast, well-spread integer hash."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


_NOISE_START = 0x5DEECE66D
_UNIT = float(1 << 52)


def noise_state(*keys: int) -> int:
    """The hash state after ``keys``: ``unit_noise(*keys, k)`` is ``noise_at(noise_state(*keys), k)``."""
    state = _NOISE_START
    for key in keys:
        state = _mix(state ^ (key & _MASK))
    return state


def noise_at(state: int, key: int) -> float:
    """``unit_noise`` of the keys that led to ``state``, then ``key``: one hash instead of one per key."""
    return (_mix(state ^ (key & _MASK)) >> 11) / _UNIT - 1.0


def unit_noise(*keys: int) -> float:
    """A deterministic value in [-1, 1) for a tuple of integers."""
    return (noise_state(*keys) >> 11) / _UNIT - 1.0


class PricePath:
    """The price of one instrument as a function of time."""

    def __init__(self, seed: int, conid: int, reference_price: float, volatility: float, tick: float):
        self.seed = seed
        self.conid = conid
        self.reference_price = reference_price
        self.tick = tick
        self._amplitudes = [volatility * math.sqrt(scale / SECONDS_PER_YEAR) * 1.7 for scale in _SCALES]
        # each layer's hash state after (seed, conid, layer): a price then costs one hash per knot, not four
        self._layers = [
            (scale, amplitude, noise_state(seed, conid, layer))
            for layer, (scale, amplitude) in enumerate(zip(_SCALES, self._amplitudes))
        ]

    def log_offset(self, t: float) -> float:
        """The sum of the layers at ``t``: each interpolates linearly between seeded knots at multiples of its
        scale (knot values are ``unit_noise(seed, conid, layer, index)``)."""
        total = 0.0
        for scale, amplitude, state in self._layers:
            u = t / scale
            index = math.floor(u)
            frac = u - index
            a = noise_at(state, index)
            b = noise_at(state, index + 1)
            total += amplitude * (a + (b - a) * frac)
        return total

    def reach(self, seconds: float) -> float:
        """How far the log-price can move within ``seconds``: each layer by its slope, at most twice its amplitude."""
        return sum(amplitude * min(2.0, 2.0 * seconds / scale) for scale, amplitude in zip(_SCALES, self._amplitudes))

    def raw(self, t: float) -> float:
        return self.reference_price * math.exp(self.log_offset(t))

    def price(self, t: float) -> float:
        return round_to_tick(self.raw(t), self.tick)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def black_scholes(spot: float, strike: float, years: float, volatility: float, right: str) -> float:
    """Black-Scholes value without rates or dividends; intrinsic value at and after expiry."""
    intrinsic = max(0.0, spot - strike) if right == 'C' else max(0.0, strike - spot)
    if years <= 0 or volatility <= 0 or spot <= 0 or strike <= 0:
        return intrinsic
    root = volatility * math.sqrt(years)
    d1 = (math.log(spot / strike) + 0.5 * root * root) / root
    d2 = d1 - root
    if right == 'C':
        return spot * _normal_cdf(d1) - strike * _normal_cdf(d2)
    return strike * _normal_cdf(-d2) - spot * _normal_cdf(-d1)


class OptionPricePath:
    """An option priced from its underlying's path at every instant, so the two always agree."""

    def __init__(
        self, underlying: AnyPath, strike: float, right: str, expiry_epoch: float, volatility: float, tick: float
    ):
        self.underlying = underlying
        self.strike = strike
        self.right = right
        self.expiry_epoch = expiry_epoch
        self.volatility = volatility
        self.tick = tick

    def raw(self, t: float) -> float:
        years = max(0.0, self.expiry_epoch - t) / SECONDS_PER_YEAR
        spot = self.underlying.raw(min(t, self.expiry_epoch))
        return max(self.tick, black_scholes(spot, self.strike, years, self.volatility, self.right))

    def price(self, t: float) -> float:
        return round_to_tick(self.raw(t), self.tick)


AnyPath = Union[PricePath, OptionPricePath]  # what Market.path returns


def expiry_epoch(expiry: str) -> float:
    """Options expire at 20:00 UTC (16:00 New York) of their expiry date (YYYYMMDD)."""
    import datetime

    day = datetime.datetime.strptime(str(expiry)[:8], '%Y%m%d').replace(tzinfo=datetime.timezone.utc)
    return day.timestamp() + 20 * 3600


def round_to_tick(value: float, tick: float) -> float:
    if tick <= 0:
        return value
    return round(round(value / tick) * tick, 10)


class Market:
    """Prices, quotes and bars for every instrument of the universe, at any simulated time."""

    def __init__(
        self, universe: Universe, seed: int, clock: SimClock, calendar: Optional[MarketCalendar] = None
    ) -> None:
        self.universe = universe
        self.seed = seed
        self.clock = clock
        self.calendar = calendar  # a MarketCalendar: outside every session the last price stays at the close
        self._paths: Dict[int, AnyPath] = {}

    def path(self, conid: int) -> AnyPath:
        known = self._paths.get(conid)
        if known is not None:
            return known
        instrument = self.universe.get(conid)
        path = self._option_path(instrument) or PricePath(
            self.seed, conid, instrument.price, instrument.volatility, instrument.tick
        )
        self._paths[conid] = path
        return path

    def _option_path(self, instrument: Instrument) -> Optional[OptionPricePath]:
        """Options with a known underlying follow it (Black-Scholes at the underlying's volatility)."""
        if instrument.sec_type not in ('OPT', 'FOP') or not (
            instrument.strike and instrument.right and instrument.expiry and instrument.underlying_conid
        ):
            return None
        underlying = self.universe.find(instrument.underlying_conid)
        if underlying is None or underlying.sec_type in ('OPT', 'FOP'):  # no chains of options (nor cycles)
            return None
        try:
            expires = expiry_epoch(instrument.expiry)
        except ValueError:
            return None
        return OptionPricePath(
            self.path(underlying.conid),
            float(instrument.strike),
            instrument.right.upper()[:1],
            expires,
            underlying.volatility * 1.05,
            instrument.tick,
        )

    def last(self, conid: int, t: Optional[float] = None) -> float:
        """The last traded price at ``t`` (default now); while the market is closed, the last session's close."""
        return self.path(conid).price(self.trade_time(conid, self.clock.now() if t is None else t))

    def trade_time(self, conid: int, t: float) -> float:
        """The instant whose price is the last trade at ``t``: ``t`` itself while the instrument trades."""
        if self.calendar is None or not self.calendar.enabled:
            return t
        return self.calendar.last_trade_time(self.universe.get(conid), t)

    def volume_scale(self, conid: int) -> float:
        """24 h over the regular trading hours: a day's volume trades within them when markets close."""
        if self.calendar is None:
            return 1.0
        return 1440.0 / self.calendar.trading_minutes(self.universe.get(conid))

    def quote(self, conid: int, t: Optional[float] = None) -> Tuple[float, float, float]:
        """(bid, ask, last) with a spread of about one basis point, at least one tick."""
        path = self.path(conid)
        last = self.last(conid, t)
        half = max(path.tick, round_to_tick(last * 0.0001, path.tick))
        return round_to_tick(last - half, path.tick), round_to_tick(last + half, path.tick), last

    def ohlc(self, conid: int, start: float, end: float, samples: int = 12) -> Tuple[float, float, float, float]:
        """Open, high, low, close of the path over [start, end]."""
        path = self.path(conid)
        if end <= start:
            price = path.price(start)
            return price, price, price, price
        points = [path.raw(start + (end - start) * i / samples) for i in range(samples + 1)]
        return (
            round_to_tick(points[0], path.tick),
            round_to_tick(max(points), path.tick),
            round_to_tick(min(points), path.tick),
            round_to_tick(points[-1], path.tick),
        )

    def volume(self, conid: int, start: float, end: float) -> int:
        """Shares traded over [start, end]: a seeded rate per instrument with per-bucket variation."""
        instrument = self.universe.get(conid)
        seconds = max(0.0, end - start)
        noise = unit_noise(self.seed, conid, 99, int(start // 60))
        return int(instrument.daily_volume * seconds / 86400.0 * (1.0 + 0.5 * noise))

    def day_stats(self, conid: int, t: Optional[float] = None) -> Dict[str, float]:
        """Open/high/low/prior close of the current day, for snapshot fields.

        Around the clock the day is the UTC day; with market hours it is the latest regular session
        (today's once it has opened, else the previous one), and the prior close is the one before it.
        """
        now = self.clock.now() if t is None else t
        calendar = self.calendar
        if calendar is not None and calendar.schedule(self.universe.get(conid)) != 'always':
            return self._session_stats(calendar, conid, now)
        day_start = now - (now % 86400)
        open_, high, low, _ = self.ohlc(conid, day_start, now, samples=24)
        prior_close = self.last(conid, day_start - 1)
        return {
            'open': open_,
            'high': high,
            'low': low,
            'prior_close': prior_close,
            'volume': self.volume(conid, day_start, now),
        }

    def _session_stats(self, calendar: MarketCalendar, conid: int, now: float) -> Dict[str, float]:
        instrument = self.universe.get(conid)
        days = calendar.trading_days(instrument, now - 20 * 86400, now + 1)
        started = [day for day in days if day[1] <= now]
        if not started:
            price = self.last(conid, now)
            return {'open': price, 'high': price, 'low': price, 'prior_close': price, 'volume': 0}
        _, open_, close = started[-1]
        until = min(now, close)
        open_price, high, low, _ = self.ohlc(conid, open_, until, samples=24)
        prior_close = self.path(conid).price(started[-2][2]) if len(started) > 1 else open_price
        volume = int(self.volume(conid, open_, until) * self.volume_scale(conid))
        return {'open': open_price, 'high': high, 'low': low, 'prior_close': prior_close, 'volume': volume}
