"""The FYI notification centre of the simulated user."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway

_LOGGER = logging.getLogger('ibind.sim.fyi')

# The FYI type codes of IBKR's spec (path parameter enum of /fyi/settings/{typecode}), with a description.
TYPECODES: Dict[str, str] = {
    'BA': 'Borrow Availability',
    'CA': 'Comparable Algo',
    'DA': 'Dividends Advisory',
    'EA': 'Upcoming Earnings',
    'MF': 'Mutual Fund Advisory',
    'OE': 'Option Expiration',
    'PR': 'Portfolio Builder Rebalance',
    'SE': 'Suspend Order on Economic Event',
    'SG': 'Short Term Gain turning Long Term',
    'SM': 'System Messages',
    'T2': 'Assignment Realizing Long-Term Gains',
    'TO': 'Takeover',
    'UA': 'User Alert',
    'M8': 'M871 Trades',
    'PS': 'Platform Use Suggestions',
    'DL': 'Unexercised Option Loss Prevention Reminder',
    'PT': 'Position Transfer',
    'CB': 'Missing Cost Basis',
    'MS': 'Milestones',
    'TD': 'MiFID || 10% Deprecation Notice',
    'ST': 'Save Taxes',
    'TI': 'Trade Idea',
    'CT': 'Cash Transfer',
}
ACK = {'V': 1, 'T': 10}  # the acknowledgement the spec shows for a settings change ("V": version, "T": time ms)


@dataclass
class Notification:
    id: str
    typecode: str
    title: str
    message: str
    time: float
    read: bool = False
    alert_id: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        """The list item of GET /fyi/notifications (spec: D date, ID, FC type, MD body, MS subject, R read, HT)."""
        return {
            'D': str(int(self.time)),
            'ID': self.id,
            'FC': self.typecode,
            'MD': self.message,
            'MS': self.title,
            'R': '1' if self.read else '0',
            'HT': 0,
        }


class FyiCenter:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.notifications: List[Notification] = []
        self.enabled: Dict[str, bool] = dict.fromkeys(TYPECODES, True)
        self.disclaimers_read: Dict[str, bool] = dict.fromkeys(TYPECODES, False)
        self.email_enabled = True
        self.devices: Dict[str, Dict[str, Any]] = {}
        self.listeners: List[Callable[[Notification], None]] = []  # e.g. a websocket 'ntf' publisher
        self._next = 0

    def check_typecode(self, typecode: str) -> str:
        if typecode not in TYPECODES:
            raise ApiError(400, f'Bad Request: unknown FYI type code {typecode!r}')
        return typecode

    def notify(
        self, typecode: str, title: str, message: str, at: Optional[float] = None, alert_id: Optional[int] = None
    ) -> Optional[Notification]:
        """Post a notification (skipped when its type is switched off in the settings)."""
        if not self.enabled.get(typecode, True):
            return None
        self._next += 1
        notification = Notification(
            id=f'{self._next:010d}',
            typecode=typecode,
            title=title,
            message=message,
            time=self.gateway.clock.now() if at is None else at,
            alert_id=alert_id,
        )
        self.notifications.append(notification)
        for listener in list(self.listeners):
            try:
                listener(notification)
            except Exception:  # a broken listener must not break the request that fired the alert
                _LOGGER.exception('FYI listener failed')
        return notification

    def unread(self) -> int:
        return sum(1 for n in self.notifications if not n.read)

    def listing(
        self, maximum: int, include: Optional[str], exclude: Optional[str], before_id: Optional[str]
    ) -> List[Dict[str, Any]]:
        """Newest first, at most ``maximum``; ``include``/``exclude`` are comma-separated type codes; ``id``:
        only notifications older than that one (the next page)."""
        included = {c.strip() for c in include.split(',') if c.strip()} if include else None
        excluded = {c.strip() for c in exclude.split(',') if c.strip()} if exclude else set()
        rows = sorted(self.notifications, key=lambda n: (n.time, n.id), reverse=True)
        if before_id:
            older = [i for i, n in enumerate(rows) if n.id == before_id]
            if not older:
                raise ApiError(400, f'Bad Request: no notification with id {before_id}')
            rows = rows[older[0] + 1 :]
        rows = [n for n in rows if (included is None or n.typecode in included) and n.typecode not in excluded]
        return [n.to_dict() for n in rows[:maximum]]

    def mark_read(self, notification_id: str) -> Notification:
        for notification in self.notifications:
            if notification.id == notification_id:
                notification.read = True
                return notification
        raise ApiError(400, f'Bad Request: no notification with id {notification_id}')

    def describe(self) -> Dict[str, Any]:
        return {
            'notifications': len(self.notifications),
            'unread': self.unread(),
            'disabled_types': sorted(code for code, on in self.enabled.items() if not on),
        }
