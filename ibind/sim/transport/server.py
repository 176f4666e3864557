"""The simulator's HTTP(S) server: keep-alive, threaded, and nothing else.

It parses requests, hands them to the ``Gateway``, and writes responses in one write per response
(with TCP_NODELAY) so it is never the bottleneck of a benchmark. Transport-level behaviour a test may
want (latency, dropped connections, a stalled answer, a truncated body) is requested by the gateway
through fields of ``SimResponse`` and carried out here, outside the state lock.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Tuple, Type

from ibind.sim.config import SimConfig
from ibind.sim.gateway import Gateway
from ibind.sim.transport.http import ApiError, SimRequest, SimResponse
from ibind.sim.transport.websocket import is_websocket_upgrade, serve_websocket

if TYPE_CHECKING:
    import ssl

    from ibind.sim.control.client import SimControl
    from ibind.sim.transport.certs import TlsMaterial

_log = logging.getLogger('ibind.sim.server')

API_PREFIX = '/v1/api'
CONTROL_PREFIX = '/sim'
_REASONS = BaseHTTPRequestHandler.responses


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: Tuple[str, int], handler: Type[BaseHTTPRequestHandler], gateway: Gateway) -> None:
        self.gateway = gateway
        self.connections: Set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_all_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


_MAX_LINE = 65536
_MAX_HEADERS = 100
# After refusing a request whose body was not read: how long, and how much, to keep reading and dropping
# what the client still sends before closing (RFC 9112 9.6), so the close does not reset the connection
# under the client's feet and lose the refusal it has not read yet.
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 16 * 1024 * 1024


class _Headers(Dict[str, str]):
    """Request headers by lower-cased name; ``get``, ``[]`` and ``in`` ignore case, as ``email.message.Message``
    does (``[]`` of a missing name is None, like there)."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> Any:
        return dict.get(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())


class _MalformedRequest(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _read_headers(rfile: Any) -> Optional[_Headers]:
    """Header lines up to the blank line (None if the client went away); the first of repeated names wins."""
    headers = _Headers()
    last = None
    for _ in range(_MAX_HEADERS + 1):
        line = rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise _MalformedRequest(431, 'Request Header Fields Too Large')
        if line in (b'\r\n', b'\n'):
            return headers
        if not line:
            return None
        text = line.decode('latin-1')
        if text[0] in ' \t' and last is not None:  # obsolete line folding: a continuation of the previous header
            headers[last] = f'{headers.get(last)} {text.strip()}'
            continue
        name, separator, value = text.partition(':')
        if not separator or not name.strip():
            raise _MalformedRequest(400, 'Bad Request: malformed header line')
        last = name.strip().lower()
        if not dict.__contains__(headers, last):
            headers[last] = value.strip()
    raise _MalformedRequest(431, 'Request Header Fields Too Large')


def _content_length(text: Optional[str]) -> int:
    """The body length a request declares: absent is 0; anything but one whole number >= 0 is a 400.

    A request with a Content-Length that cannot be read cannot be framed: reading it as 0 would run its
    body as the next request on the connection.
    """
    if text is None:
        return 0
    values = {value.strip() for value in text.split(',')}  # "10, 10" (a repeated header) is one length
    if len(values) != 1:
        raise _MalformedRequest(400, 'Bad Request: conflicting Content-Length values')
    value = values.pop()
    if not value.isdigit() or not value.isascii() or len(value) > 18:
        raise _MalformedRequest(400, f'Bad Request: invalid Content-Length {text[:40]!r}')
    return int(value)


_LOOPBACK_HOSTS = frozenset({'localhost', '127.0.0.1', '::1'})


def control_refusal(method: str, headers: Any, extra_hosts: Any = ()) -> Optional[ApiError]:
    """Why a control request (/sim/...) is refused, or None.

    A web page the user visits can send requests to 127.0.0.1: a form POST (no JSON content type), or
    any request after DNS rebinding (a foreign ``Host``). Only a loopback Host (or one the user allowed)
    and, for POST, an ``application/json`` body can drive the simulator; scripts and curl send both.
    """
    host = (headers.get('host') or '').strip().lower()
    if host.startswith('['):
        name = host[1:].partition(']')[0]
    else:
        name = host.rpartition(':')[0] if host.count(':') == 1 else host
    if name not in _LOOPBACK_HOSTS and name not in {h.lower() for h in extra_hosts}:
        return ApiError(
            403,
            f'Forbidden: the control API answers only a loopback Host, not {host[:60]!r} (see SimConfig.control_hosts)',
        )
    if method == 'POST':
        content_type = (headers.get('content-type') or '').split(';')[0].strip().lower()
        if content_type != 'application/json':
            return ApiError(415, 'Unsupported Media Type: control API POSTs take an application/json body')
    return None


# the methods the gateway answers; others 501. HEAD is answered like GET without the body; OPTIONS (and a
# method the path does not take) is 405 with an Allow header, 404 where no route has the path
_METHODS = frozenset({'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'ibind-sim'
    sys_version = ''
    timeout = 300  # idle keep-alive connections are closed after this many seconds
    _date_second = -1  # the second _date_text was formatted for (per connection, see _date_header)
    _date_text = ''
    server: _Server  # the server this handler answers for (socketserver sets it)
    request_headers: _Headers  # this request's headers (instead of the stdlib's email-parsed ``headers``)

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # the simulator is quiet; /sim/state has counters
        pass

    def handle_one_request(self) -> None:
        """Read one request and answer it, like BaseHTTPRequestHandler but with a lean header parser.

        The stdlib parses request headers with the email package, which costs more than everything
        the gateway does for a simple request; plain ``name: value`` lines are all clients send.
        """
        try:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line:
                self.close_connection = True
                return
            if len(line) > _MAX_LINE:
                raise _MalformedRequest(414, 'URI Too Long')
            self.raw_requestline = line
            self.requestline = line.decode('latin-1').rstrip('\r\n')
            words = self.requestline.split()
            if len(words) != 3 or words[2] not in ('HTTP/1.1', 'HTTP/1.0'):
                raise _MalformedRequest(400, 'Bad Request: expected "METHOD /path HTTP/1.1"')
            self.command, self.path, self.request_version = words
            headers = _read_headers(self.rfile)
            if headers is None:
                self.close_connection = True
                return
            self.request_headers = headers
            connection = headers.get('connection', '').lower()
            if self.request_version == 'HTTP/1.0':
                self.close_connection = 'keep-alive' not in connection
            else:
                self.close_connection = 'close' in connection
            if not (self.command.isascii() and self.command.isalpha() and self.command.isupper()):
                raise _MalformedRequest(400, f'Bad Request: malformed method {self.command!r}')
            if self.command not in _METHODS:
                raise _MalformedRequest(501, f'Not Implemented: {self.command}')
            self._handle()
        except _MalformedRequest as error:
            self.close_connection = True
            self._write(ApiError(error.status, error.reason).to_response())
            self._linger()
        except TimeoutError:  # the client sent nothing for ``timeout`` seconds: drop the connection
            self.close_connection = True

    def _linger(self) -> None:
        """Close our side, then drop what the client is still sending until it closes too (bounded).

        Closing a socket with unread input makes the kernel answer with a reset, which can reach the client
        before it has read the refusal just written (a 413 while it still sends a large body): it would
        see a broken pipe or a reset instead of the status.
        """
        connection = self.connection
        deadline = time.monotonic() + _LINGER_SECONDS
        dropped = 0
        try:
            connection.shutdown(socket.SHUT_WR)
            while dropped < _LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                connection.settimeout(left)
                chunk = connection.recv(65536)
                if not chunk:
                    break
                dropped += len(chunk)
        except OSError:  # the client reset or went away first; timeouts are OSErrors too
            pass

    def _date_header(self) -> str:
        """The Date header, formatted once per second per connection."""
        second = int(time.time())
        if second != self._date_second:
            self._date_second = second
            self._date_text = email.utils.formatdate(second, usegmt=True)
        return self._date_text

    def _handle(self) -> None:
        gateway: Gateway = self.server.gateway
        if self.path.startswith('/'):
            path, _, query = self.path.partition('?')
            path = path.partition('#')[0]
        else:  # absolute form (http://host/path), as sent to proxies
            split = urllib.parse.urlsplit(self.path)
            path, query = split.path, split.query
        query_all = urllib.parse.parse_qs(query, keep_blank_values=True) if query else {}
        length_header = self.request_headers.get('Content-Length')
        if (
            length_header is None
            and self.command in ('POST', 'PUT', 'PATCH')
            and gateway.config.require_content_length
            and path.startswith(API_PREFIX)
        ):
            self._write(ApiError(411, 'Length Required').to_response())
            self.close_connection = True
            return
        if 'transfer-encoding' in self.request_headers:  # not read here: its body would be taken for the next request
            raise _MalformedRequest(411, 'Length Required: send a Content-Length, not Transfer-Encoding')
        length = _content_length(length_header)
        if length > gateway.config.max_body_bytes:  # refused unread; the connection closes
            raise _MalformedRequest(413, f'Payload Too Large: at most {gateway.config.max_body_bytes} bytes')
        if length > 0 and self.request_headers.get('expect', '').lower() == '100-continue':
            self.wfile.write(b'HTTP/1.1 100 Continue\r\n\r\n')  # only once the body is known to be welcome
        raw_body = self.rfile.read(length) if length > 0 else b''
        request = SimRequest(
            method=self.command,
            path='',
            query={k: v[-1] for k, v in query_all.items()},
            query_all=query_all,
            raw_body=raw_body,
            headers=self.request_headers,
            full_path=self.path,
            client=self.client_address[0],
        )
        if path == API_PREFIX + '/ws' and self.command == 'GET' and is_websocket_upgrade(self.request_headers):
            serve_websocket(self, gateway, request)  # the connection is the WebSocket's until it ends
            return
        try:
            response = self._dispatch(gateway, request, path)
        except Exception:  # a bug in a route must not cost the connection its answer, nor the server its thread
            _log.exception('the simulator failed on %s %s', self.command, path)
            response = ApiError(500, 'Internal Server Error').to_response()
            self.close_connection = True
        self._deliver(response)

    def _dispatch(self, gateway: Gateway, request: SimRequest, path: str) -> SimResponse:
        if path == API_PREFIX or path.startswith(API_PREFIX + '/'):
            request.path = path[len(API_PREFIX) :] or '/'
            response = gateway.handle(request)
        elif path.startswith(CONTROL_PREFIX + '/'):
            request.path = path[len(CONTROL_PREFIX) :]
            refusal = control_refusal(self.command, self.request_headers, gateway.config.control_hosts)
            response = refusal.to_response() if refusal else gateway.handle_control(request)
        else:
            from ibind.sim.transport.http import html_not_found

            response = html_not_found()
        return response

    def _deliver(self, response: SimResponse) -> None:
        try:
            if response.delay > 0:
                time.sleep(response.delay)
            if response.transport == 'drop':
                self._drop()
                return
            self._write(response)
        finally:
            for callback in response.on_complete:
                callback()

    def _write(self, response: SimResponse) -> None:
        payload = response.encode()
        if response.transport == 'truncate':  # half the body, honestly framed: the JSON itself is broken
            payload = payload[: max(1, len(payload) // 2)]
        declared = len(payload)
        lines = [
            f'HTTP/1.1 {response.status} {_REASONS.get(response.status, ("",))[0]}',
            f'Server: {self.server_version}',
            f'Date: {self._date_header()}',
            f'Content-Type: {response.resolved_content_type()}',
            f'Content-Length: {declared}',
        ]
        lines += [f'{key}: {value}' for key, value in response.headers.items()]
        if self.close_connection:
            lines.append('Connection: close')
        head = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
        if getattr(self, 'command', None) == 'HEAD':  # [fullapi] the headers of the GET answer, no body
            payload = b''
        try:
            self.wfile.write(head + payload)
        except OSError:  # the client went away (timed out); nothing to answer
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class GatewaySimulator:
    """A running simulator: ``with GatewaySimulator(port=0) as sim: IbkrClient(url=sim.url, ...)``.

    Arguments beyond host/port/tls are SimConfig fields (seed, accounts, idle_timeout, pacing, ...).
    With ``tls=True`` the server uses a certificate made at start-up; ``sim.cacert`` is the CA file
    that makes a client verify it.
    """

    def __init__(
        self,
        host: str = '127.0.0.1',
        port: int = 0,
        tls: bool = False,
        config: Optional[SimConfig] = None,
        tls_dir: Optional[str] = None,
        **options: Any,
    ):
        self.host = host
        self.port = port
        self.tls = tls
        self.config = config if config is not None else SimConfig.from_kwargs(**options)
        if config is not None and options:
            raise TypeError('pass either config= or simulator options, not both')
        self.gateway = Gateway(self.config)
        self.gateway.public_scheme = 'https' if tls else 'http'
        self.gateway.restart_hook = self._restart_in_background
        self._tls_dir = tls_dir
        self._tls_material: Optional[TlsMaterial] = None
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._ssl_context: Optional[ssl.SSLContext] = None

    # -- lifecycle
    def start(self) -> GatewaySimulator:
        if self._server is not None:
            return self
        if self.tls and self._ssl_context is None:
            from ibind.sim.transport.certs import make_tls_material

            directory = self._tls_dir or tempfile.mkdtemp(prefix='ibind-sim-tls-')
            material = make_tls_material(directory)
            self._tls_material = material
            self._ssl_context = material.server_context()
        self._listen()
        return self

    def _listen(self) -> None:
        server = _Server((self.host, self.port), _Handler, self.gateway)
        if self._ssl_context is not None:
            server.socket = self._ssl_context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={'poll_interval': 0.05}, name=f'ibind-sim-{self.port}', daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_all_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def restart(self, down_for: float = 0.0) -> None:
        """Close the listening socket and every connection, stay down ``down_for`` seconds, listen again."""
        self.stop()
        if down_for > 0:
            time.sleep(down_for)
        self._listen()

    def _restart_in_background(self, down_for: float) -> None:
        """Restart from a request handler: answer first, then go down (the control API uses this)."""

        def restart() -> None:
            time.sleep(0.05)
            if self.running:
                self.restart(down_for)

        threading.Thread(target=restart, name='ibind-sim-restart', daemon=True).start()

    @property
    def control(self) -> SimControl:
        """A small Python client of the control API (/sim/...): state, clock, session, faults, restart."""
        from ibind.sim.control.client import SimControl

        return SimControl(self.control_url, verify=self.cacert or False)

    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- addresses
    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        scheme = 'https' if self.tls else 'http'
        host = 'localhost' if self.tls and self.host in ('127.0.0.1', '::1') else self.host
        return f'{scheme}://{host}:{self.port}'

    @property
    def url(self) -> str:
        """The REST base URL, ending in /v1/api/ (what IbkrClient takes as ``url``)."""
        return f'{self.base_url}{API_PREFIX}/'

    @property
    def control_url(self) -> str:
        return f'{self.base_url}{CONTROL_PREFIX}/'

    @property
    def cacert(self) -> Optional[str]:
        """Path of the CA certificate to verify the TLS server with (None without TLS)."""
        return self._tls_material.ca_path if self._tls_material else None
