"""A session that never dies: OAuth over TLS, recovery, the Tickler and shutdown, against the simulator.

Simulated time moves through /sim/clock; no test waits for a token to expire for real.
"""

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

from ibind import IbkrClient
from ibind.sim import GatewaySimulator
from ibind.support.errors import CompetingSessionError, NotAuthenticatedError, OAuthError


def oauth_client(sim, creds, **config):
    config.setdefault('maintain_oauth', False)
    config.setdefault('shutdown_oauth', False)
    return IbkrClient(
        account_id='DU1234567',
        use_oauth=True,
        oauth_config=creds.client_config(sim.url, **config),
        cacert=sim.cacert,
        pacing=False,
    )


def wait_until(condition, timeout=15.0):  # generous: the suite runs on a loaded 2-core machine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


# --------------------------------------------------------------------------- OAuth, over TLS


def test_full_oauth_session_every_request_signed_and_verified(oauth_sim, creds):
    with oauth_client(oauth_sim, creds) as client:
        accounts = client.receive_brokerage_accounts().data
        assert 'DU1234567' in accounts['accounts']
        assert client.authentication_status().data['authenticated'] is True
        assert client.portfolio_accounts().data[0]['id'] == 'DU1234567'
        client.live_marketdata_snapshot('265598', ['31', '84'])
        order = {'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'MKT', 'tif': 'DAY'}
        placed = client.place_order(order, answers={'o354': True, 'o10151': True}).data
        assert placed[0]['order_id']
    state = oauth_sim.control.state()
    oauth = state['oauth']
    assert oauth['lst_issued'] == 1 and oauth['rejected'] == {}
    api_requests = state['counters']['total']
    assert oauth['verified'] == api_requests - 1  # everything but the LST exchange itself carried an HMAC signature


def test_oauth_client_verifies_tls_even_with_cacert_false(oauth_sim, creds):
    with pytest.raises(Exception) as info:
        IbkrClient(use_oauth=True, oauth_config=creds.client_config(oauth_sim.url), cacert=False, pacing=False)
    assert 'SSL' in str(info.value) or 'certificate' in str(info.value)


def test_wrong_signature_key_is_a_clear_oauth_error(oauth_sim, creds, tmp_path):
    from Crypto.PublicKey import RSA

    wrong = tmp_path / 'wrong.pem'
    wrong.write_text(RSA.generate(2048).export_key().decode())
    with pytest.raises(OAuthError) as info:
        oauth_client(oauth_sim, creds, signature_key_fp=str(wrong))
    assert 'live session token' in str(info.value) and 'invalid signature' in str(info.value)


def _raw_signed_headers(client, url):
    return client._signer.headers('POST', url)


def test_tampered_signature_stale_timestamp_and_replay_get_401(oauth_sim, creds):
    with oauth_client(oauth_sim, creds, init_brokerage_session=False) as client:
        url = oauth_sim.url + 'iserver/auth/status'
        good = _raw_signed_headers(client, url)
        tampered = dict(
            good,
            Authorization=re.sub(
                r'oauth_signature="(.)',
                lambda m: 'oauth_signature="' + ('A' if m.group(1) != 'A' else 'B'),
                good['Authorization'],
            ),
        )
        stale = _raw_signed_headers(client, url)
        stale['Authorization'] = re.sub(
            r'oauth_timestamp="\d+"', 'oauth_timestamp="1000000000"', stale['Authorization']
        )
        answers = {}
        for name, headers in (('tampered', tampered), ('stale', stale), ('good', good), ('replayed', good)):
            answer = requests.post(url, headers=headers, verify=oauth_sim.cacert)
            answers[name] = (answer.status_code, answer.json().get('error', ''))
    assert answers['good'][0] == 200
    assert answers['tampered'] == (401, 'Unauthorized: invalid signature')
    assert answers['stale'] == (401, 'Unauthorized: stale oauth_timestamp')
    assert answers['replayed'][0] == 401 and 'nonce' in answers['replayed'][1]


def test_expired_lst_mid_run_is_renewed_without_the_caller_noticing(oauth_sim, creds):
    with oauth_client(oauth_sim, creds) as client:
        client.receive_brokerage_accounts()
        oauth_sim.control.advance(25 * 3600)  # past the 24 h lifetime
        assert client.portfolio_accounts().data[0]['id'] == 'DU1234567'
        assert client.recoveries['live_session_token'] == 1
    oauth = oauth_sim.control.state()['oauth']
    assert oauth['lst_issued'] == 2 and oauth['rejected'] == {'expired': 1}


def test_lst_close_to_expiry_is_renewed_before_it_expires(creds):
    # the simulated clock runs 23h50m behind: a fresh 24 h token expires in ~10 minutes of real time
    with GatewaySimulator(tls=True, oauth=creds.server, start_time=time.time() - (23 * 3600 + 50 * 60)) as sim:
        with oauth_client(sim, creds, init_brokerage_session=False, lst_refresh_margin=900) as client:
            client.tickle()
            client.tickle()
        oauth = sim.control.state()['oauth']
    assert oauth['lst_issued'] >= 2 and oauth['rejected'] == {}


def test_many_threads_hitting_an_expired_lst_share_one_renewal(oauth_sim, creds):
    with oauth_client(oauth_sim, creds) as client:
        client.receive_brokerage_accounts()
        oauth_sim.control.advance(25 * 3600)
        errors = []
        barrier = threading.Barrier(8)

        def call():
            barrier.wait()
            try:
                client.portfolio_accounts()
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert oauth_sim.control.state()['oauth']['lst_issued'] == 2


# --------------------------------------------------------------------------- brokerage session recovery


@pytest.mark.parametrize('action', ['expire', 'no_bridge'])
def test_lost_brokerage_session_is_reopened_and_the_call_repeated(sim, client, action):
    client.receive_brokerage_accounts()
    sim.control.session(action)
    result = client.live_marketdata_snapshot('265598', ['31'])
    assert result.data[0]['conid'] == 265598
    assert client.recoveries['brokerage_session'] == 1
    assert sim.control.state()['session']['authenticated'] is True


def test_lost_session_recovery_in_oauth_mode_too(oauth_sim, creds):
    with oauth_client(oauth_sim, creds) as client:
        client.receive_brokerage_accounts()
        oauth_sim.control.session('expire')
        assert client.live_orders().data['orders'] == []
        assert client.recoveries['brokerage_session'] == 1


def test_idle_timeout_without_tickler_is_recovered_on_the_next_call(sim, client):
    client.receive_brokerage_accounts()
    sim.control.advance(400)  # > 6 minutes of silence: the gateway drops the brokerage session
    assert client.receive_brokerage_accounts().data['accounts'] == ['DU1234567']
    assert client.recoveries['brokerage_session'] == 1
    assert sim.control.state()['session']['timeouts'] == 1


def test_idle_timeout_never_happens_with_the_tickler_running(sim, client):
    client.receive_brokerage_accounts()
    tickler = client.start_tickler(interval=0.02)
    for _ in range(6):  # 6 x 200 s of simulated time, a tickle between each step
        ticks = tickler.ticks
        sim.control.advance(200)
        assert wait_until(lambda ticks=ticks: tickler.ticks > ticks + 1)
    assert client.stop_tickler(timeout=2)
    assert sim.control.state()['session']['timeouts'] == 0
    assert client.recoveries['brokerage_session'] == 0
    assert client.receive_brokerage_accounts().data['accounts'] == ['DU1234567']


def test_tickler_survives_five_consecutive_failures(sim, client):
    sim.control.add_fault('/tickle', 'status', status=500, body={'error': 'internal'}, times=5)
    tickler = client.start_tickler(interval=0.02)
    assert wait_until(lambda: tickler.total_failures >= 5 and tickler.consecutive_failures == 0 and tickler.ticks)
    assert tickler.running and tickler.last_success is not None
    client.stop_tickler(timeout=2)
    assert client.authentication_status().data['authenticated'] is True


def test_tickler_reopens_a_dropped_session(sim, client):
    client.receive_brokerage_accounts()
    tickler = client.start_tickler(interval=0.02)
    sim.control.session('expire')
    assert wait_until(lambda: client.recoveries['brokerage_session'] == 1)
    client.stop_tickler(timeout=2)
    assert sim.control.state()['session']['authenticated'] is True
    assert tickler.describe()['running'] is False


def test_tickler_stop_returns_within_its_timeout(client):
    tickler = client.start_tickler(interval=30)
    started = time.monotonic()
    assert tickler.stop(timeout=2.0)
    assert time.monotonic() - started < 2.0


def test_competing_session_raises_a_dedicated_error_that_says_how_to_take_over(sim, client):
    client.receive_brokerage_accounts()
    sim.control.session('compete')
    with pytest.raises(CompetingSessionError) as info:
        client.live_orders()
    assert 'initialize_brokerage_session(compete=True)' in str(info.value)
    assert client.initialize_brokerage_session(compete=True).data['authenticated'] is True
    client.receive_brokerage_accounts()
    assert client.live_orders().data['orders'] == []


def test_live_session_token_without_oauth_config_is_a_clear_error_and_sends_nothing(sim, client):
    # a gateway client has no OAuth configuration: this used to end in AttributeError on None
    with pytest.raises(OAuthError, match='use_oauth=True'):
        client.generate_live_session_token()
    assert sim.control.received('POST /oauth/live_session_token') == 0


def test_recovery_can_be_switched_off(sim):
    with IbkrClient(url=sim.url, account_id='DU1234567', pacing=False, auto_recover=False) as client:
        client.receive_brokerage_accounts()
        sim.control.session('expire')
        with pytest.raises(NotAuthenticatedError):
            client.live_orders()


# --------------------------------------------------------------------------- logs and shutdown


def test_debug_logs_of_an_oauth_session_hold_no_secret(oauth_sim, creds, caplog):
    caplog.set_level(logging.DEBUG, logger='ibind')
    with oauth_client(oauth_sim, creds) as client:
        client.receive_brokerage_accounts()
        client.tickle()
        lst = client._signer._token
    text = '\n'.join(record.getMessage() for record in caplog.records)
    assert 'iserver/accounts' in text
    with open(creds.signature_key_fp) as file:
        private_key_line = file.read().splitlines()[1]
    for secret in (creds.access_token_secret, lst, private_key_line, creds.server.access_token_secret.hex()):
        assert secret not in text
    assert not re.search(r'oauth_signature="(?!\[REDACTED\])', text)
    assert "'Authorization': '[REDACTED]'" in text  # the header was logged, redacted


def run_script(code, env=None, timeout=30):
    return subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )


def test_client_created_in_a_thread_and_closed_leaves_no_thread_behind(sim):
    proc = run_script(f"""
        import threading
        from ibind import IbkrClient
        def work():
            client = IbkrClient(url={sim.url!r}, account_id='DU1234567', pacing=False)
            client.start_tickler(interval=0.05)
            client.tickle()
            client.close()
        thread = threading.Thread(target=work); thread.start(); thread.join()
        print(sorted(t.name for t in threading.enumerate()))
    """)
    assert proc.returncode == 0, proc.stderr
    assert 'ibind' not in proc.stdout


def test_shutdown_handler_logs_out_and_sigterm_still_terminates(oauth_sim, creds, tmp_path):
    env_file = tmp_path / 'oauth.env'
    env_file.write_text(
        creds.env_lines(oauth_sim.url) + f'IBIND_CACERT={oauth_sim.cacert}\nIBIND_PACING=False\n'
        'IBIND_TICKLER_INTERVAL=0.05\n'
    )
    code = """
        import os, signal, sys, time
        from ibind import IbkrClient
        client = IbkrClient()  # everything from the environment / IBIND_ENV_FILE
        assert client.tickler.running
        client.register_shutdown_handler()
        print('ready', flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print('still alive', flush=True)
    """
    proc = run_script(code, env={'IBIND_ENV_FILE': str(env_file)})
    assert 'ready' in proc.stdout and 'still alive' not in proc.stdout, proc.stderr
    assert proc.returncode == -signal.SIGTERM
    by_route = oauth_sim.control.state()['counters']['by_route']
    assert by_route['POST /logout']['count'] == 1


def test_no_signal_handler_is_installed_unless_asked(sim):
    proc = run_script(f"""
        import signal
        from ibind import IbkrClient
        before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        client = IbkrClient(url={sim.url!r}, pacing=False)
        client.tickle()
        print(before == (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))
    """)
    assert proc.stdout.strip() == 'True', proc.stderr
