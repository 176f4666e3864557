"""SimControl: the simulator's control API (/sim/...) as Python methods; it lives in ``ibind.sim.control.client``."""

from ibind.sim.control.client import SimControl

__all__ = ['SimControl']
