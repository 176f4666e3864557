"""WS 02 -- a stream that stays up: reconnects, a silent socket, a lost session, and the lifecycle events.

IbkrWsClient keeps every subscription across connections. What ends IBKR streams in practice, and what
the client does about it:
    - the connection drops: reconnect with back-off, then subscribe everything again;
    - the socket goes silent (no heartbeat for ``silence_timeout`` s): it is reset the same way;
    - the brokerage session is lost (``sts`` says authenticated false): IbkrClient's recovery re-opens it,
      then the stream reconnects; a competing session is an event ('competing'), never a loop;
    - IBKR ends an ``smd`` subscription after 15 minutes: it is renewed every ``smd_renew_interval``.
``on_event(name, detail)`` and ``ws.state`` make all of it observable.

What it shows: two market data subscriptions surviving a dropped connection, a silent socket and a lost
brokerage session. Only the simulator can be told to fail (``POST /sim/ws``, ``POST /sim/session``), so
against a real gateway the script just streams for a few seconds.

Needs the 'websocket' extra: pip install 'ibind[websocket]'
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ IBIND_SIM_CONTROL_URL=http://127.0.0.1:5000/sim/ \\
        python examples/ws_02_staying_connected.py
"""

import os
import time

import requests

from ibind import IbkrClient

control_url = os.environ.get('IBIND_SIM_CONTROL_URL')


def on_event(name, detail):
    if name != 'state':
        print(f'  event: {name}' + (f' ({detail})' if name in ('disconnected', 'silent') else ''))


def fail(path, body, what):
    """Make the simulator fail the way real gateways do (skipped against a real gateway)."""
    if control_url:
        print(f'{what} ...')
        requests.post(control_url.rstrip('/') + '/' + path, json=body, timeout=10).raise_for_status()
        time.sleep(4.0)


def report(subscriptions):
    for subscription in subscriptions:
        age = time.time() - (subscription.last_message_at or 0)
        print(f'  {subscription.channel}: {subscription.state.value}, last message {age:.1f} s ago')


client = IbkrClient()
if control_url:  # heartbeats every 0.5 s instead of IBKR's 10 s, so that a 2 s silence is one to notice
    requests.post(
        control_url.rstrip('/') + '/ws', json={'config': {'ws_heartbeat_interval': 0.5}}, timeout=10
    ).raise_for_status()
# IBKR sends a heartbeat every 10 s: a bot keeps the default silence_timeout (30 s)
ws = client.websocket(silence_timeout=2.0 if control_url else 30.0, on_event=on_event)
ws.start()
ws.wait_ready(timeout=10)
subscriptions = [
    ws.subscribe('md+265598', {'fields': ['31', '84', '86']}),
    ws.subscribe('md+8314', {'fields': ['31', '84', '86']}),
]
for subscription in subscriptions:
    subscription.wait_active(timeout=10)
report(subscriptions)

fail('ws', {'fault': 'drop'}, 'dropping the connection')
fail('ws', {'fault': 'silence'}, 'the socket goes silent')
fail('session', {'action': 'expire'}, 'the brokerage session is lost')
if not control_url:
    time.sleep(5.0)

print(
    f'after all that: state={ws.state}, connections={ws.stats["event_connected"]}, '
    f'recoveries={ws.stats["recoveries"]}, silent resets={ws.stats["event_silent"]}'
)
report(subscriptions)
ws.close()
client.close()
print(f'closed: state={ws.state}')
