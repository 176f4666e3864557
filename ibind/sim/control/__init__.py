"""The control API (/sim/...): read the state, move the clock, inject faults, reset, restart.

``routes`` serves it from the gateway; ``client.SimControl`` calls it over HTTP (also importable as
``ibind.sim.control_client.SimControl``).
"""
