"""REST 10 -- many requests at once: history for a list of symbols, and execute_in_parallel.

IBKR serves at most five history requests at once (more answer 429) and 10 requests per second through
the gateway. ibind's pacer makes every thread of a client wait for its turn, so parallel code does not
have to count: it is simply faster where IBKR allows it, and never earns a 429.

What it shows:
    - marketdata_history_by_symbols(): one call, up to five requests in flight, results keyed by symbol
    - the same one by one (run_in_parallel=False), timed for comparison
    - execute_in_parallel(): run any client method for many arguments on a thread pool

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_10_parallel_history.py
Run it against the simulator (which can answer slowly, like IBKR, with --latency):
    python -m ibind.sim --port 5000 --latency /iserver/marketdata/history=0.3     # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_10_parallel_history.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_CACERT (default False).
"""

import time

from ibind import IbkrClient, execute_in_parallel, ibind_logs_initialize

ibind_logs_initialize()
client = IbkrClient()
SYMBOLS = ['AAPL', 'MSFT', 'IBM', 'AMZN', 'NVDA', 'KO', 'JPM', 'XOM']

# 1. History of every symbol, five requests at a time.
started = time.monotonic()
history = client.marketdata_history_by_symbols(SYMBOLS, period='5d', bar='1d')
parallel_seconds = time.monotonic() - started

print(f'{"symbol":<7}{"bars":>5}{"first close":>13}{"last close":>12}{"change":>9}')
for symbol, bars in history.items():
    if isinstance(bars, Exception):  # raise_on_error=False (default): a failure stands in for the bars
        print(f'{symbol:<7} failed: {bars}')
        continue
    if not bars:
        print(f'{symbol:<7} no bars')
        continue
    change = (bars[-1]['close'] / bars[0]['close'] - 1) * 100
    print(f'{symbol:<7}{len(bars):>5}{bars[0]["close"]:>13.2f}{bars[-1]["close"]:>12.2f}{change:>+8.2f}%')

# 2. The same, one request after the other.
started = time.monotonic()
client.marketdata_history_by_symbols(SYMBOLS, period='5d', bar='1d', run_in_parallel=False)
serial_seconds = time.monotonic() - started
print(f'\n{len(SYMBOLS)} symbols: {parallel_seconds:.2f} s in parallel, {serial_seconds:.2f} s one by one')

# 3. Any method, many arguments: {key: {'args': [...], 'kwargs': {...}}} -> {key: result or exception}.
conids = client.stock_conid_by_symbol(SYMBOLS[:4]).data
calls = {symbol: {'args': [conid]} for symbol, conid in conids.items()}
infos = execute_in_parallel(client.contract_information_by_conid, calls, max_workers=4, max_per_second=10)
for symbol, result in infos.items():
    if isinstance(result, Exception):
        print(f'{symbol:<6} failed: {result}')
    else:
        print(f'{symbol:<6} {result.data.get("company_name")}, {result.data.get("industry")}')

client.close()
