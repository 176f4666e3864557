"""REST 09 -- keeping a session alive: the Tickler, and automatic recovery of a lost brokerage session.

The gateway drops the brokerage session after about six minutes without requests, and at its nightly
reset. Two things keep a long-running program going:
    - the Tickler: a daemon thread that calls /tickle every ``interval`` seconds (IBKR asks for ~60 s),
      survives any single failure, and reports its health (``client.tickler.describe()``);
    - recovery: a request refused because the brokerage session is gone makes the client re-open it
      (ssodh/init, then /iserver/accounts) and repeat the request once -- safe, because a refused
      request was never carried out. ``client.recoveries`` counts what was recovered.

What it shows: start_tickler(), its health after a few ticks, stop_tickler(), and a recovery. To see
a recovery happen, the session has to be lost: against the simulator the script asks it to expire the
session (``POST /sim/session {"action": "expire"}``) when IBIND_SIM_CONTROL_URL names its control API.
Against a real gateway that step is skipped (leave the script idle for 6 minutes to see the real thing).

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_09_tickler_and_recovery.py [seconds to run the Tickler, default 3]
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ IBIND_SIM_CONTROL_URL=http://127.0.0.1:5000/sim/ \\
        python examples/rest_09_tickler_and_recovery.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_CACERT (default False).
"""

import os
import sys
import time

import requests

from ibind import IbkrClient, ibind_logs_initialize

ibind_logs_initialize()
client = IbkrClient()
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0

# 1. The Tickler. A short interval here so that it ticks while we watch; use the default (60 s) in a bot.
tickler = client.start_tickler(interval=1.0)
time.sleep(seconds)
health = tickler.describe()
print(
    f'Tickler after {seconds:g} s: running={health["running"]}, ticks={health["ticks"]}, '
    f'failures={health["total_failures"]}, last error={health["last_error"]}'
)
client.stop_tickler()
print(f'Tickler stopped: running={tickler.running}')

# 2. Recovery. Lose the brokerage session (only the simulator can be told to), then just carry on.
control_url = os.environ.get('IBIND_SIM_CONTROL_URL')
if control_url:
    requests.post(
        control_url.rstrip('/') + '/session', json={'action': 'expire'}, timeout=10, verify=client.cacert
    ).raise_for_status()
    print(
        f'\n(simulator) brokerage session expired: authenticated={client.authentication_status().data["authenticated"]}'
    )

accounts = client.receive_brokerage_accounts().data  # an /iserver request: recovers the session if it is lost
print(f'\n/iserver/accounts answered: {accounts["accounts"]}')
print(f'authenticated again: {client.authentication_status().data["authenticated"]}')
print(f'recoveries: {client.recoveries}')

client.close()
