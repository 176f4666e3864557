"""Orders of the simulated broker: placement, the question/reply flow, fills. (Filled in by the orders work.)"""

from __future__ import annotations

from typing import Any, Dict


class OrderBook:
    def __init__(self, gateway):
        self.gateway = gateway

    def describe(self) -> Dict[str, Any]:
        return {}
