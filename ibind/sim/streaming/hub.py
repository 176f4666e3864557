"""The simulator's streaming endpoint: every open WebSocket, its loop, and the faults a test can inject.

A connection's loop (one thread per connection, the HTTP server's) alternates between reading commands
(``poll_interval`` at most) and sending what its ``StreamSession`` says is due, so messages follow the
simulated clock: advancing it through ``POST /sim/clock`` makes heartbeats, ticks and fills appear at once.

Faults (``POST /sim/ws``, see ``ibind.sim.streaming.control``): drop every connection without a close frame,
close them cleanly, make them go silent (no data, no pongs, nothing read), send malformed frames. Auth loss
and competing sessions come from ``POST /sim/session`` as for REST; the stream reports them with ``sts``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.sim.middleware import Middleware
from ibind.sim.streaming import messages
from ibind.sim.streaming.session import StreamSession
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.fyi.state import Notification
    from ibind.sim.gateway import Gateway

MALFORMED_TEXT = '{"topic":"smd+265598","31":"19'  # a message cut in the middle
MALFORMED_BYTES = b'\xff\xfe\x00{"topic":'  # a binary frame that is not UTF-8
BURST_CHUNK = 2000


class _Connection:
    def __init__(self, number: int, websocket: Any, session: StreamSession):
        self.number = number
        self.websocket = websocket
        self.session = session
        self.silent = False
        self.outbox: List[Any] = []  # dicts (JSON), str or bytes, sent by the connection's loop
        self.burst: Optional[Dict[str, Any]] = None
        self.opened_at = time.time()


class StreamingHub(Middleware):
    """Every WebSocket of one gateway. Also a gateway middleware: ``reset`` closes the streams, ``describe``
    adds ``websocket`` to /sim/state."""

    poll_interval = 0.005

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self._lock = threading.Lock()
        self._connections: Dict[int, _Connection] = {}
        self._numbers = itertools.count(1)
        self._server_ids = itertools.count(1)
        self.stats: Dict[str, int] = defaultdict(int)

    # ----------------------------------------------------------------- settings (SimConfig, changeable at run time)

    @property
    def heartbeat_interval(self) -> float:
        return float(self.gw.config.ws_heartbeat_interval)

    @property
    def smd_expiry(self) -> Optional[float]:
        return self.gw.config.ws_smd_expiry

    @property
    def smd_interval(self) -> float:
        return float(self.gw.config.ws_smd_interval)

    def next_server_id(self) -> str:
        return str(next(self._server_ids))

    # ----------------------------------------------------------------- the upgrade

    def authorize(self, request: Any) -> Optional[Any]:
        """None if the upgrade may proceed, else the gateway's refusal (a SimResponse): as for REST, the portal
        session must be logged in; gateway mode needs the ``api`` cookie with /tickle's session value, OAuth
        mode the ``oauth_token`` query parameter with the access token."""
        gw = self.gw
        with gw.lock:
            session = gw.session
            cookie = _api_cookie(request.headers.get('cookie') or '')
            refusal = None
            if not session.logged_in:
                refusal = ApiError(401, 'not authenticated: log in to the gateway first')
            elif gw.config.oauth is not None:
                if request.query.get('oauth_token') != gw.config.oauth.access_token:
                    refusal = ApiError(401, "not authenticated: oauth_token is missing or not this user's")
                elif cookie is not None and cookie != session.session_id:
                    refusal = ApiError(401, "not authenticated: the api cookie is not this session's")
            elif cookie != session.session_id:
                refusal = ApiError(401, "not authenticated: the api cookie must hold /tickle's session value")
        if refusal is not None:
            self.stats['refused'] += 1
            return refusal.to_response()
        return None

    # ----------------------------------------------------------------- one connection

    def run_connection(self, websocket: Any) -> None:
        gw = self.gw
        with gw.lock:
            session = StreamSession(gw, self)
            opening = session.opening_messages()
        connection = _Connection(next(self._numbers), websocket, session)
        with self._lock:
            self._connections[connection.number] = connection
            self.stats['connections'] += 1
        try:
            self._send_all(connection, opening)
            while True:
                if connection.silent:
                    if not websocket.drain(self.poll_interval * 10):
                        break
                    continue
                texts = websocket.receive(self.poll_interval)
                if texts is None:
                    break
                with gw.lock:
                    out: List[Any] = []
                    for text in texts:
                        out.extend(session.handle(text))
                    out.extend(session.pump())
                    out.extend(connection.outbox)
                    connection.outbox.clear()
                self._send_all(connection, out)
                if connection.burst is not None:
                    self._send_burst(connection)
        finally:
            with self._lock:
                self._connections.pop(connection.number, None)

    def _send_all(self, connection: _Connection, items: List[Any]) -> None:
        websocket = connection.websocket
        for item in items:
            if isinstance(item, bytes):
                websocket.send_bytes(item)
            else:
                websocket.send_text(item if isinstance(item, str) else json.dumps(item, separators=(',', ':')))
            self.stats['messages'] += 1

    def _send_burst(self, connection: _Connection) -> None:
        """Benchmark traffic: smd-shaped messages as fast as the socket takes them, stamped with the wall time."""
        burst = connection.burst
        if burst is None:
            return
        count = min(BURST_CHUNK, burst['left'])
        conid = burst['conid']
        for _ in range(count):
            burst['sequence'] += 1
            message = {
                'server_id': 'burst',
                'conidEx': str(conid),
                'conid': conid,
                '_updated': burst['updated'],
                '31': f'{100 + burst["sequence"] % 1000 / 100:.2f}',
                '84': '99.99',
                '86': '100.01',
                '6119': 'burst',
                'topic': f'smd+{conid}',
                '_sequence': burst['sequence'],
                '_sent': time.time(),
            }
            if not connection.websocket.send_text(json.dumps(message, separators=(',', ':'))):
                connection.burst = None
                return
        burst['left'] -= count
        self.stats['messages'] += count
        if burst['left'] <= 0:
            connection.burst = None

    # ----------------------------------------------------------------- faults and injected messages

    def _each(self) -> List[_Connection]:
        with self._lock:
            return list(self._connections.values())

    def drop(self) -> int:
        """Every connection ends without a close frame (a network failure or a gateway restart)."""
        connections = self._each()
        for connection in connections:
            connection.websocket.abort()
        self.stats['dropped'] += len(connections)
        return len(connections)

    def close(self, code: int = 1001, reason: str = 'going away') -> int:
        connections = self._each()
        for connection in connections:
            connection.websocket.close(code, reason)
        return len(connections)

    def silence(self) -> int:
        """Every connection goes silent: the TCP connection stays up, nothing is sent or answered."""
        connections = self._each()
        for connection in connections:
            connection.silent = True
        self.stats['silenced'] += len(connections)
        return len(connections)

    def push(self, item: Any) -> int:
        """Queue one message (dict, str or bytes) for every connection."""
        connections = self._each()
        for connection in connections:
            connection.outbox.append(item)
        return len(connections)

    def publish_notification(self, notification: Notification) -> None:
        """An FYI notification (a fired alert...) reaches every stream as IBKR's unsolicited ``ntf`` message."""
        self.stats['notifications'] += 1
        self.push(messages.notification(notification.id, notification.message, notification.title))

    def malformed(self) -> int:
        connections = self._each()
        for connection in connections:
            connection.outbox.extend([MALFORMED_TEXT, MALFORMED_BYTES, 'not json at all'])
        return len(connections)

    def burst(self, count: int, conid: int) -> int:
        connections = self._each()
        updated = int(self.gw.clock.now() * 1000)
        for connection in connections:
            if connection.burst is not None:  # still sending the last one: add to it
                connection.burst['left'] += count
            else:
                connection.burst = {'left': count, 'conid': conid, 'sequence': 0, 'updated': updated}
        return len(connections)

    # ----------------------------------------------------------------- middleware interface

    # (before/after: the base class's pass-through; the stream does not touch REST requests)

    def reset(self, gateway: Any) -> None:
        """A simulator reset ends every stream (their subscriptions belonged to the old state)."""
        for connection in self._each():
            connection.websocket.close(1012, 'simulator reset')

    def describe(self) -> Dict[str, Any]:
        return {'websocket': self.describe_streams()}

    def describe_streams(self) -> Dict[str, Any]:
        connections = self._each()
        return {
            'connections': [
                {'id': c.number, 'silent': c.silent, 'sent': c.websocket.sent_messages, **c.session.describe()}
                for c in connections
            ],
            'stats': dict(self.stats),
            'config': {
                'heartbeat_interval': self.heartbeat_interval,
                'smd_expiry': self.smd_expiry,
                'smd_interval': self.smd_interval,
            },
        }


def _api_cookie(header: str) -> Optional[str]:
    """The ``api`` cookie's session value; the docs' Python example sends it as JSON ('{"session":"..."}')."""
    for part in header.split(';'):
        name, _, value = part.strip().partition('=')
        if name == 'api':
            value = value.strip().strip('"')
            if value.startswith('{'):
                try:
                    return str(json.loads(value).get('session'))
                except (ValueError, AttributeError):
                    return value
            return value
    return None
