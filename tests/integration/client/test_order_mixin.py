"""OrderMixin against the simulator over real sockets: every method, the question/reply conversation, threads.

The simulator runs on a frozen clock at a fixed start, so prices are deterministic and tests move time
with POST /sim/clock. Assertions are on content: what came back and what the simulated broker now holds.
"""

import pytest
import requests

from ibind import IbkrClient
from ibind.client.order_request import OrderRequest
from ibind.client.questions import QuestionType
from ibind.sim import GatewaySimulator
from ibind.support.errors import ExternalBrokerError, OrderQuestionError, OrderRejectedError

from threads import run_on_threads

START = 1_704_900_000.0  # 2024-01-10 15:20 UTC
ACCOUNT = 'DU1234567'
AAPL = 265598
IBM = 8314
NO_DATA = {QuestionType.MISSING_MARKET_DATA: True}


@pytest.fixture
def sim():
    """Overrides the shared fixture: a fixed start on a frozen clock, no idle timeout while tests jump hours."""
    with GatewaySimulator(
        port=0, start_time=START, frozen_clock=True, idle_timeout=0, market_data_subscriptions=None
    ) as simulator:  # o354 until a snapshot: the question trigger
        yield simulator


def state(sim):
    return requests.get(sim.control_url + 'state').json()


def orders_in(sim):
    return state(sim)['orders']['orders']


def requests_seen(sim):
    return state(sim)['counters']['total']


def route_statuses(sim, route):
    return state(sim)['counters']['by_route'].get(route, {}).get('statuses', {})


def advance(sim, seconds):
    requests.post(sim.control_url + 'clock', json={'advance': seconds})


def quote(sim, conid=AAPL):
    with sim.gateway.lock:
        return sim.gateway.market.quote(conid)


def far_below(sim, pct=10.0):
    return round(quote(sim)[0] * (1 - pct / 100), 2)


def market(quantity=10, side='BUY', **extra):
    return OrderRequest(conid=AAPL, side=side, quantity=quantity, order_type='MKT', acct_id=ACCOUNT, **extra)


def limit(price, quantity=10, side='BUY', **extra):
    return OrderRequest(
        conid=AAPL, side=side, quantity=quantity, order_type='LMT', acct_id=ACCOUNT, price=price, **extra
    )


# =========================================================================== place_order


def test_place_order_returns_the_acknowledgement_and_the_position_follows(client, sim):
    result = client.place_order(market(coid='first-buy'), NO_DATA)
    assert len(result.data) == 1
    ack = result.data[0]
    assert ack['order_status'] == 'Filled' and ack['order_id'].isdigit() and ack['encrypt_message'] == '1'
    assert result.request['url'].endswith(f'/iserver/account/{ACCOUNT}/orders')  # the placement, not the reply
    sent = {
        'acctId': ACCOUNT,
        'conid': AAPL,
        'cOID': 'first-buy',
        'orderType': 'MKT',
        'side': 'BUY',
        'tif': 'GTC',
        'quantity': 10,
    }
    assert result.request['json'] == {'orders': [sent]}
    [placed] = orders_in(sim)
    assert placed['order_id'] == int(ack['order_id']) and placed['body'] == sent
    position = state(sim)['accounts'][ACCOUNT]['positions'][str(AAPL)]
    assert position['quantity'] == 10 and position['avg_price'] == pytest.approx(quote(sim)[1])


def test_place_order_accepts_an_ibkr_dict(client, sim):
    body = {'conid': IBM, 'side': 'SELL', 'orderType': 'MKT', 'quantity': 3, 'tif': 'DAY'}
    ack = client.place_order(body, {'o354': True}).data[0]
    assert ack['order_status'] == 'Filled'
    assert state(sim)['accounts'][ACCOUNT]['positions'][str(IBM)]['quantity'] == -3


def test_answers_match_by_message_id_and_by_text(client, sim):
    answers = {'o354': True, 'PRICE EXCEEDS   the percentage\nconstraint': True}
    ack = client.place_order(limit(far_below(sim)), answers).data[0]
    assert ack['order_status'] == 'Submitted'
    assert orders_in(sim)[0]['status'] == 'Submitted'
    assert route_statuses(sim, 'POST /iserver/reply/{replyId}') == {'200': 2}


def test_a_bracket_of_order_requests_with_its_questions_answered(client, sim):
    bid = quote(sim)[0]
    parent = limit(round(bid * 0.995, 2), coid='bracket-parent')
    take_profit = limit(round(bid * 1.15, 2), side='SELL', parent_id='bracket-parent')
    stop_loss = OrderRequest(
        conid=AAPL,
        side='SELL',
        quantity=10,
        order_type='STP',
        acct_id=ACCOUNT,
        price=round(bid * 0.97, 2),
        parent_id='bracket-parent',
    )
    answers = {
        QuestionType.MISSING_MARKET_DATA: True,
        QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True,
        QuestionType.STOP_ORDER_RISKS: True,
    }
    result = client.place_order([parent, take_profit, stop_loss], answers)
    assert [ack['order_status'] for ack in result.data] == ['Submitted', 'PreSubmitted', 'PreSubmitted']
    parent_id = int(result.data[0]['order_id'])
    placed = {o['order_id']: o for o in orders_in(sim)}
    children = [placed[int(ack['order_id'])] for ack in result.data[1:]]
    assert all(child['parent_id'] == parent_id and child['held'] for child in children)
    assert children[0]['oca_group'] == children[1]['oca_group']
    live = {o['orderId']: o for o in client.live_orders().data['orders']}
    assert live[int(result.data[1]['order_id'])]['parentId'] == parent_id
    assert route_statuses(sim, 'POST /iserver/reply/{replyId}') == {'200': 3}


def test_an_unanswered_question_is_declined_and_quoted(client, sim):
    with pytest.raises(OrderQuestionError) as caught:
        client.place_order(limit(far_below(sim)), NO_DATA)
    message = str(caught.value)
    assert '[o163]' in message
    assert 'price exceeds the Percentage constraint of 3%. Are you sure you want to submit this order?' in message
    assert 'QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True' in message and "'o163': True" in message
    assert 'not placed' in message
    assert caught.value.question['messageIds'] == ['o163']
    book = state(sim)['orders']
    assert book['orders'] == [] and book['pending_reply'] is None
    assert list(book['finished_reply_ids'].values()) == ['confirmed', 'declined']


def test_a_false_answer_declines_the_order(client, sim):
    with pytest.raises(OrderQuestionError, match='declined') as caught:
        client.place_order(market(), {QuestionType.MISSING_MARKET_DATA: False})
    assert caught.value.question['messageIds'] == ['o354']
    assert orders_in(sim) == [] and state(sim)['accounts'][ACCOUNT]['executions'] == 0


def test_conflicting_answers_decline(client, sim):
    with pytest.raises(OrderQuestionError, match='declined'):
        client.place_order(market(), {'o354': True, 'without market data': False})
    assert orders_in(sim) == []


def test_a_rejected_order_raises_order_rejected_error(client, sim):
    client.place_order(market(coid='only-once'), NO_DATA)
    with pytest.raises(OrderRejectedError, match='only-once'):
        client.place_order(market(coid='only-once'), NO_DATA)
    assert len(orders_in(sim)) == 1


def test_accounts_are_queried_once_when_ibkr_asks_for_it(client, sim):
    client.place_order(market(), NO_DATA)
    assert route_statuses(sim, 'POST /iserver/account/{accountId}/orders') == {'400': 1, '200': 1}
    assert state(sim)['counters']['by_route']['GET /iserver/accounts']['count'] == 1
    assert len(orders_in(sim)) == 1


def test_orders_from_eight_threads_are_each_placed_exactly_once(client, sim):
    price = far_below(sim)
    answers = {QuestionType.MISSING_MARKET_DATA: True, QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True}
    results, errors = {}, []

    def place(index):
        try:
            results[index] = client.place_order(limit(price, coid=f'thread-{index}'), answers).data
        except Exception as error:  # collected and reported below
            errors.append(error)

    run_on_threads(place, 8)
    assert errors == []
    book = state(sim)['orders']
    assert sorted(o['coid'] for o in book['orders']) == sorted(f'thread-{i}' for i in range(8))
    assert {o['order_id'] for o in book['orders']} == {int(r[0]['order_id']) for r in results.values()}
    assert book['stats']['stale_replies'] == 0
    assert route_statuses(sim, 'POST /iserver/reply/{replyId}') == {'200': 16}


# =========================================================================== reply, whatif, cancel, modify


def test_reply_confirms_once_and_declines(client, sim):
    client.get('iserver/accounts')
    question = client.post(f'iserver/account/{ACCOUNT}/orders', json={'orders': [market().to_dict()]}).data[0]
    assert question['messageIds'] == ['o354']
    ack = client.reply(question['id'], True).data
    assert ack[0]['order_status'] == 'Filled'
    with pytest.raises(ExternalBrokerError, match='reply id not found') as caught:
        client.reply(question['id'], True)
    assert caught.value.status_code == 400
    second = client.post(f'iserver/account/{ACCOUNT}/orders', json={'orders': [market().to_dict()]}).data[0]
    with pytest.raises(OrderRejectedError, match='Order not confirmed'):
        client.reply(second['id'], False)
    assert len(orders_in(sim)) == 1


def test_whatif_order_previews_without_placing(client, sim):
    result = client.whatif_order(limit(200.25, quantity=10), ACCOUNT)
    assert result.data['amount'] == {
        'amount': '2,002.50 USD (10 Shares)',
        'commission': '1 USD',
        'total': '2,003.50 USD',
    }
    assert result.data['position'] == {'current': '0', 'change': '10', 'after': '10'}
    assert result.data['error'] is None
    assert (
        client.whatif_order(
            {'conid': AAPL, 'side': 'SELL', 'orderType': 'MKT', 'quantity': 2, 'tif': 'DAY'}, None
        ).data['position']['change']
        == '-2'
    )
    assert orders_in(sim) == []


def test_cancel_order_cancels_and_reports(client, sim):
    order_id = client.place_order(limit(far_below(sim, 2)), NO_DATA).data[0]['order_id']
    result = client.cancel_order(order_id)
    assert result.data == {'msg': 'Request was submitted', 'order_id': int(order_id), 'conid': AAPL, 'account': ACCOUNT}
    assert client.order_status(order_id).data['order_status'] == 'Cancelled'
    with pytest.raises(OrderRejectedError, match="OrderID 1 doesn't exist"):
        client.cancel_order('1')


def test_cancel_order_minus_one_cancels_all_open_orders(client, sim):
    price = far_below(sim, 2)
    ids = [client.place_order(limit(price, coid=f'c{i}'), NO_DATA).data[0]['order_id'] for i in range(3)]
    assert client.cancel_order('-1').data['order_id'] == -1
    assert [client.order_status(i).data['order_status'] for i in ids] == ['Cancelled'] * 3


def test_cancel_order_queries_accounts_when_asked(client, sim):
    with pytest.raises(OrderRejectedError, match="doesn't exist"):
        client.cancel_order(123)
    assert state(sim)['counters']['by_route']['GET /iserver/accounts']['count'] == 1


def test_modify_order_answers_its_questions(client, sim):
    original = limit(far_below(sim, 2), coid='to-modify')
    order_id = client.place_order(original, NO_DATA).data[0]['order_id']
    lower = far_below(sim, 12)
    modified = limit(lower, quantity=4, coid='to-modify')
    result = client.modify_order(
        order_id, modified, {QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True, QuestionType.MISSING_MARKET_DATA: True}
    )
    assert result.data == [{'order_id': order_id, 'order_status': 'Submitted', 'encrypt_message': '1'}]
    assert result.request['json'] == modified.to_dict()  # one object, not wrapped in "orders"
    status = client.order_status(order_id).data
    assert status['total_size'] == '4.0' and f'{lower:.2f}' in status['order_description']


def test_modify_order_unanswered_question_leaves_the_order_unchanged(client, sim):
    order_id = client.place_order(limit(far_below(sim, 2)), NO_DATA).data[0]['order_id']
    with pytest.raises(OrderQuestionError, match='not modified'):
        client.modify_order(order_id, limit(far_below(sim, 12)), NO_DATA)
    assert client.order_status(order_id).data['total_size'] == '10.0'
    assert [o['modifications'] for o in orders_in(sim)] == [[]]


# =========================================================================== monitoring


def test_live_orders_filters_and_force(client, sim):
    filled = client.place_order(market(coid='f'), NO_DATA).data[0]['order_id']
    working = client.place_order(limit(far_below(sim, 2), coid='w'), NO_DATA).data[0]['order_id']
    orders = client.live_orders().data['orders']
    assert {o['orderId']: o['status'] for o in orders} == {int(filled): 'Filled', int(working): 'Submitted'}
    assert [o['order_ref'] for o in client.live_orders(filters='filled').data['orders']] == ['f']
    both = client.live_orders(filters=['Submitted', 'filled'], account_id=ACCOUNT)
    assert both.request['params'] == {'filters': 'submitted,filled', 'accountId': ACCOUNT}
    assert len(both.data['orders']) == 2
    assert client.live_orders(force=True).data == {'orders': [], 'snapshot': True}


def test_order_status_reports_the_order(client, sim):
    order_id = client.place_order(market(quantity=5, side='SELL', tif='DAY'), NO_DATA).data[0]['order_id']
    status = client.order_status(order_id).data
    assert status['order_id'] == int(order_id) and status['order_status'] == 'Filled'
    assert status['side'] == 'S' and status['symbol'] == 'AAPL' and status['order_description'] == 'Sold 5 Market, Day'
    assert float(status['average_price']) == pytest.approx(quote(sim)[0])


def test_trades_lists_the_executions(client, sim):
    client.place_order(market(quantity=2, coid='day-one'), NO_DATA)
    advance(sim, 86400)
    client.place_order(market(quantity=3, coid='day-two'), NO_DATA)
    assert [t['order_ref'] for t in client.trades().data] == ['day-two']
    two_days = client.trades(days=2, account_id=ACCOUNT)
    assert two_days.request['params'] == {'days': '2', 'accountId': ACCOUNT}
    assert [(t['order_ref'], t['size'], t['side']) for t in two_days.data] == [
        ('day-one', 2.0, 'B'),
        ('day-two', 3.0, 'B'),
    ]


# =========================================================================== suppression


def test_suppressed_messages_are_not_asked_until_reset(client, sim):
    assert client.suppress_messages(['o354', 'o163']).data == {'status': 'submitted'}
    ack = client.place_order(limit(far_below(sim), coid='quiet'), {}).data[0]
    assert ack['order_status'] == 'Submitted'
    assert client.reset_suppressed_messages().data == {'status': 'submitted'}
    with pytest.raises(OrderQuestionError, match='o354'):
        client.place_order(limit(far_below(sim), coid='loud'), {})
    assert [o['coid'] for o in orders_in(sim)] == ['quiet']


# =========================================================================== arguments refused before sending


def _valid():
    return market()


@pytest.mark.parametrize(
    'call, error',
    [
        (lambda c: c.place_order('BUY 10 AAPL', {}), TypeError),
        (lambda c: c.place_order({}, {}), ValueError),
        (lambda c: c.place_order([], {}), ValueError),
        (lambda c: c.place_order(_valid(), ['o163']), TypeError),
        (lambda c: c.place_order(_valid(), {'o163': 'yes'}), TypeError),
        (lambda c: c.place_order(_valid(), {42: True}), TypeError),
        (lambda c: c.place_order(_valid(), {}, account_id=''), ValueError),
        (lambda c: c.modify_order('1', 'x', {}), TypeError),
        (lambda c: c.modify_order(None, _valid(), {}), ValueError),
        (lambda c: c.whatif_order([], None), ValueError),
        (lambda c: c.cancel_order(None), ValueError),
        (lambda c: c.cancel_order(1.5), TypeError),
        (lambda c: c.order_status(None), ValueError),
        (lambda c: c.reply('abc', 'yes'), TypeError),
        (lambda c: c.reply(None, True), ValueError),
        (lambda c: c.live_orders(filters='everything'), ValueError),
        (lambda c: c.live_orders(filters=[]), ValueError),
        (lambda c: c.live_orders(force='yes'), TypeError),
        (lambda c: c.trades(days=8), ValueError),
        (lambda c: c.trades(days='week'), ValueError),
        (lambda c: c.suppress_messages('o163'), TypeError),
        (lambda c: c.suppress_messages([]), ValueError),
        (lambda c: c.suppress_messages([f'o{i}' for i in range(52)]), ValueError),
        (lambda c: c.suppress_messages(['o163', '']), ValueError),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(client, sim, call, error):
    before = requests_seen(sim)
    with pytest.raises(error):
        call(client)
    assert requests_seen(sim) == before


def test_an_order_without_an_account_is_refused_before_sending(sim):
    with IbkrClient(url=sim.url, account_id=None, cacert=False, pacing=False) as client:
        with pytest.raises(ValueError, match='account_id'):
            client.place_order(_valid(), {})
        with pytest.raises(ValueError, match='account_id'):
            client.cancel_order('1')
    assert requests_seen(sim) == 0
