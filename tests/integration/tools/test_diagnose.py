"""ibind.diagnose() against the simulator in each broken state, and against a closed port."""

import socket

import pytest

from ibind import diagnose
from ibind.diagnosis import Diagnosis

from sim_http import control

ACCOUNT = 'DU1234567'


def statuses(result: Diagnosis):
    return {check.name: check.status for check in result.checks}


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_a_working_setup_passes_every_step(sim):
    result = diagnose(sim.url, account_id=ACCOUNT)
    assert result.ok and result.kind == 'ok' and result.problem is None
    assert statuses(result) == {
        'reachable': 'ok',
        'protocol': 'ok',
        'certificate': 'skip',
        'gateway': 'ok',
        'authenticated': 'ok',
        'competing': 'ok',
        'accounts': 'ok',
        'market data': 'ok',
    }
    assert 'everything needed works' in str(result)


def test_nothing_listening(sim):
    result = diagnose(f'http://127.0.0.1:{closed_port()}/v1/api/', timeout=2)
    assert (result.kind, result.problem.name) == ('unreachable', 'reachable')
    assert len(result.checks) == 1 and 'start the gateway' in result.problem.hint


def test_https_url_against_plain_http(sim):
    result = diagnose(sim.url.replace('http://', 'https://'))
    assert result.problem.name == 'protocol' and result.kind == 'unreachable'
    assert result.problem.hint == f'use {sim.url}'


def test_http_url_against_https_and_the_certificate(start_simulator):
    sim = start_simulator(tls=True)
    result = diagnose(sim.url.replace('https://', 'http://'), cacert=sim.cacert)
    assert result.problem.name == 'protocol' and 'use https://' in result.problem.hint

    untrusted = diagnose(sim.url, cacert=True)  # the system trust store does not know the simulator's CA
    assert untrusted.problem.name == 'certificate' and 'self-signed' in untrusted.problem.hint

    trusted = diagnose(sim.url, cacert=sim.cacert, account_id=ACCOUNT)
    assert trusted.ok and statuses(trusted)['certificate'] == 'ok'

    unverified = diagnose(sim.url, cacert=False)
    assert unverified.ok and statuses(unverified)['certificate'] == 'warn'


def test_not_a_gateway(sim):
    result = diagnose(sim.control_url)  # a server, but not the REST API
    assert result.problem.name == 'gateway' and '/v1/api/' in result.problem.hint


@pytest.mark.parametrize(
    'action, step, words',
    [
        ('deauthenticate', 'authenticated', 'log in'),
        ('expire', 'authenticated', 'initialize_brokerage_session'),
        ('no_bridge', 'authenticated', 'nightly reset'),
        ('compete', 'competing', 'compete=True'),
    ],
)
def test_session_states(sim, action, step, words):
    control(sim, 'POST', 'session', {'action': action})
    result = diagnose(sim.url)
    assert result.problem.name == step and result.kind == 'not_authenticated'
    assert words in result.problem.detail + result.problem.hint


def test_diagnose_changes_no_session_state(sim):
    control(sim, 'POST', 'session', {'action': 'expire'})
    before = control(sim, 'GET', 'state')['session']
    diagnose(sim.url)
    after = control(sim, 'GET', 'state')['session']
    before.pop('last_activity'), after.pop('last_activity')  # its requests count as activity, as on a gateway
    assert after == before and after['authenticated'] is False  # it did not re-open the brokerage session


def test_account_not_visible(sim):
    result = diagnose(sim.url, account_id='U7654321')
    assert result.problem.name == 'accounts' and ACCOUNT in result.problem.detail and result.kind == 'error'


@pytest.mark.parametrize('availability, status', [('NpB', 'fail'), ('DpB', 'warn'), ('ZpB', 'warn')])
def test_market_data_subscription(sim, availability, status):
    control(
        sim,
        'POST',
        'faults',
        {
            'route': '/iserver/marketdata/snapshot',
            'kind': 'status',
            'status': 200,
            'body': [{'conid': 265598, '31': '183.00', '6509': availability}],
            'times': 5,
        },
    )
    result = diagnose(sim.url)
    assert statuses(result)['market data'] == status
    assert 'ubscription' in str(result)


def test_bad_arguments():
    with pytest.raises(ValueError, match="'url'"):
        diagnose('localhost:5000')
    with pytest.raises(ValueError, match="'timeout'"):
        diagnose('http://127.0.0.1:1/v1/api/', timeout=0)
