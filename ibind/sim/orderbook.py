"""Orders of the simulated broker: placement, the question/reply flow, fills. (Filled in by the orders work.)"""

from __future__ import annotations

from typing import Any, Dict


class OrderBook:
    def __init__(self, gateway):
        self.gateway = gateway

    def sync(self, now: float) -> None:
        """Advance the matching engine to ``now`` (called before every request's handler)."""

    def describe(self) -> Dict[str, Any]:
        return {}
