"""A loopback HTTP(S) server that answers the way a broken or malicious gateway would.

Each path can be given a behaviour: redirect elsewhere, drip the headers or the body a byte at a time, stream a
chunked body that never ends, send JSON nested 100,000 deep, send a body larger than any sane answer, or set a
flood of new cookies on every answer. Unconfigured paths answer a small JSON echo. Every request that arrived
is recorded, so a test can count what really reached the server. Every loop is bounded (by ``max_seconds``, and
by ``stop()``), and it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

NESTED_DEPTH = 100_000


class HostileServer:
    def __init__(self, ssl_context=None, max_seconds: float = 30.0):
        self._ssl_context = ssl_context
        self.max_seconds = max_seconds
        self.behaviours: Dict[Tuple[str, str], Tuple[str, dict]] = {}
        self.received: List[Tuple[str, str, Dict[str, str]]] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server: Optional[ThreadingHTTPServer] = None

    def start(self) -> HostileServer:
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), _make_handler(self))
        self._server.daemon_threads = True
        if self._ssl_context is not None:
            self._server.socket = self._ssl_context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, host: str = '127.0.0.1', scheme: Optional[str] = None) -> str:
        scheme = scheme or ('https' if self._ssl_context is not None else 'http')
        return f'{scheme}://{host}:{self.port}/v1/api/'

    def behave(self, method: str, path: str, kind: str, **options) -> None:
        """``kind``: redirect (status, location), drip_body, drip_headers, endless, nested, huge, cookies."""
        self.behaviours[(method.upper(), '/v1/api/' + path.lstrip('/'))] = (kind, options)

    def count(self, method: Optional[str] = None, path: Optional[str] = None) -> int:
        with self._lock:
            return sum(
                1
                for m, p, _ in self.received
                if (method is None or m == method.upper()) and (path is None or p == '/v1/api/' + path.lstrip('/'))
            )

    def headers_of_last(self) -> Dict[str, str]:
        with self._lock:
            return self.received[-1][2]


def _make_handler(server: HostileServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args) -> None:
            pass

        def _handle(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            with server._lock:
                server.received.append((self.command, path, dict(self.headers.items())))
            kind, options = server.behaviours.get((self.command, path), ('echo', {}))
            try:
                getattr(self, '_' + kind)(body=body, **options)
            except OSError:  # the client gave up: that is what most of these behaviours are for
                self.close_connection = True

        def _send(
            self,
            status: int,
            payload: bytes,
            headers: Optional[Dict[str, str]] = None,
            content_type: str = 'application/json',
        ) -> None:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _echo(self, body: bytes) -> None:
            self._send(
                200,
                json.dumps({'method': self.command, 'orders': [], 'json': json.loads(body) if body else None}).encode(),
            )

        def _redirect(self, body: bytes, status: int = 307, location: str = 'http://127.0.0.1:9/') -> None:
            self._send(status, b'', {'Location': location})

        def _deadline(self) -> float:
            return time.monotonic() + server.max_seconds

        def _drip_body(self, body: bytes, interval: float = 0.1) -> None:
            payload = json.dumps({'padding': 'x' * 2000}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.flush()
            end = self._deadline()
            for byte in payload:
                if server.stopping.is_set() or time.monotonic() > end:
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(interval)
            self.close_connection = True

        def _drip_headers(self, body: bytes, interval: float = 0.1) -> None:
            end = self._deadline()
            self.wfile.write(b'HTTP/1.1 200 OK\r\n')
            for index in range(100_000):
                if server.stopping.is_set() or time.monotonic() > end:
                    break
                self.wfile.write(b'X-Slow-%d: %s\r\n' % (index, b'a'))
                self.wfile.flush()
                time.sleep(interval)
            self.close_connection = True

        def _endless(self, body: bytes, interval: float = 0.02) -> None:
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            self.wfile.write(b'1\r\n[\r\n')
            end = self._deadline()
            while not server.stopping.is_set() and time.monotonic() < end:
                self.wfile.write(b'2\r\n1,\r\n')
                self.wfile.flush()
                time.sleep(interval)
            self.close_connection = True

        def _nested(self, body: bytes, depth: int = NESTED_DEPTH) -> None:
            self._send(200, b'[' * depth + b']' * depth)

        def _huge(self, body: bytes, megabytes: int = 8, declare: bool = True) -> None:
            size = megabytes * 1024 * 1024
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            if declare:
                self.send_header('Content-Length', str(size + 2))
            else:
                self.send_header('Connection', 'close')
            self.end_headers()
            block = b' ' * 65536
            self.wfile.write(b'[')
            for _ in range(size // len(block)):
                if server.stopping.is_set():
                    break
                self.wfile.write(block)
            self.wfile.write(b']')
            self.close_connection = True

        def _cookies(self, body: bytes, per_answer: int = 20) -> None:
            stamp = time.monotonic_ns()
            headers = [('Set-Cookie', f'JSESSIONID=session-{stamp}; Path=/')]
            headers += [('Set-Cookie', f'flood{stamp}x{index}={"v" * 40}; Path=/') for index in range(per_answer)]
            payload = b'{"ok": true}'
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(payload)))
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Handler


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]
