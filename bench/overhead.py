"""What IbkrClient costs per call on top of requests, measured in one run.

Sequential GETs against an in-process simulator (pacing off on both sides), through IbkrClient methods
and through a bare ``requests.Session`` on the very same URLs (parsing the JSON, as the client does).
The two run in alternating rounds so drift on the machine hits both alike.

    python bench/overhead.py [--calls 3000] [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests

from ibind import IbkrClient
from ibind.sim import GatewaySimulator

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


def bare_calls(session: requests.Session, url: str, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        conid = CONIDS[n % len(CONIDS)]
        if n % 2:
            response = session.get(f'{url}iserver/contract/{conid}/info')
        else:
            response = session.get(f'{url}trsrv/secdef', params={'conids': conid})
        response.raise_for_status()
        response.json()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=3000, help='calls per round and side')
    parser.add_argument('--rounds', type=int, default=6)
    args = parser.parse_args()
    with (
        GatewaySimulator(port=0) as sim,
        requests.Session() as session,
        IbkrClient(url=sim.url, account_id='DU1234567', pacing=False) as client,
    ):
        bare_calls(session, sim.url, 200)  # warm up both paths (connections, caches)
        client_calls(client, 200)
        per_side = {'ibind IbkrClient': [], 'requests.Session': []}
        for _ in range(args.rounds):
            per_side['requests.Session'].append(args.calls / bare_calls(session, sim.url, args.calls))
            per_side['ibind IbkrClient'].append(args.calls / client_calls(client, args.calls))
    bare = statistics.median(per_side['requests.Session'])
    print(f'{"client":<20}{"median req/s":>14}{"vs requests":>13}')
    for name, rates in per_side.items():
        rate = statistics.median(rates)
        print(f'{name:<20}{rate:>14.0f}{rate / bare:>13.3f}')
    print(f'({args.rounds} alternating rounds of {args.calls} sequential GETs each, loopback, pacing off)')


if __name__ == '__main__':
    main()
