"""What IbkrClient costs per call on top of requests, measured in one run.

Sequential GETs against the simulator in a process of its own (as a gateway is), through IbkrClient methods and through a bare
``requests.Session`` on the very same URLs (parsing the JSON, as the client does). Four sides, in alternating
rounds so drift on the machine hits all alike:

- ``requests.Session``: what a user of requests gets by default (it re-reads the proxy environment and looks
  for ~/.netrc on every call), with the same (connect, read) timeouts as the client: a socket with a timeout
  polls before each read, one system call more per read than a blocking one, and no client should go without;
- ``requests trust_env=False``: the same without that, the floor of any client built on requests;
- IbkrClient with pacing off, and with pacing on at a rate this loop never reaches (100,000/s), so the
  figure is the pacer's bookkeeping, not a wait.

    python bench/overhead.py [--calls 2000] [--rounds 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Tuple

import requests
from sim_process import simulator_process

from ibind import IbkrClient, Pacer

CONIDS = ['265598', '272093', '8314', '4391', '756733']


def client_calls(client: IbkrClient, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        conid = CONIDS[n % len(CONIDS)]
        if n % 2:
            client.contract_information_by_conid(conid)
        else:
            client.security_definition_by_conid(conid)
    return time.perf_counter() - started


def bare_calls(session: requests.Session, url: str, count: int, timeout: Tuple[float, float]) -> float:
    started = time.perf_counter()
    for n in range(count):
        conid = CONIDS[n % len(CONIDS)]
        if n % 2:
            response = session.get(f'{url}iserver/contract/{conid}/info', timeout=timeout)
        else:
            response = session.get(f'{url}trsrv/secdef', params={'conids': conid}, timeout=timeout)
        response.raise_for_status()
        response.json()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=2000, help='calls per round and side')
    parser.add_argument('--rounds', type=int, default=8)
    args = parser.parse_args()
    with (
        simulator_process() as sim,
        requests.Session() as session,
        requests.Session() as bare_session,
        IbkrClient(url=sim.url, account_id='DU1234567', pacing=False) as client,
        IbkrClient(url=sim.url, account_id='DU1234567', pacing=Pacer(global_rate=100_000)) as paced,
    ):
        bare_session.trust_env = False
        timeout = (client.connect_timeout, client.timeout)
        sides = {
            'requests.Session': lambda n: bare_calls(session, sim.url, n, timeout),
            'requests trust_env=False': lambda n: bare_calls(bare_session, sim.url, n, timeout),
            'IbkrClient pacing off': lambda n: client_calls(client, n),
            'IbkrClient pacing on': lambda n: client_calls(paced, n),
        }
        for run in sides.values():
            run(200)  # warm up every path (connections, caches)
        rates: dict = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, run in sides.items():
                rates[name].append(args.calls / run(args.calls))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    default, floor = medians['requests.Session'], medians['requests trust_env=False']
    print(f'{"client":<27}{"median req/s":>14}{"vs requests":>13}{"vs trust_env=False":>20}')
    for name, rate in medians.items():
        print(f'{name:<27}{rate:>14.0f}{rate / default:>13.3f}{rate / floor:>20.3f}')
    print(
        f'({args.rounds} alternating rounds of {args.calls} sequential GETs per side, loopback, simulator in its own process)'
    )


if __name__ == '__main__':
    main()
