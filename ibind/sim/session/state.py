"""The gateway's session model: a read-only (portal) session and a brokerage session on top of it.

Documented behaviour reproduced here: the brokerage session drops after ~6 minutes without requests
(auth status then says connected but not authenticated), ``ssodh/init`` re-opens it, only one
brokerage session per username exists (``competing``), the nightly reset leaves "no bridge",
and ``/iserver/accounts`` must be called on a new brokerage session before snapshots and orders.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Dict, Optional

from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.config import SimConfig
    from ibind.sim.engine.clock import SimClock

MAC = '98:F2:B3:23:BF:A0'
SERVER_INFO = {'serverName': 'JifN19053', 'serverVersion': 'Build 10.25.0p, Dec 5, 2023 5:48:12 PM'}


class SessionState:
    def __init__(self, config: SimConfig, clock: SimClock, rng: random.Random) -> None:
        self.config = config
        self.clock = clock
        self.logged_in = True
        self.brokerage = bool(config.brokerage_auto_init)
        self.connected = True
        self.competing = False
        self.no_bridge = False
        self.accounts_queried = False
        self.started_at = clock.now()
        self.last_activity = self.started_at
        self.brokerage_opened_at: Optional[float] = self.started_at if self.brokerage else None
        self.brokerage_generation = 1 if self.brokerage else 0  # +1 per brokerage session opened (state scoped to one)
        self.session_id = format(rng.getrandbits(128), '032x')
        self.user_id = 100000000 + rng.randrange(10_000_000)
        self.timeouts = 0

    # -- the gateway's view of time passing
    def observe(self, now: float) -> None:
        """Every request counts as activity; a long silence first closes the brokerage session."""
        timeout = self.config.idle_timeout
        if self.brokerage and timeout and now - self.last_activity > timeout:
            self.drop_brokerage()
            self.timeouts += 1
        self.last_activity = now

    def require(self, level: str) -> None:
        if level == 'none':
            return
        if not self.logged_in:
            raise ApiError(401, 'not authenticated')
        if level != 'brokerage':
            return
        if self.no_bridge:
            raise ApiError(400, 'Bad Request: no bridge')
        if not self.brokerage:
            raise ApiError(401, 'not authenticated')

    def require_accounts_queried(self) -> None:
        if self.config.require_accounts_first and not self.accounts_queried:
            raise ApiError(400, 'Please query /accounts first')

    # -- transitions
    def drop_brokerage(self) -> None:
        self.brokerage = False
        self.accounts_queried = False
        self.brokerage_opened_at = None

    def open_brokerage(self, compete: bool) -> bool:
        """ssodh/init: opens the brokerage session unless another one holds it and compete is False."""
        if self.competing and not compete:
            return False
        self.competing = False
        self.no_bridge = False
        self.connected = True
        if not self.brokerage:
            self.brokerage = True
            self.accounts_queried = False
            self.brokerage_opened_at = self.clock.now()
            self.brokerage_generation += 1
        return True

    def apply(self, action: str) -> None:
        """Control API: make the session fail the way real ones do."""
        if action == 'expire':  # idle timeout: connected, not authenticated
            self.drop_brokerage()
        elif action == 'compete':  # another client took the brokerage session
            self.drop_brokerage()
            self.competing = True
        elif action == 'no_bridge':  # nightly reset: the bridge to the brokerage backend is gone
            self.drop_brokerage()
            self.no_bridge = True
        elif action in ('deauthenticate', 'logout'):  # the portal session itself is gone
            self.drop_brokerage()
            self.logged_in = False
            self.connected = False
        elif action == 'login':  # as after a browser login
            self.logged_in = True
            self.connected = True
            if self.config.brokerage_auto_init:
                self.open_brokerage(compete=True)
        elif action == 'restore':
            self.logged_in = True
            self.competing = False
            self.no_bridge = False
            self.open_brokerage(compete=True)
        else:
            raise ApiError(
                400,
                f'unknown session action {action!r}: expected expire, compete, no_bridge, '
                'deauthenticate, login or restore',
            )

    # -- payloads
    def auth_status(self) -> Dict[str, Any]:
        if self.brokerage:
            return {
                'authenticated': True,
                'competing': False,
                'connected': True,
                'message': '',
                'MAC': MAC,
                'serverInfo': dict(SERVER_INFO),
                'hardware_info': '3b0679ee|' + MAC,
                'fail': '',
            }
        status: Dict[str, Any] = {
            'authenticated': False,
            'competing': self.competing,
            'connected': self.connected and self.logged_in,
            'MAC': MAC,
        }
        status['message'] = 'no bridge' if self.no_bridge else ''
        status['fail'] = '' if self.logged_in else 'not logged in'
        return status

    def describe(self) -> Dict[str, Any]:
        return {
            'logged_in': self.logged_in,
            'authenticated': self.brokerage,
            'connected': self.connected,
            'competing': self.competing,
            'no_bridge': self.no_bridge,
            'accounts_queried': self.accounts_queried,
            'last_activity': self.last_activity,
            'idle_timeout': self.config.idle_timeout,
            'timeouts': self.timeouts,
            'session': self.session_id,
        }
