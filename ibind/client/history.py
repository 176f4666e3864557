"""Historical market data: the documented bar and period values, and cleanup of IBKR's bars.

Two endpoints serve bars, with different vocabularies:

* ``/iserver/marketdata/history``: bars ``1min 2min 3min 5min 10min 15min 30min 1h 2h 3h 4h 8h 1d 1w 1m``
  and periods ``{1-30}min {1-8}h {1-1000}d {1-792}w {1-182}m {1-15}y``. Careful: ``m`` is a MONTH,
  minutes are ``min``.
* ``/hmds/history`` (beta): periods in units ``S d w m y`` (e.g. ``3600S``, ``1d``) and bars in units
  ``secs mins hrs d w m`` (e.g. ``30secs``, ``5mins``, ``1hrs``). Units are case sensitive.

Everything here is a pure function: checking arguments before a request is sent (ValueError naming
the argument), formatting ``startTime``, and turning a response's ``data`` into a list of bars
``{'open', 'high', 'low', 'close', 'volume', 'date'}`` with ``date`` a timezone-aware UTC datetime.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ibind.client.response_shape import add_response_context
from ibind.support.errors import BadResponseError, ExternalBrokerError
from ibind.support.py_utils import LazyPattern

HISTORY_BARS: Tuple[str, ...] = (
    '1min',
    '2min',
    '3min',
    '5min',
    '10min',
    '15min',
    '30min',
    '1h',
    '2h',
    '3h',
    '4h',
    '8h',
    '1d',
    '1w',
    '1m',
)
"""Bar sizes /iserver/marketdata/history accepts (``1m`` is one month)."""

HISTORY_PERIOD_LIMITS: Dict[str, int] = {'min': 30, 'h': 8, 'd': 1000, 'w': 792, 'm': 182, 'y': 15}
"""Period unit -> the largest count /iserver/marketdata/history accepts (``6m`` is six months)."""

HMDS_PERIOD_UNITS: Tuple[str, ...] = ('S', 'd', 'w', 'm', 'y')
HMDS_BAR_UNITS: Tuple[str, ...] = ('secs', 'sec', 'mins', 'min', 'hrs', 'hr', 'd', 'w', 'm')
HMDS_BAR_TYPES: Tuple[str, ...] = ('Last', 'Bid', 'Ask', 'Midpoint', 'FeeRate', 'Inventory')
HMDS_DIRECTIONS: Tuple[str, ...] = ('-1', '1')

START_TIME_FORMAT = '%Y%m%d-%H:%M:%S'
_START_TIME_TEXT = LazyPattern(r'^\d{8}-\d{2}:\d{2}:\d{2}$')
_PERIOD = LazyPattern(r'^([1-9]\d*)(min|h|d|w|m|y)$')
_HMDS_PERIOD = LazyPattern(r'^([1-9]\d*)(S|d|w|m|y)$')
_HMDS_BAR = LazyPattern(r'^([1-9]\d*)(secs|sec|mins|min|hrs|hr|d|w|m)$')
_BAR_KEYS = (('open', 'o'), ('high', 'h'), ('low', 'l'), ('close', 'c'))


# ----------------------------------------------------------------- arguments


def validate_history_bar(bar: Any, argument: str = 'bar') -> str:
    """A bar size of /iserver/marketdata/history, exactly as documented (e.g. '5min', '1h', '1d')."""
    if not isinstance(bar, str):
        raise TypeError(f'{argument!r} must be a str, one of {", ".join(HISTORY_BARS)}; got {type(bar).__name__}')
    if bar not in HISTORY_BARS:
        raise ValueError(f'{argument!r} must be one of {", ".join(HISTORY_BARS)} (1m is one month), got {bar!r}')
    return bar


def validate_history_period(period: Any, argument: str = 'period') -> str:
    """A period of /iserver/marketdata/history: {1-30}min, {1-8}h, {1-1000}d, {1-792}w, {1-182}m or {1-15}y."""
    expected = "{1-30}min, {1-8}h, {1-1000}d, {1-792}w, {1-182}m (months) or {1-15}y, e.g. '1w'"
    if not isinstance(period, str):
        raise TypeError(f'{argument!r} must be a str like {expected}; got {type(period).__name__}')
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f'{argument!r} must be {expected}; got {period!r}')
    count, unit = int(match.group(1)), match.group(2)
    if count > HISTORY_PERIOD_LIMITS[unit]:
        raise ValueError(f'{argument!r} allows at most {HISTORY_PERIOD_LIMITS[unit]}{unit}, got {period!r}')
    return period


def validate_hmds_period(period: Any, argument: str = 'period') -> str:
    """A period of /hmds/history: a count and one of the units S, d, w, m, y (case sensitive), e.g. '3600S'."""
    if not isinstance(period, str):
        raise TypeError(f"{argument!r} must be a str like '1d' or '3600S', got {type(period).__name__}")
    if _HMDS_PERIOD.match(period) is None:
        raise ValueError(
            f'{argument!r} must be a count and a unit of {", ".join(HMDS_PERIOD_UNITS)} '
            f"(case sensitive), e.g. '3600S', '1d', '1w'; got {period!r}"
        )
    return period


def validate_hmds_bar(bar: Any, argument: str = 'bar') -> str:
    """A bar size of /hmds/history: a count and one of the units secs, mins, hrs, d, w, m, e.g. '5mins'."""
    if not isinstance(bar, str):
        raise TypeError(f"{argument!r} must be a str like '5mins' or '1hrs', got {type(bar).__name__}")
    if _HMDS_BAR.match(bar) is None:
        raise ValueError(
            f'{argument!r} must be a count and a unit of secs, mins, hrs, d, w, m '
            f"(case sensitive), e.g. '30secs', '5mins', '1hrs', '1d'; got {bar!r}"
        )
    return bar


def validate_hmds_direction(direction: Any, argument: str = 'direction') -> Optional[str]:
    if direction is None:
        return None
    text = str(direction).strip() if isinstance(direction, (str, int)) and not isinstance(direction, bool) else None
    if text not in HMDS_DIRECTIONS:
        raise ValueError(f"{argument!r} must be '-1' or '1' (or None for the default), got {direction!r}")
    return text


def validate_hmds_bar_type(bar_type: Any, argument: str = 'bar_type') -> Optional[str]:
    if bar_type is None:
        return None
    if bar_type not in HMDS_BAR_TYPES:
        raise ValueError(
            f'{argument!r} must be one of {", ".join(HMDS_BAR_TYPES)} (or None for Last), got {bar_type!r}'
        )
    return bar_type


def format_start_time(start_time: Any, argument: str = 'start_time') -> Optional[str]:
    """A datetime -> 'YYYYMMDD-HH:MM:SS' in UTC, the format IBKR's history endpoints expect.

    Aware datetimes are converted to UTC; naive ones are taken to be UTC already (IBKR's convention).
    A string already in that format is passed through; None stays None (IBKR then uses "now").
    """
    if start_time is None:
        return None
    if isinstance(start_time, str):
        if _START_TIME_TEXT.match(start_time.strip()):
            return start_time.strip()
        raise ValueError(f"{argument!r} must be a datetime or a UTC string 'YYYYMMDD-HH:MM:SS', got {start_time!r}")
    if isinstance(start_time, datetime.datetime):
        if start_time.tzinfo is not None and start_time.utcoffset() is not None:
            start_time = start_time.astimezone(datetime.timezone.utc)
        return start_time.strftime(START_TIME_FORMAT)
    if isinstance(start_time, datetime.date):
        return datetime.datetime(start_time.year, start_time.month, start_time.day).strftime(START_TIME_FORMAT)
    raise TypeError(f'{argument!r} must be a datetime.datetime (UTC), got {type(start_time).__name__}')


# ----------------------------------------------------------------- responses


def clean_history(data: Any) -> List[Dict[str, Any]]:
    """The bars of a history response as ``[{'open', 'high', 'low', 'close', 'volume', 'date'}, ...]``.

    ``date`` is the bar's start as a UTC datetime (IBKR sends epoch milliseconds in ``t``); ``volume``
    is ``v`` as IBKR reports it (for US stocks that is in hundreds of shares). Bars come sorted by
    date. A response without a ``data`` list or a bar without numbers raises BadResponseError.
    """
    if not isinstance(data, Mapping):
        raise BadResponseError(f'history response must be a JSON object, got {type(data).__name__}', body=data)
    bars = data.get('data')
    if bars is None:
        raise BadResponseError("history response has no 'data'", body=data)
    if not isinstance(bars, list):
        raise BadResponseError(f"history 'data' must be a list of bars, got {type(bars).__name__}", body=data)
    cleaned = [_clean_bar(bar, index, data) for index, bar in enumerate(bars)]
    cleaned.sort(key=lambda bar: bar['date'])
    return cleaned


def _clean_bar(bar: Any, index: int, response: Any) -> Dict[str, Any]:
    if not isinstance(bar, Mapping):
        raise BadResponseError(f'history bar #{index} must be an object, got {type(bar).__name__}', body=response)
    cleaned: Dict[str, Any] = {}
    for name, key in _BAR_KEYS:
        cleaned[name] = _number(bar.get(key), f'bar #{index} {key!r}', response)
    volume = bar.get('v', 0)
    cleaned['volume'] = _number(volume if volume is not None else 0, f"bar #{index} 'v'", response)
    cleaned['date'] = _utc_from_epoch_ms(bar.get('t'), index, response)
    return cleaned


def _number(value: Any, what: str, response: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):  # JSON numbers are int or float
        raise BadResponseError(f'history {what} must be a number, got {value!r}', body=response)
    try:
        number = float(value)
    except ValueError:
        raise BadResponseError(f'history {what} must be a number, got {value!r}', body=response) from None
    if not math.isfinite(number):
        raise BadResponseError(f'history {what} must be a finite number, got {value!r}', body=response)
    return number


def _utc_from_epoch_ms(value: Any, index: int, response: Any) -> datetime.datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadResponseError(f"history bar #{index} 't' must be epoch milliseconds, got {value!r}", body=response)
    try:
        return datetime.datetime.fromtimestamp(float(value) / 1000.0, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise BadResponseError(f"history bar #{index} 't' is not a usable time: {value!r}", body=response) from None


def collect_history(outcomes: Mapping[Any, Any], raise_on_error: bool) -> Dict[Any, Any]:
    """Clean every outcome of a multi-instrument history request, keyed like ``outcomes``.

    Each outcome is the response data (or anything with a ``.data``, like a Result) or the exception
    its request raised. A broker failure (ExternalBrokerError, including a response that cannot be
    cleaned) is raised when ``raise_on_error`` is True (the first one, in key order), else left in
    place of that key's bars. Any other exception is a bug or a bad argument and is always raised.
    """
    cleaned: Dict[Any, Any] = {}
    for key, outcome in outcomes.items():
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, ExternalBrokerError) or raise_on_error:
                raise outcome
            cleaned[key] = outcome
            continue
        try:
            cleaned[key] = clean_history(getattr(outcome, 'data', outcome))
        except ExternalBrokerError as error:
            if hasattr(outcome, 'request'):
                add_response_context(error, outcome)  # name the request whose bars could not be read
            if raise_on_error:
                raise
            cleaned[key] = error
    return cleaned
