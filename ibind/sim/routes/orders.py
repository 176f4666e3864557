"""Simulated gateway routes: orders."""

from __future__ import annotations

from ibind.sim.router import RouteTable

routes = RouteTable()
