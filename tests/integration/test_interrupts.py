"""Ctrl-C and SIGTERM in a real child process: a placement in flight and a bulk history fetch.

Each child runs the simulator and a client, sends itself the signal at a chosen moment (a watcher thread sees
the request arrive at the simulator), and prints what the program learned as JSON.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

HISTORY_ROUTE = 'GET /iserver/marketdata/history'
ORDER_ROUTE = 'POST /iserver/account/{accountId}/orders'

COMMON = """
import json, logging, os, signal, sys, threading, time
from ibind import IbkrClient
from ibind.sim import GatewaySimulator

def send_signal_when(condition, signum):
    def watch():
        while not condition():
            time.sleep(0.005)
        os.kill(os.getpid(), signum)
    threading.Thread(target=watch, daemon=True).start()
"""


def run_child(body: str, timeout: float = 60):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [sys.executable, '-c', COMMON + textwrap.dedent(body)], capture_output=True, text=True, timeout=timeout, env=env
    )
    return proc


def last_json(proc):
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{')]
    assert lines, proc.stdout + proc.stderr
    return json.loads(lines[-1])


@pytest.mark.parametrize('action', ['place_order', 'modify_order', 'cancel_order'])
def test_ctrl_c_during_an_order_request_reports_it(action):
    proc = run_child(f"""
        logging.basicConfig(level=logging.WARNING)
        sim = GatewaySimulator(port=0).start()
        sim.control.config(order_questions=False)
        client = IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing=False)
        client.receive_brokerage_accounts()
        order = {{'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'LMT', 'price': 1.0, 'tif': 'DAY'}}
        order_id = None
        if {action!r} != 'place_order':
            order_id = client.place_order(order, answers={{}}).data[0]['order_id']
        routes = {{'place_order': 'POST /iserver/account/{{accountId}}/orders',
                  'modify_order': 'POST /iserver/account/{{accountId}}/order/{{orderId}}',
                  'cancel_order': 'DELETE /iserver/account/{{accountId}}/order/{{orderId}}'}}
        route = routes[{action!r}]
        before = sim.control.received(route)
        sim.control.add_fault(route.split(' ', 1)[1].replace('{{accountId}}', '*').replace('{{orderId}}', '*'),
                              'stall_after', seconds=5)
        send_signal_when(lambda: sim.control.received(route) > before, signal.SIGINT)
        outcome = {{}}
        try:
            if {action!r} == 'place_order':
                client.place_order(dict(order, cOID='interrupted-1'), answers={{}})
            elif {action!r} == 'modify_order':
                client.modify_order(order_id, dict(order, price=1.5), answers={{}})
            else:
                client.cancel_order(order_id)
        except KeyboardInterrupt as error:
            outcome = {{'type': type(error).__name__, 'coid': getattr(error, 'coid', None),
                       'order_id': getattr(error, 'order_id', None), 'action': getattr(error, 'action', None),
                       'is_keyboard_interrupt': isinstance(error, KeyboardInterrupt),
                       'pending': [(e['action'], e['coid'], e['order_id']) for e in client.pending_orders()]}}
        live = client.live_orders().data['orders']
        outcome['live_refs'] = [o.get('order_ref') for o in live]
        time.sleep(0.3)
        found = client.reconcile_pending_orders()  # what a program does next: look the order up
        outcome['reconciled'] = [(e['action'], e['live'].get('order_ref'), str(e['live'].get('orderId')))
                                 for e in found]
        outcome['pending_after'] = client.pending_orders()
        outcome['expected_order_id'] = order_id
        client.close(); sim.stop()
        print(json.dumps(outcome))
    """)
    outcome = last_json(proc)
    assert outcome['type'] == 'OrderInterruptedError' and outcome['is_keyboard_interrupt']
    if action == 'place_order':
        assert outcome['coid'] == 'interrupted-1'
        assert outcome['pending'] == [['placement', 'interrupted-1', None]]
        assert 'interrupted-1' in outcome['live_refs']  # it was placed: the program knows which one to look up
        assert [entry[:2] for entry in outcome['reconciled']] == [['placement', 'interrupted-1']]
    else:
        assert outcome['order_id'] == outcome['expected_order_id']
        kind = 'modification' if action == 'modify_order' else 'cancel'
        assert outcome['pending'] == [[kind, None, outcome['expected_order_id']]]
        assert [(entry[0], entry[2]) for entry in outcome['reconciled']] == [(kind, outcome['expected_order_id'])]
    assert outcome['pending_after'] == []
    assert 'interrupted while in flight' in proc.stderr  # logged at WARNING (the child logs to stderr)


def test_sigterm_during_a_placement_logs_the_coid_before_exiting():
    proc = run_child("""
        logging.basicConfig(level=logging.WARNING)
        sim = GatewaySimulator(port=0).start()
        sim.control.config(order_questions=False)
        client = IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing=False)
        client.receive_brokerage_accounts()
        client.register_shutdown_handler()
        sim.control.add_fault('/iserver/account/*/orders', 'stall_after', seconds=5)
        send_signal_when(lambda: sim.control.received('POST /iserver/account/{accountId}/orders') > 0, signal.SIGTERM)
        client.place_order({'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'MKT', 'tif': 'DAY',
                            'cOID': 'terminated-1'}, answers={})
        print('not reached')
    """)
    assert proc.returncode == -15  # SIGTERM still ends the program
    assert 'not reached' not in proc.stdout
    assert 'terminated-1' in proc.stderr and 'outcome is unknown' in proc.stderr


@pytest.mark.parametrize('pacing', [False, True], ids=['pacing-off', 'pacing-on'])
def test_ctrl_c_during_bulk_history_stops_within_half_a_second_and_sends_nothing_new(pacing):
    # With pacing on, most workers wait in the pacer for one of the history endpoint's 5 concurrent slots; when
    # a slot frees after the interrupt they must give up, not send.
    proc = run_child(f"""
        from ibind.sim.engine.instruments import default_universe
        sim = GatewaySimulator(port=0).start()
        client = IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing={pacing!r})
        client.receive_brokerage_accounts()
        symbols = sorted({{i.symbol for i in default_universe().all() if i.sec_type == 'STK'
                          and len([j for j in default_universe().all() if j.symbol == i.symbol]) == 1}})[:30]
        sim.control.add_fault('/iserver/marketdata/history', 'latency', probability=1.0, seconds=0.3)
        marks = {{}}

        def on_sigint(signum, frame):
            marks['at'] = time.monotonic()
            raise KeyboardInterrupt

        def counted_before_signal():
            count = sim.control.received({HISTORY_ROUTE!r})
            marks['before_signal'] = count
            return count >= 6

        signal.signal(signal.SIGINT, on_sigint)
        send_signal_when(counted_before_signal, signal.SIGINT)
        try:
            client.marketdata_history_by_symbols(symbols, period='1d', bar='1h')
            outcome = {{'interrupted': False}}
        except KeyboardInterrupt:
            stopped = time.monotonic() - marks['at']
            # A request a worker had begun to send when the stop was set may still be on its way to the simulator:
            # let it land, then watch for a second (more than three answers' latency) for anything new.
            time.sleep(0.2)
            at_stop = sim.control.received({HISTORY_ROUTE!r})
            time.sleep(1.0)
            outcome = {{'interrupted': True, 'seconds_to_stop': stopped, 'symbols': len(symbols),
                       'before_signal': marks['before_signal'], 'at_stop': at_stop,
                       'after': sim.control.received({HISTORY_ROUTE!r})}}
        print(json.dumps(outcome))
        os._exit(0)
    """)
    outcome = last_json(proc)
    assert outcome['interrupted'] and outcome['symbols'] >= 20
    assert outcome['seconds_to_stop'] < 0.5
    assert outcome['after'] == outcome['at_stop'], outcome  # nothing sent once the interrupt was raised
    # Between the signal and the moment Python runs its handler on the main thread (microseconds idle, more on a
    # loaded machine) a worker may start the request it was about to send: at most one per worker (5).
    assert outcome['after'] - outcome['before_signal'] <= 5, outcome
    print('bulk history interrupt:', outcome)


def test_a_program_killed_mid_order_finds_the_order_in_its_journal_when_it_starts_again(start_simulator, tmp_path):
    """SIGKILL leaves no handler a chance: only what was on disk before the order went out tells the next run."""
    sim = start_simulator(order_questions=False)
    journal = tmp_path / 'pending.json'
    sim.control.add_fault('/iserver/account/*/orders', 'stall_after', seconds=5)
    proc = run_child(f"""
        client = IbkrClient(url={sim.url!r}, account_id='DU1234567', cacert=False, pacing=False,
                            pending_orders_file={str(journal)!r})
        client.receive_brokerage_accounts()
        before = {sim.control.received(ORDER_ROUTE)!r}
        from ibind.sim.control.client import SimControl
        control = SimControl({sim.control_url!r})
        send_signal_when(lambda: control.received({ORDER_ROUTE!r}) > before, signal.SIGKILL)
        client.place_order({{'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'MKT', 'tif': 'DAY',
                            'cOID': 'killed-1'}}, answers={{}})
        print('not reached')
    """)
    assert proc.returncode == -9 and 'not reached' not in proc.stdout, proc.stderr
    sim.control.clear_faults()

    from ibind import IbkrClient

    with IbkrClient(
        url=sim.url, account_id='DU1234567', cacert=False, pacing=False, pending_orders_file=journal
    ) as client:
        pending = client.pending_orders()
        assert [(e['action'], e['coid'], e['previous_run']) for e in pending] == [('placement', 'killed-1', True)]
        assert pending[0]['reason'] == 'previous run: in flight when its program stopped'
        assert pending[0]['request']['json']['orders'][0]['cOID'] == 'killed-1'
        found = client.reconcile_pending_orders()
        assert [(e['coid'], e['live']['order_ref']) for e in found] == [('killed-1', 'killed-1')]
        assert client.pending_orders() == []
    # the journal is empty again, so the next run starts clean
    with IbkrClient(
        url=sim.url, account_id='DU1234567', cacert=False, pacing=False, pending_orders_file=journal
    ) as client:
        assert client.pending_orders() == []
