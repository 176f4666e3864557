"""Watchlists of the simulated user: created, listed, read and deleted through /iserver/watchlist(s).

Watchlists belong to the username, not to a session, so they survive session time-outs and
re-logins; only ``/sim/reset`` clears them. Two documented details are reproduced here:

* ``MID`` in the list and delete answers counts those requests during the current brokerage
  session (it starts again at 1 when a new brokerage session opens);
* the first ``GET /iserver/watchlist?id=`` of a watchlist may list only ``C``, ``conid`` and ``name``
  per contract, later ones the full details (``SimConfig.watchlist_partial_first``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ibind.sim.engine.universe import Instrument
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import BrokerageSession

Row = Tuple[str, Any]  # ('C', conid) for a contract, ('H', '') for a blank separator row
_FUTURE_MONTH_CODES = 'FGHJKMNQUVXZ'


def local_symbol(instrument: Instrument) -> str:
    """The exchange's symbol of a contract, as IBKR shows it: ``ESH5`` (future), ``AAPL  250117C00190000`` (option)."""
    explicit = instrument.extra.get('local_symbol')
    if explicit:
        return str(explicit)
    expiry = instrument.expiry or ''
    if instrument.sec_type == 'FUT' and len(expiry) >= 6 and expiry[:6].isdigit():
        return f'{instrument.symbol}{_FUTURE_MONTH_CODES[int(expiry[4:6]) - 1]}{expiry[3]}'
    if (
        instrument.sec_type == 'OPT'
        and len(expiry) == 8
        and instrument.right in ('C', 'P')
        and instrument.strike is not None
    ):
        return f'{instrument.symbol:<6}{expiry[2:]}{instrument.right}{round(instrument.strike * 1000):08d}'
    return instrument.symbol


@dataclass
class Watchlist:
    id: str
    name: str
    rows: List[Row]
    modified_ms: int
    served_once: bool = False  # has a GET of this watchlist been answered since it was (re)created

    @property
    def hash(self) -> str:
        return str(self.modified_ms)


class WatchlistStore:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.lists: Dict[str, Watchlist] = {}
        self._mid = 0
        self._mid_session: Optional[float] = None

    # -- state changes
    def save(self, list_id: str, name: str, rows: List[Row]) -> Watchlist:
        """Create the watchlist, or replace the one with the same id (as saving it in TWS would)."""
        watchlist = Watchlist(list_id, name, list(rows), self.gateway.clock.now_ms())
        self.lists[list_id] = watchlist
        return watchlist

    def get(self, list_id: str) -> Watchlist:
        watchlist = self.lists.get(list_id)
        if watchlist is None:
            raise ApiError(400, f'Bad Request: watchlist {list_id} does not exist')
        return watchlist

    def delete(self, list_id: str) -> Watchlist:
        watchlist = self.get(list_id)
        del self.lists[list_id]
        return watchlist

    def next_mid(self) -> str:
        """The ``MID`` of the next list/delete answer: their count within the current brokerage session."""
        session: BrokerageSession = self.gateway.session
        session_marker = session.brokerage_opened_at
        if session_marker != self._mid_session:
            self._mid_session = session_marker
            self._mid = 0
        self._mid += 1
        return str(self._mid)

    # -- views
    def user_lists(self) -> List[Dict[str, Any]]:
        return [
            {
                'is_open': False,
                'read_only': False,
                'name': w.name,
                'modified': w.modified_ms,
                'id': w.id,
                'type': 'watchlist',
            }
            for w in self.lists.values()
        ]

    def contents(self, watchlist: Watchlist, partial: bool) -> Dict[str, Any]:
        return {
            'id': watchlist.id,
            'hash': watchlist.hash,
            'name': watchlist.name,
            'readOnly': False,
            'instruments': [self._row(kind, value, partial) for kind, value in watchlist.rows],
        }

    def _row(self, kind: str, value: Any, partial: bool) -> Dict[str, Any]:
        if kind == 'H':
            return {'H': value}
        instrument = self.gateway.universe.find(value)
        if instrument is None:  # cannot happen through the API (conids are checked on create); stay total anyway
            return {'C': str(value), 'conid': int(value), 'name': ''}
        if partial:
            return {'C': str(instrument.conid), 'conid': instrument.conid, 'name': instrument.name}
        return {
            'ST': instrument.sec_type,
            'C': str(instrument.conid),
            'conid': instrument.conid,
            'name': instrument.name,
            'fullName': local_symbol(instrument),
            'assetClass': instrument.sec_type,
            'ticker': instrument.symbol,
            'chineseName': instrument.chinese_name,
        }

    def describe(self) -> Dict[str, Any]:
        return {
            'count': len(self.lists),
            'lists': {
                w.id: {
                    'name': w.name,
                    'rows': [{kind: value} for kind, value in w.rows],
                    'modified': w.modified_ms,
                    'served_once': w.served_once,
                }
                for w in self.lists.values()
            },
            'mid': self._mid,
        }
