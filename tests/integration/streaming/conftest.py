"""Streaming tests: the simulator over TLS, raw WebSocket connections, and IbkrWsClient instances that are
always closed (a test that leaves a thread behind fails in ``no_threads_left``)."""

from __future__ import annotations

import json
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
import requests

from ibind import IbkrClient
from ibind.sim import GatewaySimulator

ACCOUNT = 'DU1234567'
AAPL = 265598


@pytest.fixture
def tls_sim():
    """A simulator over TLS with a frozen clock: time moves only when a test moves it."""
    with GatewaySimulator(port=0, tls=True, frozen_clock=True) as simulator:
        yield simulator


def control(sim: GatewaySimulator, path: str, body: Optional[dict] = None) -> Any:
    method = requests.post if body is not None else requests.get
    response = method(sim.control_url + path, json=body, verify=sim.cacert or False, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def advance(sim: GatewaySimulator, seconds: float) -> None:
    control(sim, 'clock', {'advance': seconds})


def session_value(sim: GatewaySimulator) -> str:
    return requests.get(sim.url + 'tickle', verify=sim.cacert or False, timeout=10).json()['session']


def ws_url(sim: GatewaySimulator) -> str:
    return sim.base_url.replace('https://', 'wss://').replace('http://', 'ws://') + '/v1/api/ws'


def raw_connect(sim: GatewaySimulator, cookie: Optional[str] = None, query: str = ''):
    """A plain websockets connection (the protocol as a third-party client sees it)."""
    from websockets.sync.client import connect

    context = ssl.create_default_context(cafile=sim.cacert) if sim.cacert else None
    headers = {'Cookie': f'api={cookie if cookie is not None else session_value(sim)}'}
    return connect(ws_url(sim) + query, ssl=context, additional_headers=headers, open_timeout=5)


def advance_until_topic(sim: GatewaySimulator, reader: Reader, topic: str, step: float) -> Tuple[int, Dict[str, Any]]:
    """Move the clock ``step`` seconds at a time until a ``topic`` message arrives; (steps taken, the latest).

    An smd update carries only what changed, and a quote can stay put for minutes (a last price in about 1 of 20
    minutes), so a test that needs the next update cannot count on one step."""
    for steps in range(1, 11):
        advance(sim, step)
        found = [m for m in reader.quiet(1.0) if m.get('topic') == topic]
        if found:
            return steps, found[-1]
    raise AssertionError(f'no {topic} message in 10 steps of {step} s; seen: {[m.get("topic") for m in reader.seen]}')


class Reader:
    """Reads JSON messages from a raw connection, keeping everything seen."""

    def __init__(self, connection):
        self.connection = connection
        self.seen: List[Dict[str, Any]] = []

    def until(self, predicate: Callable[[Dict[str, Any]], bool], timeout: float = 5.0) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = self.connection.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            message = json.loads(text)
            self.seen.append(message)
            if predicate(message):
                return message
        raise AssertionError(f'no matching message within {timeout} s; seen: {[m.get("topic") for m in self.seen]}')

    def topic(self, topic: str, timeout: float = 5.0) -> Dict[str, Any]:
        return self.until(lambda m: m.get('topic') == topic, timeout)

    def quiet(self, seconds: float = 0.3) -> List[Dict[str, Any]]:
        """Everything that arrives within ``seconds``."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(json.loads(self.connection.recv(timeout=max(0.01, deadline - time.monotonic()))))
            except TimeoutError:
                break
        self.seen.extend(got)
        return got


@pytest.fixture
def raw(tls_sim):
    with raw_connect(tls_sim) as connection:
        reader = Reader(connection)
        reader.topic('sts')
        yield reader


@pytest.fixture
def rest(tls_sim):
    with IbkrClient(
        url=tls_sim.url, account_id=ACCOUNT, cacert=tls_sim.cacert, pacing=False, order_reconcile_timeout=0.5
    ) as client:
        yield client


def ws_threads() -> List[threading.Thread]:
    """Threads of ibind's stream and of the websockets library (its reader threads)."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith('ibind-ws')
        or 'websockets' in repr(t.run)
        or (getattr(t, '_target', None) is not None and 'websockets' in getattr(t._target, '__module__', ''))
    ]


@pytest.fixture
def make_ws(rest):
    """make_ws(**options) -> a started IbkrWsClient on the simulator, quick to notice failures; closed after."""
    clients = []

    def make(**options):
        options.setdefault('silence_timeout', 2.0)
        options.setdefault('reconnect_backoff', 0.05)
        options.setdefault('reconnect_backoff_max', 0.5)
        options.setdefault('poll_interval', 0.02)
        options.setdefault('open_timeout', 3.0)
        ws = rest.websocket(**options)
        clients.append(ws)
        ws.start()
        assert ws.wait_ready(5)
        return ws

    yield make
    for ws in clients:
        assert ws.close(timeout=5)


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f'condition not met within {timeout} s')
