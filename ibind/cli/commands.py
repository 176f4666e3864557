"""What each ``ibind`` command asks the gateway, as rows for ``ibind.cli.output``.

Every command takes the client and the parsed arguments and returns ``(rows, exit_code)``. The rows
keep the columns people look at first; ``--format json`` carries the same rows for programs.
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List, Mapping, Tuple

from ibind.support.values import parse_snapshot

Rows = List[Dict[str, Any]]

POSITION_COLUMNS = (
    'acctId',
    'conid',
    'contractDesc',
    'assetClass',
    'position',
    'mktPrice',
    'mktValue',
    'avgCost',
    'unrealizedPnl',
    'realizedPnl',
    'currency',
)
ORDER_COLUMNS = (
    'orderId',
    'ticker',
    'side',
    'totalSize',
    'filledQuantity',
    'orderType',
    'price',
    'status',
    'timeInForce',
    'order_ref',
)
ACCOUNT_COLUMNS = ('accountId', 'displayName', 'currency', 'type', 'tradingType')
DEFAULT_SNAPSHOT_FIELDS = ('last_price', 'bid', 'ask', 'volume', 'change_percent')


def _pick(record: Mapping[str, Any], columns: Tuple[str, ...]) -> Dict[str, Any]:
    return {column: record.get(column) for column in columns}


def _session_row(auth_status: Mapping[str, Any]) -> Dict[str, Any]:
    return {key: auth_status.get(key) for key in ('authenticated', 'competing', 'connected', 'message')}


def health(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    """The brokerage session's state; exit 4 when it cannot trade (not authenticated, competing, disconnected)."""
    data = client.tickle().data
    auth = (data.get('iserver') or {}).get('authStatus') if isinstance(data, dict) else None
    if not isinstance(auth, dict):
        return [{'authenticated': False, 'message': 'no iserver.authStatus in /tickle'}], 4
    healthy = auth.get('authenticated') is True and auth.get('competing') is False and auth.get('connected') is True
    return [{'healthy': healthy, **_session_row(auth)}], 0 if healthy else 4


def tickle(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    """Keep the session alive (what a cron job every few minutes does); shows the session it kept."""
    data = client.tickle().data
    auth = (data.get('iserver') or {}).get('authStatus') or {} if isinstance(data, dict) else {}
    return [{'session': data.get('session') if isinstance(data, dict) else None, **_session_row(auth)}], 0


def accounts(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    data = client.portfolio_accounts().data or []
    return [_pick(account, ACCOUNT_COLUMNS) for account in data if isinstance(account, Mapping)], 0


def positions(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    """Every page of the account's positions."""
    client.portfolio_accounts()  # IBKR wants it before other /portfolio routes
    data = client.all_positions(account_id=args.account or None).data
    return [_pick(position, POSITION_COLUMNS) for position in data], 0


def orders(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    """Live orders of the brokerage session (today's, working and done)."""
    client.receive_brokerage_accounts()  # IBKR wants /iserver/accounts first in every brokerage session
    data = client.live_orders().data
    listed = data.get('orders') if isinstance(data, dict) else data
    return [_pick(order, ORDER_COLUMNS) for order in listed or []], 0


def history(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    """Bars of each symbol, one row per bar; a symbol whose history failed is named on stderr (exit 1)."""
    by_symbol = client.marketdata_history_by_symbols(
        args.symbols, period=args.period, bar=args.bar, outside_rth=args.outside_rth
    )
    rows: Rows = []
    failed = 0
    for symbol, bars in by_symbol.items():
        if isinstance(bars, Exception):
            failed += 1
            args.warn(f'history of {symbol} failed: {type(bars).__name__}: {bars}')
            continue
        rows.extend(
            {'time': bar['date'], 'symbol': symbol, **{k: bar[k] for k in ('open', 'high', 'low', 'close', 'volume')}}
            for bar in bars
        )
    rows.sort(key=lambda row: (row['time'], row['symbol']))
    return rows, 1 if failed else 0


def snapshot(client: Any, args: argparse.Namespace) -> Tuple[Rows, int]:
    """Current market data by symbol, values as numbers (``C``/``H`` prefixes in ``last_price_flag``)."""
    fields = args.fields.split(',') if args.fields else list(DEFAULT_SNAPSHOT_FIELDS)
    parsed = parse_snapshot(client.live_marketdata_snapshot_by_symbol(args.symbols, fields=fields))
    return [{'symbol': symbol, **values} for symbol, values in parsed.items()], 0


COMMANDS = {
    'health': health,
    'tickle': tickle,
    'accounts': accounts,
    'positions': positions,
    'orders': orders,
    'history': history,
    'snapshot': snapshot,
}
