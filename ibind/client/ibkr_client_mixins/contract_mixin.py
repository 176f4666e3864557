"""ContractMixin: the contract category of the IBKR Client Portal Web API.

Finding what to trade: security definitions, symbol and company-name search, option chains
(search -> strikes -> info), futures, bonds, forex pairs and rates, order rules, IB algos and
trading schedules, plus the ``StockQuery`` helpers that turn a symbol into exactly one conid.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union

from ibind.base.rest_client import Result, path_segment
from ibind.client.response_shape import reading
from ibind.support.arguments import conid_arg, identifier, is_digits, printable
from ibind.support.py_utils import LazyPattern, OneOrMany, ensure_list_arg, filter_none

if TYPE_CHECKING:  # imported when used: they import dataclasses, costly at import
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
    from ibind.client.stock_query import StockQueries, StockQuery
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

SEARCH_SEC_TYPES = ('STK', 'IND', 'BOND')
SCHEDULE_ASSET_CLASSES = ('STK', 'OPT', 'FUT', 'CFD', 'WAR', 'SWP', 'FND', 'BND', 'ICS')
RETURN_TYPES = ('dict', 'list')
MAX_ALGOS = 8
_MONTH = LazyPattern(r'^[A-Z]{3}\d{2}$')
_CURRENCY = LazyPattern(r'[A-Za-z]{3}')
STRIKE_SEC_TYPES = ('OPT', 'WAR')
_RIGHTS = {'C': 'C', 'CALL': 'C', 'P': 'P', 'PUT': 'P'}


# --------------------------------------------------------------------------- argument checks


def _text(name: str, value: Any, expected: str) -> str:
    if value is None:
        raise ValueError(f'{name!r} is required: expected {expected}')
    if not isinstance(value, str):
        raise TypeError(f'{name!r} must be a str ({expected}), got {type(value).__name__}')
    if not value.strip():
        raise ValueError(f'{name!r} must not be empty: expected {expected}')
    return printable(name, value.strip(), expected)


def _optional_text(name: str, value: Any, expected: str) -> Optional[str]:
    return None if value is None else _text(name, value, expected)


def _optional_bool(name: str, value: Any) -> Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f'{name!r} must be True, False or None, got {value!r}')
    return value


def _choice(name: str, value: Any, choices: tuple) -> str:
    text = _text(name, value, f'one of {", ".join(choices)}').upper()
    if text not in choices:
        raise ValueError(f'{name!r} must be one of {", ".join(choices)}, got {value!r}')
    return text


def _flag(name: str, value: Any) -> Optional[str]:
    """IBKR's "1"/"0" switches; True/False and 1/0 are accepted too."""
    if value is None:
        return None
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, (int, str)) and str(value).strip() in ('1', '0'):
        return str(value).strip()
    raise ValueError(f'{name!r} must be "1" (yes) or "0" (no), got {value!r}')


def _strike(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"'strike' must be a number or numeric string like '195' or 187.5, got {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"'strike' must be a number like '195' or 187.5, got {value!r}") from None
    if not 0 < number < math.inf:
        raise ValueError(f"'strike' must be a positive number, got {value!r}")
    return f'{number:f}'.rstrip('0').rstrip('.')


def _right(value: Any) -> Optional[str]:
    if value is None:
        return None
    right = _RIGHTS.get(value.strip().upper()) if isinstance(value, str) else None
    if right is None:
        raise ValueError(f"'right' must be 'C' (call) or 'P' (put), got {value!r}")
    return right


def _month(value: Any) -> str:
    month = _text('month', value, 'a month like "AUG23" (3-letter month + 2-digit year)').upper()
    if not _MONTH.match(month):
        raise ValueError(f"'month' must look like 'AUG23' (3-letter month + 2-digit year), got {value!r}")
    return month


def _currency(name: str, value: Any) -> str:
    """A three-letter currency code like 'USD', upper-cased."""
    currency = _text(name, value, 'a three-letter currency code like "USD"')
    if not _CURRENCY.fullmatch(currency):
        raise ValueError(f'{name!r} must be a three-letter currency code like "USD", got {value!r}')
    return currency.upper()


def _sec_type(value: Any, expected: str, choices: Optional[tuple] = None) -> str:
    """A security type: letters only (STK, OPT, FUT, BOND...), one of ``choices`` when the docs enumerate them."""
    sec_type = _text('sec_type', value, expected).upper()
    if not sec_type.isascii() or not sec_type.isalpha() or (choices is not None and sec_type not in choices):
        raise ValueError(f"'sec_type' must be {expected}, got {value!r}")
    return sec_type


def _symbols(name: str, values: Optional[Iterable[Any]]) -> List[str]:
    if values is None:
        raise ValueError(f'{name!r} is required: expected one symbol or a list of symbols like ["ES", "MES"]')
    symbols = []
    for value in values:
        symbol = _text(name, value, 'a symbol like "ES"')
        if ',' in symbol:
            raise ValueError(f'{name!r} entries must be single symbols without commas, got {value!r}')
        symbols.append(symbol)
    return symbols


def _order_id(order_id: Any) -> Optional[int]:
    if order_id is None:
        return None
    if isinstance(order_id, bool) or not isinstance(order_id, (int, str)) or not is_digits(str(order_id).strip()):
        raise ValueError(f"'order_id' must be an integer order id, got {order_id!r}")
    return int(str(order_id).strip())


def _stock_queries(queries: Optional[StockQueries], default_filtering: bool) -> List[StockQuery]:
    if queries is None:
        raise ValueError("'queries' is required: expected a StockQuery, a symbol, or a list of them")
    if not isinstance(default_filtering, bool):
        raise TypeError(f"'default_filtering' must be True or False, got {default_filtering!r}")
    from ibind.client.stock_query import to_stock_queries  # here: it imports dataclasses, costly at import

    return to_stock_queries(queries if isinstance(queries, list) else [queries])


class ContractMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#contract"""

    @ensure_list_arg('conids')
    def security_definition_by_conid(self, conids: OneOrMany[str]) -> Result:
        """Security definitions (name, exchanges, asset class, increments...) of one or many conids.

        Arguments:
            conids: one conid or a list of them (int or digit string), e.g. ``[265598, 8314]``.
        """
        if conids is None:
            raise ValueError("'conids' is required: expected one conid or a list of conids like [265598, 8314]")
        joined = ','.join(conid_arg('conids', conid) for conid in conids)
        return self.get('trsrv/secdef', {'conids': joined})

    def all_conids_by_exchange(self, exchange: str) -> Result:
        """Every stock tradable on an exchange, also those listed elsewhere (``[{ticker, conid, exchange}]``).

        Arguments:
            exchange: one exchange, e.g. ``'NYSE'`` or ``'AMEX'``.
        """
        return self.get('trsrv/all-conids', {'exchange': _text('exchange', exchange, 'an exchange like "NYSE"')})

    def contract_information_by_conid(self, conid: str) -> Result:
        """Full contract details of a conid (symbol, company, exchanges, trading class, multiplier...).

        Arguments:
            conid: the contract id.
        """
        return self.get(f'iserver/contract/{path_segment("conid", conid_arg("conid", conid))}/info')

    def currency_pairs(self, currency: str) -> Result:
        """The official forex pairs of a currency, with the conid to trade each (``{currency: [...]}``).

        Arguments:
            currency: the currency, e.g. ``'USD'``.
        """
        return self.get('iserver/currency/pairs', {'currency': _currency('currency', currency)})

    def currency_exchange_rate(self, source: str, target: str) -> Result:
        """The current rate to convert ``source`` into ``target`` (``{"rate": float}``).

        Arguments:
            source: the base currency, e.g. ``'AUD'``.
            target: the quote currency, e.g. ``'USD'``.
        """
        params = {'source': _currency('source', source), 'target': _currency('target', target)}
        return self.get('iserver/exchangerate', params)

    def info_and_rules_by_conid(self, conid: str, is_buy: bool) -> Result:
        """Contract details and the order rules for one side in a single call.

        Arguments:
            conid: the contract id.
            is_buy: True for the rules of buy orders, False for sell orders (None: the gateway's default).
        """
        path = f'iserver/contract/{path_segment("conid", conid_arg("conid", conid))}/info-and-rules'
        return self.get(path, {'isBuy': _optional_bool('is_buy', is_buy)})

    def algo_params_by_conid(
        self,
        conid: str,
        algos: Optional[List[str]] = None,
        add_description: Optional[str] = None,
        add_params: Optional[str] = None,
    ) -> Result:
        """The IB algos available for a contract, optionally with their parameters and descriptions.

        Arguments:
            conid: the contract id.
            algos: algo ids to return (case-sensitive, at most 8), e.g. ``['Adaptive', 'Vwap']``; None for all.
            add_description: ``'1'`` to add descriptions, ``'0'`` not to.
            add_params: ``'1'`` to add each algo's parameters, ``'0'`` not to.
        """
        conid = conid_arg('conid', conid)
        algo_ids = None
        if algos is not None:
            if isinstance(algos, str):
                algos = algos.split(';')
            if not isinstance(algos, (list, tuple)):
                raise TypeError(f"'algos' must be a list of algo ids like ['Adaptive', 'Vwap'], got {algos!r}")
            names = [_text('algos', algo, 'an algo id like "Adaptive"') for algo in algos]
            if not names or len(names) > MAX_ALGOS:
                raise ValueError(f"'algos' must name 1 to {MAX_ALGOS} algo ids, got {len(names)}")
            algo_ids = ';'.join(names)
        params = {
            'algos': algo_ids,
            'addDescription': _flag('add_description', add_description),
            'addParams': _flag('add_params', add_params),
        }
        return self.get(f'iserver/contract/{path_segment("conid", conid)}/algos', params)

    def search_bond_filter_information(self, symbol: str, issuer_id: str) -> Result:
        """The filters (maturities, issue dates, coupons, currencies...) of a bond issuer's bonds.

        Arguments:
            symbol: always ``'BOND'``.
            issuer_id: the issuer id from a BOND search, e.g. ``'e1400715'``.
        """
        if _text('symbol', symbol, '"BOND"').upper() != 'BOND':
            raise ValueError(f"'symbol' must be 'BOND' (IBKR's docs: always BOND), got {symbol!r}")
        params = {
            'symbol': 'BOND',
            'issuerId': identifier('issuer_id', issuer_id, 'an issuer id like "e1400715"', allow_int=False),
        }
        return self.get('iserver/secdef/bond-filters', params)

    def search_contract_by_symbol(
        self, symbol: str, name: Optional[bool] = None, sec_type: Optional[str] = None
    ) -> Result:
        """Search by symbol or company name; lists the derivatives each match has (option months...).

        IBKR requires this search before ``/iserver/secdef/strikes`` and ``/iserver/secdef/info``
        work for an underlying.

        Arguments:
            symbol: the underlying's symbol, a company name (with ``name=True``), or a bond issuer's symbol.
            name: True when ``symbol`` is (part of) a company name.
            sec_type: ``'STK'``, ``'IND'`` or ``'BOND'``.
        """
        params = {
            'symbol': _text('symbol', symbol, 'a symbol like "AAPL" or a company name'),
            'name': _optional_bool('name', name),
            'secType': None if sec_type is None else _choice('sec_type', sec_type, SEARCH_SEC_TYPES),
        }
        return self.get('iserver/secdef/search', params)

    def search_contract_rules(
        self,
        conid: str,
        exchange: Optional[str] = None,
        is_buy: Optional[bool] = None,
        modify_order: Optional[bool] = None,
        order_id: Optional[int] = None,
    ) -> Result:
        """The trading rules of a contract for one side: order types, TIFs, sizes, increments, default prices.

        Arguments:
            conid: the contract id.
            exchange: the exchange the rules are for (default: IBKR's choice).
            is_buy: True for buy-side rules (IBKR's default), False for sell-side ones.
            modify_order: True for the rules of modifying an existing order (needs ``order_id``).
            order_id: the order to be modified.
        """
        body = {
            'conid': int(conid_arg('conid', conid)),
            'exchange': _optional_text('exchange', exchange, 'an exchange like "SMART"'),
            'isBuy': _optional_bool('is_buy', is_buy),
            'modifyOrder': _optional_bool('modify_order', modify_order),
            'orderId': _order_id(order_id),
        }
        if modify_order and order_id is None:
            raise ValueError("'order_id' is required when modify_order is True")
        return self.post('iserver/contract/rules', filter_none(body), retry_safe=True)

    def search_secdef_info_by_conid(
        self,
        conid: str,
        sec_type: str,
        month: Optional[str],
        exchange: Optional[str] = None,
        strike: Optional[str] = None,
        right: Optional[str] = None,
        issuer_id: Optional[str] = None,
    ) -> Result:
        """Contract details of futures, options, warrants, forex, bonds...: validates a derivative and gives its conid.

        Call ``search_contract_by_symbol`` for the underlying first (and, for options, ``search_strikes_by_conid``).

        Arguments:
            conid: the underlying's conid, or the derivative's own conid.
            sec_type: the security type wanted, e.g. ``'OPT'``, ``'FUT'``, ``'BOND'``.
            month: the expiry month of a derivative, e.g. ``'JAN25'`` (required for derivatives).
            exchange: the exchange to describe the contract for.
            strike: the strike (required for options and futures options), e.g. ``'195'`` or 187.5.
            right: ``'C'`` or ``'P'`` (for options; leave out to get both).
            issuer_id: the bond issuer id (required for bonds), e.g. ``'e1234567'``.
        """
        params = {
            'conid': conid_arg('conid', conid),
            'sectype': _sec_type(sec_type, 'a security type like "OPT", "FUT" or "BOND"'),
            'month': None if month is None else _month(month),
            'exchange': _optional_text('exchange', exchange, 'an exchange like "SMART"'),
            'strike': _strike(strike),
            'right': _right(right),
            'issuerId': None
            if issuer_id is None
            else identifier('issuer_id', issuer_id, 'an issuer id like "e1234567"', allow_int=False),
        }
        return self.get('iserver/secdef/info', params)

    def search_strikes_by_conid(self, conid: str, sec_type: str, month: str, exchange: Optional[str] = None) -> Result:
        """The potential call and put strikes of an underlying for one month (``{"call": [...], "put": [...]}``).

        IBKR answers empty arrays unless ``search_contract_by_symbol`` was called for the underlying first.

        Arguments:
            conid: the underlying's conid.
            sec_type: ``'OPT'`` or ``'WAR'``.
            month: the expiry month, e.g. ``'AUG23'``.
            exchange: the exchange (IBKR's default: SMART).
        """
        params = {
            'conid': conid_arg('conid', conid),
            'sectype': _sec_type(sec_type, '"OPT" or "WAR"', STRIKE_SEC_TYPES),
            'month': _month(month),
            'exchange': _optional_text('exchange', exchange, 'an exchange like "SMART"'),
        }
        return self.get('iserver/secdef/strikes', params)

    @ensure_list_arg('symbols')
    def security_future_by_symbol(self, symbols: OneOrMany[str]) -> Result:
        """The non-expired futures of one or many underlying symbols (``{symbol: [{conid, expirationDate...}]}``).

        Arguments:
            symbols: one symbol or a list of them, e.g. ``['ES', 'MES']``.
        """
        return self.get('trsrv/futures', {'symbols': ','.join(_symbols('symbols', symbols))})

    @ensure_list_arg('queries')
    def security_stocks_by_symbol(self, queries: StockQueries, default_filtering: bool = True) -> Result:
        """The stocks of one or many symbols, filtered by ``StockQuery`` conditions (one request for all).

        Arguments:
            queries: ``StockQuery`` objects or plain symbols (one or a list).
            default_filtering: also require the contract condition ``{'isUS': True}`` (a query's own
                ``contract_conditions`` override it).

        Returns:
            Result whose data is ``{symbol: [instrument, ...]}``, each instrument keeping only its matching
            contracts; a symbol nothing matched maps to an empty list.
        """
        stock_queries = _stock_queries(queries, default_filtering)
        result = self._trsrv_stocks(stock_queries)
        with reading(result) as data:
            from ibind.client.stock_query import filter_stocks

            return result.copy(data=filter_stocks(data, stock_queries, default_filtering))

    @ensure_list_arg('queries')
    def stock_conid_by_symbol(
        self, queries: StockQueries, default_filtering: bool = True, return_type: str = 'dict'
    ) -> Result:
        """The one conid each query selects (``{symbol: conid}`` or a list in query order).

        Arguments:
            queries: ``StockQuery`` objects or plain symbols (one or a list).
            default_filtering: also require the contract condition ``{'isUS': True}``.
            return_type: ``'dict'`` for ``{symbol: conid}``, ``'list'`` for ``[conid, ...]``.

        Raises:
            AmbiguousSymbolError (a RuntimeError): a query left more than one instrument or contract; the
                message lists the candidates (name, conid, exchange).
            SymbolNotFoundError: a query left nothing.
        """
        if return_type not in RETURN_TYPES:
            raise ValueError(f"'return_type' must be 'dict' or 'list', got {return_type!r}")
        stock_queries = _stock_queries(queries, default_filtering)
        if return_type == 'dict':
            symbols = [query.symbol for query in stock_queries]
            duplicates = sorted({symbol for symbol in symbols if symbols.count(symbol) > 1})
            if duplicates:
                raise ValueError(
                    f"'queries' has several queries for {duplicates}; with return_type='dict' each "
                    "symbol can have only one conid: use return_type='list'"
                )
        result = self._trsrv_stocks(stock_queries)
        with reading(result) as data:
            from ibind.client.stock_query import single_conid

            conids = [single_conid(data, query, default_filtering) for query in stock_queries]
        if return_type == 'list':
            return result.copy(data=conids)
        return result.copy(data={query.symbol: conid for query, conid in zip(stock_queries, conids)})

    def _trsrv_stocks(self, stock_queries: List[StockQuery]) -> Result:
        """One /trsrv/stocks request for the symbols of all queries."""
        symbols = ','.join(dict.fromkeys(query.symbol for query in stock_queries))
        return self.get('trsrv/stocks', {'symbols': symbols})

    def trading_schedule_by_symbol(
        self,
        asset_class: str,
        symbol: str,
        exchange: Optional[str] = None,
        exchange_filter: Optional[Union[str, List[str]]] = None,
    ) -> Result:
        """The trading schedule (up to a month) of a contract: sessions and liquid hours per weekday.

        Arguments:
            asset_class: STK, OPT, FUT, CFD, WAR, SWP (forex), FND, BND or ICS.
            symbol: the contract's symbol, e.g. ``'AAPL'``.
            exchange: the primary exchange of the contract.
            exchange_filter: the exchanges to get schedules for (comma-separated, or a list).
        """
        if isinstance(exchange_filter, (list, tuple)):
            exchange_filter = ','.join(_text('exchange_filter', e, 'an exchange like "NYSE"') for e in exchange_filter)
        params: Dict[str, Any] = {
            'assetClass': _choice('asset_class', asset_class, SCHEDULE_ASSET_CLASSES),
            'symbol': _text('symbol', symbol, 'a symbol like "AAPL"'),
            'exchange': _optional_text('exchange', exchange, 'an exchange like "NASDAQ"'),
            'exchangeFilter': _optional_text('exchange_filter', exchange_filter, 'exchanges like "ISLAND,NYSE"'),
        }
        return self.get('trsrv/secdef/schedule', params)
