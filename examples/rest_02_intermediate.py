"""REST 02 -- intermediate: the client as a context manager, contract details, account figures, and errors.

What it shows:
    - ``with IbkrClient() as client:`` closes the connections (and stops a Tickler) at the end
    - security_definition_by_conid() for several conids in one request, contract_information_by_conid()
    - account_summary(), account_profit_and_loss(), portfolio_account_allocation(), currency_exchange_rate()
    - errors: a bad argument is a ValueError/TypeError raised before anything is sent; everything that
      goes wrong at IBKR is an ExternalBrokerError (with status_code and body) or one of its subclasses

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_02_intermediate.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_02_intermediate.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_ACCOUNT_ID (default: the
account the gateway selected), IBIND_CACERT (default False: the gateway's certificate is not verified).
"""

from ibind import ExternalBrokerError, IbkrClient, NotAuthenticatedError, ibind_logs_initialize

ibind_logs_initialize()

AAPL, IBM = 265598, 8314  # IBKR's contract ids (conids) of Apple and IBM on their US exchanges

with IbkrClient() as client:
    accounts = client.receive_brokerage_accounts().data
    client.account_id = client.account_id or accounts['selectedAccount']

    # Contracts: /trsrv/secdef takes many conids at once.
    for secdef in client.security_definition_by_conid([AAPL, IBM]).data['secdef']:
        print(
            f'{secdef["conid"]:>8}  {secdef["ticker"]:<6} {secdef["name"]:<32} {secdef["listingExchange"]:<8} '
            f'{secdef["assetClass"]} {secdef["currency"]}'
        )
    info = client.contract_information_by_conid(AAPL).data
    print(
        f'contract {info["con_id"]}: {info["company_name"]}, industry {info["industry"]}, '
        f'trades on {len(info["valid_exchanges"].split(","))} exchanges'
    )

    # Account figures. account_summary() needs the brokerage session; the /portfolio ones need
    # portfolio_accounts() first.
    summary = client.account_summary().data
    print(
        f'\nnet liquidation {summary["netLiquidationValue"]:,.2f}   buying power {summary["buyingPower"]:,.2f}   '
        f'available funds {summary["availableFunds"]:,.2f}'
    )
    for key, pnl in client.account_profit_and_loss().data.get('upnl', {}).items():
        print(f'P&L {key}: daily {pnl.get("dpl", 0):,.2f}, unrealized {pnl.get("upl", 0):,.2f}')
    client.portfolio_accounts()
    allocation = client.portfolio_account_allocation().data
    print(f'allocation by asset class (long): {allocation.get("assetClass", {}).get("long", {})}')
    rate = client.currency_exchange_rate('EUR', 'USD').data['rate']
    print(f'1 EUR = {rate} USD')

    # A bad argument never reaches IBKR: it is refused here, naming the argument.
    try:
        client.contract_information_by_conid('AAPL')
    except ValueError as error:
        print(f'\nrefused before sending: {error}')

    # IBKR's refusals are ExternalBrokerError (or a subclass: NotAuthenticatedError, RateLimitError,
    # OrderRejectedError, ...), carrying the HTTP status and the body.
    try:
        client.contract_information_by_conid(1)  # no such contract
    except NotAuthenticatedError:
        raise SystemExit('The gateway session is not authenticated: log in and run this again.') from None
    except ExternalBrokerError as error:
        print(f'IBKR refused: status {error.status_code}, body {error.body}')
