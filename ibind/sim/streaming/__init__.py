"""The simulator's WebSocket stream (``/v1/api/ws``): topics, subscriptions, heartbeats, quirks and faults.

``ibind.sim.transport.websocket`` speaks the protocol (wsproto); this package decides what is said.
"""

from ibind.sim.streaming.hub import StreamingHub


def hub_of(gateway) -> StreamingHub:
    """The gateway's streaming hub."""
    return gateway.streaming


__all__ = ['StreamingHub', 'hub_of']
