"""ibind.diagnose() for an OAuth 1.0a setup against the simulator's OAuth mode, in code and from the CLI."""

import os
import subprocess
import sys
from pathlib import Path

from ibind import diagnose

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = 'DU1234567'


def statuses(result):
    return {check.name: check.status for check in result.checks}


def test_a_working_oauth_setup_passes_every_step(oauth_sim, creds):
    result = diagnose(account_id=ACCOUNT, cacert=oauth_sim.cacert, oauth_config=creds.client_config(oauth_sim.url))
    names = list(statuses(result))
    assert names[:5] == ['oauth config', 'reachable', 'protocol', 'certificate', 'live session token'], result
    assert 'gateway' not in names
    # the brokerage session is not opened by diagnose: it says how, and stops there
    assert statuses(result)['certificate'] == 'ok' and statuses(result)['live session token'] == 'ok', str(result)
    assert result.problem is None or result.problem.name == 'authenticated', str(result)


def test_with_the_brokerage_session_open_everything_works(oauth_sim, creds):
    from ibind import IbkrClient

    config = creds.client_config(oauth_sim.url, maintain_oauth=False, shutdown_oauth=False)
    with IbkrClient(account_id=ACCOUNT, use_oauth=True, oauth_config=config, cacert=oauth_sim.cacert) as client:
        client.initialize_brokerage_session()
        client.receive_brokerage_accounts()
    result = diagnose(account_id=ACCOUNT, cacert=oauth_sim.cacert, oauth_config=creds.client_config(oauth_sim.url))
    assert result.ok and result.kind == 'ok', str(result)
    assert statuses(result)['accounts'] == 'ok' and statuses(result)['market data'] == 'ok'


def test_an_incomplete_config_fails_first_and_sends_nothing(oauth_sim, creds):
    before = oauth_sim.control.counters()['total']
    result = diagnose(cacert=oauth_sim.cacert, oauth_config=creds.client_config(oauth_sim.url, consumer_key=None))
    assert (result.kind, result.problem.name, len(result.checks)) == ('error', 'oauth config', 1)
    assert 'consumer_key' in result.problem.detail.lower() or 'consumer key' in result.problem.detail.lower()
    assert 'IBIND_OAUTH1A_' in result.problem.hint
    assert oauth_sim.control.counters()['total'] == before


def test_a_key_file_that_does_not_exist_is_named(oauth_sim, creds, tmp_path):
    config = creds.client_config(oauth_sim.url, signature_key_fp=str(tmp_path / 'missing.pem'))
    result = diagnose(cacert=oauth_sim.cacert, oauth_config=config)
    assert result.problem.name == 'oauth config' and 'missing.pem' in result.problem.detail, str(result)


def test_a_consumer_key_ibkr_does_not_know_is_not_authenticated(oauth_sim, creds):
    config = creds.client_config(oauth_sim.url, consumer_key='NOTMINE99')
    result = diagnose(cacert=oauth_sim.cacert, oauth_config=config)
    assert (result.kind, result.problem.name) == ('not_authenticated', 'live session token'), str(result)
    assert 'Self Service' in result.problem.hint


def test_oauth_is_always_verified(oauth_sim, creds):
    result = diagnose(cacert=False, oauth_config=creds.client_config(oauth_sim.url))  # the system store
    assert result.problem.name == 'certificate' and result.kind == 'unreachable', str(result)


def test_cli_diagnose_with_oauth_from_the_environment(oauth_sim, creds, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith('IBIND_')}
    env['PYTHONPATH'] = str(REPO)
    for line in creds.env_lines(oauth_sim.url, cacert=oauth_sim.cacert).splitlines():
        key, _, value = line.partition('=')
        env[key] = value
    env['IBIND_OAUTH1A_CONSUMER_KEY'] = 'NOTMINE99'
    proc = subprocess.run(
        [sys.executable, '-m', 'ibind.cli', 'diagnose'], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert '[FAIL] live session token' in proc.stdout and '[ok  ] oauth config' in proc.stdout


def test_a_redirecting_server_is_no_usable_answer_not_a_refusal(tls_material, tmp_path):
    import ssl

    from hostile_server import HostileServer

    from ibind.sim.oauth import make_test_credentials

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_material.cert_path, tls_material.key_path)
    creds = make_test_credentials(str(tmp_path))
    with HostileServer(ssl_context=context) as server:
        server.behave('POST', 'oauth/live_session_token', 'redirect')
        result = diagnose(cacert=tls_material.ca_path, oauth_config=creds.client_config(server.url(host='localhost')))
    assert result.problem.name == 'live session token', str(result)
    assert result.problem.detail.startswith('no usable answer') and 'redirect' in result.problem.detail
    assert 'IBIND_OAUTH1A_REST_URL' in result.problem.hint
