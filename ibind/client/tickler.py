"""The Tickler: a daemon thread that keeps the session alive by calling /tickle every so often.

IBKR drops the brokerage session after about five minutes without requests. The Tickler survives any
single failure (it logs, counts, backs off and keeps going), exposes its health, and when a tickle shows
the brokerage session gone it asks the client to recover it -- so a long-running bot does not notice.
Its requests go through the client's pacer like any other.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

from ibind import var
from ibind.support.logs import project_logger

_LOGGER = project_logger('ibind.tickler')


class Tickler:
    """Calls ``client.tickle()`` every ``interval`` seconds on a daemon thread.

    Health: ``running``, ``last_success`` (epoch seconds), ``consecutive_failures``, ``total_failures``,
    ``last_error``. After a failure it retries sooner -- 1 s, 2 s, 4 s ... never later than ``interval``.
    """

    def __init__(self, client: Any, interval: float = var.IBIND_TICKLER_INTERVAL, recover: bool = True):
        self._client = client
        self.interval = checked_interval(interval)
        self.recover = recover
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self.last_success: Optional[float] = None
        self.last_attempt: Optional[float] = None
        self.consecutive_failures = 0
        self.total_failures = 0
        self.ticks = 0
        self.last_error: Optional[str] = None

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name='ibind-tickler', daemon=True)
            self._thread.start()
        _LOGGER.info('Tickler started (every %.3gs)', self.interval)

    def stop(self, timeout: Optional[float] = None) -> bool:
        """Ask the thread to stop and wait at most ``timeout`` seconds; True if it has stopped."""
        self._stop.set()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        was_running = thread.is_alive()
        thread.join(timeout)
        stopped = not thread.is_alive()
        if stopped and was_running:
            _LOGGER.info('Tickler stopped')
        return stopped

    def _next_delay(self) -> float:
        if self.consecutive_failures:
            return min(self.interval, 2.0 ** (self.consecutive_failures - 1))
        return self.interval

    def _run(self) -> None:
        while not self._stop.wait(self._next_delay()):
            self.tick()

    def tick(self) -> bool:
        """One keep-alive round; never raises. True if the session answered and is usable."""
        self.last_attempt = time.time()
        try:
            result = self._client.tickle()
            authenticated = _authenticated(result.data)
            if authenticated is False and self.recover:
                _LOGGER.warning('Tickler: the brokerage session is not authenticated; re-opening it')
                self._client.recover_brokerage_session()
        except Exception as error:  # the Tickler must survive anything
            self.consecutive_failures += 1
            self.total_failures += 1
            self.last_error = f'{type(error).__name__}: {error}'
            _LOGGER.warning('Tickler: tickle failed (%d in a row): %s', self.consecutive_failures, self.last_error)
            return False
        self.ticks += 1
        self.consecutive_failures = 0
        self.last_error = None
        self.last_success = time.time()
        return True

    def describe(self) -> dict:
        return {
            'running': self.running,
            'interval': self.interval,
            'ticks': self.ticks,
            'last_success': self.last_success,
            'consecutive_failures': self.consecutive_failures,
            'total_failures': self.total_failures,
            'last_error': self.last_error,
        }


def checked_interval(interval: Any) -> float:
    """A tickle interval in seconds: a positive, finite number (floats welcome)."""
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or not 0 < interval < float('inf'):
        raise ValueError(f"'interval' must be a positive number of seconds, got {interval!r}")
    return float(interval)


def _authenticated(data: Any) -> Optional[bool]:
    """The brokerage session's state as the tickle answer reports it (None when it does not say)."""
    try:
        value = data['iserver']['authStatus']['authenticated']
    except (TypeError, KeyError):
        return None
    return value if isinstance(value, bool) else None
