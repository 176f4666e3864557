"""Market data subscriptions of the simulated account: which instruments it has live data for.

IBKR asks ``o354`` ("You are submitting an order without market data...") when the account holds no
market data subscription for the instrument -- whether or not the session took a snapshot. The
simulated account subscribes to what ``SimConfig.market_data_subscriptions`` lists (default: US stocks
and ETFs), by these names:

* ``US_STK``: US stocks and ETFs (IBKR's US Securities Snapshot and Futures Value Bundle / NYSE, NASDAQ...)
* ``US_OPT``: US options (OPRA)
* ``US_IND``: US indices (CBOE, ...)
* ``US_FUT``: US futures and futures options (CME, ...)
* ``US_BOND``: US bonds
* ``NON_US``: every instrument listed outside the US

Forex quotes (IDEALPRO) come free with every IBKR account, so they never ask o354.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from ibind.sim.engine.universe import Instrument

SUBSCRIPTIONS = ('US_STK', 'US_OPT', 'US_IND', 'US_FUT', 'US_BOND', 'NON_US')
DEFAULT_SUBSCRIPTIONS = ('US_STK',)


def subscription_of(instrument: Instrument) -> str:
    """The subscription an instrument's live data needs ('FREE' for forex)."""
    sec_type = instrument.sec_type
    if sec_type == 'CASH':
        return 'FREE'
    if not instrument.is_us:
        return 'NON_US'
    if sec_type in ('FUT', 'FOP'):
        return 'US_FUT'
    if sec_type in ('OPT', 'WAR', 'IOPT'):
        return 'US_OPT'
    if sec_type == 'IND':
        return 'US_IND'
    if sec_type == 'BOND':
        return 'US_BOND'
    return 'US_STK'


def is_subscribed(instrument: Instrument, subscriptions: Iterable[str]) -> bool:
    needed = subscription_of(instrument)
    return needed == 'FREE' or needed in set(subscriptions)


def check_subscriptions(value: Any) -> bool:
    """A list of known subscription names (what /sim/config accepts)."""
    return isinstance(value, (list, tuple)) and all(isinstance(name, str) and name in SUBSCRIPTIONS for name in value)
