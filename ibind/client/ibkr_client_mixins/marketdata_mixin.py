"""MarketdataMixin: the market data category of the IBKR Client Portal Web API.

Live snapshots (``/iserver/marketdata/snapshot``), the paid regulatory snapshot (``/md/regsnapshot``),
historical bars (``/iserver/marketdata/history`` and the beta ``/hmds/history``) and closing market
data streams. The plain methods are thin: they check their arguments, send one request and return
its ``Result``. The helpers that work on many instruments (``*_by_symbol(s)``, ``*_by_conids``) also
deal with what the docs warn about: the snapshot pre-flight, the first ``/hmds`` 404, and IBKR's limit
of five concurrent history requests.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

from ibind.base.rest_client import Result
from ibind.client.response_shape import reading
from ibind.support.arguments import conid_arg, printable
from ibind.support.errors import BadResponseError, ExternalBrokerError, RateLimitError
from ibind.support.logs import project_logger
from ibind.support.py_utils import LazyModule, OneOrMany, ensure_list_arg, execute_in_parallel, parallel_cancelled

if TYPE_CHECKING:  # the stock_query types are imported when used: they import dataclasses, costly at import
    from ibind.client import history, ibkr_definitions
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
    from ibind.client.stock_query import StockQueries, StockQuery
    from ibind.support import progress as progress_bars
    from ibind.support.progress import ProgressOption
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient
    # loaded by the first call that needs them, not by every program that imports the client
    history = LazyModule('ibind.client.history')
    ibkr_definitions = LazyModule('ibind.client.ibkr_definitions')
    progress_bars = LazyModule('ibind.support.progress')

_LOGGER = project_logger('ibind.marketdata')

HISTORY_MAX_CONCURRENT = 5
"""IBKR serves at most five /iserver/marketdata/history requests at once (more answer 429)."""


# --------------------------------------------------------------------------- argument checks


def _snapshot_conid(value: Any) -> str:
    """A snapshot conid, optionally with an exchange: 265598 or '265598@SMART'."""
    if isinstance(value, str) and '@' in value:
        conid, _, exchange = value.strip().partition('@')
        exchange = exchange.strip()
        if not exchange or not exchange.isascii() or not exchange.replace('.', '').replace('_', '').isalnum():
            raise ValueError(f"'conids' entries must look like 265598 or '265598@SMART', got {value!r}")
        return f'{conid_arg("conids", conid)}@{exchange}'
    return conid_arg('conids', value)


def _field_ids(fields: Optional[Iterable[Any]]) -> List[str]:
    if fields is None:
        raise ValueError(
            "'fields' is required: expected field ids like '31' or names like 'last_price' "
            '(see ibind.client.ibkr_definitions)'
        )
    try:
        ids = ibkr_definitions.snapshot_keys_to_ids(fields)
    except ValueError as error:
        raise ValueError(f"'fields': {error}") from None
    return list(dict.fromkeys(ids))


def _optional_bool(name: str, value: Any) -> Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f'{name!r} must be True, False or None, got {value!r}')
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f'{name!r} must be True or False, got {value!r}')
    return value


def _optional_exchange(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'exchange' must be a non-empty exchange name like 'SMART' or 'NASDAQ', got {value!r}")
    return printable('exchange', value.strip(), "an exchange name like 'SMART'")


def _history_query(bar: Any, exchange: Any, period: Any, outside_rth: Any, start_time: Any) -> Dict[str, Any]:
    """The /iserver/marketdata/history query without the conid, every argument checked."""
    return {
        'exchange': _optional_exchange(exchange),
        'period': None if period is None else history.validate_history_period(period),
        'bar': history.validate_history_bar(bar),
        'startTime': history.format_start_time(start_time),
        'outsideRth': _optional_bool('outside_rth', outside_rth),
    }


def _history_targets(conids: Any) -> Dict[Any, str]:
    """{result key: conid} for marketdata_history_by_conids: a list keys by conid, a dict by its own keys."""
    if conids is None:
        raise ValueError("'conids' is required: expected a list of conids or a dict {key: conid}")
    if isinstance(conids, Mapping):
        targets = {}
        for key, conid in conids.items():
            try:
                targets[key] = conid_arg('conids', conid)
            except (TypeError, ValueError) as error:
                raise type(error)(f'{error} (at key {key!r})') from None
    elif isinstance(conids, (list, tuple, set, frozenset)):
        targets = {conid: conid_arg('conids', conid) for conid in conids}
    else:
        targets = {conids: conid_arg('conids', conids)}
    if not targets:
        raise ValueError("'conids' must not be empty: pass at least one conid")
    return targets


def _snapshot_entries(data: Any) -> List[Dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(entry, dict) and 'conid' in entry for entry in data):
        raise BadResponseError('snapshot response must be a list of objects with a conid', body=data)
    return data


def _entry_conid(entry: Dict[str, Any]) -> int:
    try:
        return int(str(entry['conid']).split('@')[0])
    except ValueError:
        raise BadResponseError(f'snapshot entry has an invalid conid {entry.get("conid")!r}', body=entry) from None


class MarketdataMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#md"""

    snapshot_attempts: int = 5
    """How many snapshots ``live_marketdata_snapshot_by_symbol`` takes at most to collect every field."""
    snapshot_backoff: float = 0.25
    """Seconds before its second snapshot; each further wait doubles, up to ``snapshot_backoff_max``."""
    snapshot_backoff_max: float = 2.0
    history_rate_limit_backoff: float = 1.0
    """Seconds the multi-instrument history helpers wait before retrying a request that got a 429."""
    history_max_retry_after: float = 10.0
    """A 429 asking to wait longer than this (a penalty box) is not retried by the history helpers."""

    # ----------------------------------------------------------------- snapshots

    @ensure_list_arg('conids', 'fields')
    def live_marketdata_snapshot(self, conids: OneOrMany[str], fields: OneOrMany[str]) -> Result:
        """Current market data (last, bid, ask, volume, ...) for one or many conids.

        Arguments:
            conids: contract id(s); ``'265598@SMART'`` names an exchange, echoed in ``conidEx``.
            fields: field ids like ``'31'`` (last price) or their names like ``'last_price'``
                (see ``ibind.client.ibkr_definitions``); names are sent as ids.

        The first snapshot of a conid is a pre-flight: it opens the stream and usually carries no field
        values, so ask again for the data. IBKR requires ``receive_brokerage_accounts()`` (/iserver/accounts)
        earlier in the brokerage session, and ``/iserver/secdef/search`` of the underlying before
        snapshots of derivatives. ``live_marketdata_snapshot_by_symbol`` does all of that for stocks.
        Values are strings (e.g. ``"193.18"``; 31 may carry a ``C`` or ``H`` prefix), 6008/6457 ints.
        """
        if conids is None:
            raise ValueError("'conids' is required: expected a conid like '265598' or a list of them")
        conid_list = ','.join(dict.fromkeys(_snapshot_conid(conid) for conid in conids))
        field_list = ','.join(_field_ids(fields))
        return self.get('iserver/marketdata/snapshot', {'conids': conid_list, 'fields': field_list})

    @ensure_list_arg('queries', 'fields')
    def live_marketdata_snapshot_by_symbol(
        self, queries: StockQueries, fields: OneOrMany[str]
    ) -> Dict[str, Dict[str, Any]]:
        """Current market data for stocks by symbol: ``{symbol: {field_name: value}}``.

        Arguments:
            queries: ``StockQuery`` objects or plain symbols; each must select exactly one US stock
                contract (see ``stock_conid_by_symbol``).
            fields: field names like ``'last_price'``, ``'bid'`` or ids like ``'31'``.

        Resolves the conids, calls /iserver/accounts (IBKR's prerequisite), then repeats the snapshot
        until every requested field arrived -- the first one is a pre-flight without data -- at most
        ``snapshot_attempts`` times, waiting ``snapshot_backoff`` seconds (doubling) in between. Fields
        IBKR has no value for (greeks of a stock, position fields without a position) are left out.
        Keys are ibind's field names; ids the field table does not list keep their id as name.
        """
        field_ids = _field_ids(fields)
        if queries is None:
            raise ValueError("'queries' is required: expected a StockQuery, a symbol, or a list of them")
        conids_by_symbol = self.stock_conid_by_symbol(queries).data
        if not isinstance(conids_by_symbol, Mapping):
            raise BadResponseError('stock_conid_by_symbol did not return {symbol: conid}', body=conids_by_symbol)
        conid_of = {symbol: int(conid_arg('conid', conid)) for symbol, conid in conids_by_symbol.items()}
        self._query_brokerage_accounts()

        collected = self._collect_snapshot_fields(list(dict.fromkeys(conid_of.values())), field_ids)
        named: Dict[str, Dict[str, Any]] = {}
        for symbol, conid in conid_of.items():
            values = collected[conid]
            named[symbol] = {
                ibkr_definitions.snapshot_field_name(field_id): values[field_id]
                for field_id in field_ids
                if field_id in values
            }
        return named

    def _collect_snapshot_fields(self, conids: List[int], field_ids: List[str]) -> Dict[int, Dict[str, Any]]:
        """Snapshot until every conid has every field, or the attempts are used up; later values win."""
        collected: Dict[int, Dict[str, Any]] = {conid: {} for conid in conids}
        wanted = set(field_ids)
        delay = self.snapshot_backoff
        for attempt in range(max(1, self.snapshot_attempts)):
            if attempt:
                self._sleep(delay)
                delay = min(delay * 2, self.snapshot_backoff_max)
            result = self.live_marketdata_snapshot([str(conid) for conid in conids], field_ids)
            with reading(result) as data:
                entries = [(_entry_conid(entry), entry) for entry in _snapshot_entries(data)]
                missing = sorted(set(conids) - {conid for conid, _ in entries})
                if missing:  # IBKR answers one entry per requested conid, even a pre-flight one
                    raise BadResponseError(f'snapshot answer has no entry for conid(s) {missing}', body=data)
            for conid, entry in entries:
                values = collected.get(conid)
                if values is not None:
                    values.update({field_id: entry[field_id] for field_id in field_ids if field_id in entry})
            if all(wanted <= set(values) for values in collected.values()):
                return collected
        still_missing = {
            conid: sorted(wanted - set(values)) for conid, values in collected.items() if wanted - set(values)
        }
        _LOGGER.info(
            'snapshot fields still missing after %d attempts (IBKR has no value for them): %s',
            self.snapshot_attempts,
            still_missing,
        )
        return collected

    def _query_brokerage_accounts(self) -> Result:
        """/iserver/accounts, which IBKR requires before snapshots in every brokerage session."""
        receive: Optional[Callable[[], Result]] = getattr(self, 'receive_brokerage_accounts', None)
        return receive() if callable(receive) else self.get('iserver/accounts')

    def regulatory_snapshot(self, conid: str) -> Result:
        """A regulatory snapshot (NBBO calculated from all exchanges) of one conid.

        WARNING: every request costs USD 0.01, on live and paper accounts alike, unless the account
        already subscribes to the exchange's US network feed. IBKR also caps how many a user may take.

        Arguments:
            conid: the contract id.
        """
        return self.get('md/regsnapshot', {'conid': conid_arg('conid', conid)})

    # ----------------------------------------------------------------- history

    def marketdata_history_by_conid(
        self,
        conid: str,
        bar: str,
        exchange: Optional[str] = None,
        period: Optional[str] = None,
        outside_rth: Optional[bool] = None,
        start_time: Optional[datetime.datetime] = None,
    ) -> Result:
        """Historical OHLC bars of one conid; ``period`` says how far back, ``bar`` how wide each bar is.

        Arguments:
            conid: the contract id.
            bar: 1min, 2min, 3min, 5min, 10min, 15min, 30min, 1h, 2h, 3h, 4h, 8h, 1d, 1w or 1m (a month).
            exchange: the exchange to take data from (default: IBKR's choice).
            period: {1-30}min, {1-8}h, {1-1000}d, {1-792}w, {1-182}m (months) or {1-15}y; IBKR's
                default is 1w. Not every bar suits every period (IBKR's step-size table).
            outside_rth: include data outside regular trading hours.
            start_time: the end of the requested period (a UTC datetime; naive ones count as UTC).

        IBKR returns at most 1000 bars and serves at most five history requests at once; the
        ``marketdata_history_by_conids`` helper keeps to that.
        """
        query = _history_query(bar, exchange, period, outside_rth, start_time)
        return self.get('iserver/marketdata/history', {'conid': conid_arg('conid', conid), **query})

    def historical_marketdata_beta(
        self,
        conid: str,
        period: str,
        bar: str,
        outside_rth: Optional[bool] = None,
        start_time: Optional[datetime.datetime] = None,
        direction: Optional[str] = None,
        bar_type: Optional[str] = None,
    ) -> Result:
        """Historical bars straight from IBKR's market data farm (``/hmds/history``, beta).

        Arguments:
            conid: the contract id.
            period: a count and a unit of S, d, w, m, y (case sensitive), e.g. '3600S', '1d', '1w'.
            bar: a count and a unit of secs, mins, hrs, d, w, e.g. '30secs', '5mins', '1hrs'.
            outside_rth: include data outside regular trading hours.
            start_time: where the data starts or ends (a UTC datetime); IBKR's default is now.
            direction: '1' (default): the period up to start_time; '-1': from start_time onwards.
            bar_type: Last (default for stocks, options, futures), Bid, Ask, Midpoint, FeeRate or Inventory.

        IBKR answers the first /hmds request of a session with a 404 that starts the service; this
        method sends the request once more when that happens, so callers get data.
        """
        query = {
            'conid': conid_arg('conid', conid),
            'period': history.validate_hmds_period(period),
            'bar': history.validate_hmds_bar(bar),
            'outsideRth': _optional_bool('outside_rth', outside_rth),
            'startTime': history.format_start_time(start_time),
            'direction': history.validate_hmds_direction(direction),
            'barType': history.validate_hmds_bar_type(bar_type),
        }
        try:
            return self.get('hmds/history', query)
        except ExternalBrokerError as error:
            if error.status_code != 404:
                raise
            _LOGGER.info('/hmds/history answered 404, as its first request of a session does; asking again')
            return self.get('hmds/history', query)

    def marketdata_history_by_symbol(
        self,
        symbol: Union[str, StockQuery],
        bar: str,
        exchange: Optional[str] = None,
        period: Optional[str] = None,
        outside_rth: Optional[bool] = None,
        start_time: Optional[datetime.datetime] = None,
    ) -> Result:
        """``marketdata_history_by_conid`` for a stock given by symbol or ``StockQuery``.

        The symbol must select exactly one US stock contract (see ``stock_conid_by_symbol``), else
        AmbiguousSymbolError or SymbolNotFoundError. Arguments are checked before anything is sent.
        """
        _history_query(bar, exchange, period, outside_rth, start_time)
        if symbol is None or isinstance(symbol, (list, tuple, dict)):
            raise TypeError(f"'symbol' must be one symbol str or one StockQuery, got {symbol!r}")
        conid = self._single_conid(symbol)
        return self.marketdata_history_by_conid(conid, bar, exchange, period, outside_rth, start_time)

    def _single_conid(self, symbol: Union[str, StockQuery]) -> str:
        conids = self.stock_conid_by_symbol(symbol).data
        if not isinstance(conids, Mapping) or len(conids) != 1:
            raise BadResponseError(f'expected one conid for {symbol!r}', body=conids)
        return conid_arg('conid', next(iter(conids.values())))

    def marketdata_history_by_conids(
        self,
        conids: Union[List[str], Dict[str, str]],
        period: str = '1min',
        bar: str = '1min',
        outside_rth: bool = True,
        start_time: Optional[datetime.datetime] = None,
        raise_on_error: bool = False,
        run_in_parallel: bool = True,
        progress: ProgressOption = None,
    ) -> dict:
        """Historical bars of many conids, cleaned up: ``{key: [{open, high, low, close, volume, date}, ...]}``.

        Arguments:
            conids: a list of conids (results keyed by conid as given) or a dict ``{key: conid}`` (results
                keyed by your keys, e.g. ``{'AAPL': '265598'}``).
            period, bar, outside_rth, start_time: as in ``marketdata_history_by_conid``.
            raise_on_error: True raises the first failure (in key order) after all requests are done;
                False (default) puts the exception (an ExternalBrokerError) in place of that key's bars,
                so check ``isinstance(value, Exception)``.
            run_in_parallel: True sends up to five requests at once (IBKR's limit); False one by one.
            progress: True shows a progress bar (needs ``ibind[progress]``); a callable
                ``progress(key, result_or_exception, done, total)`` is called as each request finishes;
                returning False cancels the rest (see ``ibind.support.progress``).

        ``date`` is the bar's start as a timezone-aware UTC datetime; ``volume`` is as IBKR reports it
        (US stocks: hundreds of shares). A request answered 404 is retried once at once, one answered
        429 once after ``history_rate_limit_backoff`` seconds. Returns a dict, not a Result.
        """
        targets = _history_targets(conids)
        query = _history_query(bar, None, period, outside_rth, start_time)
        _bool('raise_on_error', raise_on_error)
        _bool('run_in_parallel', run_in_parallel)
        with progress_bars.Progress(progress, len(targets), 'history', unit='symbol') as tracker:
            outcomes = self._fetch_histories(targets, query, run_in_parallel, raise_on_error, tracker)
            tracker.raise_if_cancelled()
        return history.collect_history(outcomes, raise_on_error)

    @ensure_list_arg('queries')
    def marketdata_history_by_symbols(
        self,
        queries: StockQueries,
        period: str = '1min',
        bar: str = '1min',
        outside_rth: bool = True,
        start_time: Optional[datetime.datetime] = None,
        raise_on_error: bool = False,
        run_in_parallel: bool = True,
        progress: ProgressOption = None,
    ) -> dict:
        """``marketdata_history_by_conids`` for stocks given by symbol: ``{symbol: [bars...]}``.

        Each query must select exactly one US stock contract; a symbol that does not raises
        (AmbiguousSymbolError / SymbolNotFoundError) before any history is requested, whatever
        ``raise_on_error`` says. Returns a dict, not a Result.
        """
        _history_query(bar, None, period, outside_rth, start_time)
        _bool('raise_on_error', raise_on_error)
        _bool('run_in_parallel', run_in_parallel)
        progress_bars.check_progress(progress)
        if queries is None:
            raise ValueError("'queries' is required: expected a StockQuery, a symbol, or a list of them")
        conids = self.stock_conid_by_symbol(queries).data
        if not isinstance(conids, Mapping):
            raise BadResponseError('stock_conid_by_symbol did not return {symbol: conid}', body=conids)
        return self.marketdata_history_by_conids(
            dict(conids), period, bar, outside_rth, start_time, raise_on_error, run_in_parallel, progress
        )

    def _fetch_histories(
        self,
        targets: Dict[Any, str],
        query: Dict[str, Any],
        run_in_parallel: bool,
        raise_on_error: bool,
        tracker: progress_bars.Progress,
    ) -> Dict[Any, Any]:
        """{key: Result or the ExternalBrokerError its request ended with}, at most five requests at once."""
        if run_in_parallel and len(targets) > 1:
            requests = {
                key: {'args': [key, self._history_with_retries, conid, query]} for key, conid in targets.items()
            }
            return execute_in_parallel(
                tracker.call, requests, max_workers=min(HISTORY_MAX_CONCURRENT, len(targets)), max_per_second=None
            )
        outcomes: Dict[Any, Any] = {}
        for key, conid in targets.items():
            try:
                outcomes[key] = tracker.call(key, self._history_with_retries, conid, query)
            except ExternalBrokerError as error:
                if raise_on_error:
                    raise
                outcomes[key] = error
        return outcomes

    def _history_with_retries(self, conid: str, query: Dict[str, Any]) -> Result:
        """One history request; a 404 is asked again at once, a 429 once after a short back-off."""
        params = {'conid': conid, **query}
        retried_not_found = retried_rate_limit = False
        while True:
            try:
                return self.get('iserver/marketdata/history', params)
            except RateLimitError as error:
                wait = max(self.history_rate_limit_backoff, error.retry_after or 0.0)
                if retried_rate_limit or wait > self.history_max_retry_after or parallel_cancelled():
                    raise
                retried_rate_limit = True
                _LOGGER.info('history of conid %s rate limited (429); retrying once in %.1fs', conid, wait)
                self._sleep(wait)
            except ExternalBrokerError as error:
                if error.status_code != 404 or retried_not_found or parallel_cancelled():
                    raise
                retried_not_found = True
                _LOGGER.info('history of conid %s answered 404; retrying once', conid)

    # ----------------------------------------------------------------- unsubscribe

    @ensure_list_arg('conids')
    def marketdata_unsubscribe(self, conids: OneOrMany[str]) -> List[Result]:
        """Close the market data stream of each conid (one request per conid), in order.

        IBKR answers 500 for a conid without an open stream; that is raised as an ExternalBrokerError
        (the conids before it were unsubscribed). Use ``marketdata_unsubscribe_all`` to close everything.
        """
        if conids is None:
            raise ValueError("'conids' is required: expected a conid like '265598' or a list of them")
        checked = [conid_arg('conids', conid) for conid in conids]
        return [self.post('iserver/marketdata/unsubscribe', json={'conid': int(conid)}) for conid in checked]

    def marketdata_unsubscribe_all(self) -> Result:
        """Close every market data stream of the session; the next snapshot of any conid is a pre-flight again."""
        return self.get('iserver/marketdata/unsubscribeall')
