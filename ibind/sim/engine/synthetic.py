"""Breadth: the listed US stocks and ETFs of the data file, and a deterministic stock for any other ticker.

* ``listed_stocks()`` reads ``data/us_equities.txt`` (S&P 500, Nasdaq-100, the most traded US ETFs: symbol,
  exchange, a price near recent closes, name) -- about 560 lines, read in a few milliseconds at start-up.
* ``SyntheticStocks`` makes a stock for any well-formed ticker nobody listed (``ZZZZ``, ``ABCD.B``): a
  user's own watchlist runs without an instruments file. Everything about it follows from the symbol
  alone -- the same conid, name, exchange and price level on every run and machine -- and it carries
  ``extra={"synthetic": True}`` so /sim/state can say which instruments are made up.

Conids of listed (without a real conid) and synthetic stocks encode the symbol: up to five letters in base
27 and an optional class letter, above ``SYMBOL_CONID_BASE`` (1.5e9, far above IBKR's conids and the
simulator's option/future ranges, below 2^31). The encoding is one-to-one, so a conid also names its symbol
and ``/iserver/contract/{conid}/info`` works for a synthetic stock never searched for.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import AbstractSet, List, Optional

from ibind.sim.engine.instruments import (
    LISTING_EXCHANGES,
    US_STOCK_VENUES,
    default_instruments,
    us_stock,
)
from ibind.sim.engine.market import unit_noise
from ibind.sim.engine.universe import Instrument, Universe

SYMBOL_CONID_BASE = 1_500_000_000
_BASE = 27
_TICKER = re.compile(r'^([A-Z]{1,5})(?:[ .]([A-Z]))?$')
_EXCHANGES = {'N': 'NYSE', 'Q': 'NASDAQ', 'A': 'ARCA', 'B': 'BATS'}
_SYNTHETIC_KEY = 0x5E7


def normalise_ticker(symbol: str) -> Optional[str]:
    """IBKR's spelling of a well-formed US ticker ('brk.b' -> 'BRK B'), or None when it is not one."""
    if not isinstance(symbol, str):
        return None
    match = _TICKER.match(symbol.strip().upper())
    if match is None:
        return None
    root, share_class = match.groups()
    return f'{root} {share_class}' if share_class else root


def symbol_conid(symbol: str) -> Optional[int]:
    """The conid a ticker's listed-without-conid or synthetic stock has; None for a malformed ticker."""
    ticker = normalise_ticker(symbol)
    return None if ticker is None else ticker_conid(ticker)


def ticker_conid(ticker: str) -> int:
    """The conid of a ticker already in IBKR's spelling (``normalise_ticker``), as ``symbol_conid`` gives it."""
    root, _, share_class = ticker.partition(' ')
    value = 0
    for letter in root:
        value = value * _BASE + (ord(letter) - 64)
    value = value * _BASE + (ord(share_class) - 64 if share_class else 0)
    return SYMBOL_CONID_BASE + value


def conid_symbol(conid: int) -> Optional[str]:
    """The ticker a conid of ``symbol_conid`` encodes, or None for any other conid."""
    value = conid - SYMBOL_CONID_BASE
    if value <= 0 or value >= _BASE**6:
        return None
    value, share_class = divmod(value, _BASE)
    letters = []
    while value:
        value, digit = divmod(value, _BASE)
        if digit == 0:
            return None
        letters.append(chr(64 + digit))
    if not letters:
        return None
    root = ''.join(reversed(letters))
    return f'{root} {chr(64 + share_class)}' if share_class else root


@functools.lru_cache(maxsize=1)
def _listed_lines() -> tuple:
    text = resources.files('ibind.sim.engine').joinpath('data/us_equities.txt').read_text(encoding='utf-8')
    return tuple(text.splitlines())


def listed_stocks(known_symbols: AbstractSet[str] = frozenset()) -> List[Instrument]:
    """The data file's stocks and ETFs, except symbols already in ``known_symbols``."""
    instruments = []
    etf = False
    for line in _listed_lines():
        if not line or line.startswith('#'):
            continue
        if line.strip() == '[ETF]':
            etf = True
            continue
        raw_symbol, code, price, name = line.split(None, 3)
        symbol = normalise_ticker(raw_symbol)
        if symbol is None or symbol in known_symbols:
            continue
        exchange = _EXCHANGES[code]
        conid = ticker_conid(symbol)
        draw = unit_noise(_SYNTHETIC_KEY, conid, 1)
        instruments.append(
            Instrument(
                conid,
                symbol,
                name=name,
                exchange=exchange,
                listing_exchange=LISTING_EXCHANGES.get(exchange, exchange),
                valid_exchanges=US_STOCK_VENUES
                if exchange in US_STOCK_VENUES.split(',')
                else f'{US_STOCK_VENUES},{exchange}',
                price=float(price),
                volatility=(0.18 if etf else 0.3) * (1.0 + 0.3 * draw),
                daily_volume=int((20_000_000 if etf else 4_000_000) * (1.5 + draw)),
                stock_type='ETF' if etf else 'COMMON',
                sector='Funds' if etf else '',
                industry='Equity Fund' if etf else '',
            )
        )
    return instruments


class SyntheticStocks:
    """Makes the deterministic stock of a well-formed ticker on demand (``Universe.fallback``)."""

    def for_symbol(self, symbol: str) -> Optional[Instrument]:
        ticker = normalise_ticker(symbol)
        return None if ticker is None else self._make(ticker)

    def for_conid(self, conid: int) -> Optional[Instrument]:
        ticker = conid_symbol(conid)
        return None if ticker is None else self._make(ticker)

    @staticmethod
    def _make(ticker: str) -> Instrument:
        conid = ticker_conid(ticker)
        draws = [unit_noise(_SYNTHETIC_KEY, conid, index) for index in range(4)]
        price = round(10.0 * 30.0 ** ((draws[0] + 1.0) / 2.0), 2)  # 10 .. 300, log-uniform
        exchange = 'NASDAQ' if draws[1] >= 0 else 'NYSE'
        stock = us_stock(
            conid,
            ticker,
            f'{ticker} SIMULATED CORP',
            exchange,
            price,
            volatility=round(0.25 + 0.2 * (draws[2] + 1.0), 3),
            daily_volume=int(500_000 * 20 ** ((draws[3] + 1.0) / 2.0)),
        )
        stock.extra = {'synthetic': True}
        return stock


def build_universe(broad: bool = True, strict: bool = False) -> Universe:
    """The gateway's universe: the classic instruments of ibind.sim.engine.instruments, with ``broad`` the
    listed stocks and ETFs of the data file, and unless ``strict`` a synthetic stock for any other ticker."""
    instruments = default_instruments()
    if broad:
        known = frozenset(i.symbol for i in instruments if i.sec_type == 'STK' and i.is_us)
        instruments += listed_stocks(known)
    return Universe(instruments, fallback=None if strict else SyntheticStocks())
