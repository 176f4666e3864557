"""The streaming messages, built from the simulation's state in the shapes of seed 002's examples.

Each builder reads the same state the REST routes read (price paths, order book, ledger, session), and
most reuse the REST views, so a message and the matching REST answer always agree. Builders are called
with the gateway lock held.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

from ibind.sim.accounts.routes import account_properties as account_props
from ibind.sim.accounts.routes import allowed_features
from ibind.sim.session.state import SERVER_INFO
from ibind.sim.transport.http import SimRequest

if TYPE_CHECKING:
    from ibind.sim.engine.universe import Instrument
    from ibind.sim.gateway import Gateway


def _request(path_params: Optional[Dict[str, str]] = None, query: Optional[Dict[str, str]] = None) -> SimRequest:
    """A request value for calling a REST view directly (the stream is not a request: nothing is counted)."""
    query = dict(query or {})
    return SimRequest(
        method='GET',
        path='',
        query=query,
        query_all={k: [v] for k, v in query.items()},
        raw_body=b'',
        headers={},
        path_params=dict(path_params or {}),
    )


# ----------------------------------------------------------------- unsolicited


def system_hello(gw: Gateway) -> Dict[str, Any]:
    return {'topic': 'system', 'success': gw.config.username, 'isFT': False, 'isPaper': True}


def heartbeat(now_ms: int) -> Dict[str, Any]:
    return {'topic': 'system', 'hb': now_ms}


def auth_status(gw: Gateway) -> Dict[str, Any]:
    status = gw.session.auth_status()
    args: Dict[str, Any] = {
        key: status[key] for key in ('authenticated', 'competing', 'connected', 'message', 'fail') if key in status
    }
    if 'serverInfo' in status:
        args['serverName'] = status['serverInfo']['serverName']
        args['serverVersion'] = status['serverInfo']['serverVersion']
        args['username'] = gw.config.username
    return {'topic': 'sts', 'args': args}


_STREAM_ASSET_TYPES = 'STK,CFD,OPT,FOP,WAR,FUT,BAG,PDC,CASH,IND,BOND,BILL,FUND,SLB,News,CMDTY,IOPT,ICU,ICS,PHYSS,CRYPTO'


def account_properties(gw: Gateway) -> Dict[str, Any]:
    accounts = list(gw.config.accounts)
    return {
        'topic': 'act',
        'args': {
            'accounts': accounts,
            'acctProps': account_props(accounts, master=None),
            'aliases': {account: gw.accounts[account].alias or account for account in accounts},
            'allowFeatures': allowed_features(False, _STREAM_ASSET_TYPES),
            'chartPeriods': {
                'STK': ['*'],
                'CFD': ['*'],
                'OPT': ['2h', '1d', '2d', '1w', '1m'],
                'FOP': ['2h', '1d', '2d'],
                'WAR': ['*'],
                'IOPT': ['*'],
                'FUT': ['*'],
                'CASH': ['*'],
                'IND': ['*'],
                'BOND': ['*'],
                'FUND': ['*'],
                'CMDTY': ['*'],
                'PHYSS': ['*'],
                'CRYPTO': ['*'],
            },
            'groups': [],
            'profiles': [],
            'selectedAccount': gw.selected_account,
            'serverInfo': dict(SERVER_INFO),
            'sessionId': gw.session.session_id,
            'isFT': False,
            'isPaper': True,
        },
    }


def bulletin(bulletin_id: str, message: str) -> Dict[str, Any]:
    return {'topic': 'blt', 'args': {'id': bulletin_id, 'message': message}}


def notification(notification_id: str, text: str, title: str = '', url: str = '') -> Dict[str, Any]:
    return {'topic': 'ntf', 'args': {'id': notification_id, 'text': text, 'title': title, 'url': url}}


# ----------------------------------------------------------------- market data


def market_data_values(gw: Gateway, instrument: Instrument, field_ids: Iterable[str]) -> Dict[str, Any]:
    """Field values now, from the same producers (and so the same price paths) as /iserver/marketdata/snapshot."""
    from ibind.sim.marketdata.fields import SnapshotFields

    return SnapshotFields(gw, instrument).values(field_ids)


def market_data(
    topic: str, conid: int, conid_ex: str, server_id: str, now_ms: int, values: Dict[str, Any]
) -> Dict[str, Any]:
    message: Dict[str, Any] = {
        'server_id': server_id,
        'conidEx': conid_ex,
        'conid': conid,
        '_updated': now_ms,
        '6119': server_id,
    }
    message.update(values)
    message['6509'] = 'RB'
    message['topic'] = topic
    return message


def history(gw: Gateway, conid_text: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """The smh answer: /iserver/marketdata/history's body for the same conid, period and bar."""
    from ibind.sim.marketdata.routes import history as rest_history

    query = {'conid': conid_text, 'bar': str(params.get('bar') or '1min'), 'period': str(params.get('period') or '1d')}
    if params.get('outsideRth') is not None:
        query['outsideRth'] = 'true' if params.get('outsideRth') else 'false'
    response = rest_history(gw, _request(query=query))
    for callback in response.on_complete:
        callback()
    return dict(response.body)


def price_ladder(gw: Gateway, instrument: Instrument, rows: int = 10) -> List[Dict[str, Any]]:
    """BookTrader rows around the last price: asks above, bids below, sizes from the price path's noise."""
    from ibind.sim.engine.market import round_to_tick, unit_noise

    bid, ask, last = gw.market.quote(instrument.conid)
    tick = instrument.tick
    now = int(gw.clock.now())
    decimals = max(0, len(f'{tick:.10f}'.rstrip('0').split('.')[1]))
    data: List[Dict[str, Any]] = []
    for row in range(rows):
        level = rows // 2 - row
        price = round_to_tick(last + level * tick, tick)
        entry: Dict[str, Any] = {'row': row, 'focus': 1 if price == last else 0, 'price': f'{price:.{decimals}f}'}
        size = 100 * (1 + int(abs(unit_noise(gw.config.seed, instrument.conid, row, now)) * 20))
        if price >= ask:
            entry['ask'] = str(size)
        elif price <= bid:
            entry['bid'] = str(size)
        else:
            entry['price'] = f'{size} @ {price:.{decimals}f}'
        data.append(entry)
    return data


# ----------------------------------------------------------------- orders and trades


def order_args(orders: Iterable[Any]) -> List[Dict[str, Any]]:
    """sor "args": the /iserver/account/orders view of each order (cOID in order_ref)."""
    from ibind.sim.orders.routes import live_order_view

    return [live_order_view(order) for order in orders]


def trade_args(gw: Gateway, executions: Iterable[Any]) -> List[Dict[str, Any]]:
    """str "args": the /iserver/account/trades view of each execution."""
    from ibind.sim.orders.routes import trade_view

    orders = gw.orders.orders
    return [trade_view(gw, execution.account, execution, orders.get(execution.order_id)) for execution in executions]


# ----------------------------------------------------------------- portfolio


def profit_and_loss(gw: Gateway) -> Dict[str, Any]:
    """spl "args": /iserver/account/pnl/partitioned's rows, with "uel" as the websocket names excess liquidity."""
    from ibind.sim.accounts.routes import pnl_partitioned

    rows = pnl_partitioned(gw, _request())['upnl']
    args = {}
    for key, row in rows.items():
        row = dict(row)
        row['uel'] = row.pop('el', 0.0)
        args[key] = row
    return args


def account_summary(gw: Gateway, account_id: str, keys: List[str], fields: List[str]) -> List[Dict[str, Any]]:
    """ssd "result": /portfolio/{id}/summary as a list of {key, currency, monetaryValue|value, severity, timestamp}."""
    from ibind.sim.portfolio.routes import portfolio_summary

    summary = portfolio_summary(gw, _request(path_params={'accountId': account_id}))
    wanted = {key.lower() for key in keys}
    result = []
    for key, entry in summary.items():
        if wanted and key.lower() not in wanted:
            continue
        item: Dict[str, Any] = {'key': key, 'timestamp': entry['timestamp'], 'severity': entry.get('severity', 0)}
        if entry.get('value') is not None:
            item['value'] = entry['value']
        else:
            item['monetaryValue'] = entry['amount']
            item['currency'] = entry['currency']
        if fields:
            item = {k: v for k, v in item.items() if k in ('key', 'timestamp') or k in fields}
        result.append(item)
    return result


# REST ledger key -> the websocket's spelling (seed 002's sld example)
_LEDGER_NAMES = {
    'acctcode': 'acctCode',
    'cashbalance': 'cashbalance',
    'cashbalancefxsegment': 'cashBalanceFXSegment',
    'commoditymarketvalue': 'commodityMarketValue',
    'corporatebondsmarketvalue': 'corporateBondsMarketValue',
    'dividends': 'dividends',
    'exchangerate': 'exchangeRate',
    'funds': 'funds',
    'marketvalue': 'marketValue',
    'optionmarketvalue': 'optionMarketValue',
    'interest': 'interest',
    'issueroptionsmarketvalue': 'issueOptionsMarketValue',
    'moneyfunds': 'moneyFunds',
    'netliquidationvalue': 'netLiquidationValue',
    'realizedpnl': 'realizedPnl',
    'unrealizedpnl': 'unrealizedPnl',
    'secondkey': 'secondKey',
    'settledcash': 'settledCash',
    'stockmarketvalue': 'stockMarketValue',
    'tbillsmarketvalue': 'tBillsMarketValue',
    'tbondsmarketvalue': 'tBondsMarketValue',
    'warrantsmarketvalue': 'warrantsMarketValue',
    'severity': 'severity',
}


def ledger(gw: Gateway, account_id: str, keys: List[str], fields: List[str]) -> Dict[str, Dict[str, Any]]:
    """sld entries by key ("LedgerListUSD", "LedgerListBASE"), full (the caller blanks the unchanged ones)."""
    from ibind.sim.portfolio.routes import portfolio_ledger

    rest = portfolio_ledger(gw, _request(path_params={'accountId': account_id}))
    wanted = set(keys)
    entries: Dict[str, Dict[str, Any]] = {}
    for currency, entry in rest.items():
        key = f'LedgerList{currency}'
        if wanted and key not in wanted:
            continue
        item: Dict[str, Any] = {'key': key}
        for name, value in entry.items():
            ws_name = _LEDGER_NAMES.get(name)
            if ws_name is None or (fields and ws_name not in fields and ws_name != 'acctCode'):
                continue
            item[ws_name] = float(value) if isinstance(value, (int, float)) and ws_name != 'severity' else value
        item['timestamp'] = entry['timestamp']
        entries[key] = item
    return entries
