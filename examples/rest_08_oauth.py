"""REST 08 -- OAuth 1.0a: IBKR's Web API without a gateway.

With OAuth, ibind talks to https://api.ibkr.com directly. Creating the client does what the gateway
and the browser login would: it runs the Diffie-Hellman exchange for a live session token (LST), opens
the brokerage session (ssodh/init) and starts the Tickler that keeps it alive. The LST is renewed before
it expires, and ``close()`` stops the Tickler and logs out. OAuth requests are always TLS-verified.

What it shows: IbkrClient(use_oauth=True) configured from IBIND_OAUTH1A_* variables, the session state,
a few requests (each one signed), and a clean shutdown.

Run it against IBKR (an OAuth consumer registered with IBKR), with these in the environment or a .env:
    IBIND_USE_OAUTH=True
    IBIND_OAUTH1A_CONSUMER_KEY=...            IBIND_OAUTH1A_ACCESS_TOKEN=...
    IBIND_OAUTH1A_ACCESS_TOKEN_SECRET=...     (the encrypted secret, as IBKR's portal shows it)
    IBIND_OAUTH1A_SIGNATURE_KEY_FP=private_signature.pem
    IBIND_OAUTH1A_ENCRYPTION_KEY_FP=private_encryption.pem
    IBIND_OAUTH1A_DH_PRIME=<hex>  (or IBIND_OAUTH1A_DH_PARAMS_FP=dhparam.pem)
    IBIND_OAUTH1A_REALM=limited_poa           (test_realm for IBKR's TESTCONS consumer)
    IBIND_OAUTH1A_REST_URL defaults to https://api.ibkr.com/v1/api/
  then:
    python examples/rest_08_oauth.py

Run it against the simulator, which plays IBKR's side of OAuth with a throwaway consumer:
    python -m ibind.sim --port 5000 --tls --oauth-test-credentials oauth-test
  It prints the IBIND_* settings of that consumer and the CA file of its certificate: put the settings in
  oauth-test/.env, add IBIND_CACERT=<the CA file>, and in another terminal:
    IBIND_ENV_FILE=oauth-test/.env python examples/rest_08_oauth.py
  (``--oauth FILE`` serves a consumer made earlier by ibind.sim.oauth.make_test_credentials.)
"""

from ibind import IbkrClient, OAuthError, ibind_logs_initialize

ibind_logs_initialize()

try:
    # Everything else comes from the IBIND_OAUTH1A_* variables (OAuth1aConfig()).
    client = IbkrClient(use_oauth=True)
except OAuthError as error:  # missing or unreadable settings are reported together, before anything is sent
    raise SystemExit(f'OAuth could not start: {error}') from error

print(f'client: {client!r}')
tickler = client.tickler
print(f'Tickler: running={tickler.running}, every {tickler.interval:g} s' if tickler else 'Tickler: not started')
print(f'healthy: {client.check_health()}')

status = client.authentication_status().data
print(
    f'brokerage session: authenticated={status["authenticated"]} connected={status["connected"]} '
    f'competing={status["competing"]}'
)

accounts = client.receive_brokerage_accounts().data
account_id = client.account_id or accounts['selectedAccount']
print(f'accounts: {accounts["accounts"]}   using {account_id}')

client.portfolio_accounts()
ledger = client.get_ledger(account_id).data.get('BASE', {})
print(f'cash {ledger.get("cashbalance", 0):,.2f}   net liquidation {ledger.get("netliquidationvalue", 0):,.2f}')

print(f'session recoveries so far: {client.recoveries}')
client.close()  # stops the Tickler and logs out (IBIND_SHUTDOWN_OAUTH=True, the default)
print('closed: Tickler stopped, logged out')
