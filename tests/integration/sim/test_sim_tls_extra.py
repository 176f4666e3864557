"""TLS needs the 'sim' extra (trustme); plain HTTP does not. Run in a fresh interpreter where trustme cannot import."""

import os
import subprocess
import sys

import requests

from ibind.sim import GatewaySimulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

WITHOUT_TRUSTME = """
import sys
sys.modules['trustme'] = None  # import trustme now raises ImportError, as when the extra is not installed
import requests
from ibind.sim import GatewaySimulator
with GatewaySimulator(port=0) as sim:
    print('http', requests.get(sim.url + 'tickle', timeout=5).status_code)
try:
    GatewaySimulator(port=0, tls=True).start()
except ImportError as error:
    print('tls', error)
"""


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT, check=False
    )


def test_plain_http_starts_without_trustme_and_tls_names_the_extra():
    proc = _run(WITHOUT_TRUSTME)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == 'http 200'
    assert lines[1].startswith('tls ') and "pip install 'ibind[sim]'" in lines[1] and 'trustme' in lines[1]


def test_command_line_tls_without_trustme_exits_with_the_hint():
    code = (
        "import sys, runpy; sys.modules['trustme'] = None; sys.argv = ['ibind.sim', '--tls', '--port', '0']; "
        "runpy.run_module('ibind.sim', run_name='__main__')"
    )
    proc = _run(code)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert 'cannot serve TLS' in proc.stderr and 'ibind[sim]' in proc.stderr


def test_with_trustme_the_tls_simulator_verifies_against_its_ca():
    with GatewaySimulator(port=0, tls=True) as sim:
        assert sim.url.startswith('https://')
        response = requests.get(sim.url + 'tickle', verify=sim.cacert, timeout=5)
        assert response.status_code == 200
