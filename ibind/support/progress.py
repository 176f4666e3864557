"""Progress of bulk work (history of many symbols, every page of positions): a bar or your callback.

The bulk helpers take ``progress=``:

* ``None``/``False`` (default): nothing is shown;
* ``True``: a tqdm bar (``pip install "ibind[progress]"``), the notebook widget in Jupyter and a text bar in
  a terminal (``tqdm.auto`` picks);
* a callable ``progress(key, outcome, done, total)``: called from worker threads as each piece finishes, with
  its key (a symbol, a page number), its outcome (the result, or the exception it raised), how many are done
  and how many there are (None when not known in advance, as for pages). Use it to show progress your way
  or to handle results as they arrive. An exception raised by the callback is logged, never propagated into
  the bulk work.

**Cancelling.** A callback that returns ``False`` cancels the job: pieces not yet started are skipped, the
ones running finish, and the bulk call raises ``concurrent.futures.CancelledError``. The results that did
arrive were handed to the callback, so a caller that wants them keeps them there.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional, Union

_LOGGER = logging.getLogger('ibind.progress')

ProgressCallback = Callable[[Any, Any, int, Optional[int]], Optional[bool]]
ProgressOption = Union[None, bool, ProgressCallback]


def check_progress(progress: Any, argument: str = 'progress') -> ProgressOption:
    """``progress`` if it is None, a bool or a callable; else a TypeError naming the argument (nothing is sent)."""
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise TypeError(
            f'{argument!r} must be True, False/None, or a callable(key, outcome, done, total), '
            f'got {type(progress).__name__}'
        )
    return progress


class Progress:
    """Counts finished pieces of one bulk job and reports each one; safe to call from many threads."""

    def __init__(self, progress: ProgressOption, total: Optional[int], description: str, unit: str = 'it'):
        check_progress(progress)
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self._callback: Optional[ProgressCallback] = progress if callable(progress) else None
        self._bar: Any = _tqdm_bar(total, description, unit) if progress is True else None
        self.cancelled = False

    def update(self, key: Any, outcome: Any) -> None:
        """One piece finished with ``outcome`` (its result or exception)."""
        with self._lock:
            self.done += 1
            done = self.done
            if self._bar is not None:
                self._bar.update(1)
        if self._callback is not None:
            try:
                answer = self._callback(key, outcome, done, self.total)
            except Exception:  # a broken callback must not break the job it watches
                _LOGGER.exception('progress callback failed for %r', key)
                return
            if answer is False:
                self.cancel()

    def cancel(self) -> None:
        """Skip every piece not started yet; the job raises CancelledError once the running ones are done."""
        if not self.cancelled:
            _LOGGER.info('bulk job cancelled after %d piece(s)', self.done)
        self.cancelled = True

    def call(self, key: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, reporting its result or exception as piece ``key`` (and re-raising).

        Once the job is cancelled, raises CancelledError without calling ``func``.
        """
        if self.cancelled:
            from concurrent.futures import CancelledError  # here: costly at import

            raise CancelledError(f'bulk job cancelled before {key!r}')
        try:
            result = func(*args, **kwargs)
        except Exception as error:
            self.update(key, error)
            raise
        self.update(key, result)
        return result

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            from concurrent.futures import CancelledError

            raise CancelledError(f'bulk job cancelled after {self.done} of {self.total or "?"} piece(s)')

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _tqdm_bar(total: Optional[int], description: str, unit: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as error:
        raise ImportError(
            'progress=True needs tqdm, an optional extra: pip install "ibind[progress]" '
            '(or pass a callable as progress=)'
        ) from error
    return tqdm(total=total, desc=description, unit=unit)
