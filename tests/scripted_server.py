"""A loopback HTTP(S) server whose answers each test scripts, for testing the transport layer.

Unscripted requests get a 200 JSON echo of what arrived, so a test can check that every Result
belongs to its own request. Scripted replies can delay, drop the connection, send HTML or broken
JSON; every request that arrived is recorded, so a test can count what really reached the server.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Deque, Dict, List, Optional, Tuple


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON; str/bytes -> sent as is
    content_type: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait after receiving, before answering
    drop: bool = False  # close the connection without answering


@dataclass
class Received:
    method: str
    path: str
    query: Dict[str, List[str]]
    body: bytes
    headers: Dict[str, str]
    client_port: int = 0


class ScriptedServer:
    def __init__(self, ssl_context=None, port: int = 0):
        self._scripts: Dict[Tuple[str, str], Deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.received: List[Received] = []
        self._ssl_context = ssl_context
        self._port = port
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle
    def start(self) -> ScriptedServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(('127.0.0.1', self._port), handler)
        self._server.daemon_threads = True
        if self._ssl_context is not None:
            self._server.socket = self._ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    def url(self, host: str = '127.0.0.1') -> str:
        scheme = 'https' if self._ssl_context is not None else 'http'
        return f'{scheme}://{host}:{self._port}/v1/api/'

    # -- scripting and inspection
    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[(method.upper(), path)].extend(replies)

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.received if r.method == method.upper() and r.path == path)

    def _next_reply(self, method: str, path: str) -> Optional[Reply]:
        with self._lock:
            queue = self._scripts.get((method, path))
            return queue.popleft() if queue else None

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)


def _make_handler(server: ScriptedServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _handle(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            received = Received(
                self.command,
                parsed.path,
                urllib.parse.parse_qs(parsed.query),
                body,
                dict(self.headers.items()),
                self.client_address[1],
            )
            server._record(received)
            reply = server._next_reply(self.command, parsed.path) or Reply(
                body={
                    'method': self.command,
                    'path': parsed.path,
                    'query': received.query,
                    'json': json.loads(body) if body else None,
                }
            )
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            payload, ctype = _encode(reply)
            self.send_response(reply.status)
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(payload)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout); nothing to do
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Handler


def _encode(reply: Reply) -> Tuple[bytes, str]:
    if reply.body is None:
        return b'', reply.content_type or 'application/json'
    if isinstance(reply.body, (dict, list)):
        return json.dumps(reply.body).encode(), reply.content_type or 'application/json'
    data = reply.body.encode() if isinstance(reply.body, str) else reply.body
    return data, reply.content_type or 'text/plain'
