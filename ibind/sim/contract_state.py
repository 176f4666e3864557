"""Contract lookups of the current session: which underlyings were searched (secdef search comes first)."""

from __future__ import annotations


class ContractState:
    def __init__(self, gateway):
        self.gateway = gateway
