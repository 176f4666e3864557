"""Every topic of seed 002's "Websockets" section, over TLS against the simulator: message shapes follow the
documented examples, and values agree with the REST twins (the same state and price paths)."""

from __future__ import annotations

import pytest
import requests
from conftest import (
    AAPL,
    ACCOUNT,
    Reader,
    advance,
    advance_until_topic,
    control,
    raw_connect,
    session_value,
    wait_until,
    ws_url,
)

from ibind import IbkrWsKey, snapshot_keys_to_ids
from ibind.client.ws_subscriptions import SubscriptionState

pytestmark = pytest.mark.timeout(60)


# ----------------------------------------------------------------- connecting


def test_upgrade_needs_the_api_cookie_of_the_session(tls_sim):
    from websockets.exceptions import InvalidStatus

    for cookie in ('', 'not-the-session'):
        with pytest.raises(InvalidStatus) as refused:
            raw_connect(tls_sim, cookie=cookie)
        assert refused.value.response.status_code == 401
    with raw_connect(tls_sim, cookie=f'{{"session":"{session_value(tls_sim)}"}}') as connection:  # the docs' form
        assert Reader(connection).topic('system')['success'] == 'simuser1'


def test_plain_http_get_of_the_ws_path_is_not_an_upgrade(tls_sim):
    response = requests.get(ws_url(tls_sim).replace('wss://', 'https://'), verify=tls_sim.cacert, timeout=5)
    assert response.status_code == 404


def test_opening_messages_system_act_sts(tls_sim):
    with raw_connect(tls_sim) as connection:
        reader = Reader(connection)
        system = reader.topic('system')
        assert system['success'] == 'simuser1'
        act = reader.topic('act')['args']
        assert act['accounts'] == [ACCOUNT] and act['selectedAccount'] == ACCOUNT
        assert {'acctProps', 'aliases', 'allowFeatures', 'chartPeriods', 'serverInfo', 'sessionId', 'isPaper'} <= set(
            act
        )
        assert reader.topic('sts')['args']['authenticated'] is True


def test_system_heartbeat_every_ten_simulated_seconds(tls_sim, raw):
    advance(tls_sim, 10)
    first = raw.until(lambda m: 'hb' in m)
    advance(tls_sim, 10)
    second = raw.until(lambda m: 'hb' in m)
    assert first['topic'] == 'system' and second['hb'] - first['hb'] == 10_000


# ----------------------------------------------------------------- market data


def test_smd_message_shape_and_values_match_the_snapshot(tls_sim, raw, rest):
    raw.connection.send(f'smd+{AAPL}+{{"fields":["31","84","86","55"]}}')
    message = raw.topic(f'smd+{AAPL}')
    assert {'server_id', 'conidEx', 'conid', '_updated', '6119', '6509', 'topic', '31', '84', '86', '55'} <= set(
        message
    )
    assert message['conid'] == AAPL and message['conidEx'] == str(AAPL) and message['6119'] == message['server_id']
    rest.receive_brokerage_accounts()
    rest.live_marketdata_snapshot(AAPL, ['31', '84', '86'])  # the pre-flight call
    snapshot = rest.live_marketdata_snapshot(AAPL, ['31', '84', '86']).data[0]
    assert (message['31'], message['84'], message['86']) == (snapshot['31'], snapshot['84'], snapshot['86'])
    steps, update = advance_until_topic(tls_sim, raw, f'smd+{AAPL}', 300)
    assert update['_updated'] == message['_updated'] + steps * 300_000
    assert '55' not in update  # the symbol did not change, so it is not sent again
    assert {'31', '84', '86'} & set(update)


def test_umd_ends_the_stream(tls_sim, raw):
    raw.connection.send(f'smd+{AAPL}+{{"fields":["31"]}}')
    raw.topic(f'smd+{AAPL}')
    raw.connection.send(f'umd+{AAPL}+{{}}')
    raw.quiet(0.1)
    advance(tls_sim, 60)
    assert not [m for m in raw.quiet(0.3) if m.get('topic') == f'smd+{AAPL}']


def _streams(sim):
    return control(sim, 'ws')['connections'][0]['smd']


def test_smd_ends_after_fifteen_minutes_unless_renewed(tls_sim, raw):
    raw.connection.send(f'smd+{AAPL}+{{"fields":["31"]}}')
    raw.connection.send('smd+8314+{"fields":["31"]}')
    raw.topic(f'smd+{AAPL}')
    advance(tls_sim, 14 * 60)
    raw.until(lambda m: 'hb' in m)
    assert _streams(tls_sim) == [str(AAPL), '8314']
    raw.connection.send(f'smd+{AAPL}+{{"fields":["31"]}}')  # renew AAPL only
    wait_until(lambda: control(tls_sim, 'ws')['stats'].get('smd_renewed') == 1)
    advance(tls_sim, 120)
    raw.until(lambda m: 'hb' in m)
    assert _streams(tls_sim) == [str(AAPL)]
    assert control(tls_sim, 'ws')['stats']['smd_expired'] == 1
    advance_until_topic(tls_sim, raw, f'smd+{AAPL}', 60)  # the renewed one still ticks


def test_smd_expiry_can_be_switched_off(tls_sim, raw):
    control(tls_sim, 'ws', {'config': {'ws_smd_expiry': None}})
    raw.connection.send(f'smd+{AAPL}+{{"fields":["31"]}}')
    raw.topic(f'smd+{AAPL}')
    steps, _ = advance_until_topic(tls_sim, raw, f'smd+{AAPL}', 3600)
    assert control(tls_sim, 'ws')['stats'].get('smd_expired', 0) == 0


def test_client_parses_market_data_into_named_values(make_ws):
    ws = make_ws()
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': snapshot_keys_to_ids(['last_price', 'bid', 'ask', 'symbol'])})
    assert subscription.wait_active(5)
    message = ws.get(IbkrWsKey.MARKET_DATA, timeout=5)
    assert message.channel == f'md+{AAPL}' and message.data['conid'] == AAPL
    assert isinstance(message.data['last_price'], float) and message.data['symbol'] == 'AAPL'
    assert message.data['bid'] < message.data['ask']
    assert message.raw['31'] == f'{message.data["last_price"]:.2f}'


def test_smh_answers_once_with_bars_and_umh_frees_the_slot(tls_sim, raw):
    raw.connection.send(f'smh+{AAPL}+{{"period":"1d","bar":"1h","outsideRth":false}}')
    history = raw.topic(f'smh+{AAPL}')
    assert {
        'serverId',
        'symbol',
        'text',
        'priceFactor',
        'startTime',
        'high',
        'low',
        'timePeriod',
        'barLength',
        'mdAvailability',
        'mktDataDelay',
        'outsideRth',
        'volumeFactor',
        'priceDisplayRule',
        'priceDisplayValue',
        'negativeCapable',
        'messageVersion',
        'data',
        'points',
        'topic',
    } <= set(history)
    assert history['data'] and {'o', 'c', 'h', 'l', 'v', 't'} <= set(history['data'][0])
    for _ in range(4):
        raw.connection.send(f'smh+{AAPL}+{{"period":"1d","bar":"1h"}}')
        raw.topic(f'smh+{AAPL}')
    raw.connection.send(f'smh+{AAPL}+{{"period":"1d","bar":"1h"}}')  # a sixth: refused
    assert 'at most 5' in raw.until(lambda m: 'error' in m)['error']
    raw.connection.send(f'umh+{history["serverId"]}')
    raw.connection.send(f'smh+{AAPL}+{{"period":"1d","bar":"1h"}}')
    assert 'data' in raw.topic(f'smh+{AAPL}')


def test_sbd_price_ladder_rows(raw):
    raw.connection.send(f'sbd+{ACCOUNT}+{AAPL}')
    ladder = raw.topic(f'sbd+{ACCOUNT}+{AAPL}')
    rows = ladder['data']
    assert [row['row'] for row in rows] == list(range(len(rows)))
    assert all({'row', 'focus', 'price'} <= set(row) for row in rows)
    assert any('ask' in row for row in rows) and any('bid' in row for row in rows)


# ----------------------------------------------------------------- orders and trades


def _place(rest, coid, price=None, side='BUY'):
    from ibind import make_order_request

    order = make_order_request(
        conid=AAPL,
        side=side,
        quantity=1,
        order_type='MKT' if price is None else 'LMT',
        price=price,
        acct_id=ACCOUNT,
        coid=coid,
    )
    return rest.place_order(order, answers={}, account_id=ACCOUNT)


def test_sor_shows_an_order_placed_over_rest_with_its_coid_until_filled(tls_sim, make_ws, rest):
    rest.receive_brokerage_accounts()
    ws = make_ws()
    orders = ws.subscribe('or')
    assert orders.wait_active(5)
    rest.live_marketdata_snapshot(AAPL, ['31'])  # pre-flight
    price = float(rest.live_marketdata_snapshot(AAPL, ['31']).data[0]['31']) * 0.99
    _place(rest, 'ws-sor-1', price=round(price, 2))
    placed = ws.get(IbkrWsKey.ORDERS, timeout=5).data[0]
    documented = {
        'acct',
        'conid',
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
        'companyName',
        'status',
        'origOrderType',
        'supportsTaxOpt',
        'lastExecutionTime',
        'lastExecutionTime_r',
        'order_ref',
        'orderType',
        'side',
        'timeInForce',
        'price',
        'bgColor',
        'fgColor',
    }
    assert documented <= set(placed), documented - set(placed)
    assert placed['order_ref'] == 'ws-sor-1' and placed['status'] in ('PreSubmitted', 'Submitted')
    statuses = [placed['status']]
    for _ in range(200):  # let the price path reach the limit
        advance(tls_sim, 600)
        message = ws.get(IbkrWsKey.ORDERS, timeout=0.5)
        if message is not None:
            statuses += [o['status'] for o in message.data if o['orderId'] == placed['orderId']]
        if 'Filled' in statuses:
            break
    assert statuses[-1] == 'Filled' and statuses.count('Filled') == 1
    assert ws.stats['fills'] == 1


def test_str_reports_the_execution_with_the_orders_coid(tls_sim, raw, rest):
    rest.receive_brokerage_accounts()
    raw.connection.send('str+{"realtimeUpdatesOnly":true}')
    assert raw.topic('str')['args'] == []
    rest.live_marketdata_snapshot(AAPL, ['31'])
    _place(rest, 'ws-str-1')
    advance(tls_sim, 1)
    trade = raw.until(lambda m: m.get('topic') == 'str' and m['args'])['args'][0]
    documented = {
        'execution_id',
        'symbol',
        'supports_tax_opt',
        'side',
        'order_description',
        'trade_time',
        'trade_time_r',
        'size',
        'order_ref',
        'price',
        'exchange',
        'net_amount',
        'account',
        'accountCode',
        'company_name',
        'contract_description_1',
        'sec_type',
        'conid',
        'conidEx',
        'liquidation_trade',
        'is_event_trading',
    }
    assert documented <= set(trade), documented - set(trade)
    assert trade['order_ref'] == 'ws-str-1' and trade['conid'] == AAPL
    rest_trades = rest.trades(account_id=ACCOUNT).data
    assert [t['execution_id'] for t in rest_trades] == [trade['execution_id']]


# ----------------------------------------------------------------- portfolio


def test_spl_profit_and_loss(raw):
    raw.connection.send('spl+{}')
    args = raw.topic('spl')['args']
    row = args[f'{ACCOUNT}.Core']
    assert {'rowType', 'dpl', 'nl', 'upl', 'uel', 'mv'} <= set(row)
    assert row['rowType'] == 1 and row['nl'] > 0


def test_ssd_account_summary_with_keys_and_fields(tls_sim, raw, rest):
    rest.portfolio_accounts()  # like /portfolio/{id}/summary, it needs the accounts listed first
    raw.connection.send(
        f'ssd+{ACCOUNT}+{{"keys":["netliquidation","accountcode"],"fields":["currency","monetaryValue"]}}'
    )
    result = raw.topic(f'ssd+{ACCOUNT}')['result']
    by_key = {item['key']: item for item in result}
    assert set(by_key) == {'netliquidation', 'accountcode'}
    assert by_key['netliquidation']['currency'] == 'USD' and by_key['netliquidation']['monetaryValue'] > 0
    assert all('timestamp' in item for item in result)
    raw.connection.send(f'usd+{ACCOUNT}+{{}}')
    assert raw.topic(f'usd+{ACCOUNT}')['result'] == 'unsubscribed from summary'


def test_ssd_before_portfolio_accounts_is_refused_like_rest(raw):
    raw.connection.send(f'ssd+{ACCOUNT}+{{}}')
    assert 'portfolio/accounts' in raw.until(lambda m: 'error' in m)['error']


def test_sld_ledger_full_then_blank_when_unchanged(tls_sim, raw, rest):
    rest.portfolio_accounts()
    raw.connection.send(f'sld+{ACCOUNT}+{{}}')
    first = raw.topic(f'sld+{ACCOUNT}')['result']
    base = next(entry for entry in first if entry['key'] == 'LedgerListBASE')
    assert {
        'acctCode',
        'cashbalance',
        'netLiquidationValue',
        'settledCash',
        'exchangeRate',
        'timestamp',
        'unrealizedPnl',
        'realizedPnl',
        'secondKey',
    } <= set(base)
    assert base['acctCode'] == ACCOUNT and isinstance(base['cashbalance'], float)
    advance(tls_sim, 10)
    second = raw.topic(f'sld+{ACCOUNT}')['result']
    assert all(set(entry) == {'key', 'timestamp'} for entry in second)  # nothing changed: "blank" entries
    raw.connection.send(f'uld+{ACCOUNT}+{{}}')
    assert raw.topic(f'uld+{ACCOUNT}')['result'] == 'unsubscribed from ledger'


# ----------------------------------------------------------------- unsolicited


def test_bulletins_and_notifications_reach_their_queues(tls_sim, make_ws):
    ws = make_ws()
    control(tls_sim, 'ws', {'bulletin': {'id': 'b1', 'message': 'exchange issue'}})
    control(tls_sim, 'ws', {'notification': {'id': 'n1', 'text': 'filled', 'title': 'Order', 'url': ''}})
    assert ws.get(IbkrWsKey.BULLETINS, timeout=5).data == {'id': 'b1', 'message': 'exchange issue'}
    assert ws.get(IbkrWsKey.NOTIFICATIONS, timeout=5).data['title'] == 'Order'
    assert ws.get(IbkrWsKey.ACCOUNT_UPDATES, timeout=1).data['accounts'] == [ACCOUNT]
    assert ws.get(IbkrWsKey.AUTHENTICATION_STATUS, timeout=1).data['authenticated'] is True


def test_tic_counts_as_session_activity(tls_sim, raw):
    before = control(tls_sim, 'state')['session']['last_activity']
    advance(tls_sim, 30)
    raw.connection.send('tic')
    wait_until(lambda: control(tls_sim, 'state')['session']['last_activity'] > before)


def test_brokerage_topics_refused_without_brokerage_session(tls_sim, raw):
    control(tls_sim, 'session', {'action': 'expire'})
    assert raw.topic('sts')['args']['authenticated'] is False
    raw.connection.send(f'smd+{AAPL}+{{"fields":["31"]}}')
    assert 'not authenticated' in raw.until(lambda m: 'error' in m)['error']
    raw.connection.send('spl+{}')  # no brokerage session needed (seed 002)
    raw.topic('spl')


def test_callbacks_per_key_and_per_subscription(make_ws):
    ws = make_ws()
    by_key, by_subscription = [], []
    ws.add_callback(IbkrWsKey.MARKET_DATA, by_key.append)
    subscription = ws.subscribe(f'md+{AAPL}', {'fields': ['31']}, callback=by_subscription.append)
    assert subscription.wait_active(5)
    wait_until(lambda: by_key and by_subscription)
    assert by_key[0] is by_subscription[0] and subscription.state == SubscriptionState.ACTIVE
    assert subscription.last_message_at is not None and subscription.messages >= 1


def test_a_fired_alert_reaches_the_stream_as_an_ntf_message(tls_sim, raw, rest):
    tls_sim.control.config(idle_timeout=None)  # the clock jumps to the crossing: the session must outlive it
    rest.receive_brokerage_accounts()
    market, now = tls_sim.gateway.market, control(tls_sim, 'clock')['now']
    start, path = (
        market.last(AAPL, now),
        [(t, market.last(AAPL, t)) for t in range(int(now) + 60, int(now) + 86400, 60)],
    )
    high, low = max(price for _, price in path), min(price for _, price in path)
    # a level the price path crosses later today, whichever way it goes
    operator, target = (
        ('>=', round((start + high) / 2, 2)) if high - start >= start - low else ('<=', round((start + low) / 2, 2))
    )
    crossing = next(t for t, price in path if (price >= target if operator == '>=' else price <= target))
    condition = {'conidex': f'{AAPL}@SMART', 'logicBind': 'n', 'operator': operator, 'triggerMethod': '0', 'type': 1}
    alert = {
        'alertName': 'AAPL moved',
        'alertMessage': f'AAPL {operator} {target:.2f}',
        'alertRepeatable': 0,
        'outsideRth': 1,
        'tif': 'GTC',
        'conditions': [{**condition, 'value': f'{target:.2f}'}],
    }
    rest.post(f'iserver/account/{ACCOUNT}/alert', json=alert)
    control(tls_sim, 'clock', {'set': crossing + 120})
    rest.get('fyi/unreadnumber')  # any request lets the gateway look at its alerts
    message = raw.topic('ntf')
    assert message['args']['title'] == 'AAPL moved' and message['args']['text'] == f'AAPL {operator} {target:.2f}'
    listed = rest.get('fyi/notifications', {'max': 10}).data
    assert message['args']['id'] in [n['ID'] for n in listed]
