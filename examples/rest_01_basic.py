"""REST 01 -- basic: connect, check the session, see the accounts, the balances and the positions.

What it shows:
    - IbkrClient() configured from the environment
    - check_health() (a bool, never raises), tickle(), authentication_status()
    - receive_brokerage_accounts(): the account to use when IBIND_ACCOUNT_ID is not set
    - portfolio_accounts(), portfolio_summary(), positions()
    - Result: ``.data`` is IBKR's answer, ``.request`` what was sent

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_01_basic.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_01_basic.py

Configuration (environment variables or a .env file): IBIND_REST_URL (default
https://localhost:5000/v1/api/), IBIND_ACCOUNT_ID (default: the account the gateway selected),
IBIND_CACERT (default False: the gateway's self-signed certificate is not verified; the path of a CA
file verifies it).
"""

from ibind import IbkrClient, ibind_logs_initialize

ibind_logs_initialize()  # ibind's log lines on the console (level: IBIND_LOG_LEVEL, default INFO)

# No arguments: the URL, account and certificate come from IBIND_* variables, with the defaults above.
client = IbkrClient()
print(f'client: {client!r}')

# 1. Is the gateway there, and is its brokerage session usable? check_health() answers True or False.
if not client.check_health():
    raise SystemExit(
        'The gateway does not answer, or its session is not authenticated: start it, log in '
        'in the browser, and run this again.'
    )

# 2. The session in detail. tickle() is also what keeps a session alive (see rest_09).
tickle = client.tickle().data
auth = tickle['iserver']['authStatus']
print(
    f'session {tickle["session"][:8]}...  authenticated={auth["authenticated"]}  '
    f'competing={auth["competing"]}  connected={auth["connected"]}'
)
status = client.authentication_status()
print(
    f'authentication_status(): authenticated={status.data["authenticated"]}   '
    f'(sent: {status.request["method"]} {status.request["url"]})'
)

# 3. Accounts. IBKR wants /iserver/accounts called once per session before orders and snapshots anyway.
accounts = client.receive_brokerage_accounts().data
client.account_id = client.account_id or accounts['selectedAccount']  # methods default to this account
print(f'\naccounts: {accounts["accounts"]}   using: {client.account_id}   paper: {accounts.get("isPaper")}')

# 4. Balances. /portfolio/accounts must be called once before the other /portfolio endpoints.
client.portfolio_accounts()
summary = client.portfolio_summary().data
for key in ('netliquidation', 'totalcashvalue', 'buyingpower', 'availablefunds'):
    entry = summary.get(key) or {}
    print(f'{key:<16} {entry.get("amount", 0):>16,.2f} {entry.get("currency") or ""}')

# 5. Positions (one page of up to 100; pass page=1, 2, ... for more).
positions = client.positions().data
print(f'\n{len(positions)} position(s)')
for position in positions:
    print(
        f'{position["contractDesc"]:<24} {position["position"]:>10g} @ {position["avgPrice"]:>10.2f}   '
        f'market {position["mktPrice"]:>10.2f}   unrealized P&L {position["unrealizedPnl"]:>12,.2f}'
    )

client.close()
