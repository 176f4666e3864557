"""IbkrWsClient survives what ends IBKR streams in practice: dropped connections, a silent socket, a gateway
restart, the brokerage session lost, a competing session, malformed frames, the 15-minute smd expiry; and
``close()`` leaves no thread behind. Time bounds are generous: they catch a client that never recovers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from conftest import (
    AAPL,
    ACCOUNT,
    advance,
    control,
    raw_connect,
    wait_until,
    ws_threads,
)

from ibind import IbkrClient, IbkrWsClient, IbkrWsKey, RestClient
from ibind.client.ws_subscriptions import SubscriptionState

pytestmark = pytest.mark.timeout(90)


def _fresh_tick(ws, sim, channel, after_ms=None):
    """Advance the clock until a market data message of ``channel`` newer than ``after_ms`` arrives."""
    for _ in range(50):
        advance(sim, 60)
        message = ws.get(IbkrWsKey.MARKET_DATA, timeout=0.3)
        while message is not None:
            if message.channel == channel and (after_ms is None or message.data['_updated'] > after_ms):
                return message
            message = ws.get(IbkrWsKey.MARKET_DATA)
    raise AssertionError(f'no fresh message for {channel}')


def test_dropped_connection_reconnects_and_resubscribes_everything(tls_sim, make_ws, rest):
    rest.portfolio_accounts()
    ws = make_ws()
    subscriptions = [
        ws.subscribe(f'md+{AAPL}', {'fields': ['31']}),
        ws.subscribe('md+8314', {'fields': ['31']}),
        ws.subscribe('or'),
        ws.subscribe('pl'),
        ws.subscribe(f'ld+{ACCOUNT}'),
    ]
    assert all(s.wait_active(5) for s in subscriptions)
    before = _fresh_tick(ws, tls_sim, f'md+{AAPL}').data['_updated']
    assert control(tls_sim, 'ws', {'fault': 'drop'})['affected'] == 1
    wait_until(lambda: ws.stats['event_connected'] == 2, timeout=10)
    assert all(s.wait_active(5) for s in subscriptions), [(s.channel, s.state) for s in subscriptions]
    _fresh_tick(ws, tls_sim, f'md+{AAPL}', after_ms=before)
    assert sorted(control(tls_sim, 'ws')['connections'][0]['smd']) == sorted([str(AAPL), '8314'])


def test_silent_socket_is_detected_and_reset(tls_sim, make_ws):
    ws = make_ws(silence_timeout=1.0)
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': ['31']})
    assert subscription.wait_active(5)
    control(tls_sim, 'ws', {'fault': 'silence'})
    started = time.monotonic()
    wait_until(lambda: ws.stats['event_silent'] == 1, timeout=10)
    assert time.monotonic() - started < 5  # 1 s of silence, with a generous margin
    wait_until(lambda: ws.stats['event_connected'] == 2, timeout=10)
    assert subscription.wait_active(5)


def test_gateway_restart_reconnects_with_back_off(tls_sim, make_ws):
    ws = make_ws()
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': ['31']})
    assert subscription.wait_active(5)
    control(tls_sim, 'restart', {'down_for': 1.0})
    wait_until(lambda: ws.state == 'reconnecting', timeout=5)
    wait_until(lambda: ws.stats['event_connected'] == 2, timeout=15)
    assert subscription.wait_active(5)


def test_reconnect_attempts_back_off_exponentially():
    import socket

    from ibind.base.ws_client import WsClient

    with socket.socket() as placeholder:  # a port nothing listens on
        placeholder.bind(('127.0.0.1', 0))
        port = placeholder.getsockname()[1]
    attempts = []
    client = WsClient(
        lambda: f'ws://127.0.0.1:{port}/v1/api/ws',
        before_connect=lambda: attempts.append(time.monotonic()),
        reconnect_backoff=0.05,
        reconnect_backoff_max=0.4,
        open_timeout=1,
    )
    client.start()
    time.sleep(2.0)
    assert client.close(timeout=5)
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert 4 <= len(attempts) <= 20, attempts  # kept trying, without hammering
    assert max(gaps) > 4 * min(gaps) and max(gaps) <= 0.5  # the waits grew, up to the cap
    assert client.stats['failed_attempts'] == len(attempts) and client.state == 'closed'


def test_lost_brokerage_session_is_recovered_through_ibkr_client(tls_sim, make_ws, rest):
    ws = make_ws()
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': ['31']})
    orders = ws.subscribe('or')
    assert subscription.wait_active(5) and orders.wait_active(5)
    control(tls_sim, 'session', {'action': 'expire'})
    wait_until(lambda: ws.stats['event_recovered'] == 1, timeout=10)
    assert rest.recoveries['brokerage_session'] == 1
    assert control(tls_sim, 'state')['session']['authenticated'] is True
    assert subscription.wait_active(5) and orders.wait_active(5)
    assert ws.state == 'connected'


def test_competing_session_is_an_event_not_a_loop(tls_sim, make_ws, rest):
    events = []
    ws = make_ws(on_event=lambda name, detail: events.append(name))
    market = ws.subscribe(f'md+{AAPL}', {'fields': ['31']})
    pnl = ws.subscribe('pl')
    assert market.wait_active(5) and pnl.wait_active(5)
    control(tls_sim, 'session', {'action': 'compete'})
    assert ws.wait_for_state('competing', 5)
    connects = ws.stats['event_connected']
    time.sleep(1.0)
    assert ws.stats['event_connected'] == connects and events.count('competing') == 1
    assert market.state == SubscriptionState.PENDING and pnl.state == SubscriptionState.ACTIVE
    assert rest.recoveries['brokerage_session'] == 0  # nothing fought over the session
    rest.initialize_brokerage_session(compete=True)  # the user decides to take it over
    assert ws.wait_for_state('connected', 5)
    assert market.wait_active(5)


def test_malformed_frames_are_counted_and_survived(tls_sim, make_ws):
    ws = make_ws()
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': ['31']})
    assert subscription.wait_active(5)
    control(tls_sim, 'ws', {'fault': 'malformed'})
    wait_until(lambda: ws.stats['malformed'] == 3)
    assert ws.stats['event_connected'] == 1 and ws.state == 'connected'
    _fresh_tick(ws, tls_sim, f'md+{AAPL}')


def test_smd_is_renewed_before_the_fifteen_minute_expiry(tls_sim, make_ws):
    ws = make_ws()
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': ['31', '84', '86']})
    assert subscription.wait_active(5)
    last = None
    for _ in range(45):  # 45 simulated minutes, a heartbeat (server time) in every step
        advance(tls_sim, 60)
        wait_until(lambda: ws.server_time and ws.server_time >= control(tls_sim, 'clock')['now_ms'] - 1)
        while (message := ws.get(IbkrWsKey.MARKET_DATA, timeout=0.05)) is not None:
            last = message
    stats = control(tls_sim, 'ws')['stats']
    assert stats.get('smd_expired', 0) == 0 and stats['smd_renewed'] >= 4
    assert subscription.renewals >= 4 and subscription.state == SubscriptionState.ACTIVE
    assert last.data['_updated'] >= control(tls_sim, 'clock')['now_ms'] - 120_000


def _client_threads(before):
    """Threads started since ``before``, but not the simulator's (it serves the REST keep-alive connections) nor the
    REST client's deadline watchdog (the stream's REST client stays open: it belongs to the caller)."""
    return [
        t for t in set(threading.enumerate()) - before if 'process_request' not in t.name and t.name != 'ibind-deadline'
    ]


def test_close_leaves_no_thread_behind(tls_sim, rest):
    before = set(threading.enumerate())
    ws = rest.websocket(poll_interval=0.02)
    ws.start()
    assert ws.wait_ready(5)
    ws.subscribe(f'md+{AAPL}', {'fields': ['31']}).wait_active(5)
    assert ws_threads()
    assert ws.close(timeout=5)
    wait_until(lambda: not _client_threads(before), timeout=5)
    assert ws.state == 'closed' and not ws.running
    with pytest.raises(RuntimeError):
        ws.subscribe('or')


def test_the_stream_needs_a_rest_client_and_leaves_it_open(tls_sim):
    with pytest.raises(TypeError, match='ibkr_client'):
        IbkrWsClient(None)
    with pytest.raises(TypeError, match='ibkr_client'):
        IbkrWsClient(tls_sim.url)
    with RestClient(tls_sim.url, cacert=tls_sim.cacert) as bare:  # no /tickle, no session recovery: refused at once
        with pytest.raises(TypeError, match='must be an IbkrClient'):
            IbkrWsClient(bare)
    with IbkrClient(url=tls_sim.url, cacert=tls_sim.cacert, account_id=ACCOUNT, pacing=False) as rest:
        ws = IbkrWsClient(rest, account_id=ACCOUNT, start=True)
        try:
            assert ws.wait_ready(5)
            assert ws.subscribe('pl').wait_active(5)
        finally:
            assert ws.close()
        assert not rest.closed
        assert rest.tickle().status_code == 200  # still usable after the stream closed


def test_oauth_stream_carries_the_access_token(tmp_path):
    from ibind.sim import GatewaySimulator
    from ibind.sim.oauth import make_test_credentials

    creds = make_test_credentials(str(tmp_path))
    with GatewaySimulator(port=0, tls=True, oauth=creds.server) as sim:
        config = creds.client_config(sim.url, maintain_oauth=False, shutdown_oauth=False)
        with IbkrClient(
            account_id=ACCOUNT, use_oauth=True, oauth_config=config, cacert=sim.cacert, pacing=False
        ) as client:
            ws = client.websocket(poll_interval=0.02)
            ws.start()
            try:
                assert ws.wait_ready(5)
                assert ws.subscribe(f'md+{AAPL}', {'fields': ['31']}).wait_active(5)
            finally:
                assert ws.close()
        from websockets.exceptions import InvalidStatus

        with pytest.raises(InvalidStatus):  # the cookie alone is not enough in OAuth mode
            raw_connect(sim, cookie='whatever')


def test_full_queue_drops_the_oldest(tls_sim, make_ws):
    ws = make_ws(queue_size=2)
    control(tls_sim, 'ws', {'bulletin': {'id': '1', 'message': 'one'}})
    control(tls_sim, 'ws', {'bulletin': {'id': '2', 'message': 'two'}})
    control(tls_sim, 'ws', {'bulletin': {'id': '3', 'message': 'three'}})
    wait_until(lambda: ws.dropped[IbkrWsKey.BULLETINS] == 1)
    accessor = ws.new_queue_accessor(IbkrWsKey.BULLETINS)
    assert [m.data['id'] for m in accessor.get_all()] == ['2', '3']


def test_bad_arguments_fail_before_anything_is_sent(rest):
    ws = rest.websocket()
    try:
        for channel in ('xx+1', 'md', 'or+1', 'md+1+2', 'bd+DU1', 'md+12 34'):
            with pytest.raises(ValueError, match='channel'):
                ws.subscribe(channel)
        with pytest.raises(TypeError, match='data'):
            ws.subscribe('md+265598', data=['31'])
        with pytest.raises(TypeError, match='key'):
            ws.get('md')
        with pytest.raises(ValueError, match='silence_timeout'):
            rest.websocket(silence_timeout=0)
        with pytest.raises(ValueError, match='queue_size'):
            rest.websocket(queue_size=-1)
    finally:
        ws.close()


def test_without_websockets_installed_the_error_names_the_extra(tmp_path):
    code = (
        'import sys; sys.modules["websockets"] = None\n'
        'import ibind\n'
        'print(ibind.IbkrClient.__name__)\n'
        'try:\n'
        '    ibind.IbkrClient(url="http://127.0.0.1:9/v1/api/").websocket()\n'
        'except ImportError as error:\n'
        '    print(error)\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'IbkrClient' in result.stdout and "pip install 'ibind[websocket]'" in result.stdout


def test_simulator_without_wsproto_serves_rest_and_answers_the_upgrade_with_501(tmp_path):
    code = (
        'import sys; sys.modules["wsproto"] = None\n'
        'import requests\n'
        'from ibind.sim import GatewaySimulator\n'
        'with GatewaySimulator(port=0) as sim:\n'
        '    session = requests.get(sim.url + "tickle").json()["session"]\n'
        '    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",\n'
        '               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Cookie": "api=" + session}\n'
        '    answer = requests.get(sim.base_url + "/v1/api/ws", headers=headers)\n'
        '    print(answer.status_code, answer.json()["error"])\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('501') and "pip install 'ibind[sim]'" in result.stdout


def test_the_session_cookie_never_reaches_the_log(tls_sim, make_ws, caplog):
    import logging

    from conftest import session_value

    caplog.set_level(logging.DEBUG, logger='ibind')
    caplog.set_level(logging.DEBUG, logger='websockets')
    ws = make_ws()
    assert ws.subscribe(f'md+{AAPL}', {'fields': ['31']}).wait_active(5)
    control(tls_sim, 'ws', {'fault': 'drop'})
    control(tls_sim, 'session', {'action': 'expire'})
    wait_until(lambda: ws.stats['event_recovered'] == 1, timeout=10)
    assert 'resetting' in caplog.text or 'reconnecting' in caplog.text  # the log says what happened ...
    assert 'Cookie:' in caplog.text  # the handshake's headers are there ...
    assert session_value(tls_sim) not in caplog.text  # ... without the cookie's value
