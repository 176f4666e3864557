"""ibind ships py.typed: its client side must pass mypy with the project's configuration ([tool.mypy]).

Skipped when mypy is not installed (it comes with the ``lint`` extra). ``ibind.sim`` and ``ibind.demo`` are
left out until they are clean too.
"""

import os
import subprocess
import sys

import pytest

import ibind

pytest.importorskip('mypy')

PACKAGE_DIR = os.path.dirname(os.path.abspath(ibind.__file__))
ROOT = os.path.dirname(PACKAGE_DIR)
NOT_YET_CHECKED = {'sim', 'demo.py'}


def test_the_client_side_of_the_package_type_checks(tmp_path):
    targets = sorted(
        os.path.join('ibind', name)
        for name in os.listdir(PACKAGE_DIR)
        if name not in NOT_YET_CHECKED
        and (name.endswith('.py') or os.path.isfile(os.path.join(PACKAGE_DIR, name, '__init__.py')))
    )
    assert 'ibind/client' in targets and 'ibind/base' in targets
    result = subprocess.run(
        [sys.executable, '-m', 'mypy', '--cache-dir', str(tmp_path / 'mypy_cache'), *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if ': error:' in line]
    assert result.returncode == 0 and not errors, '\n'.join(errors) or result.stdout + result.stderr
