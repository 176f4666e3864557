"""How many streaming messages per second IbkrWsClient parses and delivers, and how late they arrive.

    python bench/ws_throughput.py [--messages 50000] [--latency-samples 500] [--tls]

Starts a GatewaySimulator in this process, connects an IbkrWsClient, subscribes to one smd channel, and
asks the simulator (``POST /sim/ws {"burst": ...}``) to push smd-shaped messages as fast as its socket
takes them; every burst message carries the simulator's wall time at sending (``_sent``). Measured in one
run, so the figures are comparable with each other (not across machines):

* parse only: ``_on_message`` called in a loop on a prepared frame (no socket): the client's ceiling;
* via queue: a consumer thread drains the MARKET_DATA queue (``QueueAccessor.get``) while the burst arrives;
* via callback: a callback counts the same burst;
* latency, simulator send -> user callback: p50/p99, once at saturation (the burst above) and once at a
  low rate (one message every ~2 ms), where it is the path itself rather than the queue of unread frames.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from typing import List

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from ibind import IbkrClient, IbkrWsKey
from ibind.sim import GatewaySimulator

CONID = 265598


def _percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _burst(control: requests.Session, sim: GatewaySimulator, count: int) -> None:
    response = control.post(sim.control_url + 'ws', json={'burst': {'count': count, 'conid': CONID}})
    response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--messages', type=int, default=50_000)
    parser.add_argument('--latency-samples', type=int, default=500)
    parser.add_argument('--tls', action='store_true', help='wss:// with a verified certificate (default ws://)')
    args = parser.parse_args()

    with (
        GatewaySimulator(port=0, tls=args.tls, frozen_clock=True) as sim,
        IbkrClient(url=sim.url, account_id='DU1234567', cacert=sim.cacert or False, pacing=False) as rest,
        requests.Session() as control,
    ):
        control.trust_env = False
        control.verify = sim.cacert or False
        ws = rest.websocket(queue_size=0, poll_interval=0.05)
        ws.start()
        assert ws.wait_ready(10), 'the stream did not connect'
        subscription = ws.subscribe(f'md+{CONID}', {'fields': ['31', '84', '86']})
        assert subscription.wait_active(10)
        accessor = ws.new_queue_accessor(IbkrWsKey.MARKET_DATA)
        accessor.get_all()

        # -- parse only (no socket): the client's own cost per message
        frame = json.dumps(
            {
                'server_id': '1',
                'conidEx': str(CONID),
                'conid': CONID,
                '_updated': 1,
                '31': '193.18',
                '84': '193.17',
                '86': '193.19',
                '6119': '1',
                'topic': f'smd+{CONID}',
            }
        )
        count = min(args.messages, 50_000)
        started = time.perf_counter()
        for _ in range(count):
            ws._on_message(frame)
        parse_rate = count / (time.perf_counter() - started)
        accessor.get_all()

        # -- via queue: a consumer drains the queue while the burst arrives
        received = 0
        latencies: List[float] = []

        def consume() -> None:
            nonlocal received
            while received < args.messages:
                message = accessor.get(timeout=10)
                if message is None:
                    return
                if '_sent' in message.raw:
                    received += 1

        consumer = threading.Thread(target=consume)
        consumer.start()
        started = time.perf_counter()
        _burst(control, sim, args.messages)
        consumer.join()
        queue_rate = received / (time.perf_counter() - started)

        # -- via callback (the queue still fills; drained afterwards)
        done = threading.Event()
        counted = 0

        def on_message(message) -> None:
            nonlocal counted
            if '_sent' in message.raw:
                counted += 1
                latencies.append(time.time() - message.raw['_sent'])
                if counted >= args.messages:
                    done.set()

        ws.add_callback(IbkrWsKey.MARKET_DATA, on_message)
        started = time.perf_counter()
        _burst(control, sim, args.messages)
        done.wait(60)
        callback_rate = counted / (time.perf_counter() - started)
        saturated = list(latencies)
        accessor.get_all()

        # -- latency at a low rate: one message at a time
        latencies.clear()
        counted = 0
        for _ in range(args.latency_samples):
            _burst(control, sim, 1)
            time.sleep(0.002)
        time.sleep(0.5)
        low_rate = list(latencies)
        ws.remove_callback(IbkrWsKey.MARKET_DATA, on_message)
        ws.close()

    print(f'IbkrWsClient throughput and latency ({"wss" if args.tls else "ws"}, one run, {args.messages} messages)')
    print(f'  parse + deliver only (no socket):   {parse_rate:10,.0f} msg/s')
    print(
        f'  over the socket, via queue:          {queue_rate:10,.0f} msg/s  ({queue_rate / parse_rate:.2f} of parse only)'
    )
    print(
        f'  over the socket, via callback:       {callback_rate:10,.0f} msg/s  ({callback_rate / parse_rate:.2f} of parse only)'
    )
    if saturated:
        print(
            f'  latency sim send -> callback, saturated: p50 {statistics.median(saturated) * 1000:.2f} ms, '
            f'p99 {_percentile(saturated, 0.99) * 1000:.2f} ms'
        )
    if low_rate:
        print(
            f'  latency sim send -> callback, one at a time ({len(low_rate)} samples): '
            f'p50 {statistics.median(low_rate) * 1000:.2f} ms, p99 {_percentile(low_rate, 0.99) * 1000:.2f} ms'
        )


if __name__ == '__main__':
    main()
