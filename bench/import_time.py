"""Import cost of ibind next to requests (our floor: ibind depends on it), measured in one run.

Each statement runs in a fresh interpreter with ``python -X importtime``; the figure is the sum of the
cumulative times of every outermost import the statement caused (start-up imports excluded), the
median of several runs. A paired figure times ``import requests`` and then the statement in one
interpreter, whose ratio is steadier than one of two medians from different processes. Also checks that nothing
heavy (the simulator, pycryptodome, pandas, numpy) is imported by ``import ibind`` itself.

    python bench/import_time.py [--runs 11] [--instructions] [--installed]

``--installed`` repeats the paired figure where a user's ibind lives: a throw-away virtual environment with
ibind installed from this checkout as a regular (non-editable) package and its dependencies from the package
index. A development checkout's editable install differs: its import finder, loaded at start-up, imports
pathlib, urllib.parse and ipaddress, which ``import requests`` would otherwise pay for, so there the
denominator is smaller and the ratio higher.

Wall-clock import times move by 10-20% from one run to the next on a shared machine, ratios included.
``--instructions`` also counts the instructions each statement executes beyond an empty interpreter, with
valgrind's callgrind (repeatable to a fraction of a percent, whatever else the machine does; it leaves out
the time of system calls, such as the stat and read of each module file).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

STATEMENTS = ('import requests', 'import ibind', 'from ibind import IbkrClient', 'import ibind.sim')
# Bytecode is cached as after `pip install` (which compiles .pyc files), even where the environment says
# PYTHONDONTWRITEBYTECODE: otherwise ibind would be compiled from source on every run and requests would not.
ENV = {key: value for key, value in os.environ.items() if key != 'PYTHONDONTWRITEBYTECODE'}
HEAVY = ('Crypto', 'ibind.sim', 'pandas', 'numpy', 'cryptography', 'jsonschema')


def _top_level_imports(statement: str) -> dict:
    """{module: cumulative microseconds} of the outermost imports one fresh interpreter makes for ``statement``."""
    proc = subprocess.run(
        [sys.executable, '-X', 'importtime', '-c', statement], capture_output=True, text=True, check=True, env=ENV
    )
    found = {}
    for line in proc.stderr.splitlines():
        if not line.startswith('import time:') or line.count('|') != 2:
            continue
        _, cumulative, raw_name = line[len('import time:') :].split('|')
        if not cumulative.strip().isdigit():
            continue  # the header line
        if len(raw_name) - len(raw_name.lstrip()) == 1:  # one space: not nested in another import
            found[raw_name.strip()] = int(cumulative)
    return found


def cumulative_us(statement: str, startup: set) -> int:
    """Microseconds of every import the statement caused (interpreter start-up imports excluded)."""
    return sum(us for name, us in _top_level_imports(statement).items() if name not in startup)


def heavy_modules_after(statement: str) -> list:
    code = f'{statement}; import sys; print(",".join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))'
    return [
        m
        for m in subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, env=ENV)
        .stdout.strip()
        .split(',')
        if m
    ]


def modules_beyond_requests(statement: str) -> list:
    code = (
        f'import sys, requests; before = set(sys.modules); {statement}; '
        'print(",".join(sorted(m for m in set(sys.modules) - before if not m.startswith("ibind"))))'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, env=ENV).stdout
    return [m for m in out.strip().split(',') if m]


PAIRED = (
    'import time\n'
    't0 = time.perf_counter()\n'
    'import requests\n'
    't1 = time.perf_counter()\n'
    '{statement}\n'
    't2 = time.perf_counter()\n'
    'print(t1 - t0, t2 - t1)\n'
)


def paired_ratio(statement: str, python: str = sys.executable, cwd: str | None = None) -> float:
    """(requests + what ``statement`` adds) / requests, both timed in one fresh interpreter (no -X importtime).

    Timed in the same process, the two share the machine's state of that moment, so this ratio moves far
    less from run to run than the ratio of two medians taken in different processes.
    """
    out = subprocess.run(
        [python, '-c', PAIRED.format(statement=statement)], capture_output=True, text=True, check=True, env=ENV, cwd=cwd
    ).stdout
    requests_s, added_s = (float(x) for x in out.split())
    return (requests_s + added_s) / requests_s


def instructions(statement: str) -> int:
    """Instructions a fresh interpreter executes for ``statement`` (callgrind, hash seed fixed)."""
    proc = subprocess.run(
        ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', sys.executable, '-c', statement],
        capture_output=True,
        text=True,
        env={**ENV, 'PYTHONHASHSEED': '0'},
        check=True,
    )
    match = re.search(r'Collected : (\d+)', proc.stderr)
    if match is None:
        raise RuntimeError('callgrind printed no total: ' + proc.stderr[-500:])
    return int(match.group(1))


def print_instructions() -> None:
    if shutil.which('valgrind') is None:
        print('(--instructions needs valgrind)')
        return
    empty = instructions('pass')
    counts = {statement: instructions(statement) - empty for statement in STATEMENTS}
    floor = counts['import requests']
    print(f'{"statement":<32}{"M instructions":>15}{"x requests":>12}')
    for statement, count in counts.items():
        print(f'{statement:<32}{count / 1e6:>15.1f}{count / floor:>12.3f}')


def print_paired(runs: int, python: str = sys.executable, cwd: str | None = None) -> None:
    # the simulator does not use requests: only the client's statements have requests under them
    paired = {statement: [paired_ratio(statement, python, cwd) for _ in range(runs)] for statement in STATEMENTS[1:3]}
    print('paired, requests then the statement in one interpreter (median ratio; lowest-highest):')
    for statement, ratios in paired.items():
        print(f'  {statement:<30}{statistics.median(ratios):>8.3f}  ({min(ratios):.3f}-{max(ratios):.3f})')


def startup_modules(python: str, cwd: str | None = None) -> set:
    code = 'import sys; print(",".join(sys.modules))'
    out = subprocess.run([python, '-c', code], capture_output=True, text=True, check=True, env=ENV, cwd=cwd).stdout
    return set(out.strip().split(','))


def print_installed(runs: int) -> None:
    """The paired figure in a fresh virtual environment holding a regular install of this checkout."""
    checkout = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory(prefix='ibind-import-') as scratch:
        venv = Path(scratch) / 'venv'
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
        python = str(venv / 'bin' / 'python')
        subprocess.run(
            [python, '-m', 'pip', 'install', '-q', checkout], check=True, env=ENV, cwd=scratch, capture_output=True
        )
        versions = subprocess.run(
            [python, '-c', 'import requests, urllib3; print(requests.__version__, urllib3.__version__)'],
            capture_output=True,
            text=True,
            check=True,
            env=ENV,
            cwd=scratch,
        ).stdout.split()
        print(f'installed (regular install in a fresh venv; requests {versions[0]}, urllib3 {versions[1]}):')
        print_paired(runs, python, cwd=scratch)  # cwd: the checkout's own ibind/ must not shadow the installed one
        preloaded = startup_modules(sys.executable) - startup_modules(python, cwd=scratch)
        named = sorted(m for m in preloaded if '.' not in m and not m.startswith('_'))
        print(f'this interpreter preloads {len(preloaded)} more modules at start-up than the venv: {", ".join(named)}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=11)
    parser.add_argument('--instructions', action='store_true', help='also count instructions with callgrind')
    parser.add_argument('--installed', action='store_true', help='also measure a regular install in a fresh venv')
    args = parser.parse_args()
    startup = set(_top_level_imports('pass'))
    for statement in STATEMENTS:  # warm-up: write the bytecode caches
        _top_level_imports(statement)
    results = {}
    for _ in range(args.runs):  # interleaved, so drift on the machine hits every statement alike
        for statement in STATEMENTS:
            results.setdefault(statement, []).append(cumulative_us(statement, startup))
    floor = statistics.median(results['import requests'])
    print(f'{"statement":<32}{"median ms":>11}{"x requests":>12}')
    for statement, samples in results.items():
        median = statistics.median(samples)
        print(f'{statement:<32}{median / 1000:>11.1f}{median / floor:>12.2f}')
    print_paired(args.runs)
    heavy = heavy_modules_after('import ibind; from ibind import IbkrClient')
    beyond = modules_beyond_requests('from ibind import IbkrClient')
    print(f'heavy modules imported by ibind: {", ".join(heavy) if heavy else "none"}')
    print(f'stdlib/third-party modules IbkrClient loads beyond requests: {", ".join(beyond) if beyond else "none"}')
    print(f'(python {sys.version.split()[0]}, {args.runs} runs each, median)')
    if args.installed:
        print_installed(args.runs)
    if args.instructions:
        print_instructions()


if __name__ == '__main__':
    main()
