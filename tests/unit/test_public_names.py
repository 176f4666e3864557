"""The public names of DESIGN.md are importable from ibind, and `import ibind` loads nothing heavy."""

import subprocess
import sys

import ibind

PUBLIC = [
    'IbkrClient',
    'Result',
    'StockQuery',
    'OrderRequest',
    'make_order_request',
    'QuestionType',
    'Answers',
    'ExternalBrokerError',
    'OAuth1aConfig',
    'Tickler',
    'snapshot_keys_to_ids',
    'execute_in_parallel',
    'ibind_logs_initialize',
    'RateLimitError',
    'OutcomeUnknownError',
    'NotAuthenticatedError',
]


def test_every_public_name_resolves():
    for name in PUBLIC + list(ibind.__all__):
        assert getattr(ibind, name) is not None, name


def test_same_objects_as_in_ibkr_utils():
    from ibind.client import ibkr_utils

    for name in ('StockQuery', 'OrderRequest', 'make_order_request', 'QuestionType', 'Answers'):
        assert getattr(ibind, name) is getattr(ibkr_utils, name)


def test_import_ibind_loads_nothing_heavy():
    code = (
        'import sys, ibind; from ibind import IbkrClient; '
        'print(sorted(m for m in sys.modules if m.split(".")[0] in '
        '("Crypto", "pandas", "numpy", "cryptography", "jsonschema") or m.startswith("ibind.sim")))'
    )
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.stdout.strip() == '[]', proc.stdout + proc.stderr


def test_from_ibind_import_ibkrclient_adds_no_stdlib_module_beyond_requests():
    """Import time: dataclasses (and with it inspect, ast, dis), decimal, fractions, concurrent.futures and
    signal load only when a feature needs them (an OrderRequest, a Decimal price, bulk work, a signal handler)."""
    code = (
        'import sys, requests; before = set(sys.modules); from ibind import IbkrClient; '
        'print(sorted(m for m in set(sys.modules) - before if not m.startswith("ibind")))'
    )
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.stdout.strip() == '[]', proc.stdout + proc.stderr


DEFERRED = (
    'ibind.base.failures',
    'ibind.client.history',
    'ibind.client.ibkr_definitions',
    'ibind.client.order_dicts',
    'ibind.client.order_reconciliation',
    'ibind.client.tickler',
    'ibind.support.ibkr_advice',
    'ibind.support.progress',
)


def test_parts_only_some_calls_need_load_on_the_first_such_call(client):
    """Import time: history, order reconciliation, progress bars, the Tickler and failure handling load when first used."""
    code = f'import sys; from ibind import IbkrClient; print(sorted(m for m in {DEFERRED!r} if m in sys.modules))'
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.stdout.strip() == '[]', proc.stdout + proc.stderr
    # and in this process, where other tests may have loaded them already, they work through the deferral
    seen = []
    bars = client.marketdata_history_by_conids(
        ['265598'], bar='1d', period='5d', progress=lambda *report: seen.append(report)
    )
    assert bars['265598'] and [done for _, _, done, _ in seen] == [1], (bars, seen)
    assert client.start_tickler(interval=60).running
    assert client.stop_tickler(timeout=5)


def test_a_failure_in_a_fresh_interpreter_loads_its_deferred_handling():
    """The failure path is deferred: its first use must still classify and describe (nothing listens on port 9)."""
    code = (
        'import sys\n'
        'from ibind.base.rest_client import RestClient\n'
        'from ibind.support.errors import GatewayUnreachableError\n'
        'assert "ibind.base.failures" not in sys.modules\n'
        'with RestClient("http://127.0.0.1:9/v1/api/", timeout=5) as client:\n'
        '    try:\n'
        '        client.get("iserver/auth/status")\n'
        '    except GatewayUnreachableError as error:\n'
        '        print(type(error).__name__, "ibind.base.failures" in sys.modules)\n'
    )
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == 'GatewayUnreachableError True', proc.stdout + proc.stderr
