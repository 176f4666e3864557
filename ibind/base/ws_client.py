"""WsClient: one WebSocket kept open by a background thread, over the ``websockets`` library's sync client.

What it owns, so that users of the streaming API do not have to:

- reconnecting after any failure, with exponential back-off and jitter (the first retry is quick, a gateway
  that stays down is not hammered); ``before_connect`` runs before every attempt (fresh cookies, recovery);
- detecting a connection that went silent: nothing received for ``silence_timeout`` seconds (the server
  sends heartbeats) resets it, without waiting for TCP to notice;
- a periodic ``on_idle`` hook in the same thread (renewals, keep-alive messages);
- ``close()``: a close frame, then the thread joined; nothing is left running.

The protocol itself (handshake, framing, masking, ping/pong, close) is the library's. Every callback runs in
the client's thread; an exception in one is logged and does not end the connection.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, Mapping, Optional, Union

from ibind.support.logs import project_logger

_LOGGER = project_logger('ibind.ws')
# the library's own log (handshake headers at DEBUG) goes through ibind's redaction: the api cookie never shows
_PROTOCOL_LOGGER = project_logger('ibind.ws.protocol')


def _demote_teardown_race(record: logging.LogRecord) -> bool:
    """websockets (17.x, sync) logs "unexpected internal error" with an EOFError when bytes arrive just as its
    close timeout closes the socket: its reader thread feeds them after the protocol saw the end of the
    stream. Nothing is lost (the connection is ending), so it is a DEBUG line, not an ERROR in users' logs."""
    exc_type = record.exc_info[0] if record.exc_info else None
    if record.levelno >= logging.ERROR and exc_type is EOFError and record.msg == 'unexpected internal error':
        record.levelno, record.levelname = logging.DEBUG, 'DEBUG'
        record.msg = 'websockets: data arrived after the end of the stream, while closing (ignored)'
        return _PROTOCOL_LOGGER.isEnabledFor(logging.DEBUG)  # handlers at any level would still print it
    return True


_PROTOCOL_LOGGER.addFilter(_demote_teardown_race)

IDLE, CONNECTING, OPEN, RECONNECTING, CLOSED = 'idle', 'connecting', 'open', 'reconnecting', 'closed'


def websockets_sync_client() -> Any:
    """The ``websockets`` sync client module, or an ImportError that names the extra to install."""
    try:
        from websockets.sync import client
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ibind's WebSocket client needs the 'websockets' package: pip install 'ibind[websocket]'"
        ) from None
    return client


def make_ssl_context(url: str, verify: Union[bool, str]) -> Optional[ssl.SSLContext]:
    """The TLS context for ``wss://`` URLs: verify against ``verify`` (a CA file), the system (True), or not (False)."""
    if not url.startswith('wss://'):
        return None
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)


def backoff_delay(attempt: int, base: float, maximum: float, rng: random.Random) -> float:
    """Exponential back-off with jitter: base * 2**attempt, capped, scaled by a random factor in [0.5, 1]."""
    return min(maximum, base * (2 ** min(attempt, 30))) * (0.5 + rng.random() / 2)


class WsClient:
    """A WebSocket that stays open. ``start()`` connects in the background; ``send()`` from any thread.

    Arguments:
        url_factory: returns the URL for the next attempt (a query token may change).
        headers_factory: returns the HTTP headers of the next handshake (a cookie may change).
        on_open(), on_message(str | bytes), on_close(reason): the connection's life, in the client's thread.
        before_connect(): runs before every attempt; an exception counts as a failed attempt (back-off).
        on_idle(): runs about every ``poll_interval`` seconds while connected.
        on_state(state): IDLE, CONNECTING, OPEN, RECONNECTING, CLOSED.
        silence_timeout: seconds without any message before the connection is considered dead and reset.
        reconnect_backoff / reconnect_backoff_max: the back-off between attempts, in seconds.
    """

    def __init__(
        self,
        url_factory: Callable[[], str],
        *,
        ssl_context: Optional[ssl.SSLContext] = None,
        headers_factory: Optional[Callable[[], Mapping[str, str]]] = None,
        on_open: Optional[Callable[[], None]] = None,
        on_message: Optional[Callable[[Union[str, bytes]], None]] = None,
        on_close: Optional[Callable[[str], None]] = None,
        before_connect: Optional[Callable[[], None]] = None,
        on_idle: Optional[Callable[[], None]] = None,
        on_state: Optional[Callable[[str], None]] = None,
        silence_timeout: float = 30.0,
        reconnect_backoff: float = 0.5,
        reconnect_backoff_max: float = 30.0,
        open_timeout: float = 10.0,
        close_timeout: float = 1.0,
        poll_interval: float = 0.1,
        name: str = 'ibind-ws',
    ):
        for argument, value in (
            ('silence_timeout', silence_timeout),
            ('reconnect_backoff', reconnect_backoff),
            ('reconnect_backoff_max', reconnect_backoff_max),
            ('open_timeout', open_timeout),
            ('close_timeout', close_timeout),
            ('poll_interval', poll_interval),
        ):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f'{argument!r} must be a positive number of seconds, got {value!r}')
        self._client_module = websockets_sync_client()
        self._url_factory = url_factory
        self._headers_factory = headers_factory or dict
        self._ssl_context = ssl_context
        self._on_open, self._on_message, self._on_close = on_open, on_message, on_close
        self._before_connect, self._on_idle, self._on_state = before_connect, on_idle, on_state
        self.silence_timeout = float(silence_timeout)
        self.reconnect_backoff = float(reconnect_backoff)
        self.reconnect_backoff_max = float(reconnect_backoff_max)
        self.open_timeout = float(open_timeout)
        self.close_timeout = float(close_timeout)
        self.poll_interval = float(poll_interval)
        self.name = name
        self._rng = random.Random()
        self._state = IDLE
        self._stop = threading.Event()
        self._reset_reason: Optional[str] = None
        self._connection: Any = None
        self._abort_handle: Optional[socket.socket] = None  # a duplicate of the TCP socket, to cut it off
        self._connection_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self.last_received = 0.0  # time.monotonic() of the last message
        self.stats: Dict[str, int] = {
            'connects': 0,
            'failed_attempts': 0,
            'silent_resets': 0,
            'resets': 0,
            'messages': 0,
            'sent': 0,
        }

    # ----------------------------------------------------------------- public

    @property
    def state(self) -> str:
        return self._state

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._stop.is_set():
            raise RuntimeError('this WebSocket client was closed; create a new one')
        if self.running:
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def send(self, text: str) -> bool:
        """Send one message if connected; False (nothing sent) otherwise."""
        with self._connection_lock:
            connection = self._connection
        if connection is None:
            return False
        try:
            with self._send_lock:
                connection.send(text)
        except Exception as error:  # closed meanwhile: the loop reconnects
            _LOGGER.debug('%s: send failed (%s)', self.name, error)
            return False
        self.stats['sent'] += 1
        return True

    def reset(self, reason: str) -> None:
        """Drop the current connection and connect again (after ``before_connect``)."""
        self._reset_reason = reason
        self._abort_connection()

    def close(self, timeout: float = 5.0) -> bool:
        """Close the connection (close frame) and stop the thread; True if the thread ended within ``timeout``."""
        self._stop.set()
        with self._connection_lock:
            connection = self._connection
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():  # a close handshake that hangs: cut the TCP connection
                with self._connection_lock:
                    handle = self._abort_handle
                if handle is not None:
                    _shut(handle)
                thread.join(timeout)
        self._set_state(CLOSED)
        return thread is None or not thread.is_alive()

    # ----------------------------------------------------------------- the thread

    def _set_state(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        if self._on_state is not None:
            self._call(self._on_state, state)

    def _call(self, callback: Callable, *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception('%s: a callback raised; the connection carries on', self.name)

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._set_state(CONNECTING if self.stats['connects'] == 0 else RECONNECTING)
            outcome = self._connect_and_serve()
            if outcome is None:  # no connection
                self.stats['failed_attempts'] += 1
                self._stop.wait(backoff_delay(attempt, self.reconnect_backoff, self.reconnect_backoff_max, self._rng))
                attempt += 1
                continue
            reason, healthy = outcome
            if healthy:
                attempt = 0  # the connection carried messages: the next failure starts the back-off again
            if self._on_close is not None:
                self._call(self._on_close, reason)
            if not self._stop.is_set():
                _LOGGER.info('%s: connection ended (%s); reconnecting', self.name, reason)
                self._set_state(RECONNECTING)
                if not healthy:
                    self._stop.wait(
                        backoff_delay(attempt, self.reconnect_backoff, self.reconnect_backoff_max, self._rng)
                    )
                    attempt += 1
        self._set_state(CLOSED)

    def _connect_and_serve(self) -> Optional[tuple]:
        """One connection from handshake to end: (why it ended, whether it carried messages), None if none opened.

        The TCP socket is opened here and a duplicate of it kept, so a handshake that hangs (a server that
        accepted the connection but never answers) is cut off after ``open_timeout`` by shutting it down:
        the attempt fails and the back-off continues, instead of the thread waiting forever.
        """
        abort_handle = None
        try:
            if self._before_connect is not None:
                self._before_connect()
            url = self._url_factory()
            raw = _open_socket(url, self.open_timeout)
            abort_handle = raw.dup()
            watchdog = threading.Timer(self.open_timeout + 1.0, _shut, args=(abort_handle,))
            watchdog.daemon = True
            watchdog.start()
            try:
                opener = self._client_module.connect(
                    url,
                    sock=raw,
                    ssl=self._ssl_context,
                    additional_headers=dict(self._headers_factory()),
                    open_timeout=self.open_timeout,
                    close_timeout=self.close_timeout,
                    ping_interval=None,
                    max_size=None,
                    compression=None,
                    logger=_PROTOCOL_LOGGER,
                )
            finally:
                watchdog.cancel()
                watchdog.join()
        except Exception as error:
            if not self._stop.is_set():
                _LOGGER.warning('%s: could not connect (%s: %s)', self.name, type(error).__name__, error)
            _close_quietly(abort_handle)
            return None
        try:
            with opener as connection:
                with self._connection_lock:
                    if self._stop.is_set():
                        return 'closed by the client', False
                    self._connection = connection
                    self._abort_handle = abort_handle
                self._reset_reason = None
                self.stats['connects'] += 1
                self.last_received = time.monotonic()
                self._set_state(OPEN)
                if self._on_open is not None:
                    self._call(self._on_open)
                return self._serve(connection)
        except Exception as error:  # the close failed
            if not self._stop.is_set():
                _LOGGER.warning('%s: connection failed (%s: %s)', self.name, type(error).__name__, error)
            return None
        finally:
            with self._connection_lock:
                self._abort_handle = None
            _close_quietly(abort_handle)

    def _serve(self, connection: Any) -> tuple:
        """Receive until the connection ends; (why it ended, whether it carried any message)."""
        healthy = False
        next_idle = time.monotonic()
        try:
            while not self._stop.is_set():
                try:
                    message = connection.recv(timeout=self.poll_interval)
                except TimeoutError:
                    message = None
                except Exception as error:  # ConnectionClosed, or the socket failed
                    return self._reset_reason or f'closed ({type(error).__name__}: {error})', healthy
                now = time.monotonic()
                if message is not None:
                    healthy = True
                    self.last_received = now
                    self.stats['messages'] += 1
                    if self._on_message is not None:
                        self._call(self._on_message, message)
                elif now - self.last_received > self.silence_timeout:
                    self.stats['silent_resets'] += 1
                    self._reset_reason = 'silent'
                    _LOGGER.warning(
                        '%s: nothing received for %.1f s; resetting the connection', self.name, now - self.last_received
                    )
                    return 'silent', healthy
                if now >= next_idle and self._on_idle is not None:
                    next_idle = now + self.poll_interval
                    self._call(self._on_idle)
            return 'closed by the client', healthy
        finally:
            with self._connection_lock:
                self._connection = None
            self._shutdown(connection, graceful=not self._reset_reason and not self._stop.is_set())

    def _abort_connection(self) -> None:
        with self._connection_lock:
            connection = self._connection
        if connection is not None:
            self.stats['resets'] += 1
            self._shutdown(connection, graceful=False)

    def _shutdown(self, connection: Any, graceful: bool) -> None:
        """End a connection with a close frame; a peer that does not answer gets ``close_timeout`` seconds, then
        the library closes the socket. (Shutting the socket down under the library's reader thread races it.)"""
        try:
            connection.close()
        except Exception:
            pass


def _open_socket(url: str, timeout: float) -> socket.socket:
    """The TCP connection for ``url`` (ws:// or wss://), connected within ``timeout`` seconds."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('ws', 'wss') or not parts.hostname:
        raise ValueError(f'a WebSocket URL must look like wss://host:port/path, got {url!r}')
    port = parts.port or (443 if parts.scheme == 'wss' else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=timeout)
    sock.settimeout(None)
    return sock


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _close_quietly(sock: Optional[socket.socket]) -> None:
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass
