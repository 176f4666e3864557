"""HEAD is answered like GET without a body; OPTIONS and other known methods a path does not take
with 405 and an ``Allow`` header; an unknown method with 501.

RFC 9110: a server that answers 405 must say which methods the resource supports (``Allow``), and HEAD is
GET without the content. Before, the simulator answered 501 for HEAD/OPTIONS on every path and 405 without
``Allow``.
"""

import socket

import requests

from sim_http import TIMEOUT, post


def _raw(sim, request: bytes) -> bytes:
    """One request on its own connection (``Connection: close``); everything the server sent back."""
    with socket.create_connection((sim.host, sim.port), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)


def test_head_answers_the_headers_of_get_and_no_body(sim):
    post(sim, 'iserver/auth/ssodh/init', {'publish': True, 'compete': True})
    got = requests.get(sim.url + 'iserver/accounts', timeout=TIMEOUT)
    head = requests.head(sim.url + 'iserver/accounts', timeout=TIMEOUT)
    assert head.status_code == got.status_code == 200
    assert head.content == b''
    assert head.headers['Content-Length'] == got.headers['Content-Length'] == str(len(got.content))
    assert head.headers['Content-Type'] == got.headers['Content-Type']
    # on the wire: nothing follows the blank line, so a keep-alive client is not confused by stray bytes
    answer = _raw(sim, b'HEAD /v1/api/iserver/accounts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert answer.split(b'\r\n\r\n', 1)[1] == b''


def test_options_is_405_with_the_allowed_methods(sim):
    response = requests.options(sim.url + 'iserver/watchlist', timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.headers['Allow'] == 'DELETE, GET, HEAD, POST'
    assert response.json()['statusCode'] == 405


def test_a_known_method_the_path_does_not_take_is_405_with_allow(sim):
    response = requests.put(sim.url + 'iserver/accounts', json={}, timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.headers['Allow'] == 'GET, HEAD'
    control = requests.delete(sim.control_url + 'state', timeout=TIMEOUT)
    assert control.status_code == 405 and 'GET' in control.headers['Allow']


def test_unknown_methods_and_paths(sim):
    answer = _raw(sim, b'BREW /v1/api/iserver/accounts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert answer.startswith(b'HTTP/1.1 501 ')  # RFC 9110 15.6.2: a method the server does not recognize
    assert requests.options(sim.url + 'no/such/route', timeout=TIMEOUT).status_code == 404
    malformed = _raw(sim, b'GE-T /v1/api/iserver/accounts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert malformed.startswith(b'HTTP/1.1 400 ')
