"""Portfolio views: the caches and first-call behaviour of the /portfolio endpoints."""

from __future__ import annotations


class PortfolioState:
    def __init__(self, gateway):
        self.gateway = gateway
