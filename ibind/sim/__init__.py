"""ibind.sim: a stateful local simulator of the IBKR Client Portal gateway.

    with GatewaySimulator(port=0) as sim:
        client = IbkrClient(url=sim.url, account_id='DU1234567')

Run it standalone with ``python -m ibind.sim --port 5000``; see docs/simulator.md.

Layout ("Where things are" in docs/simulator.md): one folder per IBKR category (``<category>/routes.py`` beside
its state), registered in ``categories.py``; ``engine/`` (clock, instruments, prices) shared by all;
``transport/`` (HTTP(S) server, request/response types, TLS); ``control/`` (the /sim control API); the
layers ``faults/``, ``pacing/``, ``oauth/``; ``gateway.py`` composes them.
"""

from ibind.sim.config import SimConfig
from ibind.sim.transport.server import GatewaySimulator

__all__ = ['GatewaySimulator', 'SimConfig']
