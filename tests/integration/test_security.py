"""No secret in a repr, an exception message or Result.request; nothing written unless asked."""

import os
import subprocess
import sys
import textwrap

import pytest

from ibind import IbkrClient
from ibind.sim import GatewaySimulator
from ibind.sim.oauth import make_test_credentials
from ibind.support.errors import ExternalBrokerError


@pytest.fixture(scope='module')
def creds(tmp_path_factory):
    return make_test_credentials(str(tmp_path_factory.mktemp('oauth-security')))


def secrets_of(creds, client=None):
    with open(creds.signature_key_fp) as file:
        key_lines = file.read().splitlines()[1:3]
    values = [creds.access_token_secret, creds.server.access_token_secret.hex(), *key_lines]
    if client is not None and client._signer is not None and client._signer.has_token:
        values.append(client._signer._token)
    return values


def test_reprs_results_and_errors_of_an_oauth_session_hold_no_secret(creds):
    with GatewaySimulator(tls=True, oauth=creds.server) as sim:
        config = creds.client_config(sim.url, maintain_oauth=False, shutdown_oauth=False)
        with IbkrClient(
            account_id='DU1234567', use_oauth=True, oauth_config=config, cacert=sim.cacert, pacing=False
        ) as client:
            result = client.receive_brokerage_accounts()
            errors = []
            sim.control.add_fault(
                '/iserver/accounts',
                'status',
                status=500,
                body='<html><body>Internal error</body></html>',
                content_type='text/html',
            )
            try:
                client.receive_brokerage_accounts()
            except ExternalBrokerError as error:
                errors.append(error)
            texts = [
                repr(client),
                repr(config),
                repr(config.material()),
                repr(result),
                str(result.request),
                *(str(e) + repr(e) for e in errors),
            ]
            secrets = secrets_of(creds, client)
    assert errors and set(result.request) == {'method', 'url', 'params', 'json'}
    for text in texts:
        for secret in secrets:
            assert secret not in text
        assert 'Authorization' not in text and 'oauth_signature' not in text


def test_a_refused_lst_request_names_the_problem_not_the_secrets(creds, tmp_path):
    from Crypto.PublicKey import RSA

    wrong = tmp_path / 'wrong.pem'
    wrong.write_text(RSA.generate(2048).export_key().decode())
    with GatewaySimulator(tls=True, oauth=creds.server) as sim:
        config = creds.client_config(sim.url, signature_key_fp=str(wrong))
        with pytest.raises(ExternalBrokerError) as info:
            IbkrClient(use_oauth=True, oauth_config=config, cacert=sim.cacert, pacing=False)
    message = str(info.value) + repr(info.value)
    assert 'invalid signature' in message
    for secret in secrets_of(creds) + wrong.read_text().splitlines()[1:3]:
        assert secret not in message


def test_a_client_session_writes_no_file_unless_asked(sim, tmp_path):
    home, work = tmp_path / 'home', tmp_path / 'work'
    home.mkdir()
    work.mkdir()
    code = textwrap.dedent(f"""
        import logging
        from ibind import IbkrClient
        logging.basicConfig(level=logging.DEBUG)  # the application logs; ibind must still not write files
        with IbkrClient(url={sim.url!r}, account_id='DU1234567', pacing=False) as client:
            client.start_tickler(interval=0.05)
            client.receive_brokerage_accounts()
            client.get_ledger()
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith('IBIND_')}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE='1')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, cwd=work, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert list(home.rglob('*')) == [] and list(work.rglob('*')) == []
