"""REST 04 -- placing an order: IBKR's questions, answers, status, modify and cancel.

IBKR may answer an order with a precautionary question ("price exceeds the Percentage constraint of 3%.
Are you sure...?") that must be confirmed before the order is transmitted. ``place_order`` holds that
conversation for you, answering from ``answers``: keys are ``QuestionType`` members, message ids like
``'o163'``, or a piece of the question's text; values are True (confirm) or False (decline). A question
that no answer covers is declined, and ``OrderQuestionError`` quotes it.

What it shows:
    - OrderRequest (validated when created), whatif_order() (a preview: commission, margin)
    - place_order() without an answer (OrderQuestionError, nothing placed), then with answers
    - order_status(), modify_order(), cancel_order()

The order is a 1-share buy limit 5% below the market, which will not fill, and it is cancelled at the end.
The script refuses to run unless the gateway is logged in to a PAPER account.

Run it against a real gateway (the Client Portal Gateway, started and logged in to a paper account):
    python examples/rest_04_place_order.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_04_place_order.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_ACCOUNT_ID (default: the
account the gateway selected), IBIND_CACERT (default False).
"""

import time

from ibind import IbkrClient, OrderQuestionError, OrderRequest, QuestionType, ibind_logs_initialize

ibind_logs_initialize()
client = IbkrClient()

accounts = client.receive_brokerage_accounts().data  # also required by IBKR before orders
if not accounts.get('isPaper'):
    raise SystemExit('This example places and cancels an order: it only runs on a paper trading account.')
account_id = client.account_id or accounts['selectedAccount']

conid = client.stock_conid_by_symbol('AAPL').data['AAPL']
# A snapshot first, for the prices. Without a market data subscription for the instrument IBKR also asks
# "You are submitting an order without market data..." (o354), answered below.
quote = client.live_marketdata_snapshot_by_symbol('AAPL', ['last_price', 'bid', 'ask'])['AAPL']
last = float(quote['last_price'])
price = round(last * 0.95, 2)
print(f'AAPL (conid {conid}): last {quote["last_price"]}, bid {quote.get("bid")}, ask {quote.get("ask")}')

# cOID: your own id for the order. IBKR refuses a second order with the same cOID for 24 hours, which is
# what makes a placement safe to check after a timeout (look for the cOID in live_orders()).
order = OrderRequest(
    conid=conid,
    side='BUY',
    quantity=1,
    order_type='LMT',
    price=price,
    acct_id=account_id,
    tif='DAY',
    coid=f'ibind-example-04-{int(time.time())}',
)
print(f'order: {order.to_dict()}')

preview = client.whatif_order(order, account_id).data
print(
    f'what-if: commission {preview.get("amount", {}).get("commission")}, '
    f'initial margin change {preview.get("initial", {}).get("change")}'
)

# Without an answer the question is declined and nothing is placed.
try:
    client.place_order(order, answers={}, account_id=account_id)
except OrderQuestionError as error:
    print(
        f'\nunanswered question {error.question["messageIds"]}: the order was not placed. The error says:\n'
        f'{error.message}\n'
    )

answers = {
    QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True,  # o163: our limit is more than 3% below the market
    QuestionType.MISSING_MARKET_DATA: True,  # o354: in case the snapshot had no data yet
}
acknowledgement = client.place_order(order, answers, account_id=account_id).data[0]
order_id = acknowledgement['order_id']
print(f'placed: order {order_id}, status {acknowledgement["order_status"]}')

status = client.order_status(order_id).data
print(f'order_status: {status["order_status"]}  {status.get("order_description_with_contract", "")}')

# Modify: send the whole order again with the new values (same conid and side).
order.price = round(last * 0.94, 2)
client.modify_order(order_id, order, answers, account_id=account_id)
print(f'modified: limit now {order.price}, status {client.order_status(order_id).data["order_status"]}')

# Cancel. The answer means "request received"; order_status() tells when it is done.
print(f'cancel: {client.cancel_order(order_id, account_id=account_id).data.get("msg")}')
print(f'status after cancel: {client.order_status(order_id).data["order_status"]}')

client.close()
