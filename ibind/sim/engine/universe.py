"""The instruments the simulator knows: stocks, ETFs, an index with options, futures, forex, bonds.

One ``Universe`` answers every contract endpoint (``/trsrv/stocks``, ``/iserver/secdef/*``,
``/iserver/contract/...``), and its reference prices seed the price paths. Users add instruments from a
JSON file (see docs/simulator.md for the format).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, Iterable, List, Optional

from ibind.sim.transport.http import ApiError


@dataclass
class Instrument:
    conid: int
    symbol: str
    sec_type: str = 'STK'  # STK, OPT, FUT, FOP, CASH, IND, BOND, WAR
    name: str = ''  # company / long name, as /trsrv/stocks shows it ("APPLE INC")
    currency: str = 'USD'
    exchange: str = 'NASDAQ'  # primary exchange
    listing_exchange: str = ''  # e.g. NASDAQ.NMS (order/trade views); defaults to exchange
    valid_exchanges: str = ''  # comma separated; defaults to SMART + exchange
    country: str = 'US'
    is_us: bool = True
    asset_class: str = ''  # defaults to sec_type
    stock_type: str = 'COMMON'  # COMMON, ETF, ADR, ...
    price: float = 100.0  # reference price of the walk
    volatility: float = 0.3  # annualised
    tick: float = 0.01
    daily_volume: int = 5_000_000
    multiplier: float = 1.0
    # derivatives and relations
    underlying_conid: Optional[int] = None
    expiry: Optional[str] = None  # YYYYMMDD
    month: Optional[str] = None  # e.g. JAN25 (secdef months)
    strike: Optional[float] = None
    right: Optional[str] = None  # C / P
    trading_class: Optional[str] = None
    issuer_id: Optional[str] = None  # bonds
    # descriptive
    sector: str = ''
    industry: str = ''
    category: str = ''
    chinese_name: str = ''
    cusip: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.conid = int(self.conid)
        self.sec_type = self.sec_type.upper()
        if not self.listing_exchange:
            self.listing_exchange = self.exchange
        if not self.valid_exchanges:
            self.valid_exchanges = ','.join(dict.fromkeys(['SMART', self.exchange]))
        if not self.asset_class:
            self.asset_class = self.sec_type
        if not self.name:
            self.name = self.symbol

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


_FIELD_NAMES = {f.name for f in fields(Instrument)}


_FIELD_KINDS = {f.name: str(f.type).replace('Optional[', '').rstrip(']') for f in fields(Instrument)}
_OPTIONAL = {f.name for f in fields(Instrument) if str(f.type).startswith('Optional')}
MAX_CONID = 2**31 - 1  # IBKR's conids are 32-bit integers
MAX_FILE_BYTES = 50 * 1024 * 1024
# numeric fields that must be > 0 (the price path divides and takes logarithms), and the rest's upper bounds
_POSITIVE = {'price', 'tick', 'multiplier'}
_LIMITS = {'price': 1e9, 'volatility': 10.0, 'tick': 1e6, 'daily_volume': 10**13, 'multiplier': 1e7, 'strike': 1e9}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def check_instrument_fields(data: Any) -> None:
    """A ValueError naming the first field of an instrument object that the simulator cannot use."""
    if not isinstance(data, dict):
        raise ValueError(f'an instrument must be a JSON object, not {_short(data)}')
    unknown = set(data) - _FIELD_NAMES
    if unknown:
        raise ValueError(f'unknown instrument field(s) {sorted(map(str, unknown))[:5]}; known: {sorted(_FIELD_NAMES)}')
    if 'conid' not in data or 'symbol' not in data:
        raise ValueError(f'an instrument needs at least "conid" and "symbol": {_short(data)}')
    for name, value in data.items():
        kind = _FIELD_KINDS[name]
        if value is None and name in _OPTIONAL:
            continue
        if kind == 'str':
            ok = (
                isinstance(value, str) and 0 < len(value) <= 200
                if name == 'symbol'
                else isinstance(value, str) and len(value) <= 10_000
            )
        elif kind == 'bool':
            ok = isinstance(value, bool)
        elif kind in ('int', 'float'):
            ok = (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
                and (kind == 'float' or float(value).is_integer())
            )
            if ok and name == 'conid':
                ok = 1 <= value <= MAX_CONID
            elif ok:
                ok = (value > 0 if name in _POSITIVE else value >= 0) and value <= _LIMITS.get(name, 1e15)
        elif kind.startswith('Dict'):
            ok = isinstance(value, dict)
        else:
            ok = True
        if not ok:
            kind = 'a JSON object' if kind.startswith('Dict') else kind
            raise ValueError(
                f'instrument field "{name}" cannot be {_short(value)} (expected {kind}'
                f'{", > 0" if name in _POSITIVE else ""}) in {_short(data)}'
            )


def instrument_from_dict(data: Dict[str, Any]) -> Instrument:
    check_instrument_fields(data)
    if data.get('underlying_conid') is not None and data['underlying_conid'] == data['conid']:
        raise ValueError(f'an instrument cannot be its own underlying: {_short(data)}')
    return Instrument(**data)


def _no_constant(name: str) -> Any:
    raise ValueError(f'{name} is not a number')


class Universe:
    """Instruments indexed by conid and by symbol."""

    def __init__(self, instruments: Iterable[Instrument] = (), fallback: Any = None):
        self._by_conid: Dict[int, Instrument] = {}
        self._by_symbol: Dict[str, List[Instrument]] = {}
        # makes instruments nobody listed, on demand: for_symbol(symbol) / for_conid(conid) -> Instrument | None
        # (see ibind.sim.engine.synthetic); None: only listed instruments exist (--strict-universe)
        self.fallback = fallback
        for instrument in instruments:
            self.add(instrument)

    def add(self, instrument: Instrument) -> None:
        if instrument.conid in self._by_conid:
            old = self._by_conid[instrument.conid]
            self._by_symbol[old.symbol.upper()].remove(old)
        self._by_conid[instrument.conid] = instrument
        self._by_symbol.setdefault(instrument.symbol.upper(), []).append(instrument)

    def get(self, conid: Any) -> Instrument:
        """The instrument for a conid; an unknown or malformed conid is the gateway's 400."""
        try:
            key = int(str(conid).split('@')[0])
        except (TypeError, ValueError):
            raise ApiError(400, f'Bad Request: invalid conid {conid!r}') from None
        instrument = self._by_conid.get(key) or self._made_for_conid(key)
        if instrument is None:
            raise ApiError(400, f'Bad Request: unknown conid {key}')
        return instrument

    def find(self, conid: Any) -> Optional[Instrument]:
        try:
            key = int(str(conid).split('@')[0])
        except (TypeError, ValueError):
            return None
        return self._by_conid.get(key) or self._made_for_conid(key)

    def _made_for_conid(self, conid: int) -> Optional[Instrument]:
        made = self.fallback.for_conid(conid) if self.fallback is not None else None
        if made is not None and made.symbol.upper() not in self._by_symbol:
            self.add(made)
            return made
        return None

    def by_symbol(self, symbol: str, sec_type: Optional[str] = None) -> List[Instrument]:
        if self.fallback is not None and symbol.upper() not in self._by_symbol and sec_type in (None, 'STK', 'stk'):
            made = self.fallback.for_symbol(symbol)
            if made is not None and made.symbol not in self._by_symbol and made.conid not in self._by_conid:
                self.add(made)
            if made is not None:
                symbol = made.symbol
        found = list(self._by_symbol.get(symbol.upper(), []))
        if sec_type:
            found = [i for i in found if i.sec_type == sec_type.upper()]
        return found

    def all(self) -> List[Instrument]:
        return list(self._by_conid.values())

    def describe(self) -> Dict[str, Any]:
        """Size of the universe and the synthetic instruments made so far (for /sim/state)."""
        synthetic = sorted(i.symbol for i in self._by_conid.values() if i.extra.get('synthetic'))
        return {'instruments': len(self._by_conid), 'synthetic': synthetic, 'strict': self.fallback is None}

    def __len__(self) -> int:
        return len(self._by_conid)

    def load_json(self, path: str) -> int:
        """Add the instruments of a JSON file (a list of objects, or ``{"instruments": [...]}``)."""
        with open(path, 'rb') as file:
            raw = file.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f'{path}: larger than {MAX_FILE_BYTES} bytes')
        try:
            data = json.loads(raw.decode('utf-8'), parse_constant=_no_constant)
        except UnicodeDecodeError:
            raise ValueError(f'{path}: not UTF-8 text') from None
        except RecursionError:
            raise ValueError(f'{path}: JSON nested too deeply') from None
        except json.JSONDecodeError as error:
            raise ValueError(
                f'{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno})'
            ) from None
        except ValueError as error:  # NaN / Infinity
            raise ValueError(f'{path}: {error}') from None
        items = data.get('instruments') if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ValueError(f'{path}: expected a JSON list of instruments or {{"instruments": [...]}}')
        instruments = []
        for index, item in enumerate(items):
            try:
                instruments.append(instrument_from_dict(item))
            except ValueError as error:
                raise ValueError(f'{path}: instrument {index}: {error}') from None
        for instrument in instruments:  # all or nothing
            self.add(instrument)
        return len(items)
