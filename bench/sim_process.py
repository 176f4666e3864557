"""The simulator in a process of its own, as a real gateway is: benchmarks then measure the client alone,
not the client and the simulator taking turns on one interpreter lock."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from typing import Iterator, List, NamedTuple

import requests

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class SimProcess(NamedTuple):
    url: str  # the REST URL, http://127.0.0.1:<port>/v1/api/
    pid: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    with open(f'/proc/{pid}/stat') as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


@contextlib.contextmanager
def simulator_process(*options: str) -> Iterator[SimProcess]:
    """Start ``python -m ibind.sim`` on a free loopback port and wait until it answers."""
    port = free_port()
    command: List[str] = [sys.executable, '-m', 'ibind.sim', '--port', str(port), *options]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f'http://127.0.0.1:{port}/v1/api/'
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + 'tickle', timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    detail = process.stderr.read().decode()[-2000:] if process.stderr else ''
                    raise RuntimeError(f'the simulator did not start: {detail}') from None
                time.sleep(0.05)
        yield SimProcess(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
