"""A simulator that cannot be knocked over: hostile HTTP, hostile control-API values, hostile --instruments files.

Every case answers 4xx (or the CLI exits 2 with one line), and the server goes on serving.
"""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from ibind.sim import GatewaySimulator

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
ACCOUNT = 'DU1234567'


@pytest.fixture(scope='module')
def sim():
    with GatewaySimulator(port=0, max_body_bytes=1_000_000) as simulator:
        yield simulator


def exchange(sim, raw: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes on a new connection, close our side, read the whole answer."""
    with socket.create_connection((sim.host, sim.port), timeout=timeout) as connection:
        connection.sendall(raw)
        try:
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        while True:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b''.join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b' ', 2)[1])


def still_serving(sim) -> None:
    assert requests.get(sim.url + 'tickle', timeout=10).status_code == 200


def post_raw(sim, path: str, body: bytes, headers: str = '') -> bytes:
    head = (
        f'POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
        f'Content-Length: {len(body)}\r\n{headers}\r\n'
    ).encode()
    return exchange(sim, head + body)


# ----------------------------------------------------------------- HTTP edge cases


@pytest.mark.parametrize('path', ['/v1/api/iserver/account/DU1234567/orders', '/sim/faults'])
def test_json_nested_100000_deep_is_a_400(sim, path):
    answer = post_raw(sim, path, b'[' * 100_000 + b']' * 100_000)
    assert status_of(answer) == 400, answer[:200]
    still_serving(sim)


def test_a_huge_content_length_is_413_without_reading_the_body(sim):
    answer = exchange(
        sim, b'POST /v1/api/tickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000000000\r\n\r\n{}'
    )
    assert status_of(answer) == 413 and b'Connection: close' in answer
    still_serving(sim)


def test_a_body_above_the_limit_is_413(sim):
    answer = post_raw(sim, '/v1/api/tickle', b' ' * 1_000_001)
    assert status_of(answer) == 413
    still_serving(sim)


def test_a_client_still_sending_a_refused_body_reads_the_413_and_a_clean_close(sim):
    """The refusal comes before the body is sent; the rest of the body must not meet a reset."""
    body = b' ' * 1_000_001
    head = (
        f'POST /v1/api/tickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
        f'Content-Length: {len(body)}\r\n\r\n'
    ).encode()
    with socket.create_connection((sim.host, sim.port), timeout=10) as connection:
        connection.sendall(head + body[:1000])
        answer = connection.recv(65536)
        while b'\r\n\r\n' not in answer:
            answer += connection.recv(65536)
        assert status_of(answer) == 413
        time.sleep(0.2)  # the server has closed its side by now
        connection.sendall(body[1000:])  # a reset would fail this: broken pipe or connection reset
        connection.shutdown(socket.SHUT_WR)
        rest = connection.recv(65536)
        while rest:
            answer += rest
            rest = connection.recv(65536)
    assert answer.count(b'HTTP/1.1 ') == 1
    still_serving(sim)


def test_expect_100_continue_is_answered_only_for_a_body_that_will_be_read(sim):
    def head(length: int) -> bytes:
        return (
            f'POST /v1/api/tickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
            f'Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n'
        ).encode()

    with socket.create_connection((sim.host, sim.port), timeout=10) as connection:
        connection.sendall(head(2_000_000))  # too large: refused at once, no invitation to send it
        assert connection.recv(65536).startswith(b'HTTP/1.1 413 ')
    with socket.create_connection((sim.host, sim.port), timeout=10) as connection:
        connection.sendall(head(2))
        assert connection.recv(65536) == b'HTTP/1.1 100 Continue\r\n\r\n'
        connection.sendall(b'{}')
        assert connection.recv(65536).startswith(b'HTTP/1.1 200 ')


@pytest.mark.parametrize('value', ['abc', '-5', '1.5', '0x10', '10, 20', '', '٣'])
def test_an_invalid_content_length_is_a_400_and_the_body_is_never_run_as_a_request(sim, value):
    smuggled = (
        b'POST /sim/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'
    )
    answer = exchange(
        sim, f'POST /v1/api/tickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {value}\r\n\r\n'.encode() + smuggled
    )
    assert status_of(answer) == 400, answer[:200]
    assert answer.count(b'HTTP/1.1 ') == 1  # one answer: the body was not a second request
    still_serving(sim)


def test_a_chunked_body_is_refused_rather_than_misread(sim):
    answer = exchange(
        sim, b'POST /v1/api/tickle HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
    )
    assert status_of(answer) == 411 and answer.count(b'HTTP/1.1 ') == 1


# ----------------------------------------------------------------- the control API


@pytest.mark.parametrize(
    'body',
    [
        b'{"advance": NaN}',
        b'{"advance": Infinity}',
        b'{"set": -Infinity}',
        b'{"set": 1e300}',
        b'{"set": 1e400}',
        b'{"advance": "60"}',
        b'{"advance": true}',
        b'{"advance": -1}',
        b'{"freeze": "yes"}',
        b'{"advance": 1e12}',
        b'[1]',
        b'"x"',
    ],
)
def test_clock_values_the_simulator_cannot_use_are_400(sim, body):
    before = requests.get(sim.control_url + 'clock', timeout=10).json()['now']
    answer = post_raw(sim, '/sim/clock', body)
    assert status_of(answer) == 400, (body, answer[:300])
    after = requests.get(sim.control_url + 'clock', timeout=10).json()['now']
    assert 0 <= after - before < 60  # the clock did not move
    still_serving(sim)


@pytest.mark.parametrize(
    'change',
    [
        {'penalty_box': float('nan')},
        {'global_rate': 0},
        {'global_rate': 1e300},
        {'latency': {'/tickle': 1e300}},
        {'latency': {'/tickle': -1}},
        {'pacing': 'yes'},
        {'idle_timeout': 'soon'},
        {'latency': [1]},
    ],
)
def test_config_values_the_simulator_cannot_use_are_400(sim, change):
    body = json.dumps(change).encode()  # json.dumps writes NaN as NaN, as a careless client would
    assert status_of(post_raw(sim, '/sim/config', body)) == 400, change
    still_serving(sim)


@pytest.mark.parametrize(
    'rule',
    [
        {'route': '/tickle', 'kind': 'latency', 'seconds': 1e300},
        {'route': '/tickle', 'kind': 'latency', 'seconds': '5'},
        {'route': '/tickle', 'kind': 'status', 'status': 99999},
        {'route': '/tickle', 'kind': 'status', 'status': 'teapot'},
        {'route': '/tickle', 'kind': 'status', 'probability': '0.5'},
        {'route': '/tickle', 'kind': 'status', 'method': 5},
        {'route': '/tickle', 'kind': 'status', 'times': 1.5},
        {'route': 5, 'kind': 'status'},
    ],
)
def test_fault_rules_the_simulator_cannot_use_are_400(sim, rule):
    response = requests.post(sim.control_url + 'faults', json=rule, timeout=10)
    assert response.status_code == 400, (rule, response.text)
    assert requests.get(sim.control_url + 'faults', timeout=10).json()['rules'] == []
    still_serving(sim)


def test_control_posts_must_be_json(sim):
    for headers in ({'Content-Type': 'application/x-www-form-urlencoded'}, {'Content-Type': 'text/plain'}, {}):
        response = requests.post(sim.control_url + 'reset', data=b'{}', headers=headers, timeout=10)
        assert response.status_code == 415, headers
    assert requests.post(sim.control_url + 'reset', json={}, timeout=10).status_code == 200


@pytest.mark.parametrize('host', ['evil.example', 'evil.example:5000', '127.0.0.1.evil.example', ''])
def test_control_api_refuses_a_foreign_host(sim, host):
    answer = exchange(sim, f'GET /sim/state HTTP/1.1\r\nHost: {host}\r\n\r\n'.encode())
    assert status_of(answer) == 403
    answer = post_raw(sim, '/sim/reset', b'{}')
    assert status_of(answer) == 200


@pytest.mark.parametrize('host', ['localhost', 'localhost:5000', '127.0.0.1:1', '[::1]:5000'])
def test_control_api_accepts_loopback_hosts(sim, host):
    assert status_of(exchange(sim, f'GET /sim/clock HTTP/1.1\r\nHost: {host}\r\n\r\n'.encode())) == 200


def test_control_hosts_allows_more_names():
    with GatewaySimulator(port=0, control_hosts=('sim.internal',)) as simulator:
        answer = exchange(simulator, b'GET /sim/clock HTTP/1.1\r\nHost: sim.internal:8000\r\n\r\n')
        assert status_of(answer) == 200


# ----------------------------------------------------------------- hostile --instruments files

HOSTILE_FILES = {
    'not-json.json': b'hello',
    'a-string.json': b'"abc"',
    'numbers.json': b'[1, 2, 3]',
    'conid-text.json': b'[{"conid": "abc", "symbol": "X"}]',
    'conid-huge.json': b'[{"conid": 1e300, "symbol": "X"}]',
    'symbol-number.json': b'[{"conid": 5, "symbol": 5}]',
    'price-nan.json': b'[{"conid": 5, "symbol": "X", "price": NaN}]',
    'price-negative.json': b'[{"conid": 5, "symbol": "X", "price": -1}]',
    'tick-zero.json': b'[{"conid": 5, "symbol": "X", "tick": 0}]',
    'deep.json': b'[' * 100_000 + b']' * 100_000,
    'binary.json': b'\xff\xfe\x00\x01' * 10,
    'own-underlying.json': b'[{"conid": 5, "symbol": "X", "sec_type": "OPT", "underlying_conid": 5}]',
    'sec-type-number.json': b'[{"conid": 5, "symbol": "X", "sec_type": 7}]',
}


@pytest.mark.parametrize('name', sorted(HOSTILE_FILES))
def test_a_hostile_instruments_file_exits_2_with_one_line(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(HOSTILE_FILES[name])
    env = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run(
        [sys.executable, '-m', 'ibind.sim', '--port', '0', '--instruments', str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and 'Traceback' not in result.stderr, result.stderr
