"""Is the simulator ever the bottleneck of a load test? Several client processes against one simulator process.

    python bench/sim_load.py [--processes 4] [--seconds 5] [--path iserver/contract/265598/info]

1. One client process (a keep-alive ``requests.Session``, sequential GETs) alone: what a single client sends.
2. ``--processes`` such clients at once: what the simulator served in total, and the CPU time it used for it.

The simulator's capacity is requests per CPU-second of its own process (it runs one interpreter, so at most one
core). On a machine with few cores the clients use up the cores first, and the total served is bounded by
the machine, not the simulator: the capacity figure is what says how many clients one simulator keeps up with.
The ratio printed is capacity / single client.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from sim_process import cpu_seconds, simulator_process

CLIENT = r"""
import json, sys, time, requests
url, seconds, start_at, trust_env = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == '1'
session = requests.Session()
session.trust_env = trust_env
for _ in range(50):
    session.get(url).raise_for_status()
while time.time() < start_at:
    time.sleep(0.001)
count, deadline = 0, time.monotonic() + seconds
while time.monotonic() < deadline:
    response = session.get(url)
    if response.status_code != 200:
        raise SystemExit(f'HTTP {response.status_code}: {response.text[:200]}')
    count += 1
print(json.dumps({'count': count, 'seconds': seconds}))
"""


def run_clients(url: str, processes: int, seconds: float, trust_env: bool) -> int:
    """Start ``processes`` clients that begin together; the requests they completed in ``seconds``."""
    start_at = time.time() + 1.5  # every interpreter started and warmed up before the clock runs
    children = [
        subprocess.Popen(
            [sys.executable, '-c', CLIENT, url, str(seconds), str(start_at), '1' if trust_env else '0'],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    total = 0
    for child in children:
        out, _ = child.communicate(timeout=seconds + 60)
        if child.returncode != 0:
            raise SystemExit(f'a client failed (exit {child.returncode})')
        total += json.loads(out.strip().splitlines()[-1])['count']
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--processes', type=int, default=4)
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument('--path', default='iserver/contract/265598/info', help='GET path below /v1/api/')
    parser.add_argument('--no-env-proxies', action='store_true', help='clients set trust_env = False')
    args = parser.parse_args()
    trust_env = not args.no_env_proxies
    with simulator_process() as sim:
        url = sim.url + args.path.lstrip('/')
        single = run_clients(url, 1, args.seconds, trust_env) / args.seconds
        cpu_before = cpu_seconds(sim.pid)
        served = run_clients(url, args.processes, args.seconds, trust_env)
        cpu_used = cpu_seconds(sim.pid) - cpu_before
    # the CPU reading spans the clients' warm-up too (50 requests each): count them
    capacity = (served + 50 * args.processes) / cpu_used if cpu_used else float('inf')
    print(f'GET /v1/api/{args.path.lstrip("/")}, simulator in its own process, {args.seconds:g} s per run')
    print(f'{"one client alone":<44}{single:>10,.0f} req/s')
    print(f'{f"{args.processes} client processes, total served":<44}{served / args.seconds:>10,.0f} req/s')
    print(f'{"simulator CPU per request":<44}{cpu_used / (served + 50 * args.processes) * 1e6:>10,.0f} us')
    print(f'{"simulator capacity (per CPU-second)":<44}{capacity:>10,.0f} req/s')
    print(f'{"capacity / one client":<44}{capacity / single:>10.2f} x')


if __name__ == '__main__':
    main()
