"""Watchlists of the simulated user."""

from __future__ import annotations

from typing import Any, Dict


class WatchlistStore:
    def __init__(self, gateway):
        self.gateway = gateway

    def describe(self) -> Dict[str, Any]:
        return {}
