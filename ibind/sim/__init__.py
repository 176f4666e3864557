"""ibind.sim: a stateful local simulator of the IBKR Client Portal gateway.

    with GatewaySimulator(port=0) as sim:
        client = IbkrClient(url=sim.url, account_id='DU1234567')

Run it standalone with ``python -m ibind.sim --port 5000``; see docs/simulator.md.
"""

from ibind.sim.config import SimConfig
from ibind.sim.transport.server import GatewaySimulator

__all__ = ['GatewaySimulator', 'SimConfig']
