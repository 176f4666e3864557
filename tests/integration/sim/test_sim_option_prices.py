"""Option prices follow their underlying: put-call parity holds and calls move with the stock."""

import requests


def snapshot_last(http, sim, conids):
    params = {'conids': ','.join(str(c) for c in conids), 'fields': '31'}
    http.get(sim.url + 'iserver/marketdata/snapshot', params=params)  # the pre-flight
    rows = http.get(sim.url + 'iserver/marketdata/snapshot', params=params).json()
    return {row['conid']: float(row['31']) for row in rows}


def test_call_and_put_prices_follow_the_underlying(sim):
    sim.control.clock(freeze=True)
    sim.control.config(idle_timeout=None)  # hours pass between snapshots
    with requests.Session() as http:
        http.get(sim.url + 'iserver/accounts')
        search = http.get(sim.url + 'iserver/secdef/search', params={'symbol': 'AAPL'}).json()
        month = next(s for s in search[0]['sections'] if s['secType'] == 'OPT')['months'].split(';')[1]
        strikes = http.get(
            sim.url + 'iserver/secdef/strikes', params={'conid': 265598, 'sectype': 'OPT', 'month': month}
        ).json()
        strike = strikes['call'][len(strikes['call']) // 2]
        info = http.get(
            sim.url + 'iserver/secdef/info',
            params={'conid': 265598, 'sectype': 'OPT', 'month': month, 'strike': strike},
        ).json()
        call = next(item['conid'] for item in info if item['right'] == 'C')
        put = next(item['conid'] for item in info if item['right'] == 'P')

        moves = []
        for _ in range(6):
            prices = snapshot_last(http, sim, [265598, call, put])
            spot, call_price, put_price = prices[265598], prices[call], prices[put]
            assert abs((call_price - put_price) - (spot - strike)) < 0.05  # parity, without rates
            moves.append((spot, call_price, put_price))
            sim.control.advance(3 * 3600)
    for (s0, c0, p0), (s1, c1, p1) in zip(moves, moves[1:]):
        if abs(s1 - s0) > 0.5:  # a real move of the stock: the call follows it, the put goes the other way
            assert (c1 - c0) * (s1 - s0) > 0 and (p1 - p0) * (s1 - s0) < 0
