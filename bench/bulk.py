"""Bulk work as fast as IBKR's limits allow, and not one 429: measured against a rate-enforcing simulator.

The simulator enforces the gateway's limits (10 requests/s globally, 10/s for snapshots, 5 concurrent
history requests) and answers every history request 200 ms late. The client, pacing on, runs in three
threads at once: history for 50 conids (``marketdata_history_by_conids``), snapshots for 100 conids, and
5 order-status polls.

Theoretical minimum: with N requests and a global limit of R per second, requests can start no faster
than one every 1/R s, so the last one starts (N - 1)/R s after the first and ends a round trip later.
History's 5-at-a-time with 200 ms latency allows 25/s and snapshots' own limit equals the global one,
so the global limit binds: minimum = (N - 1)/R + the last request's latency.

    python bench/bulk.py
"""

from __future__ import annotations

import threading
import time

from ibind import IbkrClient
from ibind.sim import GatewaySimulator

GLOBAL_RATE = 10.0
HISTORY_LATENCY = 0.2


def main() -> None:
    latency = {'GET /iserver/marketdata/history': HISTORY_LATENCY}
    with GatewaySimulator(pacing=True, global_rate=GLOBAL_RATE, latency=latency, order_questions=False) as sim:
        universe = sim.gateway.universe.all()
        stocks = [str(i.conid) for i in universe if i.sec_type == 'STK']
        history_conids = (stocks + [str(i.conid) for i in universe if i.sec_type in ('FUT', 'CASH')])[:50]
        snapshot_conids = [stocks[n % len(stocks)] for n in range(100)]
        with IbkrClient(url=sim.url, account_id='DU1234567', pacing=True) as client:
            client.receive_brokerage_accounts()
            order_id = client.place_order(
                {'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'LMT', 'price': 1.0, 'tif': 'GTC'},
                answers={},
            ).data[0]['order_id']
            time.sleep(1.0)  # let the buckets refill: the timed work starts from a quiet client
            before = sim.control.state()['counters']['total']
            outcome = {}

            def history() -> None:
                outcome['history'] = client.marketdata_history_by_conids(
                    history_conids, period='1d', bar='1h', raise_on_error=True
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
        state = sim.control.state()
    requests_sent = state['counters']['total'] - before
    minimum = (requests_sent - 1) / GLOBAL_RATE + HISTORY_LATENCY
    rejected = state['counters']['by_status'].get('429', 0)
    assert len(outcome.get('history', {})) == 50 and len(outcome.get('snapshots', [])) == 100, 'work incomplete'
    print(f'{"requests":>9}{"wall s":>9}{"minimum s":>11}{"ratio":>8}{"429s":>6}{"max history in flight":>23}')
    print(
        f'{requests_sent:>9}{wall:>9.2f}{minimum:>11.2f}{wall / minimum:>8.3f}{rejected:>6}'
        f'{state["marketdata"]["history"]["max_concurrent"]:>23}'
    )
    print(
        f'(gateway limits enforced by the simulator: {GLOBAL_RATE:g} req/s global, 10/s snapshots, 5 concurrent '
        f'history; {HISTORY_LATENCY * 1000:.0f} ms per history request; minimum = (requests - 1) / '
        f'{GLOBAL_RATE:g} + {HISTORY_LATENCY:g} s)'
    )


if __name__ == '__main__':
    main()
