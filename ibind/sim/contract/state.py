"""What the simulated gateway knows about contracts, and which underlyings this session has searched.

The static instruments come from ``ibind.sim.engine.instruments``; options and futures are listed here, when
the gateway state is (re)built, relative to the simulated clock's date. The gateway remembers which
underlyings (and bond issuers) ``/iserver/secdef/search`` returned in the current brokerage session:
IBKR documents that ``/iserver/secdef/strikes`` answers empty arrays and ``/iserver/secdef/info`` does
not work until the underlying was searched (``SimConfig.secdef_search_first`` switches this off).
Other categories can ask ``gw.contracts.searched(conid)`` (e.g. before a derivative snapshot).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Set, Tuple

from ibind.sim.engine.instruments import dated_instruments, month_code
from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import BrokerageSession

DERIVATIVE_TYPES = ('OPT', 'FUT', 'FOP', 'WAR')
STRIKED_TYPES = ('OPT', 'FOP', 'WAR')
UNDERLYING_TYPES = ('STK', 'IND')


def month_of(instrument: Instrument) -> Optional[str]:
    """The secdef month (``JAN25``) of a derivative: its ``month``, else derived from its ``expiry``."""
    if instrument.month:
        return instrument.month.upper()
    if instrument.expiry and len(instrument.expiry) >= 6 and instrument.expiry[:6].isdigit():
        year, month = int(instrument.expiry[:4]), int(instrument.expiry[4:6])
        if 1 <= month <= 12:
            return month_code(year, month)
    return None


def expiry_order(instrument: Instrument) -> Tuple[str, float, str]:
    return instrument.expiry or '', instrument.strike or 0.0, instrument.right or ''


class ContractState:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.listed_on = self.today()
        universe = gateway.universe
        day_start = dt.datetime.combine(self.listed_on, dt.time(), tzinfo=dt.timezone.utc).timestamp()

        def spot(underlying: Instrument) -> float:  # the underlying's price as the simulated day began
            return gateway.market.last(underlying.conid, day_start)

        for instrument in dated_instruments(universe.find, self.listed_on, spot):
            if universe.find(instrument.conid) is None:  # an instruments file may define it already
                universe.add(instrument)
        self._searched_conids: Set[int] = set()
        self._searched_issuers: Set[str] = set()
        self._search_session: Optional[float] = None

    # ----------------------------------------------------------------- time

    def today(self) -> dt.date:
        """The simulated date (UTC): derivatives that expired before it are no longer listed."""
        return dt.datetime.fromtimestamp(self.gateway.clock.now(), tz=dt.timezone.utc).date()

    # ----------------------------------------------------------------- secdef search memory

    def _current_searches(self) -> None:
        """Searches count for one brokerage session: a new session starts with none."""
        brokerage: BrokerageSession = self.gateway.session
        session = brokerage.brokerage_opened_at
        if session != self._search_session:
            self._search_session = session
            self._searched_conids.clear()
            self._searched_issuers.clear()

    def record_search(self, conids: Iterable[int] = (), issuer_ids: Iterable[str] = ()) -> None:
        self._current_searches()
        self._searched_conids.update(int(conid) for conid in conids)
        self._searched_issuers.update(issuer_ids)

    def searched(self, conid: int) -> bool:
        """Was ``/iserver/secdef/search`` called for this underlying in this session (or is the quirk off)?"""
        if not self.gateway.config.secdef_search_first:
            return True
        self._current_searches()
        return int(conid) in self._searched_conids

    def issuer_searched(self, issuer_id: str) -> bool:
        if not self.gateway.config.secdef_search_first:
            return True
        self._current_searches()
        return issuer_id in self._searched_issuers

    def require_searched(self, conid: int) -> None:
        if not self.searched(conid):
            raise ApiError(
                400,
                f'Bad Request: call /iserver/secdef/search for the underlying (conid {conid}) '
                'before /iserver/secdef/info',
            )

    def require_issuer_searched(self, issuer_id: str) -> None:
        if not self.issuer_searched(issuer_id):
            raise ApiError(
                400,
                f'Bad Request: call /iserver/secdef/search with secType=BOND for the issuer '
                f'{issuer_id} before /iserver/secdef/info',
            )

    # ----------------------------------------------------------------- derivatives

    def derivatives(self, underlying_conid: int, sec_type: str) -> List[Instrument]:
        """Listed derivatives of one type on an underlying, by expiry, strike and right."""
        sec_type = sec_type.upper()
        found = [
            i for i in self.gateway.universe.all() if i.underlying_conid == underlying_conid and i.sec_type == sec_type
        ]
        return sorted(found, key=expiry_order)

    def has_options(self, conid: int) -> bool:
        return any(i.underlying_conid == conid and i.sec_type in STRIKED_TYPES for i in self.gateway.universe.all())

    def months(self, underlying_conid: int, sec_type: str) -> List[str]:
        """Expiry months (``JAN25``) of the listed derivatives, in expiry order."""
        months = (month_of(i) for i in self.derivatives(underlying_conid, sec_type))
        return list(dict.fromkeys(month for month in months if month))

    def strikes(
        self, underlying_conid: int, sec_type: str, month: str, exchange: str = 'SMART'
    ) -> Tuple[List[float], List[float]]:
        """(call strikes, put strikes) listed for one month on one exchange."""
        listed = [
            (i.right, float(i.strike))
            for i in self.derivatives(underlying_conid, sec_type)
            if month_of(i) == month.upper() and trades_on(i, exchange) and i.strike is not None
        ]
        calls = sorted({strike for right, strike in listed if right == 'C'})
        puts = sorted({strike for right, strike in listed if right == 'P'})
        return calls, puts

    def futures(self, symbol: str, exchange: Optional[str] = None) -> List[Instrument]:
        """Futures on ``symbol`` that have not expired at the simulated date, nearest first."""
        today = self.today().strftime('%Y%m%d')
        found = [
            i
            for i in self.gateway.universe.by_symbol(symbol, 'FUT')
            if i.symbol == symbol and (i.expiry or '') >= today and (not exchange or trades_on(i, exchange))
        ]
        return sorted(found, key=expiry_order)

    # ----------------------------------------------------------------- bonds

    def bonds(self, symbol: Optional[str] = None, issuer_id: Optional[str] = None) -> List[Instrument]:
        found = [
            i
            for i in self.gateway.universe.all()
            if i.sec_type == 'BOND'
            and (symbol is None or i.symbol.upper() == symbol.upper())
            and (issuer_id is None or i.issuer_id == issuer_id)
        ]
        return sorted(found, key=lambda i: (i.issuer_id or '', i.expiry or '', i.conid))

    def issuers(self, symbol: str) -> List[Dict[str, str]]:
        """The bond issuers of a bond family (IBKR's 'symbol' of a BOND search), as ``[{id, name}]``."""
        issuers: Dict[str, str] = {}
        for bond in self.bonds(symbol=symbol):
            if bond.issuer_id:
                issuers.setdefault(bond.issuer_id, str(bond.extra.get('issuer_name') or bond.issuer_id))
        return [{'id': issuer_id, 'name': name} for issuer_id, name in issuers.items()]

    # ----------------------------------------------------------------- forex

    def forex_pairs(self) -> List[Instrument]:
        return [i for i in self.gateway.universe.all() if i.sec_type == 'CASH' and '.' in i.symbol]

    def currency_pairs(self, currency: str) -> List[Instrument]:
        """Forex pairs in which ``currency`` is the base or the quote currency."""
        currency = currency.upper()
        return [i for i in self.forex_pairs() if currency in i.symbol.upper().split('.')]

    def exchange_rate(self, source: str, target: str) -> Optional[float]:
        """Units of ``target`` for one unit of ``source`` at the current simulated price, or None if unknown."""
        source, target = source.upper(), target.upper()
        rates = self._direct_rates()
        if source == target:
            return 1.0 if any(source in pair for pair in rates) or source == 'USD' else None
        if (source, target) in rates:
            return rates[(source, target)]
        for middle in ('USD', 'EUR'):
            if (source, middle) in rates and (middle, target) in rates:
                return rates[(source, middle)] * rates[(middle, target)]
        return None

    def _direct_rates(self) -> Dict[Tuple[str, str], float]:
        rates: Dict[Tuple[str, str], float] = {}
        market = self.gateway.market
        for pair in self.forex_pairs():
            base, quote = pair.symbol.upper().split('.', 1)
            price = market.last(pair.conid)
            if price > 0:
                rates[(base, quote)] = price
                rates.setdefault((quote, base), 1.0 / price)
        return rates

    def describe(self) -> Dict[str, Any]:
        self._current_searches()
        return {
            'listed_on': self.listed_on.isoformat(),
            'searched_conids': sorted(self._searched_conids),
            'searched_issuers': sorted(self._searched_issuers),
        }


def trades_on(instrument: Instrument, exchange: str) -> bool:
    exchange = exchange.upper()
    venues = {venue.strip().upper() for venue in instrument.valid_exchanges.split(',')}
    return exchange in venues or exchange == instrument.exchange.upper()
