"""A night in simulated time: 8 hours of streaming with everything that goes wrong overnight.

20 smd subscriptions and an order stream; the connection dropped every 30 simulated minutes, one silent
socket, one loss of the brokerage session, IBKR's 15-minute smd expiry switched on. The simulated clock
moves in one-minute steps (each step waits until the client has the server's heartbeat for it), so the
whole night takes seconds of wall time. Figures: subscriptions alive at the end, the longest gap between
two updates of each subscription (simulated time), fills seen in ``sor`` (each exactly once), threads
left after ``close()``.
"""

from __future__ import annotations

import collections
import threading
import time

import pytest
import requests
from conftest import ACCOUNT, wait_until

from ibind import IbkrClient, IbkrWsKey, make_order_request
from ibind.client.ws_subscriptions import SubscriptionState
from ibind.sim import GatewaySimulator

pytestmark = pytest.mark.timeout(180)

CONIDS = (
    265598,
    8314,
    272093,
    4391,
    9408,
    5094,
    15156975,
    756733,
    43645865,
    76792991,
    107113386,
    8894,
    3691937,
    208813720,
    208813719,
    4815747,
    15124833,
    320227571,
    1520593,
    270639,
)
FIELDS = ['31', '84', '86', '7762']  # 7762 (volume) changes every simulated minute: every step has news
HOURS = 8
STEP = 60  # simulated seconds per step
DROP_EVERY = 30 * 60  # a dropped connection every 30 simulated minutes
ORDER_EVERY = 20 * 60  # a market order every 20 simulated minutes
SILENCE_AT = 2 * 3600 + 15 * 60
AUTH_LOSS_AT = 5 * 3600 + 15 * 60


def _all_active(subscriptions):
    return all(s.state == SubscriptionState.ACTIVE for s in subscriptions)


def test_a_night_of_streaming_in_simulated_time():
    with (
        GatewaySimulator(port=0, tls=True, frozen_clock=True, order_questions=False) as sim,
        IbkrClient(url=sim.url, account_id=ACCOUNT, cacert=sim.cacert, pacing=False) as rest,
        requests.Session() as control,
    ):
        control.trust_env = False  # the simulator's CA, not a bundle from the environment
        control.verify = sim.cacert
        rest.receive_brokerage_accounts()
        threads_before = set(threading.enumerate())
        ws = rest.websocket(
            silence_timeout=1.0, reconnect_backoff=0.02, reconnect_backoff_max=0.2, poll_interval=0.01, open_timeout=2.0
        )
        ws.start()
        assert ws.wait_ready(5)
        updates = collections.defaultdict(list)  # channel -> server times (ms) of its updates
        fills = collections.Counter()  # order id -> times a Filled state was delivered

        def on_market_data(message):
            updates[message.channel].append(message.data['_updated'])

        def on_orders(message):
            for order in message.data:
                if order['status'] == 'Filled':
                    fills[order['orderId']] += 1

        ws.add_callback(IbkrWsKey.MARKET_DATA, on_market_data)
        ws.add_callback(IbkrWsKey.ORDERS, on_orders)
        subscriptions = [ws.subscribe(f'md+{conid}', {'fields': FIELDS}) for conid in CONIDS]
        subscriptions.append(ws.subscribe('or'))
        wait_until(lambda: _all_active(subscriptions), timeout=10)
        start_ms = control.get(sim.control_url + 'clock').json()['now_ms']

        placed = 0
        started = time.monotonic()
        for step in range(1, HOURS * 3600 // STEP + 1):
            elapsed = step * STEP
            now_ms = control.post(sim.control_url + 'clock', json={'advance': STEP}).json()['now_ms']
            if elapsed % ORDER_EVERY == 0:
                order = make_order_request(
                    conid=CONIDS[placed % 5],
                    side='BUY' if placed % 2 == 0 else 'SELL',
                    quantity=1,
                    order_type='MKT',
                    acct_id=ACCOUNT,
                    coid=f'soak-{placed}',
                )
                rest.place_order(order, answers={}, account_id=ACCOUNT)
                placed += 1
            fault = None
            connects = ws.stats['event_connected']
            if elapsed == SILENCE_AT:
                fault = control.post(sim.control_url + 'ws', json={'fault': 'silence'})
            elif elapsed == AUTH_LOSS_AT:
                fault = control.post(sim.control_url + 'session', json={'action': 'expire'})
            elif elapsed % DROP_EVERY == 0:
                fault = control.post(sim.control_url + 'ws', json={'fault': 'drop'})
            if fault is not None:
                assert fault.status_code == 200, fault.text
                # every fault here ends in a new connection: wait for it, as a user would see the stream resume
                wait_until(
                    lambda before=connects: (
                        ws.stats['event_connected'] > before and ws.state == 'connected' and _all_active(subscriptions)
                    ),
                    timeout=15,
                )
            wait_until(lambda step_ms=now_ms: ws.server_time is not None and ws.server_time >= step_ms, timeout=15)
        wall = time.monotonic() - started
        end_ms = now_ms
        time.sleep(0.2)  # the last step's messages

        alive = sum(
            1
            for s in subscriptions[:-1]
            if s.state == SubscriptionState.ACTIVE
            and s.last_server_time is not None
            and s.last_server_time >= end_ms - 5 * 60_000
        )
        gaps = {}
        for channel, times in updates.items():
            series = [start_ms] + sorted(set(times)) + [end_ms]
            gaps[channel] = max(b - a for a, b in zip(series, series[1:])) / 1000
        state = control.get(sim.control_url + 'state').json()
        filled_ids = [o['order_id'] for o in state['orders']['orders'] if o['status'] == 'Filled']
        stream_stats = state['websocket']['stats']
        assert ws.close(timeout=5)
        wait_until(
            lambda: not [t for t in set(threading.enumerate()) - threads_before if 'process_request' not in t.name],
            timeout=5,
        )
        threads_left = len([t for t in set(threading.enumerate()) - threads_before if 'process_request' not in t.name])

        print(
            f'\nsoak: {HOURS} simulated hours in {wall:.1f} s of wall time; '
            f'subscriptions alive at the end {alive}/{len(CONIDS)}; '
            f'longest gap per subscription: max {max(gaps.values()):.0f} s, median '
            f'{sorted(gaps.values())[len(gaps) // 2]:.0f} s (simulated); '
            f'fills {len(filled_ids)} placed {placed}, seen in sor exactly once: '
            f'{all(fills[i] == 1 for i in filled_ids) and set(fills) == set(filled_ids)}; '
            f'connections {ws.stats["event_connected"]}, smd renewals {ws.stats["smd_renewals"]}, '
            f'smd expired {stream_stats.get("smd_expired", 0)}, recoveries {ws.stats["recoveries"]}, '
            f'silent resets {ws.stats["event_silent"]}; threads after close {threads_left}'
        )
        assert alive == len(CONIDS)
        assert stream_stats.get('smd_expired', 0) == 0  # renewed every time, never expired
        assert max(gaps.values()) <= 3 * STEP  # no gap a user can see beyond a few steps
        assert placed == HOURS * 3600 // ORDER_EVERY and len(filled_ids) == placed
        assert set(fills) == set(filled_ids) and all(count == 1 for count in fills.values())
        assert ws.stats['event_connected'] >= HOURS * 3600 // DROP_EVERY  # every drop was recovered
        assert state['session']['timeouts'] == 0  # 'tic' kept the brokerage session alive
        assert ws.stats['recoveries'] == 1 and ws.stats['event_silent'] == 1
        assert threads_left == 0
