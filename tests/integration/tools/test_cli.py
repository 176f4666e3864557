"""The ``ibind`` command run as a cron job runs it: a separate process, configured by IBIND_*/.env/options.

Each test asserts what the command printed and its exit code: 0 ok, 1 broker error, 2 bad arguments,
3 gateway unreachable, 4 not authenticated, 5 rate limited.
"""

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim_http import control

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = 'DU1234567'


def run_cli(*argv, env=None, cwd=None, timeout=60):
    """``python -m ibind.cli ARGV`` with this worktree's ibind and no IBIND_* setting but those in ``env``."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith('IBIND_')}
    clean['PYTHONPATH'] = str(REPO)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, '-m', 'ibind.cli', *argv],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd or REPO,
        timeout=timeout,
    )


def at(sim, *argv, **kwargs):
    return run_cli('--url', sim.url, '--account', ACCOUNT, *argv, **kwargs)


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_health_ok_is_quiet_on_stderr(sim):
    proc = at(sim, 'health')
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ''
    header, rule, row = proc.stdout.splitlines()
    assert header.split() == ['healthy', 'authenticated', 'competing', 'connected', 'message']
    assert row.split()[:4] == ['True', 'True', 'False', 'True']


def test_accounts_as_json(sim):
    proc = at(sim, 'accounts', '--format', 'json')
    assert proc.returncode == 0, proc.stderr
    accounts = json.loads(proc.stdout)
    assert [account['accountId'] for account in accounts] == [ACCOUNT]


def test_positions_as_csv_to_a_file(start_simulator, tmp_path):
    sim = start_simulator(
        initial_positions={
            ACCOUNT: [
                {'conid': 265598, 'quantity': 50, 'avg_price': 180.0},
                {'conid': 272093, 'quantity': -5, 'avg_price': 300.0},
            ]
        }
    )
    out = tmp_path / 'positions.csv'
    proc = at(sim, 'positions', '--format', 'csv', '-o', str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ''
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {row['contractDesc']: float(row['position']) for row in rows} == {'AAPL': 50.0, 'MSFT': -5.0}


def test_orders_lists_a_working_order(sim, client):
    client.receive_brokerage_accounts()
    client.place_order(
        {'conid': 265598, 'side': 'BUY', 'quantity': 3, 'orderType': 'LMT', 'price': 100, 'tif': 'DAY'},
        answers={'o163': True, 'o354': True, 'o403': True, 'o451': True, 'o10331': True},
    )
    proc = at(sim, 'orders', '--format', 'json')
    assert proc.returncode == 0, proc.stderr
    (order,) = json.loads(proc.stdout)
    assert (order['ticker'], order['side'], order['totalSize'], order['price']) == ('AAPL', 'BUY', 3.0, '100.00')


def test_history_of_two_symbols(sim):
    proc = at(sim, 'history', 'AAPL', 'MSFT', '--period', '1w', '--bar', '1d', '--format', 'json')
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {row['symbol'] for row in rows} == {'AAPL', 'MSFT'}
    assert all(row['time'].endswith('+00:00') and isinstance(row['close'], float) for row in rows)
    assert [row['time'] for row in rows] == sorted(row['time'] for row in rows)


def test_history_table_and_a_failed_symbol_exits_1(sim):
    control(
        sim,
        'POST',
        'faults',
        {
            'route': '/iserver/marketdata/history',
            'kind': 'status',
            'status': 400,
            'body': {'error': 'boom'},
            'times': 1,
        },
    )
    proc = at(sim, 'history', 'AAPL', 'MSFT', '--period', '2d', '--bar', '1d')
    assert proc.returncode == 1
    assert 'history of' in proc.stderr and 'boom' in proc.stderr
    assert proc.stdout.splitlines()[0].split() == ['time', 'symbol', 'open', 'high', 'low', 'close', 'volume']
    assert len(proc.stdout.splitlines()) == 2 + 2  # the header, the rule, two bars of the symbol that worked


def test_snapshot_gives_numbers(sim):
    proc = at(sim, 'snapshot', 'AAPL', 'MSFT', '--fields', 'last_price,volume,company_name', '--format', 'json')
    assert proc.returncode == 0, proc.stderr
    rows = {row['symbol']: row for row in json.loads(proc.stdout)}
    assert isinstance(rows['AAPL']['last_price'], float) and isinstance(rows['AAPL']['volume'], int)
    assert rows['MSFT']['company_name'] == 'MICROSOFT CORP'


def test_tickle(sim):
    proc = at(sim, 'tickle', '--format', 'csv')
    assert proc.returncode == 0, proc.stderr
    (row,) = csv.DictReader(io.StringIO(proc.stdout))
    assert row['authenticated'] == 'True' and row['session']


@pytest.mark.parametrize(
    'argv, message',
    [
        (['history', 'AAPL', '--period', '7x'], "'period'"),
        (['history', 'AAPL', '--bar', '1 day'], "'bar'"),
        (['launch-rocket'], 'invalid choice'),
        (['health', '--format', 'xml'], 'invalid choice'),
        (['history'], 'SYMBOL'),
        (['snapshot', 'AAPL', '--fields', 'last_price,no_such_field'], 'no_such_field'),
    ],
)
def test_bad_arguments_exit_2_before_anything_is_sent(sim, argv, message):
    before = sim.gateway.counters.total
    proc = at(sim, *argv)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert proc.stdout == ''
    assert sim.gateway.counters.total - before <= 2  # at most the symbol look-up of a valid symbol


def test_unreachable_gateway_exits_3_and_points_to_diagnose():
    started = time.monotonic()
    proc = run_cli('--url', f'http://127.0.0.1:{closed_port()}/v1/api/', 'health')
    assert proc.returncode == 3, proc.stderr
    assert 'GatewayUnreachableError' in proc.stderr and 'ibind diagnose' in proc.stderr
    assert proc.stdout == ''
    assert time.monotonic() - started < 30


def test_wrong_protocol_is_unreachable(start_simulator):
    sim = start_simulator(tls=True)
    proc = run_cli('--url', sim.url.replace('https://', 'http://'), 'accounts')
    assert proc.returncode == 3, proc.stdout + proc.stderr


@pytest.mark.parametrize('action', ['deauthenticate', 'expire', 'no_bridge', 'compete'])
def test_not_authenticated_exits_4(sim, action):
    control(sim, 'POST', 'session', {'action': action})
    proc = at(sim, 'positions' if action == 'deauthenticate' else 'health')
    assert proc.returncode == 4, proc.stdout + proc.stderr


def test_logged_out_gateway_reports_not_authenticated(sim):
    control(sim, 'POST', 'session', {'action': 'deauthenticate'})
    proc = at(sim, 'orders')
    assert proc.returncode == 4
    assert 'NotAuthenticatedError' in proc.stderr


@pytest.mark.parametrize(
    'status, error, code, shown',
    [
        (400, 'Bad Request: account disabled', 1, 'account disabled'),  # any other broker error
        (429, 'Too many requests', 5, 'RateLimitError'),
    ],
)
def test_broker_errors_exit_with_their_code(sim, status, error, code, shown):
    control(
        sim,
        'POST',
        'faults',
        {'route': '/portfolio/accounts', 'kind': 'status', 'status': status, 'body': {'error': error}, 'times': 20},
    )
    proc = at(sim, 'accounts')
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert shown in proc.stderr


def test_configured_by_environment_and_dot_env(sim, tmp_path):
    proc = run_cli('accounts', '--format', 'json', env={'IBIND_REST_URL': sim.url})
    assert proc.returncode == 0, proc.stderr
    (tmp_path / '.env').write_text(f'IBIND_REST_URL={sim.url}\nIBIND_ACCOUNT_ID={ACCOUNT}\n')
    proc = run_cli('health', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_options_after_the_command_override_those_before(sim):
    proc = run_cli('--url', f'http://127.0.0.1:{closed_port()}/v1/api/', 'health', '--url', sim.url)
    assert proc.returncode == 0, proc.stderr


def test_verbose_logs_to_stderr(sim):
    quiet = at(sim, 'history', 'AAPL', '--period', '2d', '--bar', '1d')
    loud = at(sim, '-vv', 'history', 'AAPL', '--period', '2d', '--bar', '1d')
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stderr == ''
    assert 'ibind' in loud.stderr and 'DEBUG' in loud.stderr
    assert loud.stdout == quiet.stdout or loud.stdout.splitlines()[0] == quiet.stdout.splitlines()[0]


def test_help_names_every_exit_code():
    proc = run_cli('--help')
    assert proc.returncode == 0
    for code in ('0 ok', '2 bad arguments', '3 gateway unreachable', '4 not authenticated'):
        assert code in ' '.join(proc.stdout.split())


# ----------------------------------------------------------------- diagnose


def test_diagnose_healthy_setup(sim):
    proc = at(sim, 'diagnose')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'everything needed works' in proc.stdout
    assert '[ok  ] market data' in proc.stdout


def test_diagnose_closed_port_exits_3():
    proc = run_cli('--url', f'http://127.0.0.1:{closed_port()}/v1/api/', 'diagnose', '--format', 'json')
    assert proc.returncode == 3
    (check,) = json.loads(proc.stdout)
    assert check['name'] == 'reachable' and check['status'] == 'fail' and 'start the gateway' in check['hint']


def test_diagnose_logged_out_exits_4(sim):
    control(sim, 'POST', 'session', {'action': 'deauthenticate'})
    proc = at(sim, 'diagnose')
    assert proc.returncode == 4
    assert 'log in' in proc.stdout
