"""IBKR's request pacing as the gateway enforces it: per-endpoint and global rate limits (429 when exceeded).

Owns the token buckets per route and the middleware that applies them around every API request.
"""

from ibind.sim.pacing.middleware import PacingMiddleware

__all__ = ['PacingMiddleware']
