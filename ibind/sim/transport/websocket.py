"""The simulator's WebSocket connections: wsproto over the HTTP server's blocking socket.

The HTTP server hands a request for ``/v1/api/ws`` with ``Upgrade: websocket`` to ``serve_websocket``.
Everything about the protocol (handshake, framing, masking, ping/pong, close) is wsproto's; this module
only moves bytes between wsproto and the socket, and runs the loop that lets the streaming layer
(``ibind.sim.streaming``) answer commands and push messages. No broker logic lives here.
"""

from __future__ import annotations

import select
import socket
import threading
from typing import Any, List, Mapping, Optional

from ibind.sim.transport.http import ApiError

_RECEIVE_BYTES = 65536


def is_websocket_upgrade(headers: Mapping[str, str]) -> bool:
    """Whether a request asks to become a WebSocket (``Connection: Upgrade`` + ``Upgrade: websocket``)."""
    upgrade = (headers.get('upgrade') or '').lower()
    connection = (headers.get('connection') or '').lower()
    return upgrade == 'websocket' and 'upgrade' in connection


def _wsproto() -> Any:
    try:
        import wsproto  # noqa: F401
        from wsproto import events
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the simulator's WebSocket endpoint needs wsproto: pip install 'ibind[sim]'") from None
    return events


class ServerWebSocket:
    """One accepted WebSocket over a blocking (possibly TLS) socket.

    ``send_text`` may be called from any thread; ``receive`` is called by the connection's own loop.
    ``abort`` drops the TCP connection without a close frame (what a dying gateway or network does).
    """

    def __init__(self, sock: socket.socket):
        self._events = _wsproto()
        from wsproto import ConnectionType, WSConnection

        self.sock = sock
        self.protocol = WSConnection(ConnectionType.SERVER)
        self._send_lock = threading.Lock()
        self.open = False
        self.closed = False
        self.sent_messages = 0

    # ----------------------------------------------------------------- handshake

    def accept(self, request_head: bytes) -> bool:
        """Feed the HTTP request head to wsproto and answer with 101; False if it is not a valid upgrade."""
        events = self._events
        self.protocol.receive_data(request_head)
        for event in self.protocol.events():
            if isinstance(event, events.Request):
                self._write(self.protocol.send(events.AcceptConnection()))
                self.open = True
                return True
            break
        return False

    # ----------------------------------------------------------------- sending

    def send_text(self, text: str) -> bool:
        """Send one text message; False when the connection is gone."""
        return self._send(self._events.TextMessage(data=text))

    def send_bytes(self, data: bytes) -> bool:
        return self._send(self._events.BytesMessage(data=data))

    def _send(self, event: Any) -> bool:
        with self._send_lock:
            if self.closed or not self.open:
                return False
            try:
                self._write(self.protocol.send(event))
            except Exception:  # LocalProtocolError after a close, or the socket failed
                self.closed = True
                return False
            self.sent_messages += 1
            return True

    def _write(self, data: bytes) -> None:
        if data:
            self.sock.sendall(data)

    # ----------------------------------------------------------------- receiving

    def receive(self, timeout: float) -> Optional[List[str]]:
        """Text messages received within ``timeout`` seconds ([] if none); None once the connection is closed.

        Pings are answered and a close is acknowledged here, as RFC 6455 requires.
        """
        events = self._events
        if self.closed:
            return None
        pending = getattr(self.sock, 'pending', None)  # TLS may hold decrypted bytes select() cannot see
        if not (pending and pending()):
            try:
                readable, _, _ = select.select([self.sock], [], [], timeout)
            except (OSError, ValueError):
                self.closed = True
                return None
            if not readable:
                return []
        try:
            data = self.sock.recv(_RECEIVE_BYTES)
        except (TimeoutError, BlockingIOError):
            return []
        except OSError:
            self.closed = True
            return None
        if not data:
            self.closed = True
            return None
        messages: List[str] = []
        with self._send_lock:
            try:
                self.protocol.receive_data(data)
                for event in self.protocol.events():
                    if isinstance(event, events.TextMessage):
                        messages.append(event.data)
                    elif isinstance(event, events.Ping):
                        self._write(self.protocol.send(event.response()))
                    elif isinstance(event, events.CloseConnection):
                        try:
                            self._write(self.protocol.send(event.response()))
                        except Exception:
                            pass
                        self.closed = True
            except Exception:  # a protocol violation by the client, or the socket failed mid-answer
                self.closed = True
        return messages if messages or not self.closed else None

    def drain(self, timeout: float) -> bool:
        """Read and ignore whatever arrives (a socket gone silent answers nothing); False once it is closed."""
        try:
            readable, _, _ = select.select([self.sock], [], [], timeout)
            if readable and not self.sock.recv(_RECEIVE_BYTES):
                self.closed = True
        except (TimeoutError, BlockingIOError):
            pass
        except (OSError, ValueError):
            self.closed = True
        return not self.closed

    # ----------------------------------------------------------------- ending

    def close(self, code: int = 1000, reason: str = '') -> None:
        """A clean close: send a close frame (the client answers and the loop sees the connection end). A
        connection busy sending for more than a second (a client that does not read) is dropped instead."""
        if not self._send_lock.acquire(timeout=1.0):
            self.abort()
            return
        try:
            if self.closed or not self.open:
                return
            self._write(self.protocol.send(self._events.CloseConnection(code=code, reason=reason)))
        except Exception:
            self.closed = True
        finally:
            self._send_lock.release()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame. No lock: a send blocked on a client that does not
        read must not hold this up (the shutdown ends that send)."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def request_head(method: str, target: str, version: str, headers: Mapping[str, str]) -> bytes:
    """The HTTP request head as received, rebuilt from the parsed request so wsproto can do the handshake."""
    lines = [f'{method} {target} {version}'] + [f'{name}: {value}' for name, value in dict(headers).items()]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')


def serve_websocket(handler: Any, gateway: Any, request: Any) -> None:
    """Run one WebSocket connection in the HTTP handler's thread until it ends.

    ``handler`` is the HTTP server's request handler (its socket and its ``_write`` for refusals).
    The streaming hub authorises the upgrade like the gateway (``api`` cookie, ``oauth_token``).
    """
    handler.close_connection = True  # the socket is the WebSocket's now, whatever happens
    hub = gateway.streaming  # the gateway's StreamingHub (ibind.sim.streaming)
    refusal = hub.authorize(request)
    if refusal is not None:
        handler._write(refusal)
        return
    try:
        websocket = ServerWebSocket(handler.connection)
    except ImportError as error:  # the simulator runs without its 'sim' extra: REST works, streaming does not
        handler._write(ApiError(501, str(error)).to_response())
        return
    head = request_head(handler.command, handler.path, handler.request_version, handler.request_headers)
    try:
        if not websocket.accept(head):
            handler._write(ApiError(400, 'Bad Request: not a valid WebSocket upgrade').to_response())
            return
    except Exception:
        handler._write(ApiError(400, 'Bad Request: not a valid WebSocket upgrade').to_response())
        return
    hub.run_connection(websocket)
