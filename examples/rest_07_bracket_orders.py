"""REST 07 -- bracket orders: an entry with a take-profit and a stop-loss that cancel each other.

A bracket is one request of three orders: the parent (the entry) carries a cOID, and each child names it
in ``parent_id``. The children wait until the parent fills; then they work as a one-cancels-other group:
when the take-profit fills the stop-loss is cancelled, and the other way round. (Unrelated orders in an
OCA group without a parent: give each ``is_single_group=True``.)

What it shows:
    - three OrderRequests linked by coid / parent_id, placed with one place_order() call
    - answers for the questions a bracket usually raises (price constraint, stop order risks)
    - live_orders() with the children's parentId, and cancelling the parent, which cancels the children

The entry is a 1-share buy limit 5% below the market, so nothing fills, and it is cancelled at the end.
The script refuses to run unless the gateway is logged in to a PAPER account.

Run it against a real gateway (the Client Portal Gateway, started and logged in to a paper account):
    python examples/rest_07_bracket_orders.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_07_bracket_orders.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_ACCOUNT_ID (default: the
account the gateway selected), IBIND_CACERT (default False).
"""

import time

from ibind import IbkrClient, OrderRequest, QuestionType, ibind_logs_initialize

ibind_logs_initialize()
client = IbkrClient()

accounts = client.receive_brokerage_accounts().data
if not accounts.get('isPaper'):
    raise SystemExit('This example places and cancels orders: it only runs on a paper trading account.')
account_id = client.account_id or accounts['selectedAccount']

conid = client.stock_conid_by_symbol('AAPL').data['AAPL']
last = float(client.live_marketdata_snapshot_by_symbol('AAPL', ['last_price'])['AAPL']['last_price'])

entry = round(last * 0.95, 2)  # buy on a 5% dip ...
take_profit = round(entry * 1.04, 2)  # ... sell 4% higher ...
stop_loss = round(entry * 0.98, 2)  # ... or cut the loss 2% lower
parent_coid = f'ibind-example-07-{int(time.time())}'  # unique for 24 h: IBKR refuses a reused cOID

parent = OrderRequest(
    conid=conid, side='BUY', quantity=1, order_type='LMT', price=entry, acct_id=account_id, coid=parent_coid, tif='GTC'
)
profit_taker = OrderRequest(
    conid=conid,
    side='SELL',
    quantity=1,
    order_type='LMT',
    price=take_profit,
    acct_id=account_id,
    parent_id=parent_coid,
    tif='GTC',
)
stop = OrderRequest(
    conid=conid,
    side='SELL',
    quantity=1,
    order_type='STP',
    price=stop_loss,
    acct_id=account_id,
    parent_id=parent_coid,
    tif='GTC',
)

answers = {
    QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True,  # o163: limit prices more than 3% from the last price
    QuestionType.STOP_ORDER_RISKS: True,  # o10331: "You are about to submit a stop order..."
    QuestionType.MISSING_MARKET_DATA: True,  # o354: asked without a market data subscription
}
print(f'AAPL last {last:.2f}: entry {entry}, take-profit {take_profit}, stop-loss {stop_loss}')
acknowledgements = client.place_order([parent, profit_taker, stop], answers, account_id=account_id).data
roles = dict(zip((ack['order_id'] for ack in acknowledgements), ('entry', 'take-profit', 'stop-loss')))
for ack in acknowledgements:
    print(f'  {roles[ack["order_id"]]:<12} order {ack["order_id"]}: {ack["order_status"]}')

# The children show their parent. (IBKR paces /iserver/account/orders to one request per 5 seconds.)
for order in client.live_orders().data.get('orders', []):
    if str(order.get('orderId')) in roles:
        print(
            f'  live: {order["orderId"]} {order.get("orderDesc")!r:<32} status {order.get("status"):<13} '
            f'parentId {order.get("parentId", "-")}'
        )

# Cancelling the entry cancels the children waiting for it.
parent_id = acknowledgements[0]['order_id']
print(f'\ncancel the entry: {client.cancel_order(parent_id, account_id=account_id).data.get("msg")}')
for order_id, role in roles.items():
    print(f'  {role:<12} order {order_id}: {client.order_status(order_id).data["order_status"]}')

client.close()
