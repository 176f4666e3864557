"""The instruments the simulator knows: stocks, ETFs, an index with options, futures, forex, bonds.

One ``Universe`` answers every contract endpoint (``/trsrv/stocks``, ``/iserver/secdef/*``,
``/iserver/contract/...``), and its reference prices seed the price paths. Users add instruments from a
JSON file (see docs/simulator.md for the format).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, Iterable, List, Optional

from ibind.sim.transport.http import ApiError


@dataclass
class Instrument:
    conid: int
    symbol: str
    sec_type: str = 'STK'                    # STK, OPT, FUT, FOP, CASH, IND, BOND, WAR
    name: str = ''                           # company / long name, as /trsrv/stocks shows it ("APPLE INC")
    currency: str = 'USD'
    exchange: str = 'NASDAQ'                 # primary exchange
    listing_exchange: str = ''               # e.g. NASDAQ.NMS (order/trade views); defaults to exchange
    valid_exchanges: str = ''                # comma separated; defaults to SMART + exchange
    country: str = 'US'
    is_us: bool = True
    asset_class: str = ''                    # defaults to sec_type
    stock_type: str = 'COMMON'               # COMMON, ETF, ADR, ...
    price: float = 100.0                     # reference price of the walk
    volatility: float = 0.3                  # annualised
    tick: float = 0.01
    daily_volume: int = 5_000_000
    multiplier: float = 1.0
    # derivatives and relations
    underlying_conid: Optional[int] = None
    expiry: Optional[str] = None             # YYYYMMDD
    month: Optional[str] = None              # e.g. JAN25 (secdef months)
    strike: Optional[float] = None
    right: Optional[str] = None              # C / P
    trading_class: Optional[str] = None
    issuer_id: Optional[str] = None          # bonds
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


def instrument_from_dict(data: Dict[str, Any]) -> Instrument:
    unknown = set(data) - _FIELD_NAMES
    if unknown:
        raise ValueError(f'unknown instrument field(s) {sorted(unknown)}; known: {sorted(_FIELD_NAMES)}')
    if 'conid' not in data or 'symbol' not in data:
        raise ValueError(f'an instrument needs at least "conid" and "symbol": {data!r}')
    return Instrument(**data)


class Universe:
    """Instruments indexed by conid and by symbol."""

    def __init__(self, instruments: Iterable[Instrument] = ()):
        self._by_conid: Dict[int, Instrument] = {}
        self._by_symbol: Dict[str, List[Instrument]] = {}
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
        instrument = self._by_conid.get(key)
        if instrument is None:
            raise ApiError(400, f'Bad Request: unknown conid {key}')
        return instrument

    def find(self, conid: Any) -> Optional[Instrument]:
        try:
            return self._by_conid.get(int(str(conid).split('@')[0]))
        except (TypeError, ValueError):
            return None

    def by_symbol(self, symbol: str, sec_type: Optional[str] = None) -> List[Instrument]:
        found = list(self._by_symbol.get(symbol.upper(), []))
        if sec_type:
            found = [i for i in found if i.sec_type == sec_type.upper()]
        return found

    def all(self) -> List[Instrument]:
        return list(self._by_conid.values())

    def __len__(self) -> int:
        return len(self._by_conid)

    def load_json(self, path: str) -> int:
        """Add the instruments of a JSON file (a list of objects, or ``{"instruments": [...]}``)."""
        with open(path, encoding='utf-8') as file:
            data = json.load(file)
        items = data.get('instruments') if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ValueError(f'{path}: expected a JSON list of instruments or {{"instruments": [...]}}')
        for item in items:
            self.add(instrument_from_dict(item))
        return len(items)
