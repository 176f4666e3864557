"""Market data subscriptions: which conids had their pre-flight snapshot, whether HMDS is initialised."""

from __future__ import annotations

from typing import Any, Dict


class MarketDataState:
    def __init__(self, gateway):
        self.gateway = gateway

    def describe(self) -> Dict[str, Any]:
        return {}
