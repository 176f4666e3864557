"""The simulated order endpoints, driven with plain HTTP: documented shapes, questions, replies, fills.

The simulator runs on a frozen clock at a fixed start (prices are a deterministic function of the seed
and the simulated time), and tests move time with POST /sim/clock. Prices for limits and stops are
chosen from the simulator's own price path, so an order that must fill does, and one that must wait does.
"""

import math
import re

import pytest
import requests

from ibind.sim import GatewaySimulator

from openapi_spec import assert_valid, response_schema, spec_or_skip, to_json_schema
from threads import run_on_threads

START = 1_704_900_000.0  # 2024-01-10 15:20 UTC
ACCOUNT = 'DU1234567'
AAPL = 265598
IBM = 8314
UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')


# =========================================================================== harness


class Api:
    """The simulator over HTTP, with the few verbs these tests repeat."""

    def __init__(self, sim):
        self.sim = sim
        self.url = sim.url
        self.http = requests.Session()

    def get(self, path, **params):
        return self.http.get(self.url + path, params=params)

    def post(self, path, body=None):
        return self.http.post(self.url + path, json=body)

    def delete(self, path, **params):
        return self.http.delete(self.url + path, params=params)

    def accounts(self):
        assert self.get('iserver/accounts').status_code == 200

    def place(self, *orders, account=ACCOUNT):
        return self.post(f'iserver/account/{account}/orders', {'orders': list(orders)})

    def reply(self, reply_id, confirmed=True):
        return self.post(f'iserver/reply/{reply_id}', {'confirmed': confirmed})

    def confirm_all(self, response):
        """Answer yes to every question; return (final response, the messageIds asked)."""
        asked = []
        for _ in range(20):
            data = response.json()
            if not (response.status_code == 200 and isinstance(data, list) and data and 'id' in data[0]):
                return response, asked
            asked.extend(data[0]['messageIds'])
            response = self.reply(data[0]['id'])
        raise AssertionError('the simulator kept asking')

    def place_confirmed(self, *orders, account=ACCOUNT):
        response, _ = self.confirm_all(self.place(*orders, account=account))
        assert response.status_code == 200, response.text
        return response.json()

    def snapshot(self, conid):
        assert self.get('iserver/marketdata/snapshot', conids=str(conid), fields='31').status_code == 200

    def state(self):
        return self.http.get(self.sim.control_url + 'state').json()

    def advance(self, seconds):
        assert self.http.post(self.sim.control_url + 'clock', json={'advance': seconds}).status_code == 200

    def order_state(self, order_id):
        return next(o for o in self.state()['orders']['orders'] if o['order_id'] == int(order_id))

    def status(self, order_id):
        response = self.get(f'iserver/account/order/status/{order_id}')
        assert response.status_code == 200, response.text
        return response.json()

    # ---- the price path, read from the simulator's own model (no request involved)
    def quote(self, conid=AAPL):
        gw = self.sim.gateway
        with gw.lock:
            return gw.market.quote(conid)

    def path_range(self, hours, conid=AAPL):
        """(low, high) of the price path over the next ``hours``, sampled every 10 s."""
        gw = self.sim.gateway
        with gw.lock:
            now = gw.clock.now()
            points = [gw.market.last(conid, now + 10 * i) for i in range(int(hours * 360) + 1)]
        return min(points), max(points)


def make_sim(**config):
    config.setdefault('start_time', START)
    config.setdefault('frozen_clock', True)
    config.setdefault('idle_timeout', 0)  # clock jumps of hours would otherwise end the brokerage session
    config.setdefault('market_data_subscriptions', None)  # o354 until a snapshot: these tests' question trigger
    return GatewaySimulator(port=0, **config)


@pytest.fixture
def sim():
    with make_sim() as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    api = Api(sim)
    api.accounts()
    return api


@pytest.fixture
def quiet():
    """A simulator that asks no questions: for tests about fills and monitoring."""
    with make_sim(order_questions=False) as simulator:
        api = Api(simulator)
        api.accounts()
        yield api


def order(conid=AAPL, side='BUY', order_type='MKT', quantity=10, tif='GTC', **extra):
    return {
        'acctId': ACCOUNT,
        'conid': conid,
        'side': side,
        'orderType': order_type,
        'quantity': quantity,
        'tif': tif,
        **extra,
    }


def limit_far_below(api, pct=10.0):
    bid, _, _ = api.quote()
    return round(bid * (1 - pct / 100), 2)


def resting_buy_limit(api, hours=3.0):
    """A buy limit below the bid that the price path reaches within ``hours``."""
    bid, _, _ = api.quote()
    low, _ = api.path_range(hours)
    assert low < bid - 0.2, 'the price path must dip for this test'
    return round(bid - (bid - low) * 0.5, 2)


def is_question(data):
    return isinstance(data, list) and len(data) == 1 and set(data[0]) == {'id', 'message', 'isSuppressed', 'messageIds'}


# =========================================================================== OpenAPI conformance


def _override(schema, overrides):
    """Replace named properties anywhere in the schema: the documented deviations (seed 002 wins over the spec)."""
    if isinstance(schema, list):
        return [_override(item, overrides) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _override(value, overrides) for key, value in schema.items()}
    if isinstance(out.get('properties'), dict):
        for name, replacement in overrides.items():
            if name in out['properties']:
                out['properties'][name] = replacement
    return out


def assert_conforms(path, method, data, deviations=None):
    """``data`` against the operation's 200 schema ($refs inlined so ``_override`` reaches every property)."""
    spec = spec_or_skip()
    schema = to_json_schema(response_schema(spec, path, method), spec)
    assert_valid(_override(schema, deviations or {}), data)


INT = {'type': 'integer'}
NUMBER = {'type': 'number'}


# =========================================================================== placing and acknowledgements


def test_market_order_fills_at_the_ask_and_moves_position_and_cash(quiet):
    bid, ask, _ = quiet.quote()
    data = quiet.place(order(quantity=10)).json()
    assert len(data) == 1 and set(data[0]) == {'order_id', 'order_status', 'encrypt_message'}
    ack = data[0]
    assert isinstance(ack['order_id'], str) and ack['order_id'].isdigit()
    assert ack['order_status'] == 'Filled' and ack['encrypt_message'] == '1'
    account = quiet.state()['accounts'][ACCOUNT]
    assert account['positions'][str(AAPL)]['quantity'] == 10
    assert account['positions'][str(AAPL)]['avg_price'] == pytest.approx(ask)
    assert account['cash']['USD'] == pytest.approx(1_000_000 - 10 * ask - 1.0)  # 1.00 minimum commission
    assert account['executions'] == 1


def test_sell_market_order_fills_at_the_bid(quiet):
    bid, _, _ = quiet.quote()
    quiet.place(order(side='SELL', quantity=5))
    position = quiet.state()['accounts'][ACCOUNT]['positions'][str(AAPL)]
    assert position == {'quantity': -5.0, 'avg_price': pytest.approx(bid), 'realized_pnl': 0.0}


def test_placement_acknowledgement_conforms_to_the_spec(quiet):
    data = quiet.place(order()).json()
    assert_conforms('/iserver/account/{accountId}/orders', 'post', data)


def test_the_received_body_is_kept_in_sim_state(quiet):
    sent = order(order_type='LMT', price=limit_far_below(quiet), cOID='keep-me', outsideRTH=True)
    order_id = quiet.place(sent).json()[0]['order_id']
    kept = quiet.order_state(order_id)
    assert kept['body'] == sent
    assert kept['coid'] == 'keep-me' and kept['outside_rth'] is True and kept['status'] == 'Submitted'


@pytest.mark.parametrize(
    'variant',
    [
        {'outsideRth': True},
        {'outsideRTH': True},
        {'secType': f'{AAPL}@STK'},
        {'secType': f'{AAPL}:STK'},
        {'side': 'Buy'},
        {'conidex': f'{AAPL}@SMART'},
    ],
)
def test_documented_spellings_are_accepted(quiet, variant):
    response = quiet.place({**order(), **variant})
    assert response.status_code == 200 and response.json()[0]['order_status'] == 'Filled'


def test_conidex_alone_identifies_the_contract(quiet):
    body = order()
    del body['conid']
    body['conidex'] = f'{IBM}@NYSE'
    quiet.place(body)
    assert quiet.state()['orders']['orders'][0]['conid'] == IBM
    assert quiet.state()['orders']['orders'][0]['conidex'] == f'{IBM}@NYSE'


@pytest.mark.parametrize(
    'change, words',
    [
        ({'conid': None}, 'conid'),
        ({'side': 'HOLD'}, 'side'),
        ({'orderType': 'FANCY'}, 'orderType'),
        ({'quantity': 0}, 'quantity'),
        ({'quantity': -3}, 'quantity'),
        ({'quantity': None}, 'quantity'),
        ({'orderType': 'LMT'}, 'price'),
        ({'orderType': 'STOP_LIMIT', 'price': 100}, 'auxPrice'),
        ({'tif': 'FOREVER'}, 'tif'),
        ({'conid': 999999999}, 'conid'),
    ],
)
def test_invalid_order_content_is_a_500_with_an_ibkr_style_error(quiet, change, words):
    body = {k: v for k, v in {**order(), **change}.items() if v is not None}
    response = quiet.place(body)
    assert response.status_code == 500
    assert words in response.json()['error'] and response.json()['statusCode'] == 500
    assert quiet.state()['orders']['orders'] == []


def test_a_body_without_orders_is_refused(quiet):
    response = quiet.post(f'iserver/account/{ACCOUNT}/orders', order())
    assert response.status_code == 500 and 'orders' in response.json()['error']


def test_unrelated_orders_in_one_request_are_rejected(quiet):
    response = quiet.place(order(), order(conid=IBM))
    assert response.status_code == 200 and 'Unrelated orders' in response.json()['error']
    assert quiet.state()['orders']['orders'] == []


def test_unknown_account_in_path_is_a_400(quiet):
    assert quiet.place(order(), account='U0000000').status_code == 400


def test_duplicate_coid_is_rejected_for_24_hours(quiet):
    quiet.place(order(cOID='once'))
    again = quiet.place(order(cOID='once'))
    assert again.status_code == 200
    assert again.json() == {'error': "Order couldn't be submitted: Local order ID=once is already registered."}
    assert len(quiet.state()['orders']['orders']) == 1
    quiet.advance(24 * 3600 + 1)
    assert quiet.place(order(cOID='once')).json()[0]['order_status'] == 'Filled'


def test_duplicate_coid_within_one_request_is_rejected(quiet):
    response = quiet.place(order(cOID='twin', isSingleGroup=True), order(cOID='twin', isSingleGroup=True))
    assert 'twin' in response.json()['error']


# =========================================================================== questions and replies


def test_limit_far_from_market_asks_o163_with_the_documented_text(api):
    api.snapshot(AAPL)
    price = limit_far_below(api)
    data = api.place(order(order_type='LMT', price=price, quantity=5)).json()
    assert is_question(data)
    question = data[0]
    assert UUID.match(question['id'])
    assert question['isSuppressed'] is False and question['messageIds'] == ['o163']
    assert question['message'] == [
        f'The following order "BUY 5 AAPL NASDAQ.NMS @ {float(price)!r}" price exceeds '
        '\nthe Percentage constraint of 3%.\nAre you sure you want to submit this order?'
    ]
    assert_conforms('/iserver/account/{accountId}/orders', 'post', data)


def test_limit_within_the_constraint_asks_nothing(api):
    api.snapshot(AAPL)
    data = api.place(order(order_type='LMT', price=limit_far_below(api, pct=2.0))).json()
    assert data[0]['order_status'] == 'Submitted'


def test_order_without_market_data_asks_o354_and_a_snapshot_removes_it(api):
    first = api.place(order()).json()
    assert first[0]['messageIds'] == ['o354']
    assert first[0]['message'] == [
        'You are submitting an order without market data. We strongly recommend against '
        'this as it may result in erroneous and unexpected trades.\nAre you sure you '
        'want to submit this order?'
    ]
    api.snapshot(AAPL)
    assert api.place(order()).json()[0]['order_status'] == 'Filled'


def test_order_value_above_the_limit_asks_o451():
    with make_sim(total_value_limit=100_000) as sim:
        api = Api(sim)
        api.accounts()
        api.snapshot(AAPL)
        _, ask, _ = api.quote()
        data = api.place(order(quantity=650)).json()
        assert data[0]['messageIds'] == ['o451']
        assert data[0]['message'] == [
            f'The following order "BUY 650 AAPL NASDAQ.NMS" value estimate of '
            f'{650 * ask:,.2f} USD exceeds \nthe Total Value Limit of 100,000 USD.\n'
            'Are you sure you want to submit this order?'
        ]


def test_stop_order_asks_o10331(api):
    api.snapshot(AAPL)
    bid, _, _ = api.quote()
    data = api.place(order(side='SELL', order_type='STP', price=round(bid * 0.99, 2))).json()
    assert data[0]['messageIds'] == ['o10331']
    assert data[0]['message'][0].startswith(
        'You are about to submit a stop order. Please be aware of the various '
        'stop order types available and the risks associated with each one.\n'
    )


def test_stop_already_crossed_asks_o403_then_o10331_and_fills_at_once(api):
    api.snapshot(AAPL)
    bid, _, _ = api.quote()
    response, asked = api.confirm_all(api.place(order(side='SELL', order_type='STP', price=round(bid * 1.01, 2))))
    assert asked == ['o403', 'o10331']
    assert response.json()[0]['order_status'] == 'Filled'


def test_market_order_question_is_available_when_configured():
    with make_sim(order_question_ids=('o10151',)) as sim:
        api = Api(sim)
        api.accounts()
        assert api.place(order()).json()[0]['messageIds'] == ['o10151']


def test_questions_can_be_switched_off():
    with make_sim(order_questions=False) as sim:
        api = Api(sim)
        api.accounts()
        assert api.place(order(order_type='LMT', price=limit_far_below(api))).json()[0]['order_status'] == 'Submitted'


def test_several_questions_come_one_after_another_each_with_a_new_id(api):
    bid, _, _ = api.quote()
    first = api.place(
        order(side='SELL', order_type='STOP_LIMIT', price=round(bid * 0.8, 2), auxPrice=round(bid * 0.9, 2))
    ).json()
    ids, asked = [first[0]['id']], [first[0]['messageIds'][0]]
    response = api.reply(first[0]['id'])
    while is_question(response.json()):
        ids.append(response.json()[0]['id'])
        asked.append(response.json()[0]['messageIds'][0])
        assert_conforms('/iserver/reply/{replyId}', 'post', response.json())
        response = api.reply(ids[-1])
    assert asked == ['o354', 'o163', 'o10331']
    assert len(set(ids)) == 3
    ack = response.json()
    assert ack[0]['order_status'] == 'PreSubmitted' and ack[0]['order_id'].isdigit()
    assert_conforms('/iserver/reply/{replyId}', 'post', ack)
    assert len(api.state()['orders']['orders']) == 1


def test_reply_ids_are_single_use(api):
    question = api.place(order()).json()[0]
    assert api.reply(question['id']).json()[0]['order_status'] == 'Filled'
    again = api.reply(question['id'])
    assert again.status_code == 400
    assert again.json() == {'error': f'reply id not found: {question["id"]}', 'statusCode': 400}
    assert len(api.state()['orders']['orders']) == 1


def test_unknown_reply_id_is_a_400(api):
    response = api.reply('00000000-0000-4000-8000-000000000000')
    assert response.status_code == 400
    assert response.json()['error'] == 'reply id not found: 00000000-0000-4000-8000-000000000000'


def test_a_new_order_makes_a_waiting_reply_stale(api):
    stale = api.place(order(cOID='first')).json()[0]['id']
    fresh = api.place(order(cOID='second')).json()[0]['id']
    response = api.reply(stale)
    assert response.status_code == 400 and response.json()['error'] == f'reply id not found: {stale}'
    assert api.reply(fresh).json()[0]['order_status'] == 'Filled'
    orders = api.state()['orders']
    assert [o['coid'] for o in orders['orders']] == ['second']
    assert orders['finished_reply_ids'][stale] == 'stale'


def test_reply_needs_a_boolean(api):
    question = api.place(order()).json()[0]
    assert api.post(f'iserver/reply/{question["id"]}', {'confirmed': 'yes'}).status_code == 400
    assert api.reply(question['id']).status_code == 200  # a malformed reply does not use the id up


def test_declining_discards_the_order(api):
    question = api.place(order()).json()[0]
    response = api.reply(question['id'], confirmed=False)
    assert response.status_code == 200 and response.json() == {'error': 'Order not confirmed '}
    state = api.state()
    assert state['orders']['orders'] == [] and state['accounts'][ACCOUNT]['executions'] == 0
    assert api.reply(question['id']).status_code == 400


def test_suppressed_messages_are_not_asked_until_reset(api):
    far = order(order_type='LMT', price=limit_far_below(api))
    assert api.post('iserver/questions/suppress', {'messageIds': ['o354', 'o163']}).json() == {'status': 'submitted'}
    assert api.place({**far, 'cOID': 'a'}).json()[0]['order_status'] == 'Submitted'
    assert api.post('iserver/questions/suppress/reset').json() == {'status': 'submitted'}
    assert api.place({**far, 'cOID': 'b'}).json()[0]['messageIds'] == ['o354']


def test_each_suppress_request_replaces_the_suppressed_set(api):
    api.post('iserver/questions/suppress', {'messageIds': ['o354']})
    api.post('iserver/questions/suppress', {'messageIds': ['o163']})
    assert api.state()['orders']['suppressed_message_ids'] == ['o163']
    assert api.place(order()).json()[0]['messageIds'] == ['o354']


def test_suppression_ends_with_the_brokerage_session(api):
    api.post('iserver/questions/suppress', {'messageIds': ['o354']})
    requests.post(api.sim.control_url + 'session', json={'action': 'expire'})
    api.advance(1)  # a new brokerage session is told apart by its opening time
    requests.post(api.sim.control_url + 'session', json={'action': 'restore'})
    api.accounts()
    assert api.place(order()).json()[0]['messageIds'] == ['o354']


def test_more_than_51_suppressed_ids_is_a_system_error(api):
    response = api.post('iserver/questions/suppress', {'messageIds': [f'o{i}' for i in range(52)]})
    assert response.status_code == 500
    assert api.post('iserver/questions/suppress', {'messageIds': []}).status_code == 400
    assert api.post('iserver/questions/suppress', {'messageIds': [f'o{i}' for i in range(51)]}).status_code == 200


def test_suppress_responses_conform_to_the_spec(api):
    assert_conforms(
        '/iserver/questions/suppress', 'post', api.post('iserver/questions/suppress', {'messageIds': ['o163']}).json()
    )
    assert_conforms('/iserver/questions/suppress/reset', 'post', api.post('iserver/questions/suppress/reset').json())


# =========================================================================== fills over simulated time


def test_limit_order_fills_only_when_simulated_time_moves_the_price_across_it(quiet):
    limit = resting_buy_limit(quiet)
    order_id = quiet.place(order(order_type='LMT', price=limit)).json()[0]['order_id']
    assert quiet.status(order_id)['order_status'] == 'Submitted'
    assert quiet.state()['accounts'][ACCOUNT]['executions'] == 0
    quiet.advance(3 * 3600)
    status = quiet.status(order_id)
    assert status['order_status'] == 'Filled' and status['cum_fill'] == '10.0'
    assert float(status['average_price']) <= limit
    position = quiet.state()['accounts'][ACCOUNT]['positions'][str(AAPL)]
    assert position['quantity'] == 10 and position['avg_price'] == pytest.approx(float(status['average_price']))


def test_a_limit_touched_for_a_moment_within_a_long_clock_jump_fills(quiet):
    """A long jump is worked in 120 bars of 6 samples; the exact search finds a touch between samples."""
    gw = quiet.sim.gateway
    with gw.lock:
        now = gw.clock.now()
        prices = [gw.market.last(AAPL, now + second) for second in range(30 * 3600)]  # one per second

        def engine_samples(jump):  # the bars sync() works a jump of this length in
            step = jump / 120
            return [prices[int(step * bar + step * k / 6)] for bar in range(120) for k in range(7) if bar or k]

        # a jump (20-30 h) whose lowest price after the first 10 minutes falls between the engine's samples
        jump, limit = next(
            (hours * 3600, min(prices[600 : hours * 3600]))
            for hours in range(20, 30)
            if min(engine_samples(hours * 3600)) > min(prices[600 : hours * 3600])
        )
    order_id = quiet.place(order(order_type='LMT', price=limit, tif='GTC')).json()[0]['order_id']
    assert quiet.status(order_id)['order_status'] == 'Submitted'
    quiet.advance(jump)
    status = quiet.status(order_id)
    assert status['order_status'] == 'Filled' and float(status['average_price']) <= limit


def _walk_trailing_stop(gw, start, stop, offset, selling, horizon):
    """(the 5-second mark at which a trailing stop triggers, its stop then), visiting every mark from ``start``."""
    for t in range(int(start) - int(start) % 5 + 5, int(start + horizon), 5):
        price = gw.market.last(AAPL, t)
        if (price <= stop) if selling else (price >= stop):
            return t, stop
        moved = round(price - offset(price) if selling else price + offset(price), 2)
        stop = max(stop, moved) if selling else min(stop, moved)
    return None, stop


@pytest.mark.parametrize('side, trailing_type', [('SELL', 'amt'), ('BUY', '%')])
def test_a_trailing_stop_follows_every_new_extreme_within_a_long_clock_jump(quiet, side, trailing_type):
    """A day's jump is worked in bars of 12 minutes; the stop still moves with each new high (low) and triggers
    where a walk over every 5-second mark says, at that stop."""
    gw, selling = quiet.sim.gateway, side == 'SELL'
    with gw.lock:
        now = gw.clock.now()
        price = gw.market.last(AAPL, now)
        # the narrowest trail (in steps) that triggers between 2 and 20 hours from now
        for step in range(1, 200):
            amount = 0.2 * step if trailing_type == 'amt' else 0.1 * step

            def offset(p, amount=amount):
                return amount if trailing_type == 'amt' else p * amount / 100

            stop = round(price - offset(price) if selling else price + offset(price), 2)
            mark, expected = _walk_trailing_stop(gw, now, stop, offset, selling, 24 * 3600)
            if mark is not None and 2 * 3600 < mark - now < 20 * 3600:
                break
        else:
            pytest.fail('no trail triggers between 2 and 20 hours')
    trailing = {'trailingAmt': round(amount, 2), 'trailingType': trailing_type}
    order_id = quiet.place(order(side=side, order_type='TRAIL', **trailing)).json()[0]['order_id']
    assert quiet.status(order_id)['order_status'] == 'PreSubmitted'
    quiet.advance(24 * 3600)  # one request: the whole day at once
    status = quiet.status(order_id)
    assert status['order_status'] == 'Filled'
    assert float(status['average_price']) == pytest.approx(expected), (expected, mark - now)


def test_marketable_limit_fills_at_the_touch(quiet):
    bid, ask, _ = quiet.quote()
    ack = quiet.place(order(order_type='LMT', price=round(ask * 1.01, 2))).json()[0]
    assert ack['order_status'] == 'Filled'
    assert quiet.order_state(ack['order_id'])['avg_fill_price'] == pytest.approx(ask)


def test_ioc_limit_that_cannot_fill_is_cancelled(quiet):
    ack = quiet.place(order(order_type='LMT', price=limit_far_below(quiet), tif='IOC')).json()[0]
    assert ack['order_status'] == 'Cancelled'


def test_sell_stop_triggers_when_the_price_falls_through_it(quiet):
    bid, _, _ = quiet.quote()
    low, _ = quiet.path_range(3)
    stop = round(bid - (bid - low) * 0.5, 2)
    order_id = quiet.place(order(side='SELL', order_type='STP', price=stop)).json()[0]['order_id']
    assert quiet.status(order_id)['order_status'] == 'PreSubmitted'
    quiet.advance(3 * 3600)
    status = quiet.status(order_id)
    assert status['order_status'] == 'Filled' and float(status['average_price']) <= stop


def test_day_orders_expire_at_midnight_utc(quiet):
    order_id = quiet.place(order(order_type='LMT', price=limit_far_below(quiet, 20), tif='DAY')).json()[0]['order_id']
    quiet.advance(9 * 3600)  # 15:20 -> 00:20 UTC
    assert quiet.status(order_id)['order_status'] == 'Cancelled'
    assert 'expired' in quiet.order_state(order_id)['cancel_reason']


def test_bracket_children_wait_for_the_parent_then_one_fills_and_the_other_is_cancelled(quiet):
    entry = resting_buy_limit(quiet, hours=2)
    bid, _, _ = quiet.quote()
    parent = order(order_type='LMT', price=entry, cOID='parent')
    take_profit = order(side='SELL', order_type='LMT', price=round(bid * 1.2, 2), parentId='parent')
    stop_loss = order(side='SELL', order_type='STP', price=round(entry - 1.0, 2), parentId='parent')
    acks = quiet.place(parent, take_profit, stop_loss).json()
    assert [a['order_status'] for a in acks] == ['Submitted', 'PreSubmitted', 'PreSubmitted']
    parent_id, profit_id, stop_id = (int(a['order_id']) for a in acks)
    children = [quiet.order_state(profit_id), quiet.order_state(stop_id)]
    assert all(child['held'] and child['parent_id'] == parent_id for child in children)
    assert children[0]['oca_group'] == children[1]['oca_group'] is not None

    quiet.advance(2 * 3600)
    assert quiet.order_state(parent_id)['status'] == 'Filled'
    assert not quiet.order_state(profit_id)['held'] and quiet.order_state(profit_id)['status'] == 'Submitted'
    # the stop sits a dollar under the entry, the take-profit 20% above: the stop fills first
    for _ in range(48):
        if quiet.order_state(stop_id)['status'] == 'Filled':
            break
        quiet.advance(3600)
    assert quiet.order_state(stop_id)['status'] == 'Filled'
    profit = quiet.order_state(profit_id)
    assert profit['status'] == 'Cancelled' and 'OCA' in profit['cancel_reason']
    assert quiet.state()['accounts'][ACCOUNT]['positions'].get(str(AAPL)) is None  # bought, then stopped out


def test_cancelling_a_bracket_parent_cancels_its_waiting_children(quiet):
    parent = order(order_type='LMT', price=limit_far_below(quiet), cOID='p')
    child = order(side='SELL', order_type='LMT', price=300.0, parentId='p')
    parent_ack, child_ack = quiet.place(parent, child).json()
    quiet.delete(f'iserver/account/{ACCOUNT}/order/{parent_ack["order_id"]}')
    assert quiet.order_state(child_ack['order_id'])['status'] == 'Cancelled'


def test_bracket_child_of_a_filled_parent_works_at_once(quiet):
    parent_ack = quiet.place(order(cOID='done')).json()[0]
    child_ack = quiet.place(order(side='SELL', order_type='LMT', price=300.0, parentId='done')).json()[0]
    assert parent_ack['order_status'] == 'Filled' and child_ack['order_status'] == 'Submitted'


def test_bracket_with_unknown_parent_is_rejected(quiet):
    response = quiet.place(order(side='SELL', order_type='LMT', price=300.0, parentId='nobody'))
    assert response.status_code == 200 and 'nobody' in response.json()['error']


def test_oca_group_one_fills_the_others_are_cancelled(quiet):
    bid, _, _ = quiet.quote()
    low, _ = quiet.path_range(3)
    near = round(bid - (bid - low) * 0.4, 2)
    far = round(low - 5.0, 2)
    acks = quiet.place(
        order(order_type='LMT', price=near, isSingleGroup=True), order(order_type='LMT', price=far, isSingleGroup=True)
    ).json()
    assert [a['order_status'] for a in acks] == ['Submitted', 'Submitted']
    quiet.advance(3 * 3600)
    near_order, far_order = (quiet.order_state(a['order_id']) for a in acks)
    assert near_order['status'] == 'Filled'
    assert far_order['status'] == 'Cancelled' and 'OCA' in far_order['cancel_reason']


# =========================================================================== cancel and modify


def test_cancel_answers_the_documented_shape_and_cancels(quiet):
    order_id = quiet.place(order(order_type='LMT', price=limit_far_below(quiet))).json()[0]['order_id']
    response = quiet.delete(
        f'iserver/account/{ACCOUNT}/order/{order_id}', manualIndicator='true', extOperator='person1234'
    )
    assert response.status_code == 200
    assert response.json() == {
        'msg': 'Request was submitted',
        'order_id': int(order_id),
        'conid': AAPL,
        'account': ACCOUNT,
    }
    assert quiet.status(order_id)['order_status'] == 'Cancelled'
    assert_conforms(
        '/iserver/account/{accountId}/order/{orderId}', 'delete', response.json(), {'order_id': INT, 'conid': INT}
    )
    again = quiet.delete(f'iserver/account/{ACCOUNT}/order/{order_id}')
    assert again.status_code == 200 and 'Cancelled' in again.json()['error']


def test_cancel_unknown_order_is_the_documented_error(quiet):
    response = quiet.delete(f'iserver/account/{ACCOUNT}/order/1')
    assert response.status_code == 200 and response.json() == {'error': "OrderID 1 doesn't exist"}


def test_cancel_minus_one_cancels_every_open_order(quiet):
    price = limit_far_below(quiet)
    open_ids = [quiet.place(order(order_type='LMT', price=price, cOID=f'o{i}')).json()[0]['order_id'] for i in range(3)]
    filled_id = quiet.place(order()).json()[0]['order_id']
    response = quiet.delete(f'iserver/account/{ACCOUNT}/order/-1').json()
    assert response['msg'] == 'Request was submitted' and response['order_id'] == -1
    assert [quiet.status(i)['order_status'] for i in open_ids] == ['Cancelled'] * 3
    assert quiet.status(filled_id)['order_status'] == 'Filled'


def test_modify_changes_the_working_order_and_keeps_its_id(quiet):
    body = order(order_type='LMT', price=limit_far_below(quiet, 5), cOID='mod')
    order_id = quiet.place(body).json()[0]['order_id']
    new_price = limit_far_below(quiet, 6)
    response = quiet.post(f'iserver/account/{ACCOUNT}/order/{order_id}', {**body, 'price': new_price, 'quantity': 7})
    assert response.json() == [{'order_id': order_id, 'order_status': 'Submitted', 'encrypt_message': '1'}]
    status = quiet.status(order_id)
    assert status['total_size'] == '7.0' and f'{new_price:.2f}' in status['order_description']
    assert quiet.order_state(order_id)['modifications'] == [{**body, 'price': new_price, 'quantity': 7}]


def test_modify_into_a_marketable_price_fills(quiet):
    body = order(order_type='LMT', price=limit_far_below(quiet, 5))
    order_id = quiet.place(body).json()[0]['order_id']
    _, ask, _ = quiet.quote()
    response = quiet.post(f'iserver/account/{ACCOUNT}/order/{order_id}', {**body, 'price': round(ask + 1, 2)})
    assert response.json()[0]['order_status'] == 'Filled'


def test_modify_asks_questions_like_placement(api):
    api.snapshot(AAPL)
    body = order(order_type='LMT', price=limit_far_below(api, 2))
    order_id = api.place(body).json()[0]['order_id']
    question = api.post(f'iserver/account/{ACCOUNT}/order/{order_id}', {**body, 'price': limit_far_below(api, 15)})
    assert question.json()[0]['messageIds'] == ['o163']
    assert api.reply(question.json()[0]['id']).json()[0]['order_id'] == order_id


def test_modify_accepts_the_wrapped_form_too(quiet):
    body = order(order_type='LMT', price=limit_far_below(quiet, 5))
    order_id = quiet.place(body).json()[0]['order_id']
    response = quiet.post(f'iserver/account/{ACCOUNT}/order/{order_id}', {'orders': [{**body, 'quantity': 3}]})
    assert response.json()[0]['order_id'] == order_id and quiet.status(order_id)['total_size'] == '3.0'


def test_filled_or_unknown_orders_cannot_be_modified(quiet):
    body = order()
    order_id = quiet.place(body).json()[0]['order_id']
    filled = quiet.post(f'iserver/account/{ACCOUNT}/order/{order_id}', {**body, 'quantity': 3})
    assert filled.status_code == 200 and 'Filled' in filled.json()['error']
    unknown = quiet.post(f'iserver/account/{ACCOUNT}/order/1', body)
    assert unknown.json() == {'error': "OrderID 1 doesn't exist"}


def test_modify_cannot_change_side_or_contract(quiet):
    body = order(order_type='LMT', price=limit_far_below(quiet))
    order_id = quiet.place(body).json()[0]['order_id']
    response = quiet.post(f'iserver/account/{ACCOUNT}/order/{order_id}', {**body, 'side': 'SELL'})
    assert 'cannot change' in response.json()['error']


# =========================================================================== whatif


def test_whatif_previews_with_the_documented_shape_and_places_nothing(api):
    body = {
        'orders': [{'conid': AAPL, 'orderType': 'LMT', 'price': 200.25, 'side': 'BUY', 'tif': 'DAY', 'quantity': 10}]
    }
    data = api.post(f'iserver/account/{ACCOUNT}/orders/whatif', body).json()
    assert set(data) == {'amount', 'equity', 'initial', 'maintenance', 'position', 'warn', 'error'}
    assert data['amount'] == {'amount': '2,002.50 USD (10 Shares)', 'commission': '1 USD', 'total': '2,003.50 USD'}
    for key in ('equity', 'initial', 'maintenance', 'position'):
        assert set(data[key]) == {'current', 'change', 'after'}
        assert all(isinstance(value, str) for value in data[key].values())
    assert data['position'] == {'current': '0', 'change': '10', 'after': '10'}
    assert data['equity'] == {'current': '1,000,000', 'change': '-1', 'after': '999,999'}
    assert data['warn'].startswith('21/You are trying to submit an order without having market data')
    assert data['error'] is None
    assert api.state()['orders']['orders'] == []
    assert_conforms('/iserver/account/{accountId}/orders/whatif', 'post', data, {'warn': {'type': ['string', 'null']}})


def test_whatif_without_warning_after_a_snapshot_and_with_a_position(api):
    api.snapshot(AAPL)
    api.post('iserver/questions/suppress', {'messageIds': ['o354']})
    api.place(order(quantity=4))
    data = api.post(f'iserver/account/{ACCOUNT}/orders/whatif', {'orders': [order(side='SELL', quantity=4)]}).json()
    assert data['warn'] is None and data['position'] == {'current': '4', 'change': '-4', 'after': '0'}


def test_whatif_with_invalid_content_is_a_400(api):
    response = api.post(f'iserver/account/{ACCOUNT}/orders/whatif', {'orders': [order(side='UP')]})
    assert response.status_code == 400 and 'side' in response.json()['error']


# =========================================================================== monitoring

STATUS_KEYS = {
    'sub_type',
    'request_id',
    'server_id',
    'order_id',
    'conidex',
    'conid',
    'symbol',
    'side',
    'contract_description_1',
    'listing_exchange',
    'option_acct',
    'company_name',
    'size',
    'total_size',
    'currency',
    'account',
    'order_type',
    'cum_fill',
    'order_status',
    'order_ccp_status',
    'order_status_description',
    'tif',
    'fg_color',
    'bg_color',
    'order_not_editable',
    'editable_fields',
    'cannot_cancel_order',
    'deactivate_order',
    'sec_type',
    'available_chart_periods',
    'order_description',
    'order_description_with_contract',
    'alert_active',
    'child_order_type',
    'order_clearing_account',
    'size_and_fills',
    'exit_strategy_display_price',
    'exit_strategy_chart_description',
    'average_price',
    'exit_strategy_tool_availability',
    'allowed_duplicate_opposite',
    'order_time',
}


def test_order_status_of_a_filled_order_has_the_documented_keys_and_types(quiet):
    order_id = quiet.place(order(side='SELL', quantity=5, tif='DAY', cOID='st')).json()[0]['order_id']
    status = quiet.status(order_id)
    assert set(status) >= STATUS_KEYS
    assert status['order_id'] == int(order_id) and status['conid'] == AAPL and status['sub_type'] is None
    assert status['side'] == 'S' and status['order_type'] == 'MARKET' and status['order_status'] == 'Filled'
    assert status['order_ccp_status'] == '2' and status['order_status_description'] == 'Order Filled'
    assert status['size'] == '0.0' and status['total_size'] == '5.0' and status['cum_fill'] == '5.0'
    assert status['order_description'] == 'Sold 5 Market, Day'
    assert status['order_description_with_contract'] == 'Sold 5 AAPL Market, Day'
    assert status['order_not_editable'] is True and status['cannot_cancel_order'] is True
    assert re.match(r'^\d{12}$', status['order_time']) and status['order_time'] == '240110152000'
    assert status['listing_exchange'] == 'NASDAQ.NMS' and status['company_name'] == 'APPLE INC'
    assert float(status['average_price']) == pytest.approx(quiet.quote()[0])
    assert_conforms('/iserver/account/order/status/{orderId}', 'get', status, {'side': {'enum': ['B', 'S']}})


def test_order_status_of_a_working_order(quiet):
    order_id = quiet.place(order(order_type='LMT', price=limit_far_below(quiet))).json()[0]['order_id']
    status = quiet.status(order_id)
    assert STATUS_KEYS - {'average_price'} <= set(status)
    assert status['order_status'] == 'Submitted' and status['order_not_editable'] is False
    assert status['size_and_fills'] == '0/10' and status['cum_fill'] == '0.0'


def test_order_status_of_an_unknown_order_is_a_400(quiet):
    assert quiet.get('iserver/account/order/status/42').status_code == 400
    assert quiet.get('iserver/account/order/status/abc').status_code == 400


LIVE_ORDER_KEYS = {
    'acct',
    'conidex',
    'conid',
    'account',
    'orderId',
    'cashCcy',
    'sizeAndFills',
    'orderDesc',
    'description1',
    'ticker',
    'secType',
    'listingExchange',
    'remainingQuantity',
    'filledQuantity',
    'totalSize',
    'companyName',
    'status',
    'order_ccp_status',
    'avgPrice',
    'origOrderType',
    'supportsTaxOpt',
    'lastExecutionTime',
    'orderType',
    'bgColor',
    'fgColor',
    'order_ref',
    'timeInForce',
    'lastExecutionTime_r',
    'side',
}


def test_live_orders_have_the_documented_keys_and_types(quiet):
    quiet.place(order(side='SELL', quantity=5, cOID='Order123'))
    data = quiet.get('iserver/account/orders').json()
    assert data['snapshot'] is True and len(data['orders']) == 1
    live = data['orders'][0]
    assert set(live) >= LIVE_ORDER_KEYS
    assert live['orderId'] == int(quiet.state()['orders']['orders'][0]['order_id'])
    assert live['conid'] == AAPL and live['conidex'] == str(AAPL) and live['acct'] == ACCOUNT
    assert live['side'] == 'SELL' and live['status'] == 'Filled' and live['order_ccp_status'] == 'Filled'
    assert live['filledQuantity'] == 5.0 and live['remainingQuantity'] == 0.0 and live['totalSize'] == 5.0
    assert live['orderType'] == 'Market' and live['origOrderType'] == 'MARKET' and live['timeInForce'] == 'GTC'
    assert live['orderDesc'] == 'Sold 5 Market, GTC' and live['order_ref'] == 'Order123'
    assert live['lastExecutionTime'] == '240110152000' and live['lastExecutionTime_r'] == int(START * 1000)
    assert isinstance(live['avgPrice'], str) and float(live['avgPrice']) == pytest.approx(quiet.quote()[0])
    assert_conforms(
        '/iserver/account/orders',
        'get',
        data,
        {
            'conid': INT,
            'filledQuantity': NUMBER,
            'remainingQuantity': NUMBER,
            'totalSize': NUMBER,
            'lastExecutionTime_r': INT,
        },
    )


def test_live_orders_filters_by_status_values_comma_separated(quiet):
    filled = quiet.place(order(cOID='f')).json()[0]['order_id']
    working = quiet.place(order(order_type='LMT', price=limit_far_below(quiet), cOID='w')).json()[0]['order_id']
    cancelled = quiet.place(order(order_type='LMT', price=limit_far_below(quiet), cOID='c')).json()[0]['order_id']
    quiet.delete(f'iserver/account/{ACCOUNT}/order/{cancelled}')

    def ids(filters):
        return [o['orderId'] for o in quiet.get('iserver/account/orders', filters=filters).json()['orders']]

    assert ids('filled') == [int(filled)]
    assert ids('submitted') == [int(working)]
    assert sorted(ids('filled,cancelled')) == sorted([int(filled), int(cancelled)])
    assert ids('Submitted') == [int(working)]  # the status names work too
    assert ids('sort_by_time')[0] == int(working)  # active orders first
    assert len(ids('no_such_status')) == 3  # unknown filters are ignored


def test_live_orders_force_answers_an_empty_list(quiet):
    quiet.place(order())
    assert quiet.get('iserver/account/orders', force='true').json() == {'orders': [], 'snapshot': True}
    assert len(quiet.get('iserver/account/orders').json()['orders']) == 1


def test_live_orders_force_quirk_can_be_switched_off():
    with make_sim(order_questions=False, force_orders_empty=False) as sim:
        api = Api(sim)
        api.accounts()
        api.place(order())
        assert len(api.get('iserver/account/orders', force='true').json()['orders']) == 1


TRADE_KEYS = {
    'execution_id',
    'symbol',
    'supports_tax_opt',
    'side',
    'order_description',
    'trade_time',
    'trade_time_r',
    'size',
    'price',
    'order_ref',
    'submitter',
    'exchange',
    'commission',
    'net_amount',
    'account',
    'accountCode',
    'account_allocation_name',
    'company_name',
    'contract_description_1',
    'sec_type',
    'listing_exchange',
    'conid',
    'conidEx',
    'clearing_id',
    'clearing_name',
    'liquidation_trade',
    'is_event_trading',
}


def test_trades_have_the_documented_keys_and_types(quiet):
    order_id = quiet.place(order(side='SELL', quantity=5, cOID='Order123')).json()[0]['order_id']
    trades = quiet.get('iserver/account/trades').json()
    assert len(trades) == 1
    trade = trades[0]
    assert set(trade) >= TRADE_KEYS
    bid = quiet.quote()[0]
    assert trade['side'] == 'S' and trade['size'] == 5.0 and trade['price'] == f'{bid:.2f}'
    assert trade['net_amount'] == pytest.approx(5 * bid) and trade['commission'] == '1.00'
    assert trade['order_ref'] == 'Order123' and trade['order_id'] == int(order_id)
    assert trade['conid'] == AAPL and trade['conidEx'] == str(AAPL) and trade['account'] == ACCOUNT
    assert trade['trade_time'] == '20240110-15:20:00' and trade['trade_time_r'] == int(START * 1000)
    assert trade['order_description'] == f'Sold 5 @ {bid:.2f} on NASDAQ'
    assert_conforms('/iserver/account/trades', 'get', trades, {'conid': INT})


def test_trades_days_reaches_back_at_most_seven_days(quiet):
    quiet.place(order(cOID='old'))
    quiet.advance(2 * 86400)
    quiet.place(order(cOID='new'))
    assert [t['order_ref'] for t in quiet.get('iserver/account/trades').json()] == ['new']
    assert [t['order_ref'] for t in quiet.get('iserver/account/trades', days='3').json()] == ['old', 'new']
    assert len(quiet.get('iserver/account/trades', days='30').json()) == 2  # more than 7 reads as 7
    assert quiet.get('iserver/account/trades', days='0').status_code == 400


# =========================================================================== /iserver/accounts first


@pytest.mark.parametrize(
    'call',
    [
        lambda api: api.place(order()),
        lambda api: api.delete(f'iserver/account/{ACCOUNT}/order/1'),
        lambda api: api.post(f'iserver/account/{ACCOUNT}/order/1', order()),
        lambda api: api.get('iserver/account/orders'),
    ],
)
def test_order_endpoints_need_accounts_first(call):
    with make_sim(order_questions=False) as sim:
        api = Api(sim)
        response = call(api)
        assert response.status_code == 400 and response.json()['error'] == 'Please query /accounts first'
        assert api.state()['orders']['orders'] == []
        api.accounts()
        assert call(api).status_code == 200


def test_accounts_first_can_be_switched_off():
    with make_sim(order_questions=False, require_accounts_first=False) as sim:
        assert Api(sim).place(order()).json()[0]['order_status'] == 'Filled'


# =========================================================================== concurrency


def test_concurrent_submissions_leave_one_coherent_book(quiet):
    errors = []

    def place(index):
        try:
            response = requests.post(
                quiet.url + f'iserver/account/{ACCOUNT}/orders', json={'orders': [order(cOID=f'thread-{index}')]}
            )
            assert response.json()[0]['order_status'] == 'Filled'
        except Exception as error:  # collected and reported below
            errors.append(error)

    run_on_threads(place, 8)
    assert not errors
    state = quiet.state()
    assert sorted(o['coid'] for o in state['orders']['orders']) == sorted(f'thread-{i}' for i in range(8))
    assert state['accounts'][ACCOUNT]['positions'][str(AAPL)]['quantity'] == 80
    assert len({o['order_id'] for o in state['orders']['orders']}) == 8
    assert not math.isnan(state['accounts'][ACCOUNT]['cash']['USD'])
