"""Simulated gateway routes: scanner."""

from __future__ import annotations

from ibind.sim.router import RouteTable

routes = RouteTable()
