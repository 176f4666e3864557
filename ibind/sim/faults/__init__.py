"""Fault injection (``/sim/faults``): latency, error statuses, dropped, stalled and truncated responses.

Owns the fault rules and the middleware that applies them around every API request.
"""

from ibind.sim.faults.middleware import KINDS, FaultMiddleware, FaultRule

__all__ = ['KINDS', 'FaultMiddleware', 'FaultRule']
