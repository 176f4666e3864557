"""The values of market data snapshot fields, computed from the simulated market, instrument and account.

Every value comes from ``gw.market`` (the seeded price path), the instrument's reference data and the
selected account's position, so a snapshot agrees with history bars, order fills and the portfolio.
Values are strings formatted the way IBKR formats them for display (prices with the instrument's tick
decimals, volumes with K/M, percentages of volatility with '%'), except 6008 and 6457, which are ints.

A field the instrument has no value for is left out, as the gateway does: greeks only for options,
yields only for bonds, position fields only when the account has (or had) a position, and nothing
for fields that need third-party subscriptions (Morningstar, Wall Street Horizon) or IBKR's strategy
tools (7694, 7695, 7700, 7702, 7703) or are internal (58, 6508).
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Optional, Tuple

from ibind.sim.engine.market import unit_noise

if TYPE_CHECKING:
    from ibind.sim.accounts.ledger import Account, Position
    from ibind.sim.engine.universe import Instrument
    from ibind.sim.gateway import Gateway

DAY = 86400.0
YEAR = 365.0 * DAY
DERIVATIVES = frozenset({'OPT', 'FOP', 'FUT', 'WAR', 'IOPT'})
OPTIONS = frozenset({'OPT', 'FOP', 'WAR', 'IOPT'})
RISK_FREE_RATE = 0.04
EXCHANGE_CODES = 'QZPNKJTEYX'

# keys of the deterministic noise draws, one per kind of made-up statistic
_K_SIZE, _K_PE, _K_DIV, _K_BETA, _K_IV, _K_HV, _K_OPTVOL, _K_SHORT, _K_OI, _K_EXCH = range(200, 210)


def price_decimals(tick: float) -> int:
    """Decimals a price of this tick size is shown with (0.01 -> 2, 0.25 -> 2, 0.0001 -> 4, 1 -> 0)."""
    if tick <= 0:
        return 2
    exponent = Decimal(repr(float(tick))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def format_volume(volume: float) -> str:
    """Field 87's style: 950, 472.1K, 55.21M, 1.20B."""
    volume = float(volume)
    for limit, suffix, digits in ((1e9, 'B', 2), (1e6, 'M', 2), (1e3, 'K', 1)):
        if abs(volume) >= limit:
            return f'{volume / limit:.{digits}f}{suffix}'
    return f'{volume:.0f}'


def format_large(value: float) -> str:
    """Market cap style: 2.95T, 204.3B, 850.0M."""
    for limit, suffix in ((1e12, 'T'), (1e9, 'B'), (1e6, 'M'), (1e3, 'K')):
        if abs(value) >= limit:
            return f'{value / limit:.2f}{suffix}'
    return f'{value:.0f}'


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def black_scholes_greeks(
    spot: float, strike: float, years: float, volatility: float, right: str, rate: float = RISK_FREE_RATE
) -> Dict[str, float]:
    """Delta, gamma, theta (per calendar day) and vega (per 1 vol point) of a European option."""
    call = right.upper().startswith('C')
    if years <= 0 or volatility <= 0 or spot <= 0 or strike <= 0:
        in_the_money = spot > strike if call else spot < strike
        return {'delta': (1.0 if call else -1.0) if in_the_money else 0.0, 'gamma': 0.0, 'theta': 0.0, 'vega': 0.0}
    root = math.sqrt(years)
    d1 = (math.log(spot / strike) + (rate + volatility * volatility / 2.0) * years) / (volatility * root)
    d2 = d1 - volatility * root
    discount = strike * math.exp(-rate * years)
    decay = -spot * _norm_pdf(d1) * volatility / (2.0 * root)
    if call:
        delta, theta = _norm_cdf(d1), decay - rate * discount * _norm_cdf(d2)
    else:
        delta, theta = _norm_cdf(d1) - 1.0, decay + rate * discount * _norm_cdf(-d2)
    return {
        'delta': delta,
        'gamma': _norm_pdf(d1) / (spot * volatility * root),
        'theta': theta / 365.0,
        'vega': spot * _norm_pdf(d1) * root / 100.0,
    }


class SnapshotFields:
    """Field values of one instrument at the simulated 'now', for the selected account."""

    decimals: int
    sec_type: str
    is_stock: bool

    def __init__(self, gw: Gateway, instrument: Instrument) -> None:
        self.gw = gw
        self.instrument = instrument
        self.conid = instrument.conid
        self.market = gw.market
        self.now = gw.clock.now()
        self.decimals = price_decimals(instrument.tick)
        self.sec_type = instrument.sec_type
        self.is_stock = instrument.sec_type == 'STK'
        self._emas: Dict[int, float] = {}

    # ----------------------------------------------------------------- public

    def values(self, field_ids: Iterable[str]) -> Dict[str, Any]:
        """{field id: value} for the requested ids this instrument has a value for, in request order."""
        values: Dict[str, Any] = {}
        for field_id in field_ids:
            producer = _PRODUCERS.get(field_id)
            if producer is None or field_id in values:
                continue
            value = producer(self)
            if value is not None:
                values[field_id] = value
        return values

    # ----------------------------------------------------------------- shared inputs

    def price(self, value: float) -> str:
        return f'{value:.{self.decimals}f}'

    def last_price_text(self) -> str:
        """Field 31 with IBKR's prefixes (``display_formats``): ``H`` while the instrument is halted
        (``halted_conids``), ``C`` (the previous close) while its market is closed (``market_hours``)."""
        text = self.price(self.last)
        config = self.gw.config
        if not config.display_formats:
            return text
        if str(self.conid) in {str(conid) for conid in config.halted_conids}:
            return 'H' + text
        calendar = self.gw.calendar
        if calendar.enabled and calendar.phase(self.instrument, self.now) == 'closed':
            return 'C' + text
        return text

    def count(self, value: int) -> str:
        """A size as the gateway displays it: thousands separated ("1,300"), or plain with display_formats off."""
        return f'{value:,}' if self.gw.config.display_formats else str(value)

    def noise(self, kind: int, period: float = DAY) -> float:
        """A deterministic draw in [-1, 1) for this instrument, changing once per ``period`` seconds."""
        return unit_noise(self.gw.config.seed, self.conid, kind, int(self.now // period))

    @cached_property
    def quote(self) -> Tuple[float, float, float]:
        return self.market.quote(self.conid, self.now)

    @property
    def bid(self) -> float:
        return self.quote[0]

    @property
    def ask(self) -> float:
        return self.quote[1]

    @property
    def last(self) -> float:
        return self.quote[2]

    @cached_property
    def day(self) -> Dict[str, float]:
        return self.market.day_stats(self.conid, self.now)

    @cached_property
    def year_range(self) -> Tuple[float, float]:
        _, high, low, _ = self.market.ohlc(self.conid, self.now - YEAR, self.now, samples=104)
        return high, low

    @cached_property
    def position(self) -> Optional[Position]:
        account = self.gw.accounts.get(self.gw.selected_account)
        if account is None:
            return None
        return account.positions.get(self.conid)

    @cached_property
    def account(self) -> Optional[Account]:
        return self.gw.accounts.get(self.gw.selected_account)

    @property
    def multiplier(self) -> float:
        return self.instrument.multiplier or 1.0

    @property
    def us_stock(self) -> bool:
        return self.is_stock and self.instrument.is_us

    def size(self, kind: int) -> int:
        """A bid/ask/last size; US stocks show it in lots of 100 (fields 85/88), as the docs say."""
        return 1 + int((self.noise(_K_SIZE + kind, period=1.0) + 1.0) * 20)

    @cached_property
    def historical_volatility(self) -> float:
        return self.instrument.volatility * (1.0 + 0.15 * self.noise(_K_HV))

    @cached_property
    def underlying(self) -> Optional[Instrument]:
        conid = self.instrument.underlying_conid
        return self.gw.universe.find(conid) if conid else None

    @cached_property
    def implied_volatility(self) -> float:
        """About the volatility of the underlying (an option's own price path is far more volatile)."""
        base = self.underlying.volatility if self.underlying is not None else self.instrument.volatility
        return base * (1.05 + 0.1 * self.noise(_K_IV))

    @cached_property
    def dividend_yield(self) -> float:
        """Annual dividend yield (a fraction); some stocks pay none."""
        draw = self.noise(_K_DIV, period=YEAR)
        return 0.0 if draw < -0.3 else 0.005 + 0.02 * (draw + 0.3) / 1.3

    def ema(self, days: int) -> float:
        """Exponential moving average of daily closes (N days), over 3N days of the price path."""
        cached = self._emas.get(days)
        if cached is None:
            cached = self._emas[days] = self._compute_ema(days)
        return cached

    def _compute_ema(self, days: int) -> float:
        alpha = 2.0 / (days + 1.0)
        day_start = self.now - (self.now % DAY)
        value: Optional[float] = None
        for back in range(3 * days, 0, -1):
            close = self.market.last(self.conid, day_start - (back - 1) * DAY - 1)
            value = close if value is None else alpha * close + (1 - alpha) * value
        return alpha * self.last + (1 - alpha) * value if value is not None else self.last

    @cached_property
    def option_greeks(self) -> Optional[Dict[str, float]]:
        instrument = self.instrument
        if self.sec_type not in OPTIONS or not instrument.strike or not instrument.right or not instrument.expiry:
            return None
        underlying = self.underlying
        spot = self.market.last(underlying.conid, self.now) if underlying else instrument.strike
        years = max(0.0, (_expiry_epoch(instrument.expiry) - self.now) / YEAR)
        return black_scholes_greeks(spot, float(instrument.strike), years, self.implied_volatility, instrument.right)

    # ----------------------------------------------------------------- position fields

    def market_value(self, position: Position) -> float:
        return position.quantity * self.last * self.multiplier

    def unrealized(self, position: Position) -> float:
        return (self.last - position.avg_price) * position.quantity * self.multiplier

    def daily_pnl(self, position: Position) -> float:
        return position.quantity * (self.last - self.day['prior_close']) * self.multiplier

    def cost_basis(self, position: Position) -> float:
        return position.quantity * position.avg_price * self.multiplier

    def net_liquidation(self) -> float:
        account = self.account
        if account is None:  # no selected account (then no position either)
            return 0.0
        total = sum(account.cash.values())
        for position in account.open_positions():
            instrument = self.gw.universe.find(position.conid)
            if instrument is not None:
                total += position.quantity * self.market.last(position.conid, self.now) * (instrument.multiplier or 1)
        return total


def _expiry_epoch(expiry: str) -> float:
    """Options expire at 20:00 UTC (16:00 New York) of their expiry date."""
    try:
        day = datetime.datetime.strptime(str(expiry)[:8], '%Y%m%d').replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return 0.0
    return day.timestamp() + 20 * 3600


Producer = Callable[[SnapshotFields], Any]  # a field's value for an instrument, or None when it has none


def _when(condition: Callable[[SnapshotFields], bool], producer: Producer) -> Producer:
    return lambda f: producer(f) if condition(f) else None


def _stock(producer: Producer) -> Producer:
    return _when(lambda f: f.is_stock, producer)


def _common_stock(producer: Producer) -> Producer:
    return _when(lambda f: f.is_stock and f.instrument.stock_type != 'ETF', producer)


def _us_stock(producer: Producer) -> Producer:
    return _when(lambda f: f.us_stock, producer)


def _with_position(producer: Callable[[SnapshotFields, Position], Any]) -> Producer:
    """A field of the selected account's position in the instrument (given to ``producer``); none without one."""

    def produce(f: SnapshotFields) -> Any:
        position = f.position
        return None if position is None else producer(f, position)

    return produce


def _option(producer: Callable[[SnapshotFields, Dict[str, float]], Any]) -> Producer:
    """A field of an option (its greeks given to ``producer``); none for other instruments."""

    def produce(f: SnapshotFields) -> Any:
        greeks = f.option_greeks
        return None if greeks is None else producer(f, greeks)

    return produce


def _derivative(producer: Producer) -> Producer:
    return _when(lambda f: f.sec_type in DERIVATIVES, producer)


def _bond(producer: Producer) -> Producer:
    return _when(lambda f: f.sec_type == 'BOND', producer)


def _percent(value: float, digits: int = 2) -> str:
    return f'{value:.{digits}f}%'


def _mark(f: SnapshotFields) -> str:
    """The docs' rule: the ask if it is below the last, the bid if it is above, else the last."""
    if f.ask < f.last:
        return f.price(f.ask)
    if f.bid > f.last:
        return f.price(f.bid)
    return f.price(f.last)


def _description(f: SnapshotFields) -> str:
    instrument = f.instrument
    if instrument.sec_type in OPTIONS and instrument.strike:
        return f'{instrument.symbol} {instrument.month or instrument.expiry} {instrument.strike:g} {instrument.right}'
    if instrument.sec_type == 'FUT':
        return f'{instrument.symbol} {instrument.month or instrument.expiry}'
    return instrument.symbol


def exchange_codes(f: SnapshotFields, kind: int) -> str:
    """One to three exchange letters offering the SMART price (fields 7057, 7058, 7068)."""
    draw = int((f.noise(_K_EXCH + kind, period=1.0) + 1.0) * 1000)
    count = 1 + draw % 3
    letters = (EXCHANGE_CODES[(draw // (index + 1)) % len(EXCHANGE_CODES)] for index in range(count))
    return ''.join(dict.fromkeys(letters))


def _spx_delta(f: SnapshotFields) -> Optional[str]:
    spy = f.gw.universe.by_symbol('SPY', 'STK')
    if not spy or f.position is None or not f.position.quantity:
        return None
    spx_level = f.market.last(spy[0].conid, f.now) * 10.0
    delta = 1.0 if f.option_greeks is None else f.option_greeks['delta']
    beta = 1.0 + 0.35 * f.noise(_K_BETA, period=YEAR)
    return f'{f.position.quantity * f.multiplier * delta * beta * f.last / spx_level:.2f}'


def _next_ex_date(f: SnapshotFields) -> str:
    quarter = 91 * DAY
    offset = (f.noise(_K_DIV, period=YEAR) + 1.0) / 2.0 * quarter
    next_date = f.now + (offset - (f.now % quarter)) % quarter
    return datetime.datetime.fromtimestamp(next_date, tz=datetime.timezone.utc).strftime('%Y%m%d')


def _bond_yield(f: SnapshotFields, price: float) -> str:
    return _percent(4.0 + (100.0 - price) / 10.0, 3)


_PRODUCERS: Dict[str, Callable[[SnapshotFields], Any]] = {
    '31': lambda f: f.last_price_text(),
    '55': lambda f: f.instrument.symbol,
    '70': lambda f: f.price(f.day['high']),
    '71': lambda f: f.price(f.day['low']),
    '73': _with_position(lambda f, p: f'{f.market_value(p):.2f}'),
    '74': _with_position(lambda f, p: f'{p.avg_price:.{f.decimals + 2}f}'),
    '75': _with_position(lambda f, p: f'{f.unrealized(p):.2f}'),
    '76': _with_position(lambda f, p: f'{p.quantity:,.0f}' if float(p.quantity).is_integer() else f'{p.quantity:,}'),
    '77': _with_position(lambda f, p: f'{f.unrealized(p):,.2f}'),
    '78': _with_position(lambda f, p: f'{f.daily_pnl(p):.2f}'),
    '79': _with_position(lambda f, p: f'{p.realized_pnl:.2f}'),
    '80': _with_position(
        lambda f, p: f'{100.0 * f.unrealized(p) / abs(f.cost_basis(p)):.2f}' if f.cost_basis(p) else '0.00'
    ),
    '82': lambda f: f.price(f.last - f.day['prior_close']),
    '83': lambda f: f'{100.0 * (f.last - f.day["prior_close"]) / f.day["prior_close"]:.2f}',
    '84': lambda f: f.price(f.bid),
    '85': lambda f: f.count(f.size(85) if f.us_stock else f.size(85) * (1 if f.sec_type in DERIVATIVES else 100)),
    '86': lambda f: f.price(f.ask),
    '87': lambda f: format_volume(f.day['volume']),
    '88': lambda f: f.count(f.size(88) if f.us_stock else f.size(88) * (1 if f.sec_type in DERIVATIVES else 100)),
    '201': _option(lambda f, greeks: (f.instrument.right or '').upper()[:1]),  # greeks need a right
    '6004': lambda f: f.instrument.exchange,
    '6008': lambda f: f.conid,
    '6070': lambda f: f.sec_type,
    '6072': _derivative(lambda f: f.instrument.month),
    '6073': _derivative(lambda f: f.instrument.expiry),
    '6457': _derivative(lambda f: f.instrument.underlying_conid),
    '7051': lambda f: f.instrument.name,
    '7057': _us_stock(lambda f: exchange_codes(f, 1)),
    '7058': _us_stock(lambda f: exchange_codes(f, 2)),
    '7059': lambda f: f.count(f.size(7059) * (100 if f.is_stock else 1)),
    '7068': _us_stock(lambda f: exchange_codes(f, 3)),
    '7084': _stock(lambda f: _percent(100.0 * f.implied_volatility / f.historical_volatility, 1)),
    '7085': _stock(lambda f: f'{0.8 + 0.4 * f.noise(_K_OI):.2f}'),
    '7086': _stock(lambda f: f'{0.7 + 0.5 * f.noise(_K_OPTVOL):.2f}'),
    '7087': lambda f: _percent(100.0 * f.historical_volatility, 1),
    '7088': lambda f: _percent(100.0 * f.historical_volatility * (1.0 + 0.05 * f.noise(_K_HV + 50)), 1),
    '7089': _stock(lambda f: format_volume(f.instrument.daily_volume / 50.0 * (1.0 + 0.5 * f.noise(_K_OPTVOL)))),
    '7094': lambda f: f'{f.conid}@{"SMART" if f.instrument.is_us and f.is_stock else f.instrument.exchange}',
    '7184': lambda f: '1',
    '7219': _description,
    '7220': lambda f: f.instrument.name,
    '7221': lambda f: f.instrument.listing_exchange,
    '7280': _stock(lambda f: f.instrument.industry or None),
    '7281': _stock(lambda f: f.instrument.category or None),
    '7282': lambda f: format_volume(f.instrument.daily_volume),
    '7283': _stock(lambda f: _percent(100.0 * f.implied_volatility, 1)),
    '7284': lambda f: _percent(100.0 * f.historical_volatility, 1),
    '7285': _stock(lambda f: f'{0.75 + 0.45 * f.noise(_K_OPTVOL + 50):.2f}'),
    '7286': _stock(lambda f: f'{f.last * f.dividend_yield / 4.0:.2f}' if f.dividend_yield else None),
    '7287': _stock(lambda f: _percent(100.0 * f.dividend_yield) if f.dividend_yield else None),
    '7288': _stock(lambda f: _next_ex_date(f) if f.dividend_yield else None),
    '7289': _stock(lambda f: format_large(f.last * f.instrument.daily_volume * 300.0)),
    '7290': _common_stock(lambda f: f'{25.0 + 13.0 * f.noise(_K_PE, period=YEAR):.2f}'),
    '7291': _common_stock(lambda f: f'{f.last / (25.0 + 13.0 * f.noise(_K_PE, period=YEAR)):.2f}'),
    '7292': _with_position(lambda f, p: f'{f.cost_basis(p):,.2f}'),
    '7293': lambda f: f.price(f.year_range[0]),
    '7294': lambda f: f.price(f.year_range[1]),
    '7295': lambda f: f.price(f.day['open']),
    '7296': lambda f: f.price(f.day['prior_close']),
    '7308': _option(lambda f, greeks: f'{greeks["delta"]:.3f}'),
    '7309': _option(lambda f, greeks: f'{greeks["gamma"]:.4f}'),
    '7310': _option(lambda f, greeks: f'{greeks["theta"]:.3f}'),
    '7311': _option(lambda f, greeks: f'{greeks["vega"]:.3f}'),
    '7607': _stock(lambda f: _percent(100.0 + 40.0 * f.noise(_K_OPTVOL + 60), 1)),
    '7633': _option(lambda f, greeks: _percent(100.0 * f.implied_volatility, 1)),
    '7635': _mark,
    '7636': _stock(lambda f: str(int(f.instrument.daily_volume * (2.0 + f.noise(_K_SHORT))))),
    '7637': _stock(lambda f: f'{0.25 + 0.05 * f.noise(_K_SHORT + 1):.2f}'),
    '7638': _option(lambda f, greeks: str(int(1000 + 5000 * (f.noise(_K_OI + 1) + 1.0)))),
    '7639': _with_position(
        lambda f, p: _percent(100.0 * f.market_value(p) / f.net_liquidation()) if f.net_liquidation() else None
    ),
    '7644': _stock(lambda f: 'Easy to borrow'),
    '7671': _stock(lambda f: f'{f.last * f.dividend_yield:.2f}' if f.dividend_yield else None),
    '7672': _stock(lambda f: f'{f.last * f.dividend_yield * 0.97:.2f}' if f.dividend_yield else None),
    '7674': lambda f: f.price(f.ema(200)),
    '7675': lambda f: f.price(f.ema(100)),
    '7676': lambda f: f.price(f.ema(50)),
    '7677': lambda f: f.price(f.ema(20)),
    '7678': lambda f: _percent(100.0 * (f.last / f.ema(200) - 1.0)),
    '7679': lambda f: _percent(100.0 * (f.last / f.ema(100) - 1.0)),
    '7724': lambda f: _percent(100.0 * (f.last / f.ema(50) - 1.0)),
    '7681': lambda f: _percent(100.0 * (f.last / f.ema(20) - 1.0)),
    '7682': lambda f: f.price(f.last - f.day['open']),
    '7696': _spx_delta,
    '7697': _when(lambda f: f.sec_type == 'FUT', lambda f: str(int(100000 + 400000 * (f.noise(_K_OI + 2) + 1.0)))),
    '7698': _bond(lambda f: _bond_yield(f, f.last)),
    '7699': _bond(lambda f: _bond_yield(f, f.bid)),
    '7704': _bond(lambda f: f.instrument.extra.get('organization_type', 'Corporate')),
    '7705': _bond(lambda f: f.instrument.extra.get('debt_class', 'Senior Unsecured')),
    '7706': _bond(lambda f: f.instrument.extra.get('ratings', 'A+')),
    '7707': _bond(lambda f: f.instrument.extra.get('bond_state_code', 'NY')),
    '7708': _bond(lambda f: f.instrument.extra.get('bond_type', 'Fixed')),
    '7714': _when(lambda f: f.sec_type in DERIVATIVES or f.sec_type == 'BOND', lambda f: f.instrument.expiry),
    '7715': _bond(lambda f: f.instrument.extra.get('issue_date')),
    '7718': _stock(lambda f: f'{1.0 + 0.35 * f.noise(_K_BETA, period=YEAR):.2f}'),
    '7720': _bond(lambda f: _bond_yield(f, f.ask)),
    '7741': lambda f: f.price(f.day['prior_close']),
    '7762': lambda f: str(int(f.day['volume'])),
    '7768': lambda f: '1',
    '7920': _with_position(lambda f, p: f'{f.daily_pnl(p):.4f}'),
    '7921': _with_position(lambda f, p: f'{f.cost_basis(p):.4f}'),
}
"""Field id -> how to compute it; a producer returns None when the instrument has no such value."""

SUPPORTED_FIELDS = frozenset(_PRODUCERS)
