"""REST 05 -- market data: live snapshots and historical bars.

What it shows:
    - live_marketdata_snapshot_by_symbol(): fields by name ('last_price', 'bid', ...), the pre-flight handled
    - live_marketdata_snapshot(): the raw endpoint (field ids as keys; the first answer is a pre-flight)
    - marketdata_history_by_conid() / _by_symbol(): IBKR's bars as they come ({o, h, l, c, v, t})
    - marketdata_history_by_symbols(): many symbols at once (at most 5 in parallel), bars cleaned up
    - historical_marketdata_beta(): /hmds/history, whose first request of a session answers 404 (retried)

Careful with history units: a bar or period of ``1m`` is a MONTH; minutes are ``1min``.

Run it against a real gateway (the Client Portal Gateway, started and logged in):
    python examples/rest_05_marketdata_history.py
Run it against the simulator:
    python -m ibind.sim --port 5000                        # in another terminal
    IBIND_REST_URL=http://127.0.0.1:5000/v1/api/ python examples/rest_05_marketdata_history.py

Configuration: IBIND_REST_URL (default https://localhost:5000/v1/api/), IBIND_CACERT (default False).
Market data needs the market data subscriptions of the account; without them fields stay empty.
"""

import datetime
import time

from ibind import IbkrClient, ibind_logs_initialize, snapshot_keys_to_ids

ibind_logs_initialize()
client = IbkrClient()

# 1. Snapshot by symbol and field names. The client resolves the conids, calls /iserver/accounts as IBKR
#    requires, and repeats the snapshot until the fields arrive (the first one only opens the stream).
fields = ['last_price', 'bid', 'ask', 'change_percent', 'volume']
print(f'{"symbol":<6} ' + ' '.join(f'{name:>14}' for name in fields))
for symbol, values in client.live_marketdata_snapshot_by_symbol(['AAPL', 'MSFT'], fields).items():
    print(f'{symbol:<6} ' + ' '.join(f'{values.get(name, "-"):>14}' for name in fields))

# 2. The raw endpoint takes conids and field ids; snapshot_keys_to_ids translates names.
ids = snapshot_keys_to_ids(['last_price', 'bid', 'ask'])
conid = client.stock_conid_by_symbol('IBM').data['IBM']
print(f'\nraw snapshots of IBM (conid {conid}), fields {ids}:')
for attempt in ('first (the pre-flight: it opens the stream)', 'second, half a second later'):
    raw = client.live_marketdata_snapshot(conid, ids).data[0]
    print(f'  {attempt}: { {key: raw.get(key) for key in ids} }')
    time.sleep(0.5)  # on a real gateway the data may take a few tries to arrive

# 3. History of one conid: IBKR's answer as it is. 't' is the bar's start in epoch milliseconds.
history = client.marketdata_history_by_conid(conid, bar='1d', period='5d').data
print(f'\nIBM daily bars ({history.get("symbol")}, volume factor {history.get("volumeFactor")}):')
for bar in history['data']:
    day = datetime.datetime.fromtimestamp(bar['t'] / 1000, tz=datetime.timezone.utc)
    print(f'  {day:%Y-%m-%d}  o {bar["o"]:>8.2f}  h {bar["h"]:>8.2f}  l {bar["l"]:>8.2f}  c {bar["c"]:>8.2f}')

# By symbol (it must select exactly one US stock, see rest_03):
hourly = client.marketdata_history_by_symbol('AAPL', bar='1h', period='1d').data['data']
print(f'AAPL: {len(hourly)} hourly bars over the last day')

# 4. Several symbols at once: cleaned bars {open, high, low, close, volume, date (a UTC datetime)}.
#    A symbol whose request failed holds the exception instead of its bars (raise_on_error=False).
bars_by_symbol = client.marketdata_history_by_symbols(['AAPL', 'MSFT', 'IBM'], period='1d', bar='1h')
print()
for symbol, bars in bars_by_symbol.items():
    if isinstance(bars, Exception):
        print(f'{symbol:<5} failed: {bars}')
    elif bars:
        first, last = bars[0], bars[-1]
        change = (last['close'] / first['open'] - 1) * 100
        print(
            f'{symbol:<5} {len(bars):>3} bars  {first["date"]:%m-%d %H:%M} -> {last["date"]:%m-%d %H:%M} UTC  '
            f'open {first["open"]:.2f}  close {last["close"]:.2f}  ({change:+.2f}%)'
        )

# 5. The beta HMDS endpoint (different units: '1d' period, '1hrs' bars).
hmds = client.historical_marketdata_beta(conid, period='1d', bar='1hrs').data
print(f'\nHMDS: {len(hmds.get("data", []))} bars from {hmds.get("startTime")}')

client.marketdata_unsubscribe_all()  # close the streams the snapshots opened
client.close()
