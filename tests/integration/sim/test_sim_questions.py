"""o354 as IBKR asks it: by the account's market data subscriptions (``market_data_subscriptions``), not
by whether the session took a snapshot; and the example every ibind user starts from goes through."""

import pytest
import requests

from ibind import IbkrClient
from ibind.client.questions import QuestionType
from ibind.sim import GatewaySimulator

ACCOUNT = 'DU1234567'
AAPL = 265598
EURUSD = 12087792


@pytest.fixture
def start():
    started = []

    def start_sim(**options):
        options.setdefault('market_data_subscriptions', ('US_STK',))
        sim = GatewaySimulator(port=0, **options).start()
        started.append(sim)
        assert requests.get(sim.url + 'iserver/accounts', timeout=10).status_code == 200
        return sim

    yield start_sim
    for sim in started:
        sim.stop()


def first_answer(sim, conid, **extra):
    order = {'acctId': ACCOUNT, 'conid': conid, 'side': 'BUY', 'orderType': 'MKT', 'quantity': 1, 'tif': 'DAY', **extra}
    response = requests.post(sim.url + f'iserver/account/{ACCOUNT}/orders', json={'orders': [order]}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()[0]


def option_conid(sim):
    gw = sim.gateway
    with gw.lock:
        return next(i.conid for i in gw.universe.all() if i.sec_type == 'OPT' and i.underlying_conid == AAPL)


def test_a_subscribed_us_stock_asks_no_o354_without_a_snapshot(start):
    sim = start()
    assert first_answer(sim, AAPL)['order_status'] == 'Filled'


def test_an_unsubscribed_option_asks_o354_even_after_a_snapshot(start):
    sim = start()
    conid = option_conid(sim)
    requests.get(sim.url + 'iserver/secdef/search', params={'symbol': 'AAPL'}, timeout=10)
    for _ in range(2):
        requests.get(sim.url + 'iserver/marketdata/snapshot', params={'conids': conid, 'fields': '31'}, timeout=10)
    assert first_answer(sim, conid)['messageIds'] == ['o354']


def test_subscribing_at_run_time_stops_the_question(start):
    sim = start(market_data_subscriptions=())
    assert first_answer(sim, AAPL)['messageIds'] == ['o354']
    response = requests.post(sim.control_url + 'config', json={'market_data_subscriptions': ['US_STK']}, timeout=10)
    assert response.status_code == 200
    assert first_answer(sim, AAPL)['order_status'] == 'Filled'
    bad = requests.post(sim.control_url + 'config', json={'market_data_subscriptions': ['EVERYTHING']}, timeout=10)
    assert bad.status_code == 400


def test_forex_quotes_are_free(start):
    sim = start(market_data_subscriptions=())
    answer = first_answer(sim, EURUSD, quantity=20000, isCcyConv=False)
    assert 'o354' not in answer.get('messageIds', [])


def test_the_readme_order_goes_through(start):
    """ibind's README places a market order answering the price-percentage and value-limit questions."""
    sim = start()
    with IbkrClient(url=sim.url, account_id=ACCOUNT, cacert=False, pacing=False) as client:
        client.receive_brokerage_accounts()
        answers = {QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True, QuestionType.ORDER_VALUE_LIMIT: True}
        order = {'conid': AAPL, 'side': 'BUY', 'orderType': 'MKT', 'quantity': 1, 'tif': 'DAY'}
        placed = client.place_order(order, answers).data
        assert placed[0]['order_status'] == 'Filled'


# ----------------------------------------------------------------- margin


def test_an_order_beyond_the_equity_with_loan_value_is_rejected_with_ibkrs_text(start):
    sim = start()
    huge = first_answer(sim, AAPL, quantity=100_000)  # ~19M USD of AAPL on a 1M account
    if 'messageIds' in huge:  # o451: answer yes, the margin check follows
        huge = requests.post(sim.url + f'iserver/reply/{huge["id"]}', json={'confirmed': True}, timeout=10).json()
    assert huge['error'].startswith(
        'YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE ['
    )
    assert 'MUST EXCEED THE INITIAL MARGIN [' in huge['error']
    state = requests.get(sim.control_url + 'state', timeout=10).json()
    assert state['accounts'][ACCOUNT]['positions'] == {}
    assert first_answer(sim, AAPL, quantity=100)['order_status'] == 'Filled'  # within the margin: accepted


def test_margin_checks_can_be_switched_off(start):
    sim = start(margin_checks=False, order_questions=False)
    assert first_answer(sim, AAPL, quantity=100_000)['order_status'] == 'Filled'


# ----------------------------------------------------------------- partial fills


def sim_order(sim, order_id):
    orders = requests.get(sim.control_url + 'state', timeout=10).json()['orders']['orders']
    return next(o for o in orders if o['order_id'] == int(order_id))


def test_a_large_market_order_fills_in_pieces_of_the_displayed_size(start):
    sim = start(partial_fills=True, order_questions=False, frozen_clock=True)
    placed = first_answer(sim, AAPL, quantity=20_000, tif='GTC')  # GTC: the clock may cross midnight below
    order = sim_order(sim, placed['order_id'])
    assert order['status'] == 'Submitted' and 100 <= order['filled_quantity'] <= 4100
    assert order['filled_quantity'] % 100 == 0
    # at least one lot of 100 shows each second: 200 s fill what is left, however thin the book
    assert requests.post(sim.control_url + 'clock', json={'advance': 200}, timeout=10).status_code == 200
    done = sim_order(sim, placed['order_id'])
    assert done['status'] == 'Filled' and done['filled_quantity'] == 20_000
    state = requests.get(sim.control_url + 'state', timeout=10).json()
    assert state['accounts'][ACCOUNT]['executions'] > 1
    assert state['accounts'][ACCOUNT]['positions'][str(AAPL)]['quantity'] == 20_000


def test_a_small_order_fills_whole_and_partial_fills_are_off_by_default(start):
    sim = start(partial_fills=True, order_questions=False)
    assert first_answer(sim, AAPL, quantity=50)['order_status'] == 'Filled'
    plain = start(order_questions=False)
    assert first_answer(plain, AAPL, quantity=20_000)['order_status'] == 'Filled'


# ----------------------------------------------------------------- fractions


def test_fractions_of_us_shares_trade_and_whole_units_elsewhere(start):
    sim = start(order_questions=False)
    assert first_answer(sim, AAPL, quantity=0.5)['order_status'] == 'Filled'
    order = {
        'acctId': ACCOUNT,
        'conid': option_conid(sim),
        'side': 'BUY',
        'orderType': 'MKT',
        'quantity': 1.5,
        'tif': 'DAY',
    }
    response = requests.post(sim.url + f'iserver/account/{ACCOUNT}/orders', json={'orders': [order]}, timeout=10)
    assert response.json() == {'error': 'Fractional-sized order is not supported for this contract'}


def test_fractions_outside_regular_hours_ask_o2165(start):
    sim = start()
    assert first_answer(sim, AAPL, quantity=0.5, outsideRTH=True)['messageIds'] == ['o2165']
