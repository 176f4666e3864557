"""Valuation over the ledger: what accounts are worth, computed from cash, positions, executions and prices.

Every portfolio, ledger, summary, allocation, PnL and PortfolioAnalyst view of the simulator is a
rendering of the figures computed here, so they agree with each other by construction and follow
every fill. Nothing is stored: the state of an account at an earlier time is rebuilt by undoing the
executions that came after it, and valued with the (deterministic) prices of that time.

Simplifications, on purpose and documented in docs/simulator/portfolio_accounts.md: the market value
of every position is ``quantity * price * multiplier`` (futures included, as the ledger moves their full
notional through cash); margin is a flat rate of the gross position value per security type; cash is
settled at once; foreign currency converts at the simulated forex price when the universe has the pair,
else at a fixed reference rate.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Tuple

from ibind.sim.accounts.ledger import Account
from ibind.sim.engine.universe import Instrument

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway

DAY = 86400.0

# (initial, maintenance) margin as a fraction of a position's absolute market value
DEFAULT_MARGIN = (0.25, 0.20)
MARGIN_RATES: Dict[str, Tuple[float, float]] = {
    'FUT': (0.10, 0.08),
    'FOP': (0.10, 0.08),
    'CASH': (0.03, 0.025),
}
COMMODITY_TYPES = frozenset({'FUT', 'FOP'})  # the commodities segment ("-c" summary keys)
DERIVATIVE_TYPES = frozenset({'OPT', 'FUT', 'FOP', 'WAR'})
BUYING_POWER_LEVERAGE = 4.0  # margin account: 4x available funds

# ledger bucket of each security type's market value (others only count in net liquidation)
LEDGER_BUCKETS: Dict[str, str] = {
    'STK': 'stockmarketvalue',
    'OPT': 'stockoptionmarketvalue',
    'FUT': 'futuremarketvalue',
    'FOP': 'futureoptionmarketvalue',
    'WAR': 'warrantsmarketvalue',
    'BOND': 'corporatebondsmarketvalue',
    'FUND': 'funds',
}

# USD value of one unit of a currency, used when the universe has no forex pair for it
REFERENCE_USD_RATES: Dict[str, float] = {
    'USD': 1.0,
    'EUR': 1.09,
    'GBP': 1.27,
    'CHF': 1.13,
    'CAD': 0.74,
    'AUD': 0.66,
    'NZD': 0.61,
    'JPY': 0.0067,
    'HKD': 0.128,
    'CNH': 0.138,
    'SGD': 0.74,
    'SEK': 0.095,
    'NOK': 0.094,
    'DKK': 0.146,
    'MXN': 0.058,
    'INR': 0.012,
    'KRW': 0.00075,
    'ZAR': 0.054,
    'ILS': 0.27,
    'PLN': 0.25,
    'CZK': 0.043,
    'HUF': 0.0028,
}


def amount(value: float, digits: int = 2) -> float:
    """A money figure as the gateway shows it: always a float (``0.0``, never ``0``), rounded to cents."""
    return round(float(value), digits)


# ----------------------------------------------------------------- time


def day_start(t: float) -> float:
    """Midnight UTC of the day of ``t`` (the market's notion of a trading day, see Market.day_stats)."""
    return t - (t % DAY)


def _nth_sunday(year: int, month: int, n: int) -> _dt.date:
    first = _dt.date(year, month, 1)
    first_sunday = first + _dt.timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + _dt.timedelta(weeks=n - 1)


def eastern_offset_hours(t: float) -> int:
    """UTC offset of US/Eastern at ``t`` (-4 in daylight saving time, else -5), by the rules in force since 2007.

    Computed here rather than with zoneinfo so the simulator does not depend on the host's tz database.
    """
    utc = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    year = utc.year
    dst_start = _dt.datetime.combine(_nth_sunday(year, 3, 2), _dt.time(7), _dt.timezone.utc)  # 2:00 EST
    dst_end = _dt.datetime.combine(_nth_sunday(year, 11, 1), _dt.time(6), _dt.timezone.utc)  # 2:00 EDT
    return -4 if dst_start <= utc < dst_end else -5


def eastern_date(t: float) -> _dt.date:
    """The US/Eastern calendar day of ``t`` (PortfolioAnalyst reports by New York days)."""
    return (_dt.datetime.fromtimestamp(t, _dt.timezone.utc) + _dt.timedelta(hours=eastern_offset_hours(t))).date()


def eastern_midnight(day: _dt.date) -> float:
    """Epoch seconds of 00:00 US/Eastern on ``day``."""
    guess = _dt.datetime.combine(day, _dt.time(0), _dt.timezone.utc).timestamp() + 5 * 3600
    return guess + (-5 - eastern_offset_hours(guess)) * 3600


def eastern_label(day: _dt.date) -> str:
    """Midnight of ``day`` as PortfolioAnalyst writes it: ``Mon Dec 11 00:00:00 EST 2023``."""
    zone = 'EDT' if eastern_offset_hours(eastern_midnight(day)) == -4 else 'EST'
    return f'{day.strftime("%a %b %d")} 00:00:00 {zone} {day.year}'


# ----------------------------------------------------------------- currencies


def fx_rate(gw: Gateway, currency: str, target: str, t: Optional[float] = None) -> float:
    """Value in ``target`` of one unit of ``currency``: the simulated forex price if the universe has the pair."""
    currency = (currency or '').upper()
    target = (target or '').upper()
    if currency == target:
        return 1.0
    for instrument in gw.universe.all():
        if instrument.sec_type != 'CASH':
            continue
        base = instrument.symbol.split('.')[0].upper()
        if base == currency and instrument.currency.upper() == target:
            return gw.market.last(instrument.conid, t)
        if base == target and instrument.currency.upper() == currency:
            price = gw.market.last(instrument.conid, t)
            return 1.0 / price if price else 0.0
    return REFERENCE_USD_RATES.get(currency, 1.0) / REFERENCE_USD_RATES.get(target, 1.0)


# ----------------------------------------------------------------- holdings


@dataclass
class Holding:
    """One open position, valued at one instant."""

    account_id: str
    instrument: Instrument
    quantity: float
    avg_price: float
    realized_pnl: float
    price: float

    @property
    def conid(self) -> int:
        return self.instrument.conid

    @property
    def multiplier(self) -> float:
        return float(self.instrument.multiplier or 1.0)

    @property
    def market_value(self) -> float:
        return self.quantity * self.price * self.multiplier

    @property
    def avg_cost(self) -> float:
        return self.avg_price * self.multiplier

    @property
    def unrealized_pnl(self) -> float:
        return (self.price - self.avg_price) * self.quantity * self.multiplier

    @property
    def currency(self) -> str:
        return self.instrument.currency


def holdings(gw: Gateway, account: Account, t: float) -> List[Holding]:
    """The account's open positions valued at ``t``, in the order they were opened."""
    found = []
    for position in account.open_positions():
        instrument = gw.universe.find(position.conid)
        if instrument is None:  # an instrument removed from the universe: nothing to value it with
            continue
        found.append(
            Holding(
                account.account_id,
                instrument,
                float(position.quantity),
                float(position.avg_price),
                float(position.realized_pnl),
                gw.market.last(instrument.conid, t),
            )
        )
    return found


# ----------------------------------------------------------------- history


def state_at(gw: Gateway, account: Account, t: float) -> Tuple[Dict[str, float], Dict[int, float]]:
    """(cash by currency, quantity by conid) of the account at time ``t``: today's state with later fills undone."""
    cash = dict(account.cash)
    quantities = {conid: float(p.quantity) for conid, p in account.positions.items() if p.quantity}
    for execution in reversed(account.executions):
        if execution.time <= t:
            break
        instrument = gw.universe.find(execution.conid)
        multiplier = float(instrument.multiplier or 1.0) if instrument else 1.0
        currency = instrument.currency if instrument else account.base_currency
        signed = execution.quantity if execution.side == 'B' else -execution.quantity
        quantities[execution.conid] = quantities.get(execution.conid, 0.0) - signed
        cash[currency] = cash.get(currency, 0.0) + signed * execution.price * multiplier
        cash[account.base_currency] = cash.get(account.base_currency, 0.0) + execution.commission
    return cash, {conid: q for conid, q in quantities.items() if abs(q) > 1e-12}


def nav_at(gw: Gateway, account: Account, t: float) -> float:
    """Net liquidation value of the account at ``t`` in its base currency."""
    cash, quantities = state_at(gw, account, t)
    base = account.base_currency
    total = sum(amount * fx_rate(gw, currency, base, t) for currency, amount in cash.items())
    for conid, quantity in quantities.items():
        instrument = gw.universe.find(conid)
        if instrument is None:
            continue
        value = quantity * gw.market.last(conid, t) * float(instrument.multiplier or 1.0)
        total += value * fx_rate(gw, instrument.currency, base, t)
    return total


# ----------------------------------------------------------------- account figures


@dataclass
class CurrencyFigures:
    """The ledger of one currency (amounts in that currency)."""

    currency: str
    cash: float = 0.0
    buckets: Dict[str, float] = field(default_factory=dict)
    market_value: float = 0.0
    unrealized_pnl: float = 0.0
    realized_pnl: float = 0.0

    @property
    def net_liquidation(self) -> float:
        return self.cash + self.market_value


@dataclass
class Segment:
    """Figures of one regulatory segment (securities or commodities), in base currency."""

    cash: float = 0.0
    market_value: float = 0.0
    gross_position_value: float = 0.0
    initial_margin: float = 0.0
    maintenance_margin: float = 0.0

    @property
    def net_liquidation(self) -> float:
        return self.cash + self.market_value

    @property
    def available_funds(self) -> float:
        return self.net_liquidation - self.initial_margin

    @property
    def excess_liquidity(self) -> float:
        return self.net_liquidation - self.maintenance_margin


@dataclass
class AccountFigures:
    """Everything the balance views show for one account at one instant, in its base currency."""

    account: Account
    time: float
    holdings: List[Holding]
    currencies: Dict[str, CurrencyFigures]
    rates: Dict[str, float]  # currency -> value of one unit in base currency
    securities: Segment
    commodities: Segment
    nav_day_start: float

    @property
    def base(self) -> str:
        return self.account.base_currency

    @property
    def total_cash(self) -> float:
        return self.securities.cash + self.commodities.cash

    @property
    def market_value(self) -> float:
        return self.securities.market_value + self.commodities.market_value

    @property
    def net_liquidation(self) -> float:
        return self.securities.net_liquidation + self.commodities.net_liquidation

    @property
    def gross_position_value(self) -> float:
        return self.securities.gross_position_value + self.commodities.gross_position_value

    @property
    def initial_margin(self) -> float:
        return self.securities.initial_margin + self.commodities.initial_margin

    @property
    def maintenance_margin(self) -> float:
        return self.securities.maintenance_margin + self.commodities.maintenance_margin

    @property
    def equity_with_loan(self) -> float:
        return self.net_liquidation

    @property
    def available_funds(self) -> float:
        return self.net_liquidation - self.initial_margin

    @property
    def excess_liquidity(self) -> float:
        return self.net_liquidation - self.maintenance_margin

    @property
    def buying_power(self) -> float:
        return max(0.0, self.available_funds) * BUYING_POWER_LEVERAGE

    @property
    def reg_t_margin(self) -> float:
        return 0.5 * self.securities.gross_position_value

    @property
    def sma(self) -> float:
        return max(0.0, self.net_liquidation - self.reg_t_margin)

    @property
    def cushion(self) -> float:
        return self.excess_liquidity / self.net_liquidation if self.net_liquidation else 0.0

    @property
    def leverage(self) -> float:
        return self.gross_position_value / self.net_liquidation if self.net_liquidation else 0.0

    @property
    def unrealized_pnl(self) -> float:
        return sum(h.unrealized_pnl * self.rates[h.currency] for h in self.holdings)

    @property
    def realized_pnl(self) -> float:
        return sum(c.realized_pnl * self.rates[c.currency] for c in self.currencies.values())

    @property
    def daily_pnl(self) -> float:
        """Change of net liquidation since midnight UTC (fills and price moves; there are no deposits)."""
        return self.net_liquidation - self.nav_day_start

    def bucket(self, name: str) -> float:
        """A ledger market-value bucket (e.g. 'stockmarketvalue') summed over currencies in base currency."""
        return sum(c.buckets.get(name, 0.0) * self.rates[c.currency] for c in self.currencies.values())


def account_figures(gw: Gateway, account: Account, t: float) -> AccountFigures:
    """Value the account at ``t``: per-currency ledger, segments, margin and the day's starting NAV."""
    base = account.base_currency
    held = holdings(gw, account, t)
    currencies: Dict[str, CurrencyFigures] = {}

    def ledger(currency: str) -> CurrencyFigures:
        return currencies.setdefault(currency, CurrencyFigures(currency))

    for currency, amount in account.cash.items():
        ledger(currency).cash += amount
    for position in account.positions.values():
        instrument = gw.universe.find(position.conid)
        if instrument is not None and position.realized_pnl:
            ledger(instrument.currency).realized_pnl += position.realized_pnl
    for holding in held:
        figures = ledger(holding.currency)
        figures.market_value += holding.market_value
        figures.unrealized_pnl += holding.unrealized_pnl
        bucket = LEDGER_BUCKETS.get(holding.instrument.sec_type)
        if bucket:
            figures.buckets[bucket] = figures.buckets.get(bucket, 0.0) + holding.market_value
    ledger(base)
    rates = {currency: fx_rate(gw, currency, base, t) for currency in currencies}

    securities, commodities = Segment(), Segment()
    securities.cash = sum(c.cash * rates[c.currency] for c in currencies.values())
    for holding in held:
        segment = commodities if holding.instrument.sec_type in COMMODITY_TYPES else securities
        value = holding.market_value * rates[holding.currency]
        initial, maintenance = MARGIN_RATES.get(holding.instrument.sec_type, DEFAULT_MARGIN)
        segment.market_value += value
        segment.gross_position_value += abs(value)
        segment.initial_margin += abs(value) * initial
        segment.maintenance_margin += abs(value) * maintenance
    return AccountFigures(
        account=account,
        time=t,
        holdings=held,
        currencies=currencies,
        rates=rates,
        securities=securities,
        commodities=commodities,
        nav_day_start=nav_at(gw, account, day_start(t)),
    )


# ----------------------------------------------------------------- allocation


def allocation(gw: Gateway, accounts: Iterable[Account], t: float) -> Dict[str, Dict[str, Dict[str, float]]]:
    """Long and short market value (base currency) by asset class, sector and industry group, cash included."""
    result: Dict[str, Dict[str, Dict[str, float]]] = {
        name: {'long': {}, 'short': {}} for name in ('assetClass', 'sector', 'group')
    }

    def add(view: str, key: str, value: float) -> None:
        if not value:
            return
        side = result[view]['long' if value > 0 else 'short']
        side[key] = side.get(key, 0.0) + value

    for account in accounts:
        base = account.base_currency
        for currency, amount in account.cash.items():
            add('assetClass', 'CASH', amount * fx_rate(gw, currency, base, t))
        for holding in holdings(gw, account, t):
            value = holding.market_value * fx_rate(gw, holding.currency, base, t)
            instrument = holding.instrument
            add('assetClass', instrument.asset_class or instrument.sec_type, value)
            add('sector', instrument.sector or 'Others', value)
            add('group', instrument.industry or 'Others', value)
    return result
