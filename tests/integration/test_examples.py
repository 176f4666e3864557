"""Every script in examples/ and ``python -m ibind.demo`` run to completion against a fresh simulator.

The scripts run as a user runs them: a separate Python process, configured only through IBIND_*
environment variables (no .env file, no other IBIND_* setting leaking in from the test's environment),
with ibind's default pacing. Each must exit 0, print what it is about, leave no traceback, and leave the
simulated account as it promised (orders cancelled, a session recovered, a logout sent).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest

from ibind.sim import GatewaySimulator

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / 'examples').glob('*.py'))
ACCOUNT = 'DU1234567'
INITIAL_POSITIONS = {ACCOUNT: [{'conid': 265598, 'quantity': 50, 'avg_price': 180.0}]}  # so rest_01 shows one
TEST_DEPENDENCIES = ('pytest', 'jsonschema', 'hypothesis')


def _open_orders(state: dict) -> List[dict]:
    return [order for order in state['orders']['orders'] if order['status'] in ('PreSubmitted', 'Submitted')]


def _check_place_order(state: dict) -> None:
    orders = state['orders']['orders']
    assert len(orders) == 1 and orders[0]['status'] == 'Cancelled', orders
    assert orders[0]['modifications'], 'the order was not modified'
    assert state['orders']['stats']['declined'] == 1  # the unanswered question


def _check_bracket(state: dict) -> None:
    orders = state['orders']['orders']
    assert [order['status'] for order in orders] == ['Cancelled'] * 3
    assert orders[1]['parent_id'] == orders[2]['parent_id'] == orders[0]['order_id']


def _check_recovery(state: dict) -> None:
    assert state['session']['authenticated'] is True


# script -> (fragments its output must contain, a check of the simulator's state afterwards)
EXPECTED: Dict[str, Tuple[List[str], Optional[Callable[[dict], None]]]] = {
    'rest_01_basic.py': (['authenticated=True', f'using: {ACCOUNT}', 'netliquidation', '1 position(s)', 'AAPL'], None),
    'rest_02_intermediate.py': (
        [
            'APPLE INC',
            'INTL BUSINESS MACHINES CORP',
            'net liquidation',
            '1 EUR = ',
            'refused before sending:',
            'IBKR refused: status 400',
        ],
        None,
    ),
    'rest_03_stock_querying.py': (
        [
            'APPLE INC-CDR',
            "'AAPL': 265598",
            'Apple in Mexico  -> conid 38708077',
            'the Apple CDR    -> conid 532640894',
            'AmbiguousSymbolError',
        ],
        None,
    ),
    'rest_04_place_order.py': (
        ['unanswered question', '[o163]', 'placed: order', 'modified: limit now', 'status after cancel: Cancelled'],
        _check_place_order,
    ),
    'rest_05_marketdata_history.py': (['last_price', 'IBM daily bars', 'hourly bars', 'HMDS: '], None),
    'rest_06_options_chain.py': (['option months', 'nearest strike', ' Call ', ' Put ', 'delta'], None),
    'rest_07_bracket_orders.py': (['take-profit', 'stop-loss', 'parentId', 'cancel the entry'], _check_bracket),
    'rest_09_tickler_and_recovery.py': (
        ['Tickler after', 'failures=0', 'authenticated=False', 'authenticated again: True', "'brokerage_session': 1"],
        _check_recovery,
    ),
    'rest_10_parallel_history.py': (['NVDA', 'in parallel', 'one by one', 'APPLE INC'], None),
    'ws_01_basic.py': (
        [
            'stream: connected',
            'AAPL quote: last=',
            'md+265598: active, 3 message(s)',
            'ws-01-example -> Submitted',
            'ws-01-example -> Cancelled',
            'cancel acknowledged in the stream: True',
            'state=closed, stream threads left=0',
        ],
        None,
    ),
    'ws_02_staying_connected.py': (
        [
            'event: silent',
            'event: recovered',
            'recoveries=1, silent resets=1',
            'md+265598: active',
            'md+8314: active',
            'closed: state=closed',
        ],
        _check_recovery,
    ),
}
OAUTH_EXAMPLE = 'rest_08_oauth.py'


def clean_environment(**settings: str) -> Dict[str, str]:
    """The test's environment without any IBIND_* variable, plus ``settings``; ibind imported from this checkout."""
    env = {key: value for key, value in os.environ.items() if not key.startswith('IBIND_')}
    env['PYTHONPATH'] = os.pathsep.join([str(REPO)] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env.update(settings)
    return env


def run(arguments: List[str], env: Dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )


def assert_ran_cleanly(process: subprocess.CompletedProcess, fragments: List[str]) -> None:
    report = f'exit code {process.returncode}\n--- stdout\n{process.stdout}\n--- stderr\n{process.stderr}'
    assert process.returncode == 0, report
    assert 'Traceback' not in process.stderr + process.stdout, report
    assert process.stdout.strip(), report
    missing = [fragment for fragment in fragments if fragment not in process.stdout]
    assert not missing, f'missing {missing}\n{report}'


def test_every_example_is_covered():
    names = {path.name for path in EXAMPLES}
    assert {'rest_01_basic.py', 'rest_04_place_order.py', 'rest_07_bracket_orders.py', OAUTH_EXAMPLE} <= names
    assert not set(EXPECTED) - names, 'EXPECTED names a script that no longer exists'


@pytest.mark.parametrize(
    'script', [path for path in EXAMPLES if path.name != OAUTH_EXAMPLE], ids=lambda path: path.name
)
def test_example_runs_against_the_simulator(script, tmp_path):
    fragments, check = EXPECTED.get(script.name, ([], None))
    with GatewaySimulator(port=0, initial_positions=INITIAL_POSITIONS) as sim:
        env = clean_environment(
            IBIND_REST_URL=sim.url,
            IBIND_ACCOUNT_ID=ACCOUNT,
            IBIND_CACERT='False',
            IBIND_SIM_CONTROL_URL=sim.control_url,
        )
        process = run([str(script)], env, tmp_path)
        assert_ran_cleanly(process, fragments)
        state = sim.control.state()
    assert state['counters']['total'] > 0
    if check is not None:
        check(state)
    else:
        assert not _open_orders(state), 'the example left orders open'


def test_oauth_example_runs_against_an_oauth_simulator_over_tls(tmp_path):
    from ibind.sim.oauth import make_test_credentials

    creds = make_test_credentials(str(tmp_path / 'oauth'))
    with GatewaySimulator(port=0, tls=True, oauth=creds.server) as sim:
        settings = dict(line.split('=', 1) for line in creds.env_lines(sim.url).splitlines() if line)
        env = clean_environment(**settings, IBIND_CACERT=sim.cacert, IBIND_ACCOUNT_ID=ACCOUNT)
        process = run([str(REPO / 'examples' / OAUTH_EXAMPLE)], env, tmp_path)
        assert_ran_cleanly(
            process,
            [
                "mode='oauth'",
                'Tickler: running=True',
                'healthy: True',
                'authenticated=True',
                f'using {ACCOUNT}',
                'closed: Tickler stopped',
            ],
        )
        state = sim.control.state()
    assert state['oauth']['lst_issued'] == 1 and state['oauth']['rejected'] == {}
    assert state['oauth']['verified'] >= 5  # every request after the token exchange was signed and verified
    assert state['counters']['by_route']['POST /logout']['count'] == 1


# --------------------------------------------------------------------------- python -m ibind.demo

DEMO_STEPS = [
    '[1] Health',
    '[2] Accounts',
    '[3] Conid lookup',
    '[4] Market data snapshot',
    '[5] History',
    '[6] Portfolio before trading',
    '[7] Bracket order',
    '[8] Fills',
    '[9] Portfolio after the bracket',
    '[10] Cancel',
]


def demo_output(seed: int, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    return run(['-m', 'ibind.demo', '--seed', str(seed), *options], clean_environment(), tmp_path)


def test_demo_runs_a_complete_session_quietly(tmp_path):
    process = demo_output(0, tmp_path)
    assert_ran_cleanly(
        process,
        DEMO_STEPS
        + [
            'healthy: True',
            'selected: DU1234567',
            'AAPL    265598',
            'questions IBKR asked, and the answers given:',
            '[o10331] You are about to submit a stop order',
            '-> yes (QuestionType.STOP_ORDER_RISKS)',
            '[o163] The following order',
            '-> yes (QuestionType.PRICE_PERCENTAGE_CONSTRAINT)',
            'sim.control.advance(300)',
            'realized P&L',
            'Request was submitted',
            'Done: ',
        ],
    )
    assert process.stderr == ''  # no log lines, no warnings
    out = process.stdout
    positions = [out.index(step) for step in DEMO_STEPS]
    assert positions == sorted(positions), 'the steps are out of order'
    fills = out[out.index('[8] Fills') : out.index('[9]')]
    assert re.search(r'parent +\d+ +BUY .* Filled', fills), fills
    exits = re.findall(r'(take-profit|stop-loss) +\d+ +SELL +\w+ +[\d.]+ +(\w+)', fills)
    assert sorted(status for _, status in exits) == ['Cancelled', 'Filled'], fills  # one exit fills, OCA cancels
    cancel = out[out.index('[10] Cancel') :]
    assert re.search(r'order \d+: Submitted', cancel), cancel
    assert re.search(r"order_status\('\d+'\)\.data\['order_status'\]\n +Cancelled\n", cancel), cancel


def test_demo_replays_the_same_session_for_a_seed_without_test_dependencies(tmp_path):
    code = (
        'import io, sys\n'
        'from ibind.demo import run_demo\n'
        'out = io.StringIO()\n'
        'code = run_demo(seed=2, out=out)\n'
        'sys.stdout.write(out.getvalue())\n'
        f'print("test deps imported:", sorted(set({TEST_DEPENDENCIES!r}) & set(sys.modules)))\n'
        'sys.exit(code)\n'
    )
    first = run(['-c', code], clean_environment(), tmp_path)
    second = demo_output(2, tmp_path)
    assert_ran_cleanly(first, ['test deps imported: []'])
    assert_ran_cleanly(second, DEMO_STEPS)

    def session(text: str) -> List[str]:  # all but the simulator's port and the wall-clock timing
        return [line for line in text.splitlines() if not line.lstrip().startswith(('gateway:', 'Done:', 'test deps'))]

    assert session(first.stdout) == session(second.stdout)
    assert session(demo_output(3, tmp_path).stdout) != session(second.stdout)  # another seed, another market


def test_demo_verbose_shows_ibinds_log_on_stderr(tmp_path):
    process = demo_output(0, tmp_path, '--verbose')
    assert_ran_cleanly(process, DEMO_STEPS)
    assert 'ibind.orders: confirming order question' in process.stderr


def test_demo_help_names_its_options(tmp_path):
    process = demo_output(0, tmp_path, '--help')
    assert process.returncode == 0 and '--seed' in process.stdout and '--verbose' in process.stdout
