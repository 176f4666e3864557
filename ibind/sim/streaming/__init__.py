"""The simulator's WebSocket stream (``/v1/api/ws``): topics, subscriptions, heartbeats, quirks and faults.

``ibind.sim.transport.websocket`` speaks the protocol (wsproto); this package decides what is said. The
gateway keeps one ``StreamingHub`` as ``gw.streaming`` (also one of its middlewares: a reset closes the
streams, /sim/state shows them); ``control.routes`` (``/sim/ws``) is registered in ``ibind.sim.categories``.
"""

from ibind.sim.streaming.hub import StreamingHub

__all__ = ['StreamingHub']
