"""Order requests whose outcome is not known yet, so that neither an interrupt nor a lost answer hides an order.

Every placement, reply, modification and cancel is recorded here while it is in flight. A request that ends
with a definite answer (acknowledged, rejected, never sent) is forgotten; one that ends without one
(OutcomeUnknownError, an unexpected exception, Ctrl-C, SIGTERM) stays listed in ``client.pending_orders()``
until ``reconcile_pending_orders()`` finds it among the live orders or the caller forgets it. Ctrl-C becomes
``OrderInterruptedError`` (still a KeyboardInterrupt) carrying the cOID, and is logged at WARNING.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

from ibind.support.errors import ExternalBrokerError, OrderInterruptedError, OutcomeUnknownError
from ibind.support.logs import project_logger

_LOGGER = project_logger('ibind.orders')


class PendingOrders:
    """The order requests of one client whose outcome is not known (thread-safe)."""

    def __init__(self) -> None:
        self._entries: Dict[int, Dict[str, Any]] = {}
        self._keys = itertools.count(1)
        self._lock = threading.Lock()

    def list(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries.values()]

    def forget(self, key: int) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    @contextlib.contextmanager
    def track(
        self, action: str, coid: Optional[str] = None, order_id: Optional[str] = None, request: Optional[dict] = None
    ) -> Iterator[Dict[str, Any]]:
        """Record one order request while it runs; keep it listed when it ends without a definite outcome."""
        key = next(self._keys)
        entry = {
            'key': key,
            'action': action,
            'coid': coid,
            'order_id': order_id,
            'since': time.time(),
            'reason': 'in flight',
            'request': request,
        }
        with self._lock:
            self._entries[key] = entry
        try:
            yield entry
        except KeyboardInterrupt as interrupt:
            self._keep(key, 'interrupted (KeyboardInterrupt)')
            what = _describe(action, coid, order_id)
            _LOGGER.warning(
                '%s was interrupted while in flight: it may or may not have been carried out. Check '
                'live_orders() (client.pending_orders() lists it) before sending it again',
                what,
            )
            if isinstance(interrupt, OrderInterruptedError):
                raise
            raise OrderInterruptedError(
                f'{what} was interrupted; its outcome is unknown', action=action, coid=coid, order_id=order_id
            ) from interrupt
        except OutcomeUnknownError as error:
            self._keep(key, f'outcome unknown: {error.message}')
            raise
        except ExternalBrokerError:
            self.forget(key)  # a definite answer (rejected, not sent, declined): nothing is pending
            raise
        except BaseException as error:
            self._keep(key, f'{type(error).__name__}: {error}')
            if not isinstance(error, Exception):  # SystemExit and the like: say which order, then let it go
                _LOGGER.warning(
                    '%s was stopped by %s while in flight: it may or may not have been carried out',
                    _describe(action, coid, order_id),
                    type(error).__name__,
                )
                with contextlib.suppress(Exception):
                    error.coid = coid  # type: ignore[attr-defined]
            raise
        else:
            self.forget(key)

    def _keep(self, key: int, reason: str) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry['reason'] = reason


def _describe(action: str, coid: Optional[str], order_id: Optional[str]) -> str:
    if coid:
        return f'the {action} of the order with cOID {coid!r}'
    if order_id:
        return f'the {action} of order {order_id}'
    return f'the order {action}'


def found_in(entry: Dict[str, Any], live_orders: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The live order a pending entry refers to (by cOID, else by order id), or None."""
    for live in live_orders:
        if not isinstance(live, dict):
            continue
        if entry.get('coid') and live.get('order_ref') == entry['coid']:
            return live
        if not entry.get('coid') and entry.get('order_id') and str(live.get('orderId')) == str(entry['order_id']):
            return live
    return None
