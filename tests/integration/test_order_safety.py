"""Orders are placed at most once, and the caller always learns the outcome -- even when answers are lost.

The simulator applies the order and then drops the connection or stalls past the client's timeout
(fault injection); the client must never send the order again, and must find it by its cOID.
"""

import threading
from collections import Counter

import pytest

from ibind import IbkrClient, OrderRequest
from ibind.sim import GatewaySimulator
from ibind.support.errors import OrderRejectedError, OutcomeUnknownError

from threads import run_on_threads

PLACE_ROUTE = '/iserver/account/{accountId}/orders'


def make_client(sim, **options):
    options.setdefault('timeout', 0.5)
    options.setdefault('order_reconcile_timeout', 2.0)
    return IbkrClient(url=sim.url, account_id='DU1234567', pacing=False, **options)


def market(conid=265598, quantity=1, **extra):
    return dict({'conid': conid, 'side': 'BUY', 'quantity': quantity, 'orderType': 'MKT', 'tif': 'DAY'}, **extra)


def limit(price, conid=265598, quantity=1, **extra):
    return dict(
        {'conid': conid, 'side': 'BUY', 'quantity': quantity, 'orderType': 'LMT', 'price': price, 'tif': 'GTC'}, **extra
    )


def sim_orders(sim):
    return sim.control.state()['orders']['orders']


def test_200_placements_with_30_percent_of_answers_lost_place_each_order_exactly_once():
    with GatewaySimulator(order_questions=False, seed=3) as sim:
        sim.control.add_fault(PLACE_ROUTE, 'drop_after', method='POST', probability=0.15)
        sim.control.add_fault(PLACE_ROUTE, 'stall_after', method='POST', probability=0.18, seconds=1.0)
        outcomes = {}
        lock = threading.Lock()

        def work(worker):
            with make_client(sim) as client:
                client.receive_brokerage_accounts()
                for n in range(50):
                    coid = f'dup-{worker}-{n}'
                    try:
                        result = client.place_order(market(cOID=coid), answers={})
                        outcome = ('placed', result.data[0]['order_id'], result.data[0].get('reconciled', False))
                    except OutcomeUnknownError as error:
                        outcome = ('unknown', error.coid, None)
                    with lock:
                        outcomes[coid] = outcome

        run_on_threads(work, 4)

        faults = sim.control.faults()
        orders = sim_orders(sim)
        posts = sim.control.received('POST ' + PLACE_ROUTE)

    assert len(outcomes) == 200
    faulted = sum(rule['applied'] for rule in faults['rules'])
    assert 40 <= faulted <= 85, faulted  # about 30% of the placements lost their answer
    per_coid = Counter(order['coid'] for order in orders)
    assert set(per_coid) == set(outcomes) and set(per_coid.values()) == {1}  # exactly one order per placement
    assert posts == 200  # and every placement was sent exactly once
    order_ids = {order['coid']: str(order['order_id']) for order in orders}
    reconciled = 0
    for coid, (kind, value, was_reconciled) in outcomes.items():
        if kind == 'placed':
            assert value == order_ids[coid]  # the call returned that very order
            reconciled += bool(was_reconciled)
        else:
            assert value == coid  # or said it could not tell, naming the cOID
    assert reconciled == faulted - sum(1 for kind, *_ in outcomes.values() if kind == 'unknown')


def test_orders_without_a_coid_get_a_readable_unique_one(sim, client):
    client.receive_brokerage_accounts()
    sim.control.config(order_questions=False)
    for _ in range(3):
        client.place_order(market(), answers={})
    coids = [order['coid'] for order in sim_orders(sim)]
    assert len(set(coids)) == 3 and all(coid.startswith('ibind-') for coid in coids)


def test_lost_placement_answer_before_the_order_was_applied_raises_outcome_unknown_with_the_coid(sim):
    sim.control.config(order_questions=False)
    sim.control.add_fault(PLACE_ROUTE, 'drop_before', method='POST')
    with make_client(sim, order_reconcile_timeout=0.3) as client:
        client.receive_brokerage_accounts()
        with pytest.raises(OutcomeUnknownError) as info:
            client.place_order(market(cOID='never-arrived'), answers={})
    assert info.value.coid == 'never-arrived'
    assert 'NOT sent again' in str(info.value) and 'never-arrived' in str(info.value)
    assert sim_orders(sim) == []
    assert sim.control.received('POST ' + PLACE_ROUTE) == 1


def test_lost_reply_answer_is_reconciled_by_coid(sim):
    sim.control.add_fault('/iserver/reply/*', 'drop_after', method='POST')
    with make_client(sim) as client:
        client.receive_brokerage_accounts()
        result = client.place_order(market(cOID='one-question'), answers={'o354': True})  # no snapshot: o354
    assert result.data[0]['reconciled'] is True and result.data[0]['order_ref'] == 'one-question'
    assert [order['coid'] for order in sim_orders(sim)] == ['one-question']


def test_a_lost_reply_while_another_question_was_pending_is_reported_unknown(sim):
    sim.control.add_fault('/iserver/reply/*', 'drop_after', method='POST')  # the 1st of two replies
    with make_client(sim, order_reconcile_timeout=0.3) as client:
        client.receive_brokerage_accounts()
        with pytest.raises(OutcomeUnknownError) as info:
            client.place_order(limit(1.0, cOID='two-questions'), answers={'o354': True, 'o163': True})
    assert info.value.coid == 'two-questions' and 'question that lapsed' in str(info.value)


def test_bracket_with_a_lost_answer_is_reconciled_parent_and_children(sim):
    sim.control.config(order_questions=False)
    sim.control.add_fault(PLACE_ROUTE, 'stall_after', method='POST', seconds=1.0)
    bracket = [
        OrderRequest(
            conid=265598,
            side='BUY',
            quantity=10,
            order_type='LMT',
            price=1.0,
            acct_id='DU1234567',
            coid='parent-1',
            tif='GTC',
        ),
        OrderRequest(
            conid=265598,
            side='SELL',
            quantity=10,
            order_type='LMT',
            price=10000.0,
            acct_id='DU1234567',
            parent_id='parent-1',
            tif='GTC',
        ),
        OrderRequest(
            conid=265598,
            side='SELL',
            quantity=10,
            order_type='STP',
            price=0.5,
            acct_id='DU1234567',
            parent_id='parent-1',
            tif='GTC',
        ),
    ]
    with make_client(sim) as client:
        client.receive_brokerage_accounts()
        result = client.place_order(bracket, answers={})
    placed = {str(order['order_id']) for order in sim_orders(sim)}
    assert len(result.data) == 3 and {ack['order_id'] for ack in result.data} == placed
    assert all(ack['reconciled'] for ack in result.data)


def test_cancel_whose_answer_was_lost_is_reported_done_without_a_second_cancel(sim, client):
    client.receive_brokerage_accounts()
    sim.control.config(order_questions=False)
    order_id = client.place_order(limit(1.0), answers={}).data[0]['order_id']
    sim.control.add_fault('/iserver/account/*/order/*', 'drop_after', method='DELETE')
    result = client.cancel_order(order_id)
    assert result.data['reconciled'] is True and result.data['order_id'] == int(order_id)
    assert sim.control.received('DELETE /iserver/account/{accountId}/order/{orderId}') == 1
    assert sim_orders(sim)[0]['status'] == 'Cancelled'


def test_cancel_that_never_arrived_is_sent_again(sim, client):
    client.receive_brokerage_accounts()
    sim.control.config(order_questions=False)
    order_id = client.place_order(limit(1.0), answers={}).data[0]['order_id']
    sim.control.add_fault('/iserver/account/*/order/*', 'drop_before', method='DELETE')
    result = client.cancel_order(order_id)
    assert result.data['msg'] == 'Request was submitted' and 'reconciled' not in result.data
    assert sim_orders(sim)[0]['status'] == 'Cancelled'


def test_cancel_of_a_filled_order_with_a_lost_answer_says_so(sim, client):
    client.receive_brokerage_accounts()
    sim.control.config(order_questions=False)
    order_id = client.place_order(market(), answers={}).data[0]['order_id']
    sim.control.add_fault('/iserver/account/*/order/*', 'drop_before', method='DELETE')
    with pytest.raises(OrderRejectedError, match='Filled'):
        client.cancel_order(order_id)


def test_modification_with_a_lost_answer_is_reconciled_and_never_resent(sim, client):
    client.receive_brokerage_accounts()
    sim.control.config(order_questions=False)
    order_id = client.place_order(limit(1.0, cOID='to-modify'), answers={}).data[0]['order_id']
    modify_route = '/iserver/account/{accountId}/order/{orderId}'
    sim.control.add_fault(modify_route, 'drop_after', method='POST')
    result = client.modify_order(order_id, limit(2.0, cOID='to-modify'), answers={})
    assert result.data[0]['reconciled'] is True
    sim.control.add_fault(modify_route, 'drop_before', method='POST')
    with pytest.raises(OutcomeUnknownError, match='NOT sent again'):
        make_client(sim, order_reconcile_timeout=0.2).modify_order(order_id, limit(3.0, cOID='to-modify'), answers={})
    assert sim.control.received('POST ' + modify_route) == 2
    assert float(sim_orders(sim)[0]['price']) == 2.0


@pytest.mark.parametrize(
    'bad, needle',
    [
        ({'conid': 265598, 'side': 'HOLD', 'quantity': 1, 'orderType': 'MKT'}, "'side'"),
        ({'conid': 265598, 'side': 'BUY', 'quantity': -5, 'orderType': 'MKT'}, "'quantity'"),
        ({'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'MAGIC'}, "'orderType'"),
        ({'conid': 'AAPL', 'side': 'BUY', 'quantity': 1, 'orderType': 'MKT'}, "'conid'"),
        ({'side': 'BUY', 'quantity': 1, 'orderType': 'MKT'}, "'conid'"),
        ({'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'LMT'}, "'price'"),
        ({'conid': 265598, 'side': 'BUY', 'quantity': float('nan'), 'orderType': 'MKT'}, "'quantity'"),
    ],
)
def test_bad_order_dicts_are_refused_before_sending(sim, client, bad, needle):
    with pytest.raises((ValueError, TypeError), match=needle):
        client.place_order(bad, answers={})
    assert sim.control.received('POST ' + PLACE_ROUTE) == 0
