"""README's first client snippet runs as written (against the simulator), and the `ibind` console script resolves."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_readme_first_python_snippet_runs_and_places_no_market_order():
    readme = (REPO / 'README.md').read_text(encoding='utf-8')
    snippet = re.search(r'```python\n(.*?)```', readme, re.S).group(1)
    assert "'MKT'" not in snippet and 'GatewaySimulator' in snippet
    env = {key: value for key, value in os.environ.items() if not key.startswith('IBIND_')}
    env['PYTHONPATH'] = str(REPO)
    proc = subprocess.run(
        [sys.executable, '-c', snippet], capture_output=True, text=True, env=env, timeout=120, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == 'True'
    assert "'last_price': " in proc.stdout and "'last_price': '" not in proc.stdout  # numbers, not strings


def test_console_script_points_at_the_cli_main():
    pyproject = (REPO / 'pyproject.toml').read_text(encoding='utf-8')
    scripts = re.search(r'\[project\.scripts\]\n(.*?)(?:\n\[|\Z)', pyproject, re.S).group(1)
    target = re.search(r'^ibind\s*=\s*"([\w.]+):(\w+)"', scripts, re.M)
    assert target is not None, scripts
    module, function = target.groups()
    code = f'import {module}; print(callable({module}.{function}))'
    proc = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, 'PYTHONPATH': str(REPO)},
    )
    assert proc.stdout.strip() == 'True', proc.stderr
