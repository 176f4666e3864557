"""WS 01 -- streaming basics: live market data and order updates over IBKR's WebSocket.

The REST client opens the session; ``client.websocket()`` streams over it (the ``api`` cookie from /tickle,
the same TLS settings, the same recovery). Two ways to consume, both thread-safe:
    - queues: ``ws.get(IbkrWsKey.MARKET_DATA, timeout=...)`` (or ``ws.new_queue_accessor(key)``);
    - callbacks: ``ws.subscribe(channel, data, callback=...)`` or ``ws.add_callback(key, fn)``.
A subscription is a handle: ``state`` (pending, active, failed, unsubscribed), ``last_message_at``.

What it shows: three AAPL quotes with fields by name, then an order placed over REST (far from the market,
so it does not fill) appearing in the order stream with its cOID, and its cancellation.

Needs the 'websocket' extra: pip install 'ibind[websocket]'
Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/ws_01_basic.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ IBIND_ACCOUNT_ID=DU1234567 python examples/ws_01_basic.py

Configuration: IBIND_REST_URL, IBIND_ACCOUNT_ID, IBIND_CACERT (as for REST), IBIND_WS_* (docs/websocket.md).
"""

import threading

from ibind import IbkrClient, IbkrWsKey, make_order_request, snapshot_keys_to_ids

AAPL = 265598

client = IbkrClient()
account_id = client.account_id or client.receive_brokerage_accounts().data['accounts'][0]
client.receive_brokerage_accounts()  # IBKR wants it before orders

with client.websocket() as ws:  # start() on enter, close() on exit
    ws.wait_ready(timeout=10)
    print(f'stream: {ws.state} at {ws.url}')

    # 1. Market data: fields by name, values parsed (numbers are floats).
    quotes = ws.subscribe(f'md+{AAPL}', {'fields': snapshot_keys_to_ids(['last_price', 'bid', 'ask', 'symbol'])})
    quotes.wait_active(timeout=10)
    for _ in range(3):
        message = ws.get(IbkrWsKey.MARKET_DATA, timeout=30)  # a message comes only when a value changes
        if message is None:
            print('no quote change within 30 s (is the market open?)')
            break
        print(
            f'AAPL quote: last={message.data.get("last_price")} bid={message.data.get("bid")} '
            f'ask={message.data.get("ask")} (server time {message.data["_updated"]})'
        )
    print(f'subscription {quotes.channel}: {quotes.state.value}, {quotes.messages} message(s)')

    # 2. Order updates: a callback sees every change of every order of the day.
    seen = threading.Event()

    def on_order(message):
        for order in message.data:
            print(f'order update: {order["orderId"]} {order["side"]} {order.get("order_ref")} -> {order["status"]}')
            if order['status'] == 'Cancelled':
                seen.set()

    orders = ws.subscribe('or', callback=on_order)
    orders.wait_active(timeout=10)
    client.live_marketdata_snapshot(AAPL, ['31'])  # the pre-flight snapshot IBKR needs before the first order
    last = float(client.live_marketdata_snapshot(AAPL, ['31']).data[0]['31'])
    order = make_order_request(
        conid=AAPL,
        side='BUY',
        quantity=1,
        order_type='LMT',
        price=round(last * 0.98, 2),
        acct_id=account_id,
        coid='ws-01-example',
    )
    placed = client.place_order(order, answers={'price_percentage_constraint': True}, account_id=account_id)
    order_id = placed.data[0]['order_id']
    client.cancel_order(order_id, account_id=account_id)
    print(f'cancel acknowledged in the stream: {seen.wait(10)}')

print(f'after close: state={ws.state}, stream threads left={sum(t.name == "ibind-ws" for t in threading.enumerate())}')
client.close()
