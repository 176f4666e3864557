"""The client against a gateway that redirects, drips, never ends, nests, floods cookies, or is not there.

Each case asserts the exact exception, that nothing was done twice or sent elsewhere, and a generous time
bound on how long failing takes (the figures are bounds, not speed measurements).
"""

import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from hostile_server import HostileServer, refused_port

from ibind import IbkrClient
from ibind.base.rest_client import RestClient
from ibind.base.retry import RetryPolicy
from ibind.sim.transport.certs import make_tls_material
from ibind.support.errors import (
    BadResponseError,
    GatewayUnreachableError,
    OutcomeUnknownError,
    RedirectError,
    RequestTimeoutError,
    TLSError,
)

ORDER = {'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'MKT', 'tif': 'DAY'}
ORDER_PATH = 'iserver/account/DU1/orders'
FAST = RetryPolicy(max_retries=3, backoff=0.01, jitter=0)


def ibkr(url, **options):
    options.setdefault('cacert', False)
    options.setdefault('pacing', False)
    options.setdefault('order_reconcile_timeout', 0.3)
    return IbkrClient(url=url, account_id='DU1', **options)


def failing(call):
    """(the exception call raised, seconds it took)."""
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        call()
    return info.value, time.monotonic() - started


@pytest.fixture
def hostile():
    with HostileServer() as server:
        yield server


def _server_context(material):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(material.cert_path, material.key_path)
    return context


@pytest.fixture
def tls_hostile(tls_material):
    with HostileServer(ssl_context=_server_context(tls_material)) as server:
        yield server


# --------------------------------------------------------------------------- redirects


def test_307_on_an_order_is_not_followed_and_means_not_placed(hostile):
    with HostileServer() as elsewhere:
        hostile.behave('POST', ORDER_PATH, 'redirect', status=307, location=elsewhere.url() + ORDER_PATH)
        with ibkr(hostile.url()) as client:
            error, seconds = failing(lambda: client.place_order(ORDER, answers={}))
            assert client.pending_orders() == []
        assert type(error) is RedirectError
        assert error.status_code == 307 and error.location == elsewhere.url() + ORDER_PATH
        assert 'not placed' in str(error) and elsewhere.url() in str(error)
        assert elsewhere.count() == 0  # the order JSON never went to the other host
        assert hostile.count('POST', ORDER_PATH) == 1 and hostile.count('GET') == 0  # not "reconciled" either
        assert seconds < 2


def test_302_on_a_get_does_not_return_another_hosts_data(hostile):
    with HostileServer() as elsewhere:
        hostile.behave('GET', 'portfolio/accounts', 'redirect', status=302, location=elsewhere.url() + 'x')
        with ibkr(hostile.url()) as client:
            error, _ = failing(client.portfolio_accounts)
        assert type(error) is RedirectError and error.status_code == 302
        assert elsewhere.count() == 0


# --------------------------------------------------------------------------- nothing sent is never "unknown"


def test_wrong_ca_fails_at_once_as_tls_error_for_an_order(tls_hostile, tmp_path):
    other_ca = make_tls_material(str(tmp_path)).ca_path
    with ibkr(tls_hostile.url(), cacert=other_ca, order_reconcile_timeout=5) as client:
        error, seconds = failing(lambda: client.place_order(ORDER, answers={}))
        assert client.pending_orders() == []
    assert type(error) is TLSError and not isinstance(error, OutcomeUnknownError)
    assert 'cacert' in str(error) and 'IBIND_REST_URL' in str(error)
    assert tls_hostile.count() == 0
    assert seconds < 2


def test_missing_ca_on_a_get_is_not_retried(tls_hostile):
    client = RestClient(tls_hostile.url(), cacert=True, retry_policy=FAST)  # the system CAs do not know it
    sleeps = []
    client._sleep = sleeps.append
    error, seconds = failing(lambda: client.get('portfolio/accounts'))
    assert type(error) is TLSError and sleeps == [] and seconds < 2


def test_https_against_an_http_server_is_a_tls_error(hostile):
    with ibkr(hostile.url(scheme='https')) as client:
        error, seconds = failing(lambda: client.place_order(ORDER, answers={}))
    assert type(error) is TLSError and 'http:// vs https://' in str(error)
    assert hostile.count() == 0 and seconds < 2


def test_certificate_for_the_wrong_name_is_a_tls_error(tmp_path):
    wrong_name = make_tls_material(str(tmp_path), hosts=('wrong.example',), ips=())
    with HostileServer(ssl_context=_server_context(wrong_name)) as server:
        with ibkr(server.url(), cacert=wrong_name.ca_path) as client:
            error, seconds = failing(client.portfolio_accounts)
        assert type(error) is TLSError and server.count() == 0 and seconds < 2
    assert not str(error).endswith('...') or ' ' in str(error)[-40:]  # cut at a word, if at all


def test_refused_connection_fails_within_2s_for_orders_gets_and_health():
    url = f'http://127.0.0.1:{refused_port()}/v1/api/'
    with ibkr(url, pacing=True, order_reconcile_timeout=5) as client:
        started = time.monotonic()
        assert client.check_health() is False
        assert time.monotonic() - started < 2
        error, seconds = failing(lambda: client.place_order(ORDER, answers={}))
        assert type(error) is GatewayUnreachableError and seconds < 2
        assert 'gateway running' in str(error)
        # /portfolio/accounts is paced at 1 per 5 s: refused attempts must not use up its slot
        for _ in range(2):
            error, seconds = failing(client.portfolio_accounts)
            assert type(error) is GatewayUnreachableError and seconds < 2
        assert client.pending_orders() == []


def test_pacer_waits_are_logged_as_the_pacers(hostile, caplog):
    from ibind.base.pacing import Pacer

    with ibkr(hostile.url(), pacing=Pacer(global_rate=1.5, limits=())) as client:
        with caplog.at_level('INFO', logger='ibind.pacing'):
            client.portfolio_accounts()
            client.portfolio_accounts()
    waits = [r.getMessage() for r in caplog.records if r.name == 'ibind.pacing']
    assert len(waits) == 1 and 'waited' in waits[0] and 'global rate' in waits[0], waits


# --------------------------------------------------------------------------- whole-request deadline, body size


@pytest.mark.parametrize('kind', ['drip_body', 'drip_headers', 'endless'])
def test_a_get_that_never_completes_ends_at_the_total_deadline(hostile, kind):
    hostile.behave('GET', 'portfolio/accounts', kind)
    with ibkr(hostile.url(), timeout=0.5, total_timeout=1.0, max_retries=0) as client:
        error, seconds = failing(client.portfolio_accounts)
    assert type(error) is RequestTimeoutError and 'total_timeout' in str(error)
    assert seconds < 3


def test_a_get_past_its_total_deadline_is_not_retried(hostile):
    """total_timeout bounds the whole call: retries of a dripping answer would only multiply it."""
    hostile.behave('GET', 'portfolio/accounts', 'drip_body')
    with ibkr(hostile.url(), timeout=0.5, total_timeout=1.0, max_retries=3) as client:
        error, seconds = failing(client.portfolio_accounts)
    assert type(error) is RequestTimeoutError and 'total_timeout' in str(error)
    assert seconds < 3


@pytest.mark.parametrize('kind', ['drip_body', 'endless'])
def test_an_order_that_never_completes_is_reconciled_and_does_not_block_other_orders(hostile, kind):
    hostile.behave('POST', ORDER_PATH, kind)
    with ibkr(hostile.url(), timeout=0.5, total_timeout=1.0) as client:
        outcomes = {}

        def place(name):
            try:
                client.place_order(dict(ORDER, cOID=name), answers={})
            except Exception as error:  # noqa: BLE001 - the test inspects it
                outcomes[name] = error

        started = time.monotonic()
        threads = [threading.Thread(target=place, args=(f'ord-{n}',)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        seconds = time.monotonic() - started
        pending = {entry['coid'] for entry in client.pending_orders()}
    assert set(outcomes) == {'ord-0', 'ord-1'}
    for name, error in outcomes.items():
        assert type(error) is OutcomeUnknownError and error.coid == name
    assert pending == {'ord-0', 'ord-1'}
    assert seconds < 6  # two orders one after the other, each bounded by 1 s + 0.3 s of reconciliation


@pytest.mark.parametrize('declare', [True, False])
def test_a_body_over_max_body_bytes_is_a_bad_response(hostile, declare):
    hostile.behave('GET', 'portfolio/accounts', 'huge', megabytes=4, declare=declare)
    with ibkr(hostile.url(), max_body_bytes=1024 * 1024) as client:
        error, seconds = failing(client.portfolio_accounts)
    assert type(error) is BadResponseError and 'max_body_bytes' in str(error)
    assert seconds < 3


def test_json_nested_100000_deep_is_a_bad_response(hostile):
    hostile.behave('GET', 'portfolio/accounts', 'nested')
    with ibkr(hostile.url()) as client:
        error, _ = failing(client.portfolio_accounts)
    assert type(error) is BadResponseError and 'nested' in str(error)


def test_json_nested_100000_deep_in_an_order_answer_is_reconciled(hostile):
    hostile.behave('POST', ORDER_PATH, 'nested')
    with ibkr(hostile.url()) as client:
        error, _ = failing(lambda: client.place_order(dict(ORDER, cOID='deep-1'), answers={}))
        assert [entry['coid'] for entry in client.pending_orders()] == ['deep-1']
    assert type(error) is OutcomeUnknownError and error.coid == 'deep-1'
    assert hostile.count('GET', 'iserver/account/orders') >= 1  # it looked for the order


# --------------------------------------------------------------------------- cookies, warnings


def test_a_cookie_flood_does_not_grow_the_cookie_header(hostile):
    hostile.behave('GET', 'portfolio/accounts', 'cookies', per_answer=20)
    with ibkr(hostile.url()) as client:
        for _ in range(30):
            client.portfolio_accounts()
        cookie_header = hostile.headers_of_last().get('Cookie', '')
        names = [cookie.name for cookie in client._session.cookies]
    assert len(names) <= 50 and 'JSESSIONID' in names
    assert len(cookie_header) <= 8192 + 2000
    assert 'JSESSIONID=' in cookie_header


def test_cacert_false_prints_no_insecure_request_warning(tls_hostile):
    code = textwrap.dedent(f"""
        import logging, warnings, requests
        from ibind import IbkrClient
        filters_before = list(warnings.filters)
        with IbkrClient(url={tls_hostile.url()!r}, account_id='DU1', cacert=False, pacing=False) as client:
            for _ in range(3):
                client.portfolio_accounts()
        assert warnings.filters == filters_before, 'ibind changed the global warning filters'
        with warnings.catch_warnings(record=True) as caught:  # other sessions still get urllib3's warning
            warnings.simplefilter('always')
            requests.get({tls_hostile.url()!r} + 'x', verify=False)
        print('others warned:', any('Unverified' in str(w.message) for w in caught))
    """)
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert 'InsecureRequestWarning' not in proc.stderr and 'Unverified' not in proc.stderr
    assert 'others warned: True' in proc.stdout


# --------------------------------------------------------------------------- a TLS handshake that drips


@pytest.fixture
def handshake_dripper():
    """A TCP server that answers a TLS ClientHello with a record header announcing 16 kB, then one byte of it
    every 0.2 s: each read gets a byte well within the read timeout, and the handshake never completes."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()
    stop = threading.Event()
    accepted = []

    def serve(connection):
        with connection:
            connection.recv(4096)  # the ClientHello
            connection.sendall(b'\x16\x03\x03\x40\x00')  # a handshake record of 16,384 bytes is coming
            deadline = time.monotonic() + 15
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    connection.sendall(b'\x02')
                except OSError:
                    return
                stop.wait(0.2)

    def accept():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f'https://127.0.0.1:{listener.getsockname()[1]}/v1/api/', accepted
    stop.set()
    listener.close()


def test_a_dripping_tls_handshake_ends_at_the_total_deadline_as_not_sent(handshake_dripper):
    url, accepted = handshake_dripper
    with ibkr(url, timeout=0.5, total_timeout=1.0, max_retries=3) as client:
        error, seconds = failing(client.portfolio_accounts)
        assert isinstance(error, TLSError) and 'handshake did not complete' in str(error), error
        assert seconds < 3 and len(accepted) == 1  # never retried
        error, seconds = failing(lambda: client.place_order(ORDER, answers={}))
    assert isinstance(error, TLSError) and seconds < 3  # nothing was sent: not placed, nothing to reconcile


def test_a_stalled_handshake_gives_back_its_pacing_slot(handshake_dripper):
    url, _ = handshake_dripper
    with ibkr(url, timeout=0.5, total_timeout=1.0, pacing=True) as client:  # live orders: 1 per 5 s
        failing(client.live_orders)
        error, seconds = failing(client.live_orders)
    assert isinstance(error, TLSError) and seconds < 3  # no 5 s wait for a slot the first call never used
