"""StockQuery and the filtering of /trsrv/stocks answers (pure logic, no server)."""

import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibind import AmbiguousSymbolError, BadResponseError, SymbolNotFoundError
from ibind.client.ibkr_utils import StockQueries, StockQuery
from ibind.client.stock_query import filter_instruments, filter_stocks, single_conid, to_stock_queries

# the shape of IBKR's documented /trsrv/stocks example
STOCKS = {
    'AAPL': [
        {
            'name': 'APPLE INC',
            'chineseName': '苹果公司',
            'assetClass': 'STK',
            'contracts': [
                {'conid': 265598, 'exchange': 'NASDAQ', 'isUS': True},
                {'conid': 38708077, 'exchange': 'MEXI', 'isUS': False},
                {'conid': 273982664, 'exchange': 'EBS', 'isUS': False},
            ],
        },
        {
            'name': 'LS 1X AAPL',
            'chineseName': None,
            'assetClass': 'STK',
            'contracts': [{'conid': 493546048, 'exchange': 'LSEETF', 'isUS': False}],
        },
        {
            'name': 'APPLE INC-CDR',
            'chineseName': '苹果公司',
            'assetClass': 'STK',
            'contracts': [{'conid': 532640894, 'exchange': 'AEQLIT', 'isUS': False}],
        },
    ],
    'GOOG': [
        {
            'name': 'ALPHABET INC-CL C',
            'chineseName': None,
            'assetClass': 'STK',
            'contracts': [{'conid': 208813720, 'exchange': 'NASDAQ', 'isUS': True}],
        },
        {
            'name': 'ALPHABET INC - CDR',
            'chineseName': None,
            'assetClass': 'STK',
            'contracts': [{'conid': 558385416, 'exchange': 'AEQLIT', 'isUS': False}],
        },
    ],
    'DUAL': [
        {
            'name': 'DUAL LISTED CO',
            'chineseName': None,
            'assetClass': 'STK',
            'contracts': [
                {'conid': 1, 'exchange': 'NYSE', 'isUS': True},
                {'conid': 2, 'exchange': 'ARCA', 'isUS': True},
            ],
        },
    ],
}


def names(instruments):
    return [instrument['name'] for instrument in instruments]


def conids(instruments):
    return [contract['conid'] for instrument in instruments for contract in instrument['contracts']]


# --------------------------------------------------------------------------- StockQuery itself


def test_stock_query_defaults_and_stripping():
    query = StockQuery(' AAPL ')
    assert (query.symbol, query.name_match, query.instrument_conditions, query.contract_conditions) == (
        'AAPL',
        None,
        None,
        None,
    )
    # what the methods taking StockQueries accept: one symbol, one StockQuery, or a list mixing both
    assert typing.get_args(StockQueries) == (str, StockQuery, typing.List[typing.Union[str, StockQuery]])


@pytest.mark.parametrize(
    'kwargs, error, fragment',
    [
        ({'symbol': ''}, ValueError, 'symbol'),
        ({'symbol': '   '}, ValueError, 'symbol'),
        ({'symbol': 'AAPL,IBM'}, ValueError, 'one ticker'),
        ({'symbol': 265598}, TypeError, 'symbol'),
        ({'symbol': 'AAPL', 'name_match': 5}, TypeError, 'name_match'),
        ({'symbol': 'AAPL', 'instrument_conditions': ['STK']}, TypeError, 'instrument_conditions'),
        ({'symbol': 'AAPL', 'contract_conditions': 'NASDAQ'}, TypeError, 'contract_conditions'),
    ],
)
def test_stock_query_rejects_bad_fields(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        StockQuery(**kwargs)


def test_to_stock_queries_accepts_symbols_and_queries_only():
    assert to_stock_queries(['AAPL', StockQuery('IBM', name_match='x')]) == [
        StockQuery('AAPL'),
        StockQuery('IBM', name_match='x'),
    ]
    with pytest.raises(TypeError, match="'queries'"):
        to_stock_queries(['AAPL', 265598])


# --------------------------------------------------------------------------- filtering


def test_default_filtering_keeps_only_us_contracts():
    kept = filter_instruments(STOCKS['AAPL'], StockQuery('AAPL'), default_filtering=True)
    assert names(kept) == ['APPLE INC'] and conids(kept) == [265598]


def test_without_default_filtering_everything_is_kept():
    kept = filter_instruments(STOCKS['AAPL'], StockQuery('AAPL'), default_filtering=False)
    assert names(kept) == ['APPLE INC', 'LS 1X AAPL', 'APPLE INC-CDR']
    assert conids(kept) == [265598, 38708077, 273982664, 493546048, 532640894]


def test_name_match_is_a_case_insensitive_substring():
    kept = filter_instruments(STOCKS['GOOG'], StockQuery('GOOG', name_match='cdr'), default_filtering=False)
    assert names(kept) == ['ALPHABET INC - CDR']
    assert filter_instruments(STOCKS['GOOG'], StockQuery('GOOG', name_match='CDR'), default_filtering=True) == []


def test_instrument_conditions_must_all_hold():
    query = StockQuery('AAPL', instrument_conditions={'assetClass': 'STK', 'chineseName': '苹果公司'})
    assert names(filter_instruments(STOCKS['AAPL'], query, False)) == ['APPLE INC', 'APPLE INC-CDR']
    missing_key = StockQuery('AAPL', instrument_conditions={'sector': 'Technology'})
    assert filter_instruments(STOCKS['AAPL'], missing_key, False) == []


def test_contract_conditions_filter_contracts_and_drop_instruments_left_without_any():
    query = StockQuery('AAPL', contract_conditions={'exchange': 'MEXI'})
    kept = filter_instruments(STOCKS['AAPL'], query, default_filtering=False)
    assert names(kept) == ['APPLE INC'] and conids(kept) == [38708077]
    # the query's own isUS overrides the default {'isUS': True}
    kept = filter_instruments(STOCKS['AAPL'], StockQuery('AAPL', contract_conditions={'isUS': False}), True)
    assert conids(kept) == [38708077, 273982664, 493546048, 532640894]


def test_filtering_does_not_modify_the_answer():
    before = repr(STOCKS)
    filter_stocks(STOCKS, [StockQuery('AAPL', contract_conditions={'exchange': 'EBS'})], True)
    assert repr(STOCKS) == before


def test_filter_stocks_keys_by_symbol_and_adds_up_several_queries_for_one_symbol():
    result = filter_stocks(
        STOCKS,
        [StockQuery('GOOG', name_match='CDR'), StockQuery('GOOG', name_match='CL C'), StockQuery('NOPE')],
        default_filtering=False,
    )
    assert list(result) == ['GOOG', 'NOPE']
    assert names(result['GOOG']) == ['ALPHABET INC - CDR', 'ALPHABET INC-CL C']
    assert result['NOPE'] == []


def test_a_malformed_answer_is_a_bad_response():
    with pytest.raises(BadResponseError):
        filter_stocks(['AAPL'], [StockQuery('AAPL')], True)
    with pytest.raises(BadResponseError):
        filter_stocks({'AAPL': {'name': 'x'}}, [StockQuery('AAPL')], True)


# --------------------------------------------------------------------------- exactly one conid


def test_single_conid():
    assert single_conid(STOCKS, StockQuery('AAPL'), True) == 265598
    assert single_conid(STOCKS, StockQuery('GOOG', name_match='cdr'), False) == 558385416
    assert single_conid(STOCKS, StockQuery('DUAL', contract_conditions={'exchange': 'ARCA'}), True) == 2


def test_ambiguity_lists_the_candidates():
    with pytest.raises(AmbiguousSymbolError) as raised:
        single_conid(STOCKS, StockQuery('GOOG'), default_filtering=False)
    message = str(raised.value)
    assert isinstance(raised.value, RuntimeError)
    assert "StockQuery('GOOG')" in message and '2 instrument(s)' in message
    assert 'ALPHABET INC-CL C (conid 208813720, exchange NASDAQ' in message
    assert 'ALPHABET INC - CDR (conid 558385416, exchange AEQLIT' in message


def test_one_instrument_with_several_contracts_is_ambiguous_too():
    with pytest.raises(AmbiguousSymbolError, match=r'1 instrument\(s\) and 2 contract\(s\).*conid 1.*conid 2'):
        single_conid(STOCKS, StockQuery('DUAL'), True)


def test_not_found_says_what_the_symbol_has():
    with pytest.raises(SymbolNotFoundError, match="no stock found for symbol 'NOPE'"):
        single_conid(STOCKS, StockQuery('NOPE'), True)
    with pytest.raises(SymbolNotFoundError, match=r"name_match='CDR'.*ALPHABET INC - CDR \(conid 558385416"):
        single_conid(STOCKS, StockQuery('GOOG', name_match='CDR'), True)


def test_a_contract_without_conid_is_a_bad_response():
    data = {'X': [{'name': 'X', 'contracts': [{'exchange': 'NYSE', 'isUS': True}]}]}
    with pytest.raises(BadResponseError):
        single_conid(data, StockQuery('X'), True)


# --------------------------------------------------------------------------- properties

contract = st.fixed_dictionaries(
    {'conid': st.integers(1, 10**9), 'exchange': st.sampled_from(['NYSE', 'MEXI', 'EBS']), 'isUS': st.booleans()}
)
instrument = st.fixed_dictionaries(
    {
        'name': st.sampled_from(['ACME CORP', 'ACME CORP-CDR', 'LS 1X ACME']),
        'assetClass': st.sampled_from(['STK', 'ETF']),
        'contracts': st.lists(contract, max_size=4),
    }
)


@given(
    instruments=st.lists(instrument, max_size=5),
    exchange=st.sampled_from([None, 'NYSE', 'MEXI']),
    name_match=st.sampled_from([None, 'cdr', 'acme']),
    default_filtering=st.booleans(),
)
def test_every_kept_contract_meets_every_condition(instruments, exchange, name_match, default_filtering):
    query = StockQuery('ACME', name_match=name_match, contract_conditions={'exchange': exchange} if exchange else None)
    kept = filter_instruments(instruments, query, default_filtering)
    assert len(kept) <= len(instruments)
    for item in kept:
        if name_match:
            assert name_match in item['name'].lower()
        if exchange or default_filtering:
            assert item['contracts']
        for kept_contract in item['contracts']:
            assert exchange is None or kept_contract['exchange'] == exchange
            assert not default_filtering or kept_contract['isUS'] is True
