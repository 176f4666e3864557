"""Order requests whose outcome is not known yet, so that neither an interrupt nor a lost answer hides an order.

Every placement, reply, modification and cancel is recorded here while it is in flight. A request that ends
with a definite answer (acknowledged, rejected, never sent) is forgotten; one that ends without one
(OutcomeUnknownError, an unexpected exception, Ctrl-C, SIGTERM) stays listed in ``client.pending_orders()``
until ``reconcile_pending_orders()`` finds it among the live orders or the caller forgets it. Ctrl-C becomes
``OrderInterruptedError`` (still a KeyboardInterrupt) carrying the cOID, and is logged at WARNING.

With a journal file (``pending_orders_file``, ``IBIND_PENDING_ORDERS_FILE``) the list also survives the
program: each request is written there before it is sent and removed once its outcome is known, so a
program killed mid-order (SIGKILL, an out-of-memory kill, a power cut, a cron job's timeout) finds the order
in ``pending_orders()`` when it starts again, and ``reconcile_pending_orders()`` looks it up. The file is
replaced atomically (written aside, flushed to disk, renamed), so a crash never leaves half a journal.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Union

from ibind.support.errors import ExternalBrokerError, OrderInterruptedError, OutcomeUnknownError
from ibind.support.logs import project_logger

_LOGGER = project_logger('ibind.orders')


JOURNAL_VERSION = 1
_FIELDS = ('action', 'coid', 'order_id', 'since', 'reason', 'request')


class PendingOrders:
    """The order requests of one client whose outcome is not known (thread-safe), kept in ``path`` if given.

    One journal file belongs to one client at a time (two clients writing the same file would each replace
    the other's entries), so the journal is locked (``<path>.lock``, an OS lock that ends with the process)
    until ``close()``; a second client naming it is refused.
    """

    def __init__(self, path: Union[str, os.PathLike, None] = None) -> None:
        self._entries: Dict[int, Dict[str, Any]] = {}
        self._keys = itertools.count(1)
        self._lock = threading.Lock()
        self.path = None if path is None else os.path.abspath(os.fspath(path))
        self._lock_file: Optional[Any] = None
        if self.path is not None:
            self._lock_file = _lock_journal(self.path)
            try:
                self._load(self.path)
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        """Release the journal's lock; from then on the journal is left as it is (a request still in flight on
        another thread stays recorded there, for the next run to reconcile). Idempotent."""
        with self._lock:
            handle, self._lock_file = self._lock_file, None
        if handle is not None:
            handle.close()  # closing the file ends the OS lock

    def list(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries.values()]

    def forget(self, key: int) -> bool:
        with self._lock:
            found = self._entries.pop(key, None) is not None
            if found:
                try:
                    self._save()
                except OSError as error:  # never hide an outcome for it: the entry stays on disk, to reconcile
                    _LOGGER.warning('could not update the pending orders journal %r: %s', self.path, error)
            return found

    # ----------------------------------------------------------------- the journal

    def _load(self, path: str) -> None:
        """Take over the entries a previous run left in the journal (none when there is no file yet)."""
        try:
            with open(path, encoding='utf-8') as file:
                text = file.read()
        except FileNotFoundError:
            return
        try:
            journal = json.loads(text)
            if not isinstance(journal, dict) or journal.get('version') != JOURNAL_VERSION:
                raise ValueError(f'expected {{"version": {JOURNAL_VERSION}, "entries": [...]}}')
            entries = journal.get('entries')
            if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get('action'), str) for e in entries
            ):
                raise ValueError('"entries" must be a list of objects with an "action"')
        except (ValueError, RecursionError) as error:  # json.JSONDecodeError is a ValueError
            problem = 'nested too deeply' if isinstance(error, RecursionError) else str(error)
            raise ValueError(
                f'pending_orders_file {path!r} is not a journal of pending orders ({problem}); it is left untouched: '
                'look at it (orders may be listed there), then move it aside or name another file'
            ) from None
        for raw in entries:
            key = next(self._keys)
            entry: Dict[str, Any] = {name: raw.get(name) for name in _FIELDS}
            reason = entry['reason'] or 'unknown'
            if reason == 'in flight':
                reason = 'in flight when its program stopped'
            entry.update(key=key, reason=f'previous run: {reason}', previous_run=True)
            self._entries[key] = entry
        if self._entries:
            _LOGGER.warning(
                '%d order request(s) of a previous run have no known outcome (%s): call '
                'reconcile_pending_orders() before sending them again',
                len(self._entries),
                ', '.join(_describe(e['action'], e['coid'], e['order_id']) for e in self._entries.values()),
            )

    def _save(self) -> None:
        """Replace the journal with the current entries (under ``_lock``); a no-op without a journal or once
        it is closed (either way there is no lock file)."""
        if self._lock_file is None:
            return
        assert self.path is not None  # a lock file is only ever taken for a journal path
        entries = [{name: entry.get(name) for name in _FIELDS} for entry in self._entries.values()]
        text = json.dumps({'version': JOURNAL_VERSION, 'entries': entries}, indent=1, default=str)
        aside = f'{self.path}.{os.getpid()}.tmp'
        try:
            with open(aside, 'w', encoding='utf-8') as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(aside, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(aside)
            raise

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
                self._save()  # on disk before the request is sent
            except BaseException:
                del self._entries[key]
                raise
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
                with contextlib.suppress(OSError):  # the entry is on disk already (as in flight): it is not lost
                    self._save()


def _lock_journal(path: str) -> Any:
    """An open lock file whose exclusive OS lock says this process's client owns the journal ``path``."""
    lock_path = path + '.lock'
    handle = open(lock_path, 'a+', encoding='utf-8')  # noqa: SIM115 -- held open until PendingOrders.close()
    try:
        if sys.platform == 'win32':
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ValueError(
            f'pending_orders_file {path!r} is in use by another client (its lock {lock_path!r} is held): '
            'give each client its own journal, or close the other client first'
        ) from None
    return handle


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
