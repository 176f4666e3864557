"""Simulated time: real time plus an offset that tests move forward, or a frozen instant.

Everything time-dependent in the simulator (prices, session idle timeout, token expiry, pacing
windows) reads this clock, so a test advances it through ``POST /sim/clock`` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Optional


class SimClock:
    def __init__(self, start: Optional[float] = None, frozen: bool = False):
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()
        self._frozen_at: Optional[float] = (start if start is not None else time.time()) if frozen else None

    def now(self) -> float:
        """Simulated epoch seconds."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError('the simulated clock only moves forward')
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = epoch
            else:
                self._offset = epoch - time.time()
        return self.now()

    def freeze(self, frozen: bool = True) -> float:
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None
        return self.now()

    def describe(self) -> dict:
        return {'now': self.now(), 'now_ms': self.now_ms(), 'frozen': self.frozen}
