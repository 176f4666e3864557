"""Numbers as users really pass them -- numpy/pandas scalars, Decimal, Fraction -- against the simulator."""

import decimal
import fractions

import numpy as np
import pandas as pd
import pytest

from ibind import OrderRequest

AAPL = 265598


@pytest.fixture
def trading(client, sim):
    sim.control.config(order_questions=False)
    return client


def _live(client, coid):
    return next(o for o in client.live_orders().data['orders'] if o.get('order_ref') == coid)


@pytest.mark.parametrize(
    'conid, quantity, price',
    [
        (np.int64(AAPL), np.int64(3), np.float64(101.25)),
        (pd.Series([AAPL]).iloc[0], pd.Series([3]).iloc[0], pd.Series([101.25]).iloc[0]),
        (decimal.Decimal(AAPL), decimal.Decimal('3'), decimal.Decimal('101.25')),
        (AAPL, fractions.Fraction(3), fractions.Fraction(405, 4)),
        (np.int32(AAPL), np.float32(3.0), np.float32(101.25)),
    ],
)
def test_order_dicts_take_numpy_decimal_and_fraction_numbers(trading, conid, quantity, price):
    coid = f'inputs-{type(conid).__name__}-{type(quantity).__name__}'
    order = {
        'conid': conid,
        'side': 'BUY',
        'quantity': quantity,
        'orderType': 'LMT',
        'price': price,
        'tif': 'DAY',
        'cOID': coid,
    }
    trading.place_order(order, answers={})
    live = _live(trading, coid)
    assert int(live['conid']) == AAPL and float(live['totalSize']) == 3 and float(live['price']) == 101.25


def test_order_request_takes_numpy_numbers(trading):
    request = OrderRequest(
        conid=np.int64(AAPL),
        side='BUY',
        quantity=np.int64(2),
        order_type='LMT',
        price=decimal.Decimal('99.5'),
        acct_id='DU1234567',
        tif='DAY',
        coid='inputs-request',
    )
    assert request.to_dict()['conid'] == AAPL and type(request.to_dict()['quantity']) is int
    trading.place_order(request, answers={})
    assert float(_live(trading, 'inputs-request')['totalSize']) == 2


def test_conid_arguments_take_numpy_integers(client):
    assert client.contract_information_by_conid(np.int64(AAPL)).data['con_id'] == AAPL


@pytest.mark.parametrize('price', [fractions.Fraction(1, 3), decimal.Decimal('101.000000000000000000001')])
def test_a_number_a_float_cannot_hold_is_a_value_error_before_sending(trading, sim, price):
    before = sim.control.received('POST /iserver/account/{accountId}/orders')
    with pytest.raises(ValueError, match="'price'"):
        trading.place_order(
            {'conid': AAPL, 'side': 'BUY', 'quantity': 1, 'orderType': 'LMT', 'price': price, 'tif': 'DAY'}, answers={}
        )
    assert sim.control.received('POST /iserver/account/{accountId}/orders') == before


@pytest.mark.parametrize('quantity', [0.5, np.float64(2.5), decimal.Decimal('1.5')])
def test_a_fractional_quantity_is_refused_unless_meant(trading, sim, quantity):
    before = sim.control.received('POST /iserver/account/{accountId}/orders')
    with pytest.raises(ValueError, match='not a whole number'):
        trading.place_order(
            {'conid': AAPL, 'side': 'BUY', 'quantity': quantity, 'orderType': 'MKT', 'tif': 'DAY'}, answers={}
        )
    with pytest.raises(ValueError, match='allow_fractional'):
        OrderRequest(conid=AAPL, side='BUY', quantity=quantity, order_type='MKT', acct_id='DU1234567')
    assert sim.control.received('POST /iserver/account/{accountId}/orders') == before


def test_a_fractional_quantity_goes_through_when_the_order_says_so(trading):
    request = OrderRequest(
        conid=AAPL,
        side='BUY',
        quantity=0.5,
        order_type='MKT',
        acct_id='DU1234567',
        tif='DAY',
        coid='inputs-fraction',
        allow_fractional=True,
    )
    assert 'allow_fractional' not in request.to_dict() and 'allowFractional' not in request.to_dict()
    trading.place_order(request, answers={})
    assert float(_live(trading, 'inputs-fraction')['totalSize']) == 0.5


def test_whole_quantity_as_float_is_fine(trading):
    trading.place_order(
        {'conid': AAPL, 'side': 'BUY', 'quantity': 4.0, 'orderType': 'MKT', 'tif': 'DAY', 'cOID': 'inputs-float'},
        answers={},
    )
    assert float(_live(trading, 'inputs-float')['totalSize']) == 4
