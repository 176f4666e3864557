"""Behaviour of the simulator's categories added for the whole API: alerts fire on the simulated market and
land in the FYI notifications; FA groups and models allocate across sub-accounts; the event contract universe."""

from __future__ import annotations

import time

import requests

from sim_http import TIMEOUT, control, get, post, state

ACCOUNT, MASTER = 'DU1234567', 'DF1234567'
SUBS = ('DU1234567', 'DU1234568', 'DU1234569')
AAPL, IBM = 265598, 8314
START = 1_704_900_000.0
OPTIONS = {'frozen_clock': True, 'start_time': START, 'idle_timeout': None}  # the tests jump days


def _price_alert(value, operator='>=', repeatable=0):
    return {
        'alertName': 'AAPL cross',
        'alertMessage': f'AAPL {operator} {value}',
        'alertRepeatable': repeatable,
        'outsideRth': 1,
        'tif': 'GTC',
        'conditions': [
            {
                'conidex': f'{AAPL}@SMART',
                'logicBind': 'n',
                'operator': operator,
                'triggerMethod': '0',
                'type': 1,
                'value': f'{value:.2f}',
            }
        ],
    }


def _first_rise(sim, above, step=60.0, horizon=3 * 86400):
    """The first simulated time after START at which AAPL's price path is at or above ``above``."""
    market = sim.gateway.market
    t = START
    while t < START + horizon:
        t += step
        if market.last(AAPL, t) >= above:
            return t
    raise AssertionError(f'AAPL does not reach {above} within the horizon')


def _notifications(sim):
    response = get(sim, 'fyi/notifications', max=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_price_alert_fires_when_the_price_crosses_it_and_is_an_fyi_notification(start_simulator):
    sim = start_simulator(**OPTIONS)
    get(sim, 'iserver/accounts')
    now_price = sim.gateway.market.last(AAPL, START)
    target = round(now_price * 1.004, 2)
    crossing = _first_rise(sim, target)
    alert_id = post(sim, f'iserver/account/{ACCOUNT}/alert', _price_alert(target)).json()['order_id']
    control(sim, 'POST', 'clock', {'advance': (crossing - START) / 2 - 60})
    before = _notifications(sim)
    control(sim, 'POST', 'clock', {'set': crossing + 120})
    notes = _notifications(sim)
    fired = [n for n in notes if n['MS'] == 'AAPL cross']
    assert len(fired) == 1 and fired[0]['MD'] == f'AAPL >= {target:.2f}' and fired[0]['R'] == '0'
    assert before == []  # halfway to the first crossing: nothing yet
    assert get(sim, 'fyi/unreadnumber').json() == {'BN': len(notes)}
    details = get(sim, f'iserver/account/alert/{alert_id}', type='Q').json()
    assert details['alert_triggered'] is True
    # a non-repeatable alert fires once, however often the price crosses again
    control(sim, 'POST', 'clock', {'advance': 2 * 86400})
    assert len([n for n in _notifications(sim) if n['MS'] == 'AAPL cross']) == 1
    # reading it
    response = requests.put(sim.url + f'fyi/notifications/{fired[0]["ID"]}', json={}, timeout=TIMEOUT)
    assert response.json()['P'] == {'ID': fired[0]['ID'], 'R': 1}
    assert get(sim, 'fyi/unreadnumber').json() == {'BN': len(notes) - 1}


def test_an_alert_does_not_fire_for_being_true_already_nor_when_inactive(start_simulator):
    sim = start_simulator(**OPTIONS)
    get(sim, 'iserver/accounts')
    price = sim.gateway.market.last(AAPL, START)
    post(sim, f'iserver/account/{ACCOUNT}/alert', _price_alert(price * 0.5))  # true from the start: no crossing
    crossing = _first_rise(sim, round(price * 1.004, 2))
    inactive = post(sim, f'iserver/account/{ACCOUNT}/alert', _price_alert(price * 1.004)).json()['order_id']
    post(sim, f'iserver/account/{ACCOUNT}/alert/activate', {'alertId': inactive, 'alertActive': 0})
    control(sim, 'POST', 'clock', {'set': crossing + 120})
    assert _notifications(sim) == []
    listed = get(sim, f'iserver/account/{ACCOUNT}/alerts').json()
    assert sorted(a['alert_active'] for a in listed) == [0, 1]


def _alert(name, condition_type, operator, value, conidex=''):
    condition = {'conidex': conidex, 'logicBind': 'n', 'operator': operator, 'triggerMethod': '0'}
    return {
        'alertName': name,
        'alertMessage': f'{name} {operator} {value}',
        'alertRepeatable': 0,
        'outsideRth': 1,
        'tif': 'GTC',
        'conditions': [{**condition, 'type': condition_type, 'value': str(value)}],
    }


def _fired(sim, name):
    return [n for n in _notifications(sim) if n['MS'] == name]


def test_a_volume_alert_fires_when_the_days_volume_reaches_it(start_simulator):
    sim = start_simulator(**OPTIONS)
    get(sim, 'iserver/accounts')
    market = sim.gateway.market
    now_volume, later_volume = (market.day_stats(AAPL, t)['volume'] for t in (START, START + 4 * 3600))
    assert later_volume > now_volume  # the day's volume grows
    target = (now_volume + later_volume) // 2
    post(sim, f'iserver/account/{ACCOUNT}/alert', _alert('AAPL volume', 6, '>=', target, f'{AAPL}@SMART'))
    control(sim, 'POST', 'clock', {'advance': 60})
    assert _fired(sim, 'AAPL volume') == []
    control(sim, 'POST', 'clock', {'set': START + 4 * 3600})
    assert len(_fired(sim, 'AAPL volume')) == 1


def test_a_margin_alert_fires_when_a_trade_brings_the_cushion_below_it(start_simulator):
    sim = start_simulator(order_questions=False, **OPTIONS)
    get(sim, 'iserver/accounts')
    get(sim, 'portfolio/accounts')
    post(sim, f'iserver/account/{ACCOUNT}/alert', _alert('cushion', 4, '<=', 90))
    control(sim, 'POST', 'clock', {'advance': 60})
    summary = get(sim, f'portfolio/{ACCOUNT}/summary').json()
    cushion = float(summary['cushion']['value'])
    assert cushion > 0.9 and _fired(sim, 'cushion') == []  # no positions: all of it is cushion
    net_liquidation = summary['netliquidation']['amount']
    shares = int(0.6 * net_liquidation / sim.gateway.market.last(AAPL, START + 60))
    order = {'conid': AAPL, 'side': 'BUY', 'quantity': shares, 'orderType': 'MKT', 'tif': 'DAY'}
    placed = post(sim, f'iserver/account/{ACCOUNT}/orders', {'orders': [order]})
    assert placed.status_code == 200, placed.text
    control(sim, 'POST', 'clock', {'advance': 60})
    after = float(get(sim, f'portfolio/{ACCOUNT}/summary').json()['cushion']['value'])
    assert after < 0.9, after
    assert len(_fired(sim, 'cushion')) == 1


def _buy(sim, conid, quantity, side='BUY'):
    order = {'conid': conid, 'side': side, 'quantity': quantity, 'orderType': 'MKT', 'tif': 'DAY'}
    placed = post(sim, f'iserver/account/{ACCOUNT}/orders', {'orders': [order]})
    assert placed.status_code == 200 and placed.json()[0]['order_status'] == 'Filled', placed.text


def test_a_trade_alert_fires_at_each_execution_of_its_contract_in_the_account(start_simulator):
    sim = start_simulator(order_questions=False, **OPTIONS)
    get(sim, 'iserver/accounts')
    once = _alert('AAPL traded', 5, '>=', '*', f'{AAPL}@SMART')
    every = {**_alert('AAPL traded again', 5, '>=', '*', f'{AAPL}@SMART'), 'alertRepeatable': 1}
    for body in (once, every):
        assert post(sim, f'iserver/account/{ACCOUNT}/alert', body).status_code == 200
    control(sim, 'POST', 'clock', {'advance': 60})
    _buy(sim, IBM, 5)  # another contract: not this alert's
    control(sim, 'POST', 'clock', {'advance': 60})
    assert _fired(sim, 'AAPL traded') == [] and _fired(sim, 'AAPL traded again') == []
    _buy(sim, AAPL, 5)
    control(sim, 'POST', 'clock', {'advance': 60})
    _buy(sim, AAPL, 5, side='SELL')
    control(sim, 'POST', 'clock', {'advance': 60})
    assert len(_fired(sim, 'AAPL traded')) == 1  # not repeatable: the first execution only
    fired = _fired(sim, 'AAPL traded again')
    executions = [e for e in sim.gateway.account(ACCOUNT).executions if e.conid == AAPL]
    assert len(fired) == 2 and sorted(int(n['D']) for n in fired) == sorted(int(e.time) for e in executions)


def test_a_position_alert_fires_when_the_position_reaches_it_and_a_daily_pnl_alert_on_the_days_pnl(
    start_simulator,
):
    sim = start_simulator(order_questions=False, **OPTIONS)
    get(sim, 'iserver/accounts')
    post(sim, f'iserver/account/{ACCOUNT}/alert', _alert('long 100', 8, '>=', 100, f'{AAPL}@SMART'))
    post(sim, f'iserver/account/{ACCOUNT}/alert', _alert('flat', 8, '<=', 0, f'{AAPL}@SMART'))  # true already
    control(sim, 'POST', 'clock', {'advance': 60})
    _buy(sim, AAPL, 60)
    control(sim, 'POST', 'clock', {'advance': 60})
    assert _fired(sim, 'long 100') == []  # 60 shares: below the level
    _buy(sim, AAPL, 40)
    control(sim, 'POST', 'clock', {'advance': 60})
    assert len(_fired(sim, 'long 100')) == 1 and _fired(sim, 'flat') == []  # flat held from the start
    # daily PnL: the 100 shares move with AAPL; an alert $30 above today's PnL fires once AAPL is up $0.50
    market, now = sim.gateway.market, sim.gateway.clock.now()
    midnight = now - now % 86400 + 86400
    rise = next(
        t for t in range(int(now) + 60, int(midnight), 60) if market.last(AAPL, t) >= market.last(AAPL, now) + 0.5
    )
    today = get(sim, 'iserver/account/pnl/partitioned').json()['upnl'][f'{ACCOUNT}.Core']['dpl']
    post(sim, f'iserver/account/{ACCOUNT}/alert', _alert('PnL up 30', 9, '>=', round(today + 30, 2)))
    control(sim, 'POST', 'clock', {'advance': 60})
    assert _fired(sim, 'PnL up 30') == []
    control(sim, 'POST', 'clock', {'set': rise + 60})
    assert len(_fired(sim, 'PnL up 30')) == 1


def test_a_switched_off_fyi_type_posts_nothing(start_simulator):
    sim = start_simulator(**OPTIONS)
    get(sim, 'iserver/accounts')
    post(sim, 'fyi/settings/PR', {'enabled': False})
    price = sim.gateway.market.last(AAPL, START)
    target = round(price * 1.004, 2)
    post(sim, f'iserver/account/{ACCOUNT}/alert', _price_alert(target))
    control(sim, 'POST', 'clock', {'set': _first_rise(sim, target) + 120})
    assert _notifications(sim) == []
    assert state(sim)['alerts'] and list(state(sim)['alerts'].values())[0]['fired'] == 1


def test_fyi_listeners_see_each_notification_and_stay_subscribed_across_a_reset(start_simulator):
    """The hook a websocket layer uses to publish 'ntf' messages."""
    sim = start_simulator(**OPTIONS)
    seen = []
    sim.gateway.fyi.listeners.append(lambda note: seen.append((note.typecode, note.title)))
    control(sim, 'POST', 'reset')
    get(sim, 'iserver/accounts')
    when = time.strftime('%Y%m%d-%H:%M:%S', time.gmtime(START + 60))
    post(
        sim,
        f'iserver/account/{ACCOUNT}/alert',
        {
            'alertName': 'Clock',
            'alertMessage': 'one minute',
            'alertRepeatable': 0,
            'outsideRth': 1,
            'tif': 'GTC',
            'conditions': [{'type': 3, 'operator': '>=', 'value': when, 'logicBind': 'n'}],
        },
    )
    control(sim, 'POST', 'clock', {'advance': 120})
    assert get(sim, 'fyi/unreadnumber').json() == {'BN': 1}
    assert seen == [('TO', 'Clock')]


def test_notifications_page_and_filter_and_delivery_options_keep_state(start_simulator):
    sim = start_simulator(**OPTIONS)
    for index in range(4):
        sim.gateway.fyi.notify('PR' if index % 2 else 'SM', f'note {index}', 'body', at=START + index)
    newest = _notifications(sim)
    assert [n['MS'] for n in newest] == ['note 3', 'note 2', 'note 1', 'note 0']
    assert [n['MS'] for n in get(sim, 'fyi/notifications', max=2, id=newest[1]['ID']).json()] == ['note 1', 'note 0']
    assert [n['FC'] for n in get(sim, 'fyi/notifications', max=10, include='SM').json()] == ['SM', 'SM']
    assert [n['FC'] for n in get(sim, 'fyi/notifications', max=10, exclude='SM').json()] == ['PR', 'PR']
    assert get(sim, 'fyi/notifications').status_code == 400  # max is required
    assert requests.put(sim.url + 'fyi/deliveryoptions/email', params={'enabled': 'false'}, timeout=TIMEOUT).json() == {
        'V': 1,
        'T': 10,
    }
    post(sim, 'fyi/deliveryoptions/device', {'deviceId': 'd1', 'deviceName': 'Phone', 'enabled': True})
    assert get(sim, 'fyi/deliveryoptions').json() == {
        'M': 0,
        'E': [{'NM': 'Phone', 'I': 'd1', 'UI': 'Phone', 'A': 'true'}],
    }
    assert requests.delete(sim.url + 'fyi/deliveryoptions/d1', timeout=TIMEOUT).status_code == 200
    assert requests.delete(sim.url + 'fyi/deliveryoptions/d1', timeout=TIMEOUT).status_code == 400
    settings = {row['FC']: row['A'] for row in get(sim, 'fyi/settings').json()}
    assert len(settings) == 23 and set(settings.values()) == {1}


def test_alert_arguments_are_checked():
    from ibind.sim import GatewaySimulator

    with GatewaySimulator(port=0, **OPTIONS) as sim:
        get(sim, 'iserver/accounts')
        bad = _price_alert(100.0)
        bad['conditions'][0]['operator'] = '=='
        assert post(sim, f'iserver/account/{ACCOUNT}/alert', bad).status_code == 400
        gtd = {**_price_alert(100.0), 'tif': 'GTD'}
        assert 'expireTime' in post(sim, f'iserver/account/{ACCOUNT}/alert', gtd).json()['error']
        assert get(sim, 'iserver/account/alert/123', type='X').status_code == 400
        position = _alert('long', 8, '>=', 'many', f'{AAPL}@SMART')
        assert 'a position' in post(sim, f'iserver/account/{ACCOUNT}/alert', position).json()['error']
        trade = _alert('traded', 5, '>=', '*', 'AAPL')
        assert 'conidex' in post(sim, f'iserver/account/{ACCOUNT}/alert', trade).json()['error']


# ----------------------------------------------------------------- FA


def _group(sim, name, method, amounts):
    body = {
        'name': name,
        'default_method': method,
        'accounts': [{'name': account, 'amount': amount} for account, amount in zip(SUBS, amounts)],
    }
    response = post(sim, 'iserver/account/allocation/group', body)
    assert response.json() == {'success': True}, response.text


def _buy_for(sim, acct_id, quantity):
    get(sim, 'iserver/marketdata/snapshot', conids=AAPL, fields='31')
    answer = post(
        sim,
        f'iserver/account/{MASTER}/orders',
        {
            'orders': [
                {
                    'acctId': acct_id,
                    'conid': AAPL,
                    'orderType': 'MKT',
                    'side': 'BUY',
                    'quantity': quantity,
                    'tif': 'DAY',
                }
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    while isinstance(answer.json(), list) and 'id' in answer.json()[0]:  # confirm the precautionary questions
        answer = post(sim, f'iserver/reply/{answer.json()[0]["id"]}', {'confirmed': True})
    assert answer.json()[0]['order_status'] == 'Filled', answer.text


def _aapl_positions(sim):
    accounts = state(sim)['accounts']
    return [accounts[a]['positions'].get(str(AAPL), {}).get('quantity', 0) for a in SUBS]


def test_an_order_for_an_allocation_group_is_split_by_its_method(start_simulator):
    sim = start_simulator(financial_advisor=True, **OPTIONS)
    get(sim, 'iserver/accounts')
    _group(sim, 'Ratios', 'R', [3, 1, 0])
    _group(sim, 'Equal', 'E', [0, 0, 0])
    _buy_for(sim, 'Ratios', 100)
    assert _aapl_positions(sim) == [75, 25, 0]
    _buy_for(sim, 'Equal', 10)  # 10 / 3: the odd share goes to the first account
    assert _aapl_positions(sim) == [79, 28, 3]
    assert get(sim, 'iserver/account/allocation/group').json()['data'] == [
        {'allocation_method': 'R', 'size': 3, 'name': 'Ratios'},
        {'allocation_method': 'E', 'size': 3, 'name': 'Equal'},
    ]


def test_partial_fills_of_a_group_order_add_up_to_its_allocation(start_simulator):
    """Each partial fill books its shares on top of the earlier ones: the accounts always hold what has been
    filled, no account passes its part, and the complete order is split exactly as the group says."""
    sim = start_simulator(financial_advisor=True, partial_fills=True, order_questions=False, **OPTIONS)
    get(sim, 'iserver/accounts')
    ford = 1500000162  # F, about $7: a large order without margin trouble
    _group(sim, 'Fixed', 'S', [30_000, 20_000, 10_000])
    get(sim, 'iserver/marketdata/snapshot', conids=ford, fields='31')
    order = {'acctId': 'Fixed', 'conid': ford, 'orderType': 'MKT', 'side': 'BUY', 'quantity': 60_000, 'tif': 'DAY'}
    answer = post(sim, f'iserver/account/{MASTER}/orders', {'orders': [order]})
    assert answer.status_code == 200, answer.text
    order_id = answer.json()[0]['order_id']
    fills = []
    for _ in range(60):
        status = get(sim, 'iserver/account/order/status/' + str(order_id)).json()
        accounts = state(sim)['accounts']
        held = [accounts[a]['positions'].get(str(ford), {}).get('quantity', 0) for a in SUBS]
        fills.append((float(status['cum_fill']), held))
        if status['order_status'] == 'Filled':
            break
        control(sim, 'POST', 'clock', {'advance': 1})
    assert len({filled for filled, _ in fills}) > 2, fills  # it filled in several parts
    for filled, held in fills:
        assert sum(held) == filled and held[0] <= 30_000 and held[1] <= 20_000 and held[2] <= 10_000, fills
    assert fills[-1][1] == [30_000, 20_000, 10_000]


def test_a_model_invests_its_targets_into_a_sub_account(start_simulator):
    sim = start_simulator(financial_advisor=True, **OPTIONS)
    get(sim, 'iserver/accounts')
    model = {
        'reqID': 1,
        'model': 'Growth',
        'desc': 'two stocks',
        'isStatic': True,
        'cashTargets': [{'ccy': 'USD', 'target': 0.2}],
        'positionTargets': [{'conid': AAPL, 'target': 0.5}, {'conid': IBM, 'target': 0.3}],
    }
    assert post(sim, 'fa/model/save', model).json() == {'reqID': 1, 'success': True}
    bad = {**model, 'cashTargets': [{'ccy': 'USD', 'target': 20}]}
    assert post(sim, 'fa/model/save', bad).status_code == 400  # targets are fractions
    draft = post(
        sim,
        'fa/model/invest-divest',
        {'reqID': 2, 'model': 'Growth', 'accountList': [{'account': 'DU1234568', 'amtToInvest': 100_000}]},
    ).json()['transfersInstructionId']
    assert _aapl_positions(sim) == [0, 0, 0]  # drafted, not yet submitted
    post(sim, 'fa/model/submit-transfers', {'reqID': 3, 'fpOrderId': draft})
    aapl_price = sim.gateway.market.last(AAPL)
    assert _aapl_positions(sim) == [0, int(50_000 // aapl_price), 0]
    positions = post(sim, 'fa/model/positions', {'reqID': 4, 'model': 'Growth'}).json()
    weights = {row['conid']: row['actual'] for row in positions['positionList']}
    assert abs(weights[AAPL] - 0.5) < 0.01 and abs(weights[IBM] - 0.3) < 0.01
    summary = post(sim, 'fa/model/summary', {'reqID': 5, 'model': 'Growth'}).json()
    assert summary['numAccounts'] == 1 and summary['nlv'] == 100_000
    assert post(sim, 'fa/model/submit-transfers', {'reqID': 6, 'fpOrderId': draft}).status_code == 500


def test_fa_routes_need_an_advisor(start_simulator):
    sim = start_simulator(**OPTIONS)
    get(sim, 'iserver/accounts')
    assert get(sim, 'iserver/account/allocation/group').status_code == 400
    assert post(sim, 'fa/model/list', {'reqID': 1}).status_code == 400


# ----------------------------------------------------------------- event contracts


def test_the_event_contract_universe_hangs_together(start_simulator):
    sim = start_simulator(**OPTIONS)
    tree = get(sim, 'forecast/category/tree').json()['categories']
    markets = [m for c in tree.values() for m in c['markets']]
    assert {m['symbol'] for m in markets} == {'FF', 'USIP', 'GT'}
    for category in tree.values():  # three levels: every market sits on a leaf two levels below a root
        if category['markets']:
            parent = tree[category['parent_id']]
            assert 'parent_id' in parent and 'parent_id' not in tree[parent['parent_id']]
    fed = next(m for m in markets if m['symbol'] == 'FF')
    contracts = get(sim, 'forecast/contract/market', underlyingConid=fed['conid']).json()['contracts']
    assert len(contracts) == 16 and {c['side'] for c in contracts} == {'Y', 'N'}
    yes = contracts[0]
    details = get(sim, 'forecast/contract/details', conid=yes['conid']).json()
    no = get(sim, 'forecast/contract/details', conid=details['conid_no']).json()
    assert (details['conid_yes'], no['conid_yes'], no['side']) == (yes['conid'], yes['conid'], 'N')
    assert details['question'].startswith('Will the Fed Funds target rate') and details['expiration'] > '20240110'
    rules = get(sim, 'forecast/contract/rules', conid=yes['conid']).json()
    assert rules['last_trade_time'] < rules['release_time'] < rules['payout_time']
    assert get(sim, 'forecast/contract/details', conid=AAPL).status_code == 400
    assert get(sim, 'forecast/contract/market', underlyingConid=fed['conid'], exchange='CME').status_code == 400
