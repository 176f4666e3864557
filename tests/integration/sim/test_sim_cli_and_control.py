"""``python -m ibind.sim`` as a user runs it (a subprocess on a free port), and the /sim/ control API."""

from __future__ import annotations

import dataclasses
import datetime
import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from ibind.sim import GatewaySimulator, SimConfig
from ibind.sim.__main__ import build_parser, config_from_args

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


# ----------------------------------------------------------------- the command line, in a subprocess


class RunningCli:
    """``python -m ibind.sim ...`` started in a subprocess; reads the banner to learn its URLs."""

    def __init__(self, *args: str):
        env = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'ibind.sim', *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        self.banner = []
        self.values = {}
        for line in self.process.stdout:
            self.banner.append(line.rstrip('\n'))
            label, _, value = line.strip().partition(':')
            if value.strip():
                self.values[label.strip()] = value.strip().split()[0]
            if 'Ctrl-C' in line:
                break
        else:
            _, err = self.process.communicate(timeout=10)
            raise AssertionError(f'the simulator did not start: {self.banner} {err}')

    @property
    def url(self) -> str:
        return self.values['REST API']

    @property
    def control_url(self) -> str:
        return self.values['control API']

    def stop(self, signum: int = signal.SIGINT):
        self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


@pytest.fixture
def run_cli():
    started = []

    def start(*args: str) -> RunningCli:
        cli = RunningCli(*args)
        started.append(cli)
        return cli

    yield start
    for cli in started:
        cli.kill()


def run(*args: str, timeout: float = 60):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run(
        [sys.executable, '-m', 'ibind.sim', *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=timeout,
    )


def test_help_documents_every_option():
    result = run('--help')
    assert result.returncode == 0 and result.stderr == ''
    text = result.stdout
    for option in (
        '--host',
        '--port',
        '--tls',
        '--seed',
        '--accounts',
        '--fa',
        '--instruments',
        '--idle-timeout',
        '--frozen-clock',
        '--no-preflight-snapshot',
        '--no-hmds-first-404',
        '--no-require-accounts-first',
        '--no-force-orders-empty',
        '--no-secdef-search-first',
        '--no-watchlist-partial-first',
        '--no-require-content-length',
        '--latency',
    ):
        assert option in text, option
    parser_options = {flag for action in build_parser()._actions for flag in action.option_strings}
    for field in dataclasses.fields(SimConfig):
        if field.name == 'oauth':  # an object: configured in code only
            continue
        assert any(
            flag.lstrip('-').replace('no-', '', 1).replace('-', '_') == field.name for flag in parser_options
        ) or field.name in ('financial_advisor', 'instruments_file'), field.name


def test_the_cli_serves_on_a_free_port_and_exits_cleanly_on_ctrl_c(run_cli):
    cli = run_cli(
        '--port',
        '0',
        '--seed',
        '7',
        '--accounts',
        'DU111,DU222',
        '--idle-timeout',
        '60',
        '--no-watchlist-partial-first',
    )
    assert cli.url.startswith('http://127.0.0.1:') and cli.url.endswith('/v1/api/')
    assert cli.control_url.endswith('/sim/')
    assert requests.get(cli.url + 'iserver/accounts', timeout=10).json()['accounts'] == ['DU111', 'DU222']
    config = requests.get(cli.control_url + 'config', timeout=10).json()
    assert config['seed'] == 7 and config['idle_timeout'] == 60 and config['watchlist_partial_first'] is False
    requests.post(cli.url + 'iserver/watchlist', json={'id': '1', 'name': 'w', 'rows': [{'C': 8314}]}, timeout=10)
    first = requests.get(cli.url + 'iserver/watchlist', params={'id': '1'}, timeout=10).json()
    assert first['instruments'][0]['ticker'] == 'IBM'  # the quirk is off

    returncode, out, err = cli.stop(signal.SIGINT)
    assert returncode == 0
    assert 'Traceback' not in err and 'Traceback' not in out and err == ''


def test_sigterm_also_exits_cleanly(run_cli):
    cli = run_cli('--port', '0')
    returncode, _, err = cli.stop(signal.SIGTERM)
    assert returncode == 0 and err == ''


def test_tls_prints_the_ca_file_that_verifies_the_server(run_cli, tmp_path):
    cli = run_cli('--port', '0', '--tls', '--tls-dir', str(tmp_path))
    assert cli.url.startswith('https://localhost:')
    ca_file = cli.values['CA file']
    assert os.path.dirname(ca_file) == str(tmp_path) and os.path.isfile(ca_file)
    assert requests.get(cli.url + 'sso/validate', verify=ca_file, timeout=10).json()['RESULT'] is True
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(cli.url + 'sso/validate', timeout=10)  # the system CAs do not know it
    assert cli.stop()[0] == 0


def test_oauth_test_credentials_serve_an_oauth_gateway_a_client_can_use(run_cli, tmp_path):
    cli = run_cli('--port', '0', '--tls', '--oauth-test-credentials', str(tmp_path / 'oauth'))
    assert cli.values['mode'].startswith('OAuth')
    settings = [line.strip() for line in cli.banner if line.strip().startswith('IBIND_')]
    assert 'IBIND_USE_OAUTH=True' in settings and f'IBIND_OAUTH1A_REST_URL={cli.url}' in settings
    ca_file = cli.values['CA file']
    assert requests.post(cli.url + 'tickle', verify=ca_file, timeout=10).status_code == 401  # unsigned

    env_file = tmp_path / 'oauth' / 'client.env'  # the printed settings, written for IBIND_ENV_FILE
    assert f'IBIND_CACERT={ca_file}' in settings and f'IBIND_CACERT={ca_file}' in env_file.read_text()
    script = (
        'from ibind import IbkrClient\n'
        'client = IbkrClient(account_id="DU1234567", pacing=False)\n'
        'print(client.authentication_status().data["authenticated"], client.check_health())\n'
        'client.close()\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith('IBIND_')}
    env.update(
        IBIND_ENV_FILE=str(env_file), PYTHONPATH=REPO_ROOT, IBIND_MAINTAIN_OAUTH='False', IBIND_SHUTDOWN_OAUTH='False'
    )
    result = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, env=env, timeout=60, cwd=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['True', 'True']
    assert cli.stop()[0] == 0


def test_oauth_file_must_be_readable():
    result = run('--oauth', '/nonexistent/oauth_server.json')
    assert result.returncode == 2 and 'usage:' in result.stderr and 'Traceback' not in result.stderr


def test_a_port_in_use_is_a_clear_error_without_traceback():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        result = run('--port', str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert 'cannot listen' in result.stderr and 'Traceback' not in result.stderr


def test_bad_option_values_are_usage_errors():
    for args in (
        ('--seed', 'x'),
        ('--idle-timeout', '-5'),
        ('--latency', 'no-seconds'),
        ('--start-time', 'soon'),
        ('--accounts', ','),
    ):
        result = run(*args)
        assert result.returncode == 2 and 'usage:' in result.stderr and 'Traceback' not in result.stderr, args
    missing = run('--instruments', '/nonexistent/instruments.json', '--port', '0')
    assert missing.returncode == 2 and 'cannot start' in missing.stderr and 'Traceback' not in missing.stderr


def test_options_become_simconfig_fields():
    args = build_parser().parse_args(
        [
            '--seed',
            '3',
            '--accounts',
            'DU1, DU2',
            '--fa',
            '--idle-timeout',
            'none',
            '--no-preflight-snapshot',
            '--frozen-clock',
            '--start-time',
            '2024-01-02T15:30:00Z',
            '--latency',
            'GET /iserver/accounts=0.2',
            '--latency',
            '/tickle=0.05',
            '--pacing',
            '--global-rate',
            '50',
        ]
    )
    config = config_from_args(args)
    assert config.seed == 3 and config.accounts == ('DU1', 'DU2') and config.financial_advisor is True
    assert config.idle_timeout == 0 and config.preflight_snapshot is False and config.frozen_clock is True
    assert config.start_time == datetime.datetime(2024, 1, 2, 15, 30, tzinfo=datetime.timezone.utc).timestamp()
    assert config.latency == {'GET /iserver/accounts': 0.2, '/tickle': 0.05}
    assert config.pacing is True and config.global_rate == 50
    untouched = config_from_args(build_parser().parse_args([]))
    assert untouched == SimConfig()  # nothing given: SimConfig's defaults


# ----------------------------------------------------------------- the control API


def test_state_describes_every_part_of_the_simulated_gateway(sim):
    described = requests.get(sim.control_url + 'state', timeout=10).json()
    for key in ('clock', 'session', 'accounts', 'selected_account', 'orders', 'marketdata', 'watchlists', 'counters'):
        assert key in described, key
    assert described['selected_account'] == 'DU1234567'
    assert described['session']['authenticated'] is True and described['session']['logged_in'] is True
    assert set(described['clock']) >= {'now', 'now_ms', 'frozen'}


def test_counters_count_api_requests_by_route_and_status(sim):
    requests.get(sim.url + 'sso/validate', timeout=10)
    requests.get(sim.url + 'iserver/watchlist', params={'id': '9'}, timeout=10)  # unknown: a 400
    counters = requests.get(sim.control_url + 'state', timeout=10).json()['counters']
    assert counters['by_route']['GET /sso/validate']['count'] == 1
    assert counters['by_route']['GET /iserver/watchlist']['statuses'] == {'400': 1}
    assert counters['total'] == 2


def test_reset_returns_to_the_initial_state(sim):
    requests.post(sim.url + 'iserver/watchlist', json={'id': '1', 'name': 'w', 'rows': []}, timeout=10)
    requests.post(sim.control_url + 'session', json={'action': 'compete'}, timeout=10)
    assert requests.post(sim.control_url + 'reset', json={}, timeout=10).json() == {'reset': True}
    described = requests.get(sim.control_url + 'state', timeout=10).json()
    assert described['watchlists']['count'] == 0 and described['counters']['total'] == 0
    assert described['session']['authenticated'] is True and described['session']['competing'] is False


@pytest.mark.parametrize(
    'action, authenticated, competing, logged_in',
    [
        ('expire', False, False, True),
        ('compete', False, True, True),
        ('no_bridge', False, False, True),
        ('deauthenticate', False, False, False),
    ],
)
def test_session_actions_and_restore(sim, action, authenticated, competing, logged_in):
    described = requests.post(sim.control_url + 'session', json={'action': action}, timeout=10).json()
    assert (described['authenticated'], described['competing'], described['logged_in']) == (
        authenticated,
        competing,
        logged_in,
    )
    restored = requests.post(sim.control_url + 'session', json={'action': 'restore'}, timeout=10).json()
    assert restored['authenticated'] is True and restored['competing'] is False and restored['no_bridge'] is False


def test_session_refuses_unknown_actions(sim):
    for body in ({'action': 'explode'}, {}, []):
        response = requests.post(sim.control_url + 'session', json=body, timeout=10)
        assert response.status_code in (400,) and (
            'action' in response.json()['error'] or 'object' in response.json()['error']
        )
    # no body at all is not a JSON POST: refused before the route (see test_sim_hardening.py)
    assert requests.post(sim.control_url + 'session', timeout=10).status_code == 415


def test_clock_advances_sets_and_freezes_simulated_time(sim):
    clock = sim.control_url + 'clock'
    frozen = requests.post(clock, json={'freeze': True}, timeout=10).json()
    assert frozen['frozen'] is True
    assert requests.get(clock, timeout=10).json()['now'] == frozen['now']
    advanced = requests.post(clock, json={'advance': 90.5}, timeout=10).json()
    assert advanced['now'] == pytest.approx(frozen['now'] + 90.5)
    assert requests.post(clock, json={'set': 1_700_000_000}, timeout=10).json()['now'] == 1_700_000_000
    assert requests.post(clock, json={'freeze': False}, timeout=10).json()['frozen'] is False
    for body in ({'advance': -1}, {'advance': 'soon'}, {'rewind': 5}, {}):
        assert requests.post(clock, json=body, timeout=10).status_code == 400, body


def test_routes_lists_the_served_endpoints(sim):
    listed = set(requests.get(sim.control_url + 'routes', timeout=10).json()['routes'])
    assert {
        'POST /iserver/auth/status',
        'POST /iserver/auth/ssodh/init',
        'POST /tickle',
        'GET /tickle',
        'POST /logout',
        'POST /iserver/reauthenticate',
        'GET /sso/validate',
        'GET /iserver/scanner/params',
        'POST /iserver/scanner/run',
        'GET /hmds/scanner/params',
        'POST /hmds/scanner/run',
        'POST /iserver/watchlist',
        'GET /iserver/watchlists',
        'GET /iserver/watchlist',
        'DELETE /iserver/watchlist',
    } <= listed


def test_unknown_control_endpoints_and_paths(sim):
    assert requests.get(sim.control_url + 'nothing', timeout=10).status_code == 404
    outside = requests.get(sim.base_url + '/elsewhere', timeout=10)
    assert outside.status_code == 404 and outside.text.startswith('<html>')


def test_the_lean_request_parser_handles_what_clients_send():
    """Raw HTTP on the simulator's socket: case-insensitive headers, keep-alive, HTTP/1.0, bad request lines."""
    with GatewaySimulator() as sim:

        def exchange(raw: bytes) -> bytes:
            with socket.create_connection((sim.host, sim.port), timeout=10) as connection:
                connection.sendall(raw)
                connection.shutdown(socket.SHUT_WR)
                chunks = []
                while True:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return b''.join(chunks)
                    chunks.append(chunk)

        body = b'{"publish": true, "compete": true}'
        two = exchange(
            b'POST /v1/api/iserver/auth/ssodh/init HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: %d\r\n'
            b'X-Folded: a\r\n  b\r\n\r\n%s'
            b'GET /v1/api/sso/validate?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' % (len(body), body)
        )
        assert two.count(b'HTTP/1.1 200 OK') == 2 and b'"authenticated":true' in two and b'"RESULT":true' in two
        assert b'Connection: close' in two
        old = exchange(b'GET /v1/api/sso/validate HTTP/1.0\r\n\r\n')
        assert old.startswith(b'HTTP/1.1 200') and b'Connection: close' in old
        assert exchange(b'NONSENSE\r\n\r\n').startswith(b'HTTP/1.1 400')
        assert exchange(b'BREW /v1/api/tickle HTTP/1.1\r\nHost: x\r\n\r\n').startswith(b'HTTP/1.1 501')
        assert exchange(b'GET /v1/api/tickle HTTP/1.1\r\nno colon here\r\n\r\n').startswith(b'HTTP/1.1 400')
        too_many = b''.join(b'X-H%d: v\r\n' % i for i in range(150))
        assert exchange(b'GET /v1/api/tickle HTTP/1.1\r\n' + too_many + b'\r\n').startswith(b'HTTP/1.1 431')
        unlimited_line = b'GET /v1/api/tickle?' + b'a' * 70000 + b' HTTP/1.1\r\n\r\n'
        assert exchange(unlimited_line).startswith(b'HTTP/1.1 414')
