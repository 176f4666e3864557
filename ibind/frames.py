"""pandas DataFrames from ibind's answers: history, snapshots, positions, orders, trades, the ledger.

pandas is an optional extra (``pip install "ibind[pandas]"``), imported only when one of these is called.
Every builder takes what the client returns (a Result or its ``data``) and gives a frame with honest
dtypes, not a column of ``object``:

* numbers IBKR sends as text (``"183.43"``, ``"1.56M"``, ``"C185.12"``) are numbers (``float64``, or the
  nullable ``Int64`` for whole-number ids and counts); a missing value is NaN/``<NA>``, never a silently
  dropped row;
* times are timezone-aware (UTC unless you pass ``tz='America/New_York'``), from IBKR's epoch
  milliseconds or seconds;
* words are the ``string`` dtype, yes/no values ``boolean``, flags ``category``.

History is tidy: one row per bar and symbol, indexed by ``(time, symbol)``, so
``history_frame(h)['close'].unstack('symbol')`` is a table of closes with one column per symbol.
"""

from __future__ import annotations

import datetime
import numbers
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ibind.client.history import clean_history
from ibind.support.values import parse_snapshot, parse_value

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

HISTORY_COLUMNS = ('open', 'high', 'low', 'close', 'volume')

_POSITION_NUMBERS = (
    'position',
    'mktPrice',
    'mktValue',
    'avgCost',
    'avgPrice',
    'realizedPnl',
    'unrealizedPnl',
    'strike',
    'marketPrice',
    'marketValue',
    'averageCost',
    'multiplier',
)
_ORDER_NUMBERS = ('remainingQuantity', 'filledQuantity', 'totalSize', 'avgPrice', 'price', 'auxPrice')
_TRADE_NUMBERS = ('size', 'price', 'commission', 'net_amount')


def require_pandas() -> Any:
    """The pandas module, or an ImportError that says which extra installs it."""
    try:
        import pandas
    except ImportError as error:
        raise ImportError('ibind.frames needs pandas, an optional extra: pip install "ibind[pandas]"') from error
    return pandas


# ----------------------------------------------------------------- history


def history_frame(history: Any, symbol: Optional[str] = None, tz: str = 'UTC') -> pd.DataFrame:
    """Bars of one or many instruments as a tidy frame indexed by ``(time, symbol)``.

    Arguments:
        history: ``marketdata_history_by_symbols(...)`` / ``..._by_conids(...)`` (``{key: [bars]}``; a key
            whose request failed holds its exception and is left out, listed in ``frame.attrs['errors']``),
            a list of cleaned bars, or a single ``marketdata_history_by_conid(...)`` Result.
        symbol: the symbol of a single instrument's bars (default: the answer's ``symbol``, else None).
        tz: time zone of the ``time`` index level (default UTC), e.g. ``'America/New_York'``.

    Columns ``open high low close volume`` are float64 (volume as IBKR reports it: hundreds of shares for
    US stocks). Rows are sorted by time, then symbol. An empty answer gives an empty frame with the same
    columns and index levels.
    """
    pd = require_pandas()
    by_symbol, errors = _history_by_symbol(history, symbol)
    rows: List[Dict[str, Any]] = []
    for key, bars in by_symbol.items():
        for bar in bars:
            rows.append({'time': bar['date'], 'symbol': str(key), **{name: bar[name] for name in HISTORY_COLUMNS}})
    frame = pd.DataFrame(rows, columns=['time', 'symbol', *HISTORY_COLUMNS])
    frame['time'] = pd.to_datetime(frame['time'], utc=True).dt.tz_convert(tz)
    frame['symbol'] = frame['symbol'].astype('string')
    frame = frame.astype(dict.fromkeys(HISTORY_COLUMNS, 'float64'))
    frame = frame.sort_values(['time', 'symbol'], kind='stable').set_index(['time', 'symbol'])
    frame.attrs['errors'] = errors
    frame.attrs['symbols'] = [str(key) for key in by_symbol]  # the order they were asked for
    return frame


def closes_frame(history: Any, tz: str = 'UTC') -> pd.DataFrame:
    """Closing prices as a wide frame: one row per time, one column per symbol in the order asked for.

    NaN where a symbol has no bar at that time; a symbol whose request failed has no column (see
    ``attrs['errors']``).
    """
    tidy = history_frame(history, tz=tz)
    wide = tidy['close'].unstack('symbol').reindex(columns=tidy.attrs['symbols'])
    wide.columns = wide.columns.astype(object)
    wide.columns.name = 'symbol'
    wide.attrs['errors'] = tidy.attrs['errors']
    return wide


def _history_by_symbol(history: Any, symbol: Optional[str]) -> tuple:
    errors: Dict[str, str] = {}
    if isinstance(history, Mapping) and 'data' not in history:
        by_symbol: Dict[Any, List[Dict[str, Any]]] = {}
        for key, bars in history.items():
            if isinstance(bars, BaseException):
                errors[str(key)] = f'{type(bars).__name__}: {bars}'
            else:
                by_symbol[key] = _bars(bars)
        return by_symbol, errors
    data = getattr(history, 'data', history)
    if isinstance(data, Mapping):  # one raw /iserver/marketdata/history answer
        return {symbol or data.get('symbol'): clean_history(data)}, errors
    if isinstance(data, list):
        return {symbol: _bars(data)}, errors
    raise TypeError(
        f'history must be {{symbol: [bars]}}, a list of bars, or a history Result; got {type(history).__name__}'
    )


def _bars(bars: Any) -> List[Dict[str, Any]]:
    if isinstance(bars, Mapping) or getattr(bars, 'data', None) is not None:
        return clean_history(getattr(bars, 'data', bars))
    if not isinstance(bars, list):
        raise TypeError(f'expected a list of bars, got {type(bars).__name__}')
    return bars


# ----------------------------------------------------------------- snapshots


def snapshot_frame(snapshot: Any) -> pd.DataFrame:
    """Market data snapshots, one row per instrument, values as numbers and columns named by field.

    ``snapshot`` is ``live_marketdata_snapshot_by_symbol(...)`` (rows indexed by ``symbol``) or
    ``live_marketdata_snapshot(...)`` (rows indexed by ``conid``). Values are read by
    ``ibind.parse_snapshot``: ``"12.14M"`` is 12140000, a ``C``/``H`` prefix goes to ``<field>_flag``
    (category ``closed``/``halted``), a missing value is NaN.
    """
    pd = require_pandas()
    parsed = parse_snapshot(snapshot)
    if isinstance(parsed, Mapping) and parsed and all(isinstance(v, Mapping) for v in parsed.values()):
        frame = pd.DataFrame.from_records([{'symbol': key, **values} for key, values in parsed.items()])
        frame = _typed(frame.set_index('symbol'))
        frame.index = frame.index.astype('string')
    else:
        entries = parsed if isinstance(parsed, list) else [parsed]
        frame = _typed(pd.DataFrame.from_records(entries), times_ms=('_updated',))
        if 'conid' in frame.columns:
            frame = frame.set_index('conid')
    for column in [c for c in frame.columns if str(c).endswith('_flag')]:
        frame[column] = frame[column].astype(pd.CategoricalDtype(['closed', 'halted']))
    return frame


# ----------------------------------------------------------------- account data


def positions_frame(positions: Any) -> pd.DataFrame:
    """Positions (``positions``, ``all_positions``, ``positions2``), one row per contract, indexed by ``conid``."""
    records = _records(positions, 'positions')
    return _indexed(_typed(_frame(records), numbers=_POSITION_NUMBERS), 'conid')


def orders_frame(orders: Any, tz: str = 'UTC') -> pd.DataFrame:
    """Live orders (``live_orders()``: ``{'orders': [...]}`` or the list), indexed by ``orderId``.

    ``lastExecutionTime_r`` (epoch ms) becomes the tz-aware ``lastExecutionTime`` column; prices and sizes
    sent as text (``price``, ``avgPrice``) are numbers.
    """
    data = getattr(orders, 'data', orders)
    if isinstance(data, Mapping) and 'orders' in data:
        data = data['orders'] or []
    frame = _typed(_frame(_records(data, 'orders')), numbers=_ORDER_NUMBERS, times_ms=('lastExecutionTime_r',), tz=tz)
    return _indexed(frame, 'orderId')


def trades_frame(trades: Any, tz: str = 'UTC') -> pd.DataFrame:
    """Executions (``trades()``), indexed by ``execution_id``; ``trade_time_r`` becomes the tz-aware ``trade_time``."""
    frame = _typed(_frame(_records(trades, 'trades')), numbers=_TRADE_NUMBERS, times_ms=('trade_time_r',), tz=tz)
    return _indexed(frame, 'execution_id')


def ledger_frame(ledger: Any, tz: str = 'UTC') -> pd.DataFrame:
    """The account ledger (``get_ledger()``: ``{currency: {...}}``), one row per currency incl. ``BASE``."""
    data = getattr(ledger, 'data', ledger)
    if not isinstance(data, Mapping):
        raise TypeError(f'ledger must be get_ledger() or its data {{currency: {{...}}}}, got {type(data).__name__}')
    records = [
        {'currency': key, **{k: v for k, v in values.items() if k != 'currency'}}
        for key, values in data.items()
        if isinstance(values, Mapping)
    ]
    frame = _typed(_frame(records), times_s=('timestamp',), tz=tz)
    return _indexed(frame, 'currency')


# ----------------------------------------------------------------- dtypes


def _records(data: Any, what: str) -> List[Mapping[str, Any]]:
    data = getattr(data, 'data', data)
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise TypeError(f'{what} must be a list of dicts (or a Result of one), got {type(data).__name__}')
    return data


def _frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    pd = require_pandas()
    return pd.DataFrame.from_records([dict(record) for record in records])


def _indexed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.set_index(column) if column in frame.columns else frame


def _typed(
    frame: pd.DataFrame,
    numbers: Iterable[str] = (),
    times_ms: Iterable[str] = (),
    times_s: Iterable[str] = (),
    tz: str = 'UTC',
) -> pd.DataFrame:
    """Give every column the narrowest honest dtype; listed text columns are read as numbers or times."""
    pd = require_pandas()
    frame = frame.copy()
    for column in [c for c in numbers if c in frame.columns]:
        frame[column] = frame[column].map(lambda v: _number_or_none(parse_value(v)))
    for unit, columns in (('ms', times_ms), ('s', times_s)):
        for column in [c for c in columns if c in frame.columns]:
            name = column[:-2] if column.endswith('_r') else column
            values = pd.to_numeric(frame[column], errors='coerce')
            frame[name] = pd.to_datetime(values, unit=unit, utc=True).dt.tz_convert(tz)
            if name != column:
                frame = frame.drop(columns=[column])
    for column in frame.columns:
        frame[column] = _typed_column(pd, frame[column])
    return frame


def _number_or_none(value: Any) -> Any:
    return value if isinstance(value, numbers.Number) and not isinstance(value, bool) else None


def _typed_column(pd: Any, column: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(column.dtype) and not isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return column.astype('Int64')  # the same dtype whether or not a value is missing
    if column.dtype != object:
        return column
    present = [v for v in column if v is not None and not (isinstance(v, float) and v != v)]
    if not present:
        return column.astype('float64')
    if all(isinstance(v, bool) for v in present):
        return column.astype('boolean')
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in present):
        return column.astype('Int64')
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present):
        return column.astype('float64')
    if all(isinstance(v, str) for v in present):
        return column.astype('string')
    if all(isinstance(v, datetime.datetime) for v in present):
        return pd.to_datetime(column, utc=True)
    return column
