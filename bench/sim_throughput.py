"""How many sequential requests per second the simulator serves, next to a trivial stdlib server.

    python bench/sim_throughput.py [--requests 3000] [--path sso/validate] [--rounds 3] [--no-env-proxies]

Starts a GatewaySimulator in this process and sends N sequential GETs over one keep-alive
``requests.Session`` on loopback; then the same requests against, in the same run,

* a trivial ``http.server`` that answers a fixed JSON body (the reference the ratio is taken to), and
* a raw socket that answers without parsing anything: what the client alone can do (its ceiling).

The client (requests) costs the same against all three, so the differences are what each server
adds. The best of ``--rounds`` interleaved runs counts (the least disturbed by the rest of the
machine). ``--no-env-proxies`` sets ``trust_env = False`` on the session: requests then skips its
per-request scan of the environment for proxy settings, a large part of the client's cost.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Tuple

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from ibind.sim import GatewaySimulator  # noqa: E402  (after the path tweak, to run from a checkout)

_BODY = json.dumps({'USER_ID': 123456789, 'USER_NAME': 'user1234', 'RESULT': True}).encode()
_RAW_RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' % (
    len(_BODY),
    _BODY,
)


class _TrivialHandler(BaseHTTPRequestHandler):
    """The least a stdlib HTTP/1.1 keep-alive server can do: a fixed JSON answer.

    TCP_NODELAY as on the simulator: without it, the separate header and body writes of
    ``BaseHTTPRequestHandler`` meet Nagle's algorithm and delayed ACKs (~40 ms per request).
    """

    protocol_version = 'HTTP/1.1'

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(_BODY)))
        self.end_headers()
        self.wfile.write(_BODY)

    def log_message(self, format: str, *args) -> None:
        pass


def _raw_socket_server() -> Tuple[socket.socket, int]:
    """A listener whose connections get the fixed answer once per request head, with no parsing at all."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()

    def serve(connection: socket.socket) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b''
        with connection:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                pending += chunk
                while b'\r\n\r\n' in pending:
                    pending = pending.split(b'\r\n\r\n', 1)[1]
                    connection.sendall(_RAW_RESPONSE)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


def _requests_per_second(url: str, count: int, trust_env: bool, warmup: int = 200) -> float:
    with requests.Session() as session:
        session.trust_env = trust_env
        for _ in range(warmup):
            session.get(url).raise_for_status()
        started = time.perf_counter()
        for _ in range(count):
            response = session.get(url)
            if response.status_code != 200:
                raise SystemExit(f'unexpected HTTP {response.status_code} from {url}: {response.text[:200]}')
        return count / (time.perf_counter() - started)


def measure(count: int, path: str, rounds: int, trust_env: bool) -> Dict[str, float]:
    """Best requests/s per server, over ``rounds`` interleaved runs."""
    path = path.lstrip('/')
    trivial = ThreadingHTTPServer(('127.0.0.1', 0), _TrivialHandler)
    trivial.daemon_threads = True
    threading.Thread(target=trivial.serve_forever, daemon=True).start()
    raw, raw_port = _raw_socket_server()
    try:
        with GatewaySimulator(port=0, idle_timeout=0) as sim:
            urls: List[Tuple[str, str]] = [
                ('ibind.sim', sim.url + path),
                ('stdlib http.server (trivial)', f'http://127.0.0.1:{trivial.server_address[1]}/v1/api/{path}'),
                ('raw socket (client ceiling)', f'http://127.0.0.1:{raw_port}/v1/api/{path}'),
            ]
            best: Dict[str, float] = {name: 0.0 for name, _ in urls}
            for _ in range(rounds):
                for name, url in urls:
                    best[name] = max(best[name], _requests_per_second(url, count, trust_env))
    finally:
        trivial.shutdown()
        trivial.server_close()
        raw.close()
    return best


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--requests', type=int, default=3000, help='requests per run (default: 3000)')
    parser.add_argument('--path', default='sso/validate', help='GET path below /v1/api/ (default: sso/validate)')
    parser.add_argument(
        '--rounds', type=int, default=3, help='interleaved runs per server; the best counts (default: 3)'
    )
    parser.add_argument(
        '--no-env-proxies',
        action='store_true',
        help="session.trust_env = False: skip requests' proxy lookups in the environment",
    )
    args = parser.parse_args(argv)

    best = measure(args.requests, args.path, args.rounds, trust_env=not args.no_env_proxies)
    reference = best['stdlib http.server (trivial)']
    session = 'requests.Session(trust_env=False)' if args.no_env_proxies else 'requests.Session'
    print(
        f'{args.requests} sequential GET /v1/api/{args.path.lstrip("/")}, one keep-alive {session}, '
        f'loopback, best of {args.rounds}'
    )
    print(f'{"server":<32}{"req/s":>9}{"vs trivial":>12}')
    for name, rate in best.items():
        print(f'{name:<32}{rate:>9,.0f}{rate / reference:>11.0%}')


if __name__ == '__main__':
    main()
