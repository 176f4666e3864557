"""What a user of IbkrWsClient holds: subscription handles, delivered messages, and queue accessors."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Dict, List, Optional

from ibind.client.ibkr_ws_definitions import IbkrWsKey


class SubscriptionState(str, Enum):
    PENDING = 'pending'  # sent (or waiting for a connection / the brokerage session), not confirmed yet
    ACTIVE = 'active'  # messages arrive
    FAILED = 'failed'  # the server refused it (see ``error``); not retried
    UNSUBSCRIBED = 'unsubscribed'  # ended by the user


@dataclass
class WsMessage:
    """One message as delivered: ``data`` parsed (market data fields by name), ``raw`` as received."""

    key: IbkrWsKey
    topic: str
    data: Any
    raw: Dict[str, Any]
    received_at: float  # time.time() when it was parsed
    channel: Optional[str] = None  # the subscription it belongs to, if any


@dataclass(eq=False)
class Subscription:
    """A subscription's handle. The client keeps it alive across reconnects; its state says how it is doing."""

    channel: str
    key: IbkrWsKey
    data: Optional[Dict[str, Any]]
    needs_confirmation: bool = True
    callback: Optional[Callable[[WsMessage], None]] = None
    state: SubscriptionState = SubscriptionState.PENDING
    error: Optional[str] = None
    messages: int = 0
    last_message_at: Optional[float] = None  # time.time() of the last message
    last_server_time: Optional[int] = None  # the server's clock (ms) at its last message
    server_id: Optional[str] = None  # smh's serverId (needed to unsubscribe)
    sent_at: float = 0.0  # time.monotonic() of the last (re)subscribe
    sent_at_server: Optional[int] = None  # the server's clock (ms) then, as last seen
    renewals: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def _set(self, state: SubscriptionState, error: Optional[str] = None) -> None:
        with self._changed:
            self.state = state
            if error is not None:
                self.error = error
            self._changed.notify_all()

    def wait_active(self, timeout: Optional[float] = None) -> bool:
        """Block until the subscription is active (True), failed or unsubscribed (False), or ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while self.state == SubscriptionState.PENDING:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._changed.wait(left)
            return self.state == SubscriptionState.ACTIVE

    @property
    def active(self) -> bool:
        return self.state == SubscriptionState.ACTIVE


class QueueAccessor:
    """Read access to one key's queue (what ``IbkrWsClient.new_queue_accessor(key)`` returns)."""

    def __init__(self, message_queue: queue.Queue[WsMessage], key: IbkrWsKey):
        self._queue = message_queue
        self.key = key

    def get(self, block: bool = False, timeout: Optional[float] = None) -> Optional[WsMessage]:
        """The next message, or None if there is none (``timeout`` waits that long; ``block`` without one waits
        until a message comes)."""
        try:
            if timeout is not None:
                return self._queue.get(timeout=timeout)
            return self._queue.get(block=block)
        except queue.Empty:
            return None

    def get_all(self) -> List[WsMessage]:
        """Every message queued now, oldest first, without waiting."""
        items: List[WsMessage] = []
        while True:
            item = self.get()
            if item is None:
                return items
            items.append(item)

    def empty(self) -> bool:
        return self._queue.empty()

    def __repr__(self) -> str:
        return f'QueueAccessor({self.key})'


class KeyedQueues:
    """One bounded queue per key: when nobody reads, the oldest messages make room (counted in ``dropped``)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._queues: Dict[IbkrWsKey, queue.Queue[WsMessage]] = {key: queue.Queue() for key in IbkrWsKey}
        self._lock = threading.Lock()
        self.dropped: Dict[IbkrWsKey, int] = dict.fromkeys(IbkrWsKey, 0)

    def put(self, message: WsMessage) -> None:
        target = self._queues[message.key]
        with self._lock:
            while self.maxsize and target.qsize() >= self.maxsize:
                try:
                    target.get_nowait()
                    self.dropped[message.key] += 1
                except queue.Empty:
                    break
            target.put(message)

    def accessor(self, key: IbkrWsKey) -> QueueAccessor:
        return QueueAccessor(self._queues[key], key)
