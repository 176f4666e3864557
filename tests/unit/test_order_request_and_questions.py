"""OrderRequest/make_order_request (the order JSON and its validation) and the question matcher."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibind.client.order_request import OrderRequest, make_order_request
from ibind.client.questions import QuestionType, decide, find_answer, normalise_text, validate_answers

AAPL = 265598
O163_TEXT = (
    'The following order "BUY 5 AAPL NASDAQ.NMS @ 150.0" price exceeds \nthe Percentage constraint of 3%.'
    '\nAre you sure you want to submit this order?'
)


def base(**overrides):
    arguments = dict(conid=AAPL, side='BUY', quantity=10, order_type='LMT', acct_id='DU1234567', price=150.5)
    arguments.update(overrides)
    return arguments


# =========================================================================== make_order_request


def test_camel_case_keys_and_none_values_dropped():
    assert make_order_request(**base()) == {
        'acctId': 'DU1234567',
        'conid': AAPL,
        'orderType': 'LMT',
        'price': 150.5,
        'side': 'BUY',
        'tif': 'GTC',
        'quantity': 10,
    }


def test_every_documented_field_has_its_ibkr_name():
    order = make_order_request(
        conid='265598',
        side='sell',
        quantity=100,
        order_type='traillmt',
        acct_id='U1',
        price=185.5,
        conidex='265598@SMART',
        sec_type='265598:STK',
        coid='AAPL-BUY-100',
        parent_id='P',
        listing_exchange='ISLAND',
        is_single_group=False,
        outside_rth=True,
        aux_price=183,
        ticker='AAPL',
        tif='day',
        trailing_amt=1.0,
        trailing_type='amt',
        referrer='QuickTrade',
        use_adaptive=False,
        is_ccy_conv=False,
        allocation_method='NetLiq',
        strategy='Vwap',
        strategy_parameters={'MaxPctVol': '0.1'},
        manual_indicator=True,
        ext_operator='person1234',
    )
    assert order == {
        'acctId': 'U1',
        'conid': AAPL,
        'conidex': '265598@SMART',
        'manualIndicator': True,
        'extOperator': 'person1234',
        'secType': '265598:STK',
        'cOID': 'AAPL-BUY-100',
        'parentId': 'P',
        'orderType': 'TRAILLMT',
        'listingExchange': 'ISLAND',
        'isSingleGroup': False,
        'outsideRTH': True,
        'price': 185.5,
        'auxPrice': 183,
        'side': 'SELL',
        'ticker': 'AAPL',
        'tif': 'DAY',
        'trailingAmt': 1.0,
        'trailingType': 'amt',
        'referrer': 'QuickTrade',
        'quantity': 100,
        'useAdaptive': False,
        'isCcyConv': False,
        'allocationMethod': 'NetLiq',
        'strategy': 'Vwap',
        'strategyParameters': {'MaxPctVol': '0.1'},
    }


def test_cash_quantity_replaces_quantity():
    order = make_order_request(**base(quantity=None, cash_qty=200.0, order_type='MKT', price=None))
    assert order['cashQty'] == 200.0 and 'quantity' not in order


def test_conidex_alone_is_enough_and_combo_prices_may_be_negative():
    order = make_order_request(**base(conid=None, conidex='28812380;;;265598/1,8314/-1', price=-1.25))
    assert order['conidex'] == '28812380;;;265598/1,8314/-1' and order['price'] == -1.25 and 'conid' not in order


def test_sequential_bracket_parent_may_be_an_order_id():
    assert make_order_request(**base(parent_id=1234567890))['parentId'] == '1234567890'


@pytest.mark.parametrize(
    'overrides, error, field',
    [
        ({'conid': None}, ValueError, 'conid'),
        ({'conid': 'AAPL'}, ValueError, 'conid'),
        ({'conid': True}, TypeError, 'conid'),
        ({'conid': 0}, ValueError, 'conid'),
        ({'side': 'HOLD'}, ValueError, 'side'),
        ({'side': None}, TypeError, 'side'),
        ({'quantity': 0}, ValueError, 'quantity'),
        ({'quantity': -1}, ValueError, 'quantity'),
        ({'quantity': None}, ValueError, 'quantity'),
        ({'quantity': '10'}, TypeError, 'quantity'),
        ({'quantity': float('nan')}, ValueError, 'quantity'),
        ({'quantity': 10, 'cash_qty': 100}, ValueError, 'quantity'),
        ({'order_type': 'LIMIT'}, ValueError, 'order_type'),
        ({'tif': 'FOREVER'}, ValueError, 'tif'),
        ({'price': None}, ValueError, 'price'),
        ({'price': 0}, ValueError, 'price'),
        ({'order_type': 'STP', 'price': None}, ValueError, 'price'),
        ({'order_type': 'STOP_LIMIT'}, ValueError, 'aux_price'),
        ({'order_type': 'TRAIL', 'price': None}, ValueError, 'trailing_amt'),
        (
            {'order_type': 'TRAIL', 'price': None, 'trailing_amt': 1, 'trailing_type': 'pct'},
            ValueError,
            'trailing_type',
        ),
        ({'outside_rth': 'yes'}, TypeError, 'outside_rth'),
        ({'coid': ''}, ValueError, 'coid'),
        ({'coid': 12}, TypeError, 'coid'),
        ({'acct_id': 5}, TypeError, 'acct_id'),
        ({'strategy_parameters': ['MaxPctVol']}, TypeError, 'strategy_parameters'),
    ],
)
def test_invalid_fields_are_named(overrides, error, field):
    with pytest.raises(error, match=f"'{field}'"):
        make_order_request(**base(**overrides))


def test_stop_order_may_carry_its_stop_in_aux_price():
    assert make_order_request(**base(order_type='STP', price=None, aux_price=140.0))['auxPrice'] == 140.0


# =========================================================================== OrderRequest


def test_order_request_defaults_and_to_dict():
    request = OrderRequest(conid=AAPL, side='BUY', quantity=1, order_type='MKT', acct_id='DU1')
    assert request.tif == 'GTC'
    assert request.to_dict() == {
        'acctId': 'DU1',
        'conid': AAPL,
        'orderType': 'MKT',
        'side': 'BUY',
        'tif': 'GTC',
        'quantity': 1,
    }


def test_order_request_fields_follow_the_reference_order():
    names = [f.name for f in dataclasses.fields(OrderRequest)]
    assert names[:27] == [
        'conid',
        'side',
        'quantity',
        'order_type',
        'acct_id',
        'price',
        'conidex',
        'sec_type',
        'coid',
        'parent_id',
        'listing_exchange',
        'is_single_group',
        'outside_rth',
        'aux_price',
        'ticker',
        'tif',
        'trailing_amt',
        'trailing_type',
        'referrer',
        'cash_qty',
        'fx_qty',
        'use_adaptive',
        'is_ccy_conv',
        'allocation_method',
        'strategy',
        'strategy_parameters',
        'manual_indicator',
    ]


def test_order_request_is_validated_when_created_and_when_sent():
    with pytest.raises(ValueError, match="'side'"):
        OrderRequest(conid=AAPL, side='LONG', quantity=1, order_type='MKT', acct_id='DU1')
    request = OrderRequest(conid=AAPL, side='BUY', quantity=1, order_type='MKT', acct_id='DU1')
    request.quantity = -5
    with pytest.raises(ValueError, match="'quantity'"):
        request.to_dict()


@given(quantity=st.floats(min_value=0.0001, max_value=1e9), price=st.floats(min_value=0.0001, max_value=1e6))
def test_valid_limit_orders_round_trip(quantity, price):
    order = OrderRequest(
        conid=AAPL, side='SELL', quantity=quantity, order_type='LMT', acct_id='DU1', price=price, allow_fractional=True
    ).to_dict()
    assert order['quantity'] == quantity and order['price'] == price and order['side'] == 'SELL'


# =========================================================================== QuestionType


def test_question_types_carry_text_and_message_id():
    assert QuestionType.PRICE_PERCENTAGE_CONSTRAINT.value == 'price exceeds the Percentage constraint of 3%'
    assert QuestionType.PRICE_PERCENTAGE_CONSTRAINT.message_id == 'o163'
    assert QuestionType.ORDER_VALUE_LIMIT.value == 'exceeds the Total Value Limit of'
    assert QuestionType.MISSING_MARKET_DATA.message_id == 'o354'
    assert QuestionType.STOP_ORDER_RISKS.value.startswith('You are about to submit a stop order.')
    assert QuestionType.by_message_id('o451') is QuestionType.ORDER_VALUE_LIMIT
    assert QuestionType.by_message_id('o999999') is None


def test_every_suppressible_message_id_of_the_docs_is_known():
    documented = [
        'o163',
        'o354',
        'o382',
        'o383',
        'o403',
        'o451',
        'o2136',
        'o2137',
        'o2165',
        'o10082',
        'o10138',
        'o10151',
        'o10152',
        'o10153',
        'o10164',
        'o10223',
        'o10288',
        'o10331',
        'o10332',
        'o10333',
        'o10334',
        'o10335',
        'p6',
        'p12',
    ]
    assert sorted(q.message_id for q in QuestionType) == sorted(documented)


# =========================================================================== matching answers


def test_match_by_question_type_text_even_with_line_breaks():
    assert find_answer({QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True}, O163_TEXT) is True


def test_match_by_question_type_message_id_when_the_text_differs():
    text = 'The following order "BUY 5 AAPL NASDAQ.NMS @ 150.0" price exceeds \nthe Percentage constraint of 5%.'
    assert find_answer({QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True}, text, 'o163') is True
    assert find_answer({QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True}, text, None) is None


def test_match_by_message_id_string():
    assert find_answer({'o163': False}, O163_TEXT, 'o163') is False
    assert find_answer({'O163': True}, O163_TEXT, 'o163') is True
    assert find_answer({'o354': True}, O163_TEXT, 'o163') is None


def test_a_message_id_key_never_matches_text():
    assert find_answer({'o0': True}, 'order o0 text', None) is None


def test_match_by_text_piece_case_and_whitespace_insensitive():
    assert find_answer({'PRICE   EXCEEDS the\npercentage': True}, O163_TEXT) is True
    assert find_answer({'Total Value Limit': True}, O163_TEXT) is None


def test_a_false_among_matches_declines():
    assert find_answer({'o163': True, 'price exceeds': False}, O163_TEXT, 'o163') is False


def test_decide_a_question_object():
    question = {'id': 'x', 'message': [O163_TEXT], 'isSuppressed': False, 'messageIds': ['o163']}
    assert decide({'o163': True}, question) == (True, [])
    assert decide({'o163': False}, question) == (False, [])
    assert decide({'o354': True}, question) == (None, [(O163_TEXT, 'o163')])


def test_decide_needs_every_message_answered():
    question = {'id': 'x', 'message': [O163_TEXT, 'Another warning'], 'messageIds': ['o163', 'o999']}
    assert decide({'o163': True}, question) == (None, [('Another warning', 'o999')])
    assert decide({'o163': True, 'another WARNING': True}, question) == (True, [])
    assert decide({'o163': True, 'o999': False}, question) == (False, [])


@pytest.mark.parametrize(
    'answers, error',
    [
        (['o163'], TypeError),
        ({'o163': 'yes'}, TypeError),
        ({'': True}, TypeError),
        ({5: True}, TypeError),
    ],
)
def test_validate_answers_refuses_malformed_answers(answers, error):
    with pytest.raises(error, match="'answers'"):
        validate_answers(answers)


def test_validate_answers_accepts_none_as_no_answers():
    assert validate_answers(None) == {}


@given(
    st.lists(st.sampled_from(['price', 'exceeds', 'the', 'Percentage', 'constraint']), min_size=1, max_size=5),
    st.lists(st.sampled_from([' ', '\n', '\t', '  ']), min_size=5, max_size=5),
)
def test_normalisation_ignores_whitespace_runs_and_case(words, gaps):
    spaced = ''.join(word + gap for word, gap in zip(words, gaps))
    assert normalise_text(spaced) == ' '.join(words).lower()
