"""IBIND_* settings read when a client is created; secrets kept out of reprs, errors and stderr."""

import os
import subprocess
import sys
import textwrap

import pytest

from ibind import IbkrClient, OAuth1aConfig
from ibind.support.errors import ExternalBrokerError, OAuthError


def run(code):
    env = {k: v for k, v in os.environ.items() if not k.startswith('IBIND_')}
    env['PYTHONPATH'] = os.pathsep.join(sys.path)
    proc = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=os.path.dirname(__file__),
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_environment_set_after_import_is_used_by_a_new_client():
    out = run("""
        import os
        import ibind
        from ibind import IbkrClient, OAuth1aConfig
        os.environ['IBIND_ACCOUNT_ID'] = 'DU7654321'
        os.environ['IBIND_REST_URL'] = 'http://127.0.0.1:5999/v1/api/'
        os.environ['IBIND_TIMEOUT'] = '3.5'
        os.environ['IBIND_OAUTH1A_REALM'] = 'test_realm'
        client = IbkrClient(pacing=False)
        print(client.account_id, client.base_url, client.timeout, OAuth1aConfig().realm, client.total_timeout)
        os.environ['IBIND_TOTAL_TIMEOUT'] = '7'
        print(IbkrClient(pacing=False).total_timeout)
        explicit = IbkrClient(account_id='DU1', timeout=2, pacing=False)  # arguments still win
        print(explicit.account_id, explicit.timeout)
    """)
    assert out.split('\n')[0] == 'DU7654321 http://127.0.0.1:5999/v1/api/ 3.5 test_realm 10.5'  # 3 x timeout
    assert out.split('\n')[1] == '7.0'
    assert out.split('\n')[2] == 'DU1 2.0'


def test_a_malformed_setting_set_after_import_is_a_value_error_at_creation():
    out = run("""
        import os
        from ibind import IbkrClient
        os.environ['IBIND_TIMEOUT'] = 'ten'
        try:
            IbkrClient(pacing=False)
        except ValueError as error:
            print('ValueError', error)
    """)
    assert out.startswith('ValueError') and 'IBIND_TIMEOUT' in out


@pytest.fixture(scope='module')
def pem(tmp_path_factory):
    from Crypto.PublicKey import RSA

    return RSA.generate(2048).export_key().decode()


def test_repr_never_shows_pem_given_where_a_path_was_due(pem):
    body = pem.splitlines()[1]
    config = OAuth1aConfig(
        signature_key_fp=pem, encryption_key_fp=''.join(pem.splitlines()[1:-1]), dh_params_fp='/etc/ibkr/dhparam.pem'
    )
    text = repr(config)
    assert body not in text and 'BEGIN' not in text and pem.splitlines()[2][:20] not in text
    assert "'/etc/ibkr/dhparam.pem'" in text  # a real path is still shown


def test_errors_about_malformed_keys_never_quote_them(pem):
    lines = pem.splitlines()
    broken = [
        lines[0] + '\n' + '\n'.join(lines[1:5]) + '\n' + lines[-1],  # PEM cut short
        ''.join(lines[1:-1]),
    ]  # base64 without the armour, in a *_fp argument
    for value in broken:
        config = OAuth1aConfig(
            access_token='a' * 20,
            access_token_secret='s',
            consumer_key='TESTCONS',
            dh_prime='f' * 256,
            signature_key_fp=value,
            encryption_key=value,
        )
        with pytest.raises(OAuthError) as info:
            config.verify_config()
        assert lines[2][:16] not in str(info.value) and lines[1][:16] not in str(info.value)


def test_cookie_values_are_redacted_in_exception_text(server):
    from scripted_server import Reply

    server.script(
        'GET',
        '/v1/api/portfolio/accounts',
        Reply(
            status=502,
            content_type='text/plain',
            body='proxy error; request had Cookie: JSESSIONID=sekrit-1; x-sess-uuid=0.sekrit-2\n'
            'Set-Cookie: JSESSIONID=sekrit-3; Path=/',
        ),
    )
    with IbkrClient(url=server.url(), account_id='DU1', pacing=False, cacert=False, max_retries=0) as client:
        with pytest.raises(ExternalBrokerError) as info:
            client.portfolio_accounts()
    assert info.value.status_code == 502 and 'proxy error' in str(info.value)
    assert 'sekrit' not in str(info.value)
