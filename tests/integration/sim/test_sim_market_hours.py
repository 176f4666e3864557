"""Market hours in the simulated gateway (``market_hours=True``): history skips closed periods, DAY orders
placed while the market is closed queue until the open, the last price rests at the close.
"""

import datetime as dt

import pytest
import requests

from ibind.sim import GatewaySimulator
from ibind.sim.engine.calendar import eastern, eastern_epoch

ACCOUNT = 'DU1234567'
AAPL = 265598
SATURDAY = eastern_epoch(dt.date(2025, 1, 11), 10)  # Saturday 2025-01-11, 10:00 ET
MONDAY_OPEN = eastern_epoch(dt.date(2025, 1, 13), 9, 30)
WEDNESDAY_NOON = eastern_epoch(dt.date(2025, 1, 15), 12)


@pytest.fixture
def start():
    started = []

    def start_sim(at=SATURDAY, **options):
        options.setdefault('market_hours', True)
        sim = GatewaySimulator(port=0, start_time=at, frozen_clock=True, idle_timeout=0, **options).start()
        started.append(sim)
        assert requests.get(sim.url + 'iserver/accounts', timeout=10).status_code == 200
        return sim

    yield start_sim
    for sim in started:
        sim.stop()


def history(sim, **params):
    response = requests.get(sim.url + 'iserver/marketdata/history', params={'conid': AAPL, **params}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def bar_times(data):
    return [eastern(bar['t'] / 1000.0) for bar in data['data']]


def test_daily_history_has_no_weekend_or_holiday_bars_and_a_year_is_about_252_rows(start):
    sim = start()
    data = history(sim, period='1y', bar='1d')
    days = [moment.date() for moment in bar_times(data)]
    assert all(day.weekday() < 5 for day in days)
    assert dt.date(2024, 12, 25) not in days and dt.date(2024, 11, 28) not in days
    assert 245 <= len(days) <= 256
    assert days[-1] == dt.date(2025, 1, 10)  # the Friday before the Saturday clock
    assert data['tradingDayDuration'] == 390


def test_without_market_hours_history_runs_around_the_clock(start):
    sim = start(market_hours=False)
    days = [moment.date() for moment in bar_times(history(sim, period='1y', bar='1d'))]
    assert any(day.weekday() >= 5 for day in days) and len(days) > 360


def test_intraday_bars_stay_inside_regular_hours_unless_outside_rth(start):
    sim = start(at=WEDNESDAY_NOON + 10 * 3600)  # Wednesday 22:00 ET
    regular = bar_times(history(sim, period='1d', bar='5min'))
    assert regular and all(dt.time(9, 30) <= moment.time() < dt.time(16) for moment in regular)
    extended = history(sim, period='1d', bar='5min', outsideRth='true')
    times = bar_times(extended)
    assert any(moment.time() < dt.time(9, 30) for moment in times)
    assert any(moment.time() >= dt.time(16) for moment in times)
    assert extended['tradingDayDuration'] == 960 and len(times) > len(regular)


def test_hmds_history_skips_the_weekend_too(start):
    sim = start()
    requests.get(sim.url + 'hmds/history', params={'conid': AAPL, 'period': '1w', 'bar': '1d'}, timeout=10)  # 404
    response = requests.get(sim.url + 'hmds/history', params={'conid': AAPL, 'period': '2w', 'bar': '1d'}, timeout=10)
    assert response.status_code == 200, response.text
    days = [eastern(bar['t'] / 1000.0).date() for bar in response.json()['data']]
    assert days and all(day.weekday() < 5 for day in days)


def test_the_last_price_rests_at_the_close_over_the_weekend(start):
    sim = start()
    gw = sim.gateway
    friday_close = eastern_epoch(dt.date(2025, 1, 10), 20)  # end of the post-market session
    with gw.lock:
        weekend = {gw.market.last(AAPL, SATURDAY + hours * 3600) for hours in range(0, 40, 3)}
        assert weekend == {gw.market.path(AAPL).price(friday_close - 1e-3)}


def place_day_market_order(sim, **extra):
    order = {'acctId': ACCOUNT, 'conid': AAPL, 'side': 'BUY', 'orderType': 'MKT', 'quantity': 10, 'tif': 'DAY', **extra}
    response = requests.post(sim.url + f'iserver/account/{ACCOUNT}/orders', json={'orders': [order]}, timeout=10)
    for _ in range(10):
        data = response.json()
        if not (isinstance(data, list) and data and 'messageIds' in data[0]):
            break
        response = requests.post(sim.url + f'iserver/reply/{data[0]["id"]}', json={'confirmed': True}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()[0]['order_id']


def sim_order(sim, order_id):
    state = requests.get(sim.control_url + 'state', timeout=10).json()
    return next(o for o in state['orders']['orders'] if o['order_id'] == int(order_id))


def advance_to(sim, epoch):
    now = requests.get(sim.control_url + 'clock', timeout=10).json()['now']
    assert requests.post(sim.control_url + 'clock', json={'advance': epoch - now}, timeout=10).status_code == 200


def test_a_day_market_order_on_saturday_is_accepted_and_fills_at_mondays_open(start):
    sim = start()
    order_id = place_day_market_order(sim)
    queued = sim_order(sim, order_id)
    assert queued['status'] == 'PreSubmitted' and queued['filled_quantity'] == 0
    assert queued['queued_until'] == MONDAY_OPEN
    advance_to(sim, MONDAY_OPEN - 60)  # Monday pre-market: still queued
    assert sim_order(sim, order_id)['filled_quantity'] == 0
    advance_to(sim, MONDAY_OPEN + 120)
    filled = sim_order(sim, order_id)
    assert filled['status'] == 'Filled' and filled['filled_quantity'] == 10
    assert filled['last_execution_at'] == MONDAY_OPEN
    gw = sim.gateway
    with gw.lock:
        assert filled['avg_fill_price'] == gw.market.quote(AAPL, MONDAY_OPEN)[1]


def test_an_outside_rth_order_fills_in_the_pre_market(start):
    sim = start()
    order_id = place_day_market_order(sim, outsideRTH=True)
    assert sim_order(sim, order_id)['queued_until'] == eastern_epoch(dt.date(2025, 1, 13), 4)
    advance_to(sim, eastern_epoch(dt.date(2025, 1, 13), 5))
    assert sim_order(sim, order_id)['status'] == 'Filled'


def test_a_day_order_during_the_session_fills_at_once_and_expires_at_the_close(start):
    sim = start(at=WEDNESDAY_NOON)
    assert sim_order(sim, place_day_market_order(sim))['status'] == 'Filled'
    gw = sim.gateway
    with gw.lock:
        bid = gw.market.quote(AAPL)[0]
    body = {
        'orders': [
            {
                'acctId': ACCOUNT,
                'conid': AAPL,
                'side': 'BUY',
                'orderType': 'LMT',
                'price': round(bid * 0.5, 2),
                'quantity': 1,
                'tif': 'DAY',
            }
        ]
    }
    with gw.lock:
        gw.config.order_questions = False
    response = requests.post(sim.url + f'iserver/account/{ACCOUNT}/orders', json=body, timeout=10)
    order_id = response.json()[0]['order_id']
    assert sim_order(sim, order_id)['expires_at'] == eastern_epoch(dt.date(2025, 1, 15), 16)
    advance_to(sim, eastern_epoch(dt.date(2025, 1, 15), 16, 1))
    assert sim_order(sim, order_id)['status'] == 'Cancelled'


# ----------------------------------------------------------------- value formats of snapshots


def snapshot(sim, conid, fields='31,84,86,85,88,87,7059,7762'):
    for _ in range(2):  # the first snapshot of a conid is the pre-flight
        response = requests.get(
            sim.url + 'iserver/marketdata/snapshot', params={'conids': conid, 'fields': fields}, timeout=10
        )
        assert response.status_code == 200, response.text
    return response.json()[0]


def test_after_hours_the_last_price_carries_the_c_prefix_of_the_previous_close(start):
    sim = start()
    entry = snapshot(sim, AAPL)
    assert entry['31'].startswith('C')
    gw = sim.gateway
    with gw.lock:
        assert float(entry['31'][1:]) == gw.market.last(AAPL)
    open_sim = start(at=WEDNESDAY_NOON)
    assert snapshot(open_sim, AAPL)['31'][0].isdigit()


def test_a_halted_instrument_shows_h_and_display_formats_off_shows_plain_numbers(start):
    sim = start(at=WEDNESDAY_NOON)
    assert requests.post(sim.control_url + 'config', json={'halted_conids': [AAPL]}, timeout=10).status_code == 200
    assert snapshot(sim, AAPL)['31'].startswith('H')
    plain = start(display_formats=False)
    entry = snapshot(plain, AAPL)
    assert float(entry['31']) > 0 and entry['85'].isdigit()


def test_sizes_and_volumes_look_like_the_gateways(start):
    import re

    sim = start(at=WEDNESDAY_NOON)
    gw = sim.gateway
    foreign = next(i for i in gw.universe.all() if not i.is_us and i.sec_type == 'STK')
    seen = [snapshot(sim, AAPL), snapshot(sim, foreign.conid)]
    for entry in seen:
        assert re.fullmatch(r'\d+(\.\d+)?[KMB]?', entry['87']), entry['87']
        assert entry['7762'].isdigit()
        for key in ('85', '88', '7059'):
            assert re.fullmatch(r'\d{1,3}(,\d{3})*', entry[key]), (key, entry[key])
    assert any(',' in seen[1][key] for key in ('85', '88', '7059'))  # non-US sizes are in shares: "1,300"


def test_an_ioc_order_while_the_market_is_closed_is_cancelled(start):
    sim = start()
    order_id = place_day_market_order(sim, tif='IOC')
    cancelled = sim_order(sim, order_id)
    assert cancelled['status'] == 'Cancelled' and cancelled['filled_quantity'] == 0
