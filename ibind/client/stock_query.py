"""StockQuery: which of the instruments and contracts /trsrv/stocks returns for a symbol a caller means.

``/trsrv/stocks`` answers every listing of a symbol: the US company, its listings abroad, trackers,
Canadian CDRs (``{symbol: [{name, chineseName, assetClass, contracts: [{conid, exchange, isUS}]}]}``).
A ``StockQuery`` says which of them are meant; ``filter_stocks`` applies the queries to such an
answer, and ``single_conid`` insists on exactly one contract, listing the candidates when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ibind.support.errors import AmbiguousSymbolError, BadResponseError, SymbolNotFoundError

DEFAULT_CONTRACT_CONDITIONS: Dict[str, Any] = {'isUS': True}


@dataclass
class StockQuery:
    """Which stock a symbol means.

    Attributes:
        symbol: the ticker, as IBKR spells it (capital letters, e.g. ``'AAPL'``, ``'BRK B'``).
        name_match: keep only instruments whose name contains this text (case-insensitive), e.g. ``'CDR'``.
        instrument_conditions: key/value pairs an instrument must have, e.g. ``{'assetClass': 'STK'}``.
        contract_conditions: key/value pairs a contract must have, e.g. ``{'exchange': 'NASDAQ'}``.
    """

    symbol: str
    name_match: Optional[str] = None
    instrument_conditions: Optional[Dict[str, Any]] = None
    contract_conditions: Optional[Dict[str, Any]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str):
            raise TypeError(f"StockQuery 'symbol' must be a str like 'AAPL', got {type(self.symbol).__name__}")
        symbol = self.symbol.strip()
        if not symbol:
            raise ValueError("StockQuery 'symbol' must be a non-empty ticker like 'AAPL'")
        if ',' in symbol or not symbol.isprintable():
            raise ValueError(f"StockQuery 'symbol' must be one ticker, got {self.symbol!r}; use one query per symbol")
        self.symbol = symbol
        if self.name_match is not None and not isinstance(self.name_match, str):
            raise TypeError(f"StockQuery 'name_match' must be a str or None, got {type(self.name_match).__name__}")
        for name in ('instrument_conditions', 'contract_conditions'):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Mapping):
                raise TypeError(
                    f"StockQuery {name!r} must be a dict like {{'key': value}} or None, got {type(value).__name__}"
                )
            if value is not None:
                setattr(self, name, dict(value))


StockQueries = Union[str, StockQuery, List[Union[str, StockQuery]]]
"""One or many stock queries; a bare symbol string stands for ``StockQuery(symbol)``."""


def to_stock_queries(queries: Iterable[Union[str, StockQuery]], argument: str = 'queries') -> List[StockQuery]:
    """Turn ``str``/``StockQuery`` items into StockQuery objects; anything else is a TypeError naming the argument."""
    normalised = []
    for query in queries:
        if isinstance(query, StockQuery):
            normalised.append(query)
        elif isinstance(query, str):
            try:
                normalised.append(StockQuery(query))
            except ValueError as error:
                raise ValueError(f'{argument!r}: {error}') from None
        else:
            raise TypeError(
                f'{argument!r} must contain StockQuery objects or symbol strings, got {type(query).__name__}: {query!r}'
            )
    return normalised


def contract_conditions_for(query: StockQuery, default_filtering: bool) -> Dict[str, Any]:
    """The query's contract conditions, on top of ``{'isUS': True}`` when default filtering is on."""
    conditions: Dict[str, Any] = dict(DEFAULT_CONTRACT_CONDITIONS) if default_filtering else {}
    conditions.update(query.contract_conditions or {})
    return conditions


def _matches(item: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    return all(key in item and item[key] == value for key, value in conditions.items())


def _instruments_of(data: Any, symbol: str) -> List[Dict[str, Any]]:
    """The instruments /trsrv/stocks returned for one symbol, checked for the documented shape."""
    if not isinstance(data, dict) or not all(isinstance(value, list) for value in data.values()):
        got = type(data).__name__ if not isinstance(data, dict) else 'an object whose values are not all lists'
        raise BadResponseError(
            f'/trsrv/stocks returned {got}, expected an object keyed by symbol with a list of instruments each',
            body=data,
        )
    instruments = data.get(symbol) or []
    if not isinstance(instruments, list) or not all(
        isinstance(i, dict) and isinstance(i.get('contracts', []), list) for i in instruments
    ):
        raise BadResponseError(f'/trsrv/stocks returned an unexpected shape for {symbol!r}', body=instruments)
    return instruments


def filter_instruments(
    instruments: List[Dict[str, Any]], query: StockQuery, default_filtering: bool
) -> List[Dict[str, Any]]:
    """The instruments (each with only its matching contracts) that ``query`` keeps.

    An instrument is dropped when its name does not contain ``name_match``, when it lacks one of the
    ``instrument_conditions``, or when contract conditions apply and none of its contracts meets them.
    """
    conditions = contract_conditions_for(query, default_filtering)
    name_match = query.name_match.lower() if query.name_match else None
    kept = []
    for instrument in instruments:
        if name_match is not None and name_match not in str(instrument.get('name') or '').lower():
            continue
        if not _matches(instrument, query.instrument_conditions or {}):
            continue
        contracts = [c for c in instrument.get('contracts') or [] if isinstance(c, dict) and _matches(c, conditions)]
        if conditions and not contracts:
            continue
        kept.append({**instrument, 'contracts': contracts})
    return kept


def filter_stocks(data: Any, queries: List[StockQuery], default_filtering: bool) -> Dict[str, List[Dict[str, Any]]]:
    """``{symbol: [kept instruments]}`` for the queries; several queries for one symbol add up."""
    filtered: Dict[str, List[Dict[str, Any]]] = {}
    for query in queries:
        kept = filter_instruments(_instruments_of(data, query.symbol), query, default_filtering)
        bucket = filtered.setdefault(query.symbol, [])
        bucket.extend(instrument for instrument in kept if instrument not in bucket)
    return filtered


def describe_query(query: StockQuery) -> str:
    """``StockQuery('GOOG', name_match='CDR')``: the query with only the fields that were set."""
    parts = [repr(query.symbol)] + [
        f'{name}={getattr(query, name)!r}'
        for name in ('name_match', 'instrument_conditions', 'contract_conditions')
        if getattr(query, name) is not None
    ]
    return f'StockQuery({", ".join(parts)})'


def _candidates(instruments: List[Dict[str, Any]]) -> str:
    lines = []
    for instrument in instruments:
        for contract in instrument.get('contracts') or []:
            lines.append(
                f'{instrument.get("name")!s} (conid {contract.get("conid")}, '
                f'exchange {contract.get("exchange")}, isUS {contract.get("isUS")})'
            )
    return '; '.join(lines) if lines else 'none'


def single_conid(data: Any, query: StockQuery, default_filtering: bool) -> int:
    """The one conid ``query`` selects from a /trsrv/stocks answer.

    Raises SymbolNotFoundError when nothing is left (listing what the symbol has, if anything), and
    AmbiguousSymbolError (a RuntimeError) when more than one instrument or contract is left, listing them.
    """
    instruments = _instruments_of(data, query.symbol)
    kept = filter_instruments(instruments, query, default_filtering)
    if not kept:
        if not instruments:
            raise SymbolNotFoundError(f'no stock found for symbol {query.symbol!r}')
        raise SymbolNotFoundError(
            f'no stock for {describe_query(query)} passed the filters (default_filtering={default_filtering}); '
            f'the symbol has: {_candidates(instruments)}'
        )
    contracts = [contract for instrument in kept for contract in instrument['contracts']]
    if len(kept) != 1 or len(contracts) != 1:
        raise AmbiguousSymbolError(
            f'{describe_query(query)} matched {len(kept)} instrument(s) and {len(contracts)} contract(s); '
            'expected exactly one. '
            f'Narrow it with name_match, instrument_conditions or contract_conditions. '
            f'Candidates: {_candidates(kept)}'
        )
    conid = contracts[0].get('conid')
    try:
        return int(conid)
    except (TypeError, ValueError):
        raise BadResponseError(
            f'/trsrv/stocks returned a contract without a usable conid for {query.symbol!r}', body=contracts[0]
        ) from None


__all__ = ['StockQueries', 'StockQuery', 'filter_instruments', 'filter_stocks', 'single_conid', 'to_stock_queries']
