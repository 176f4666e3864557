"""Request pacing: where every request of a client waits for its turn.

``RestClient`` asks its pacer for a slot around each HTTP attempt. ``NoPacing`` grants every slot at
once; the real pacer (token buckets per IBKR's limits) plugs in through the same two methods.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional


class NoPacing:
    """Grants every request immediately: for tests and for users who pace on their own."""

    enabled = False

    @contextlib.contextmanager
    def slot(self, method: str, path: str) -> Iterator[None]:
        yield

    def penalize(self, retry_after: Optional[float], method: str = '', path: str = '') -> None:
        """Told about a 429; nothing to slow down here."""
