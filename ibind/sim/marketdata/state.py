"""Market data state of the brokerage session: open feeds, the HMDS service, fees, history concurrency.

What it models (seed 002, "Market Data"):

* A snapshot opens a *feed* for each conid. The first snapshot of a conid in a brokerage session is
  the pre-flight: it opens the feed and carries no field values. Unsubscribing closes the feed
  (unsubscribing a conid without one is the documented 500), and the next snapshot is a pre-flight again.
* The historical market data service (HMDS) answers its first request with a 404 and is initialised
  by it.
* Every regulatory snapshot costs USD 0.01; the simulator counts them (it does not charge the ledger,
  which only fills move).
* How many /iserver/marketdata/history requests were in flight at once (IBKR allows 5), measured from
  the moment a request reaches the handler until its answer is due.

Feeds and the HMDS flag belong to one brokerage session: when a new one opens (after an idle timeout,
a competing login, the nightly reset), every feed is gone and both quirks apply again.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Tuple

from ibind.sim.marketdata.subscriptions import is_subscribed
from ibind.sim.transport.http import SimResponse

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.interfaces import BrokerageSession

REGSNAPSHOT_FEE_USD = 0.01
_HISTORY_WINDOWS_KEPT = 10_000


@dataclass
class Feed:
    """An open market data stream for one conid."""

    conid: int
    server_id: str
    opened_at: float
    exchange: Optional[str] = None
    snapshots: int = 0


@dataclass
class _HistoryWindow:
    """One history request: when it reached the handler and the answer it got (whose delay is set later)."""

    started: float
    response: SimResponse

    @property
    def ends(self) -> float:
        return self.started + self.response.delay


class MarketDataState:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.feeds: Dict[int, Feed] = {}
        self.hmds_initialised = False
        self.regsnapshots = 0
        self.snapshot_requests = 0
        self.history_requests = 0
        self.hmds_requests = 0
        self._session_key: Any = None
        self._server_ids = itertools.count()
        self._history_ids = itertools.count(20477)
        self._history_windows: Deque[_HistoryWindow] = deque(maxlen=_HISTORY_WINDOWS_KEPT)

    # ----------------------------------------------------------------- session scope

    def sync_session(self) -> None:
        """Forget feeds and the HMDS initialisation when a new brokerage session has opened."""
        session: BrokerageSession = self.gateway.session
        key = (session.brokerage_generation, session.brokerage_opened_at)
        if key != self._session_key:
            self._session_key = key
            self.feeds.clear()
            self.hmds_initialised = False

    # ----------------------------------------------------------------- feeds

    def feed(self, conid: int) -> Optional[Feed]:
        return self.feeds.get(conid)

    def has_market_data(self, conid: int) -> bool:
        """Does the account subscribe to live data for ``conid``? Orders ask this (o354), as IBKR does.

        See ibind.sim.marketdata.subscriptions and ``SimConfig.market_data_subscriptions``; with None (the
        default for now) a snapshot of the conid in this brokerage session stands in for a subscription.
        """
        subscriptions = self.gateway.config.market_data_subscriptions
        if subscriptions is None:  # the simulator's older stand-in: a snapshot in this brokerage session
            self.sync_session()  # feeds of an earlier brokerage session do not count
            return conid in self.feeds
        instrument = self.gateway.universe.find(conid)
        return instrument is not None and is_subscribed(instrument, subscriptions)

    def open_feed(self, conid: int, exchange: Optional[str]) -> Feed:
        feed = Feed(
            conid=conid, server_id=f'q{next(self._server_ids)}', opened_at=self.gateway.clock.now(), exchange=exchange
        )
        self.feeds[conid] = feed
        return feed

    def close_feed(self, conid: int) -> bool:
        return self.feeds.pop(conid, None) is not None

    def close_all_feeds(self) -> int:
        count = len(self.feeds)
        self.feeds.clear()
        return count

    # ----------------------------------------------------------------- counters

    def charge_regsnapshot(self) -> None:
        self.regsnapshots += 1

    def next_history_server_id(self) -> str:
        return str(next(self._history_ids))

    def history_started(self, response: SimResponse) -> None:
        """Record a history request; its answer's ``delay`` (latency) is read when concurrency is measured."""
        self.history_requests += 1
        self._history_windows.append(_HistoryWindow(time.monotonic(), response))

    def history_in_flight(self, now: Optional[float] = None) -> int:
        now = time.monotonic() if now is None else now
        return sum(1 for window in self._history_windows if window.started <= now < window.ends)

    def history_max_concurrent(self) -> int:
        """The most history requests that were in flight at the same moment (a sweep over start/end times)."""
        events: List[Tuple[float, int]] = []
        for window in list(self._history_windows):
            events.append((window.started, 1))
            events.append((max(window.ends, window.started + 1e-9), -1))  # an instant answer still counts
        peak = current = 0
        for _, change in sorted(events, key=lambda event: (event[0], event[1])):
            current += change
            peak = max(peak, current)
        return peak

    # ----------------------------------------------------------------- /sim/state

    def describe(self) -> Dict[str, Any]:
        self.sync_session()
        return {
            'feeds': {
                str(conid): {
                    'server_id': feed.server_id,
                    'opened_at': feed.opened_at,
                    'exchange': feed.exchange,
                    'snapshots': feed.snapshots,
                }
                for conid, feed in sorted(self.feeds.items())
            },
            'snapshot_requests': self.snapshot_requests,
            'hmds_initialised': self.hmds_initialised,
            'hmds_requests': self.hmds_requests,
            'regsnapshots': self.regsnapshots,
            'regsnapshot_fees_usd': round(self.regsnapshots * REGSNAPSHOT_FEE_USD, 2),
            'history': {
                'requests': self.history_requests,
                'in_flight': self.history_in_flight(),
                'max_concurrent': self.history_max_concurrent(),
            },
        }
