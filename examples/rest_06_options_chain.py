"""REST 06 -- an options chain: from the underlying's symbol to an option's conid and its market data.

IBKR's route to an option (seed: "Option Chains"):
    1. search_contract_by_symbol('AAPL')            -> the underlying's conid and its option months
    2. search_strikes_by_conid(conid, 'OPT', month)  -> the strikes of that month (calls and puts)
    3. search_secdef_info_by_conid(conid, 'OPT', month, strike=..., right='C')
                                                      -> the option contract(s) and their conids
    4. live_marketdata_snapshot([option conids], fields) -> prices and greeks
Step 1 is required: IBKR answers empty strikes and refuses secdef info for an underlying not searched first.

What it shows: the four steps, choosing the expiry month and the strike closest to the underlying's price,
and taking snapshots of conids directly (repeating until the pre-flight is over).

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_06_options_chain.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_06_options_chain.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_CACERT (default False).
Option quotes need an options market data subscription.
"""

import time

from ibind import IbkrClient, ibind_logs_initialize, snapshot_keys_to_ids

ibind_logs_initialize()
client = IbkrClient()
SYMBOL = 'AAPL'

# 1. The underlying: the search result that has an OPT section (IBKR lists the US listing first).
results = client.search_contract_by_symbol(SYMBOL, sec_type='STK').data
underlying = next(r for r in results if any(s.get('secType') == 'OPT' for s in r.get('sections', [])))
conid = underlying['conid']
months = next(s for s in underlying['sections'] if s['secType'] == 'OPT')['months'].split(';')
print(f'{underlying["companyHeader"]}: conid {conid}, option months {", ".join(months)}')

# The underlying's price, to pick the strike nearest to it.
last = float(client.live_marketdata_snapshot_by_symbol(SYMBOL, ['last_price'])[SYMBOL]['last_price'])

# 2. Strikes of the nearest month.
month = months[0]
strikes = client.search_strikes_by_conid(conid, 'OPT', month).data
atm = min(strikes['call'], key=lambda strike: abs(strike - last))
print(
    f'{month}: {len(strikes["call"])} call strikes from {strikes["call"][0]} to {strikes["call"][-1]}; '
    f'{SYMBOL} is at {last:.2f}, nearest strike {atm}'
)

# 3. The contracts: one per expiry of that month (monthly and weekly expiries can share a month).
options = {}
for right in ('C', 'P'):
    contracts = client.search_secdef_info_by_conid(conid, 'OPT', month, strike=atm, right=right).data
    first = min(contracts, key=lambda contract: contract['maturityDate'])
    options[right] = first
    print(
        f'  {right}: conid {first["conid"]}  {first.get("desc2")}  (expires {first["maturityDate"]}, '
        f'multiplier {first.get("multiplier")}; expiries in {month}: {len(contracts)})'
    )

# 4. Market data of both options. The first snapshot of a conid is a pre-flight without values.
columns = {
    'last_price': 'last',
    'bid': 'bid',
    'ask': 'ask',
    'implied_vol_percent': 'impl. vol',
    'delta': 'delta',
    'gamma': 'gamma',
    'theta': 'theta',
    'vega': 'vega',
}
ids = snapshot_keys_to_ids(list(columns))  # ['31', '84', '86', '7633', ...]
conids = [option['conid'] for option in options.values()]
client.receive_brokerage_accounts()  # IBKR requires it once per session before snapshots
for _attempt in range(5):
    snapshot = {entry['conid']: entry for entry in client.live_marketdata_snapshot(conids, ids).data}
    if all(ids[0] in entry for entry in snapshot.values()):
        break
    time.sleep(0.5)

print(f'\n{"option":<22}' + ''.join(f'{title:>10}' for title in columns.values()))
for right, option in options.items():
    entry = snapshot.get(option['conid'], {})
    label = f'{SYMBOL} {option["maturityDate"]} {atm:g} {right}'
    print(f'{label:<22}' + ''.join(f'{entry.get(field_id, "-"):>10}' for field_id in ids))

client.marketdata_unsubscribe(conids)
client.close()
