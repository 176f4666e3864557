"""REST 03 -- stock querying: from a symbol to exactly one conid, with StockQuery filters.

A symbol is not a contract: /trsrv/stocks answers every listing of it -- the US company, its listings
abroad, Canadian CDRs, trackers. ``StockQuery`` says which one is meant:

    StockQuery(symbol, name_match=..., instrument_conditions={...}, contract_conditions={...})

and ``default_filtering=True`` (the default) adds the contract condition ``{'isUS': True}``.

What it shows:
    - security_stocks_by_symbol(): every instrument and contract of a symbol, or those a query keeps
    - stock_conid_by_symbol(): one conid per query, as a dict or a list
    - AmbiguousSymbolError / SymbolNotFoundError, which list the candidates to narrow the query with

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_03_stock_querying.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_03_stock_querying.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_CACERT (default False).
"""

from ibind import AmbiguousSymbolError, IbkrClient, StockQuery, SymbolNotFoundError, ibind_logs_initialize

ibind_logs_initialize()
client = IbkrClient()

# 1. Everything IBKR lists for a symbol (default_filtering=False keeps the non-US listings too).
listings = client.security_stocks_by_symbol('AAPL', default_filtering=False).data
print('AAPL listings:')
for instrument in listings['AAPL']:
    for contract in instrument['contracts']:
        print(
            f'  {instrument["name"]:<22} {instrument["assetClass"]:<4} conid {contract["conid"]:>10}  '
            f'{contract["exchange"]:<8} isUS={contract["isUS"]}'
        )

# 2. The usual case: the US listing, one conid per symbol.
print('\nstock_conid_by_symbol:', client.stock_conid_by_symbol(['AAPL', 'MSFT', 'IBM']).data)
print('as a list, in query order:', client.stock_conid_by_symbol(['IBM', 'AAPL'], return_type='list').data)

# 3. Queries that pick another listing. A query's own 'isUS' overrides the default filtering.
queries = {
    'Apple in Mexico': StockQuery('AAPL', contract_conditions={'exchange': 'MEXI', 'isUS': False}),
    'the Apple CDR': StockQuery('AAPL', name_match='CDR', contract_conditions={'isUS': False}),
    'IBM, US stock': StockQuery('IBM', instrument_conditions={'assetClass': 'STK'}),
}
for label, query in queries.items():
    try:
        conid = client.stock_conid_by_symbol(query).data[query.symbol]
        print(f'{label:<16} -> conid {conid}')
    except (AmbiguousSymbolError, SymbolNotFoundError) as error:  # a listing your gateway does not have
        print(f'{label:<16} -> {type(error).__name__}: {error.message}')

# 4. A query that is too loose raises, listing the candidates, so that you can narrow it.
try:
    client.stock_conid_by_symbol('AAPL', default_filtering=False)
except AmbiguousSymbolError as error:
    print(f'\nAmbiguousSymbolError (also a RuntimeError):\n  {error.message[:300]}...')

client.close()
