"""Bulk work as fast as IBKR's limits allow, and not one 429: measured against a rate-enforcing simulator.

Two cases, each run by the client with pacing on against a simulator that enforces the same limits
(and answers every history request 200 ms late), in three threads at once (history, snapshots, order-status
polls):

- ``gateway``: 10 requests/s globally (the Client Portal Gateway); history for 50 conids, 100 snapshots;
- ``oauth``: 50 requests/s globally (OAuth 1.0a); history for 100 conids, snapshots of 500 different stocks.

The bound is the least time the limits allow for the requests actually sent, the largest of:

- the global rate R: requests start at most one every 1/R s, so the last starts (N - 1)/R after the first;
- each endpoint's rate (snapshots 10/s): (n - 1) / rate for the n requests it limits;
- each concurrency limit (history: 5 at once): ceil(n / 5) rounds of the 200 ms answer.

The last request may be a fast one, so no round trip is added. The client paces evenly (one request per 1/R,
never a burst): a burst would finish sooner on this simulator, whose buckets hold a second's worth, but IBKR
does not document a burst allowance.

    python bench/bulk.py [--case gateway|oauth|both]
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from typing import Any, Dict, List, Tuple

from ibind import IbkrClient, Pacer
from ibind.base.pacing import IBKR_LIMITS, Limit
from ibind.sim import GatewaySimulator

HISTORY_LATENCY = 0.2
CASES = {
    # name: (global rate, history conids, snapshot conids)
    'gateway': (10.0, 50, 100),
    'oauth': (50.0, 100, 500),
}


def _route_counts(sim: GatewaySimulator) -> Dict[str, int]:
    return {route: entry['count'] for route, entry in sim.control.counters()['by_route'].items()}


def _bound(sent: Dict[str, int], global_rate: float) -> Tuple[float, str]:
    """The least time IBKR's limits allow for these requests, and which limit sets it."""
    total = sum(sent.values())
    bound, binding = (total - 1) / global_rate, f'global {global_rate:g}/s'
    for limit in IBKR_LIMITS:
        count = sum(n for route, n in sent.items() if _limits(limit, route))
        if not count:
            continue
        if limit.rate is not None and (count - 1) * limit.per / limit.rate > bound:
            bound, binding = (count - 1) * limit.per / limit.rate, limit.describe()
        if limit.concurrency and math.ceil(count / limit.concurrency) * HISTORY_LATENCY > bound:
            bound, binding = math.ceil(count / limit.concurrency) * HISTORY_LATENCY, limit.describe()
    return bound, binding


def _limits(limit: Limit, route: str) -> bool:
    method, _, template = route.partition(' ')
    return method in limit.methods and template == limit.template


def run_case(name: str) -> Dict[str, Any]:
    global_rate, history_count, snapshot_count = CASES[name]
    latency = {'GET /iserver/marketdata/history': HISTORY_LATENCY}
    with GatewaySimulator(pacing=True, global_rate=global_rate, latency=latency, order_questions=False) as sim:
        universe = sim.gateway.universe.all()
        stocks = [str(i.conid) for i in universe if i.sec_type == 'STK']
        history_conids = (stocks + [str(i.conid) for i in universe if i.sec_type in ('FUT', 'CASH')])[:history_count]
        snapshot_conids = [stocks[n % len(stocks)] for n in range(snapshot_count)]
        pacer = Pacer(global_rate=global_rate)
        with IbkrClient(url=sim.url, account_id='DU1234567', pacing=pacer) as client:
            client.receive_brokerage_accounts()
            order_id = client.place_order(
                {'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'LMT', 'price': 1.0, 'tif': 'GTC'},
                answers={},
            ).data[0]['order_id']
            time.sleep(1.0)  # let the buckets refill: the timed work starts from a quiet client
            before = _route_counts(sim)
            outcome: Dict[str, List[Any]] = {}

            def history() -> None:
                outcome['history'] = list(
                    client.marketdata_history_by_conids(history_conids, period='1d', bar='1h', raise_on_error=True)
                )

            def snapshots() -> None:
                outcome['snapshots'] = [
                    client.live_marketdata_snapshot(conid, ['31', '84', '86']) for conid in snapshot_conids
                ]

            def polls() -> None:
                outcome['polls'] = [client.order_status(order_id) for _ in range(5)]

            started = time.perf_counter()
            threads = [threading.Thread(target=work) for work in (history, snapshots, polls)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        after = _route_counts(sim)
        state = sim.control.state()
    assert len(outcome.get('history', [])) == history_count, 'history incomplete'
    assert len(outcome.get('snapshots', [])) == snapshot_count, 'snapshots incomplete'
    sent = {route: count - before.get(route, 0) for route, count in after.items() if count > before.get(route, 0)}
    bound, binding = _bound(sent, global_rate)
    return {
        'case': name,
        'requests': sum(sent.values()),
        'wall': wall,
        'bound': bound,
        'binding': binding,
        'rejected': state['counters']['by_status'].get('429', 0),
        'max_history': state['marketdata']['history']['max_concurrent'],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--case', choices=[*CASES, 'both'], default='both')
    args = parser.parse_args()
    names = list(CASES) if args.case == 'both' else [args.case]
    print(f'{"case":<9}{"requests":>9}{"wall s":>9}{"bound s":>9}{"ratio":>8}{"429s":>6}  bound set by')
    for name in names:
        row = run_case(name)
        print(
            f'{row["case"]:<9}{row["requests"]:>9}{row["wall"]:>9.2f}{row["bound"]:>9.2f}'
            f'{row["wall"] / row["bound"]:>8.3f}{row["rejected"]:>6}  {row["binding"]}'
        )
    print(f'(limits enforced by the simulator; {HISTORY_LATENCY * 1000:.0f} ms per history request; see the docstring)')


if __name__ == '__main__':
    main()
