"""Simulated gateway routes: orders and order monitoring (seed 002 "Orders" and "Order Monitoring").

The order book (``gw.orders``, ibind.sim.orders.book) holds the state; this module parses requests and
renders the documented response shapes: string ``order_id`` in acknowledgements, int ``orderId`` in
live orders and status, ``side`` "BUY"/"SELL" in live orders and "B"/"S" in status and trades.
See docs/simulator/orders.md for every rule, quirk and deviation.
"""

from __future__ import annotations

import math
import re
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Dict, Optional

from ibind.sim.accounts.ledger import commission_for
from ibind.sim.orders.questions import has_market_data
from ibind.sim.orders.tickets import STATUSES, SimOrder, Ticket, format_quantity, parse_ticket
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.accounts.ledger import Account, Execution
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

MAX_SUPPRESSED_IDS = 51
MAX_LIVE_ORDERS = 1000
MAX_TRADE_DAYS = 7
INITIAL_MARGIN_RATE = 0.33  # close to the ratios of the docs' whatif example (652 on 1,977.60)
MAINTENANCE_MARGIN_RATE = 0.30
WHATIF_NO_MARKET_DATA_WARNING = (
    '21/You are trying to submit an order without having market data for this instrument. '
    '\nIB strongly recommends against this kind of blind trading which may result in '
    '\nerroneous or unexpected trades.'
)

ORDER_TYPE_NAMES = {  # orderType -> (live orders "orderType", "origOrderType" / status "order_type")
    'MKT': ('Market', 'MARKET'),
    'LMT': ('Limit', 'LIMIT'),
    'STP': ('Stop', 'STOP'),
    'STOP_LIMIT': ('Stop Limit', 'STOP_LIMIT'),
    'MIDPRICE': ('Midprice', 'MIDPRICE'),
    'TRAIL': ('Trail', 'TRAIL'),
    'TRAILLMT': ('Trail Limit', 'TRAILLMT'),
}
TIF_NAMES = {'DAY': 'Day', 'GTC': 'GTC', 'IOC': 'IOC', 'OPG': 'OPG', 'PAX': 'PAX'}
CCP_STATUS_CODES = {  # order/status "order_ccp_status": FIX OrdStatus codes ("2" = Filled, as in the docs' example)
    'Inactive': '8',
    'PendingSubmit': 'A',
    'PreSubmitted': 'A',
    'Submitted': '0',
    'Filled': '2',
    'PendingCancel': '6',
    'Cancelled': '4',
    'WarnState': '0',
}
STATUS_DESCRIPTIONS = {
    'Inactive': 'Order Inactive',
    'PendingSubmit': 'Order Pending Submit',
    'PreSubmitted': 'Order PreSubmitted',
    'Submitted': 'Order Submitted',
    'Filled': 'Order Filled',
    'PendingCancel': 'Order Pending Cancel',
    'Cancelled': 'Order Cancelled',
    'WarnState': 'Order Warning',
}


# =========================================================================== placing, replies, modify, cancel


@routes.post('/iserver/account/{accountId}/orders')
def place_orders(gw: Gateway, req: SimRequest) -> Any:
    gw.session.require_accounts_queried()
    account = gw.account(_path(req, 'accountId')).account_id
    body = req.body
    if not isinstance(body, dict) or 'orders' not in body:
        raise ApiError(500, 'the body must be {"orders": [ ... ]}')
    return gw.orders.submit(account, body['orders'], gw.clock.now())


@routes.post('/iserver/reply/{replyId}')
def reply(gw: Gateway, req: SimRequest) -> Any:
    confirmed = req.body_dict().get('confirmed')
    if not isinstance(confirmed, bool):
        raise ApiError(400, 'Bad Request: the body must be {"confirmed": true} or {"confirmed": false}')
    return gw.orders.reply(_path(req, 'replyId'), confirmed, gw.clock.now())


@routes.post('/iserver/account/{accountId}/order/{orderId}')
def modify_order(gw: Gateway, req: SimRequest) -> Any:
    gw.session.require_accounts_queried()
    account = gw.account(_path(req, 'accountId')).account_id
    body = req.body
    if isinstance(body, dict) and isinstance(body.get('orders'), list) and len(body['orders']) == 1:
        body = body['orders'][0]  # the docs' text says /orders structure; the examples send one bare object
    return gw.orders.modify(account, _path(req, 'orderId'), body, gw.clock.now())


@routes.delete('/iserver/account/{accountId}/order/{orderId}')
def cancel_order(gw: Gateway, req: SimRequest) -> Any:
    gw.session.require_accounts_queried()
    account = gw.account(_path(req, 'accountId')).account_id
    return gw.orders.cancel(account, _path(req, 'orderId'), gw.clock.now())  # manualIndicator/extOperator: accepted


@routes.post('/iserver/questions/suppress')
def suppress_questions(gw: Gateway, req: SimRequest) -> Any:
    message_ids = req.body_dict().get('messageIds')
    if (
        not isinstance(message_ids, list)
        or not message_ids
        or not all(isinstance(m, str) and m.strip() for m in message_ids)
    ):
        raise ApiError(400, 'Bad Request: the body must be {"messageIds": ["o163", ...]}')
    if len(message_ids) > MAX_SUPPRESSED_IDS:
        raise ApiError(500, 'System error')
    gw.orders.suppress([m.strip() for m in message_ids])
    return {'status': 'submitted'}


@routes.post('/iserver/questions/suppress/reset')
def reset_suppressed_questions(gw: Gateway, req: SimRequest) -> Any:
    gw.orders.reset_suppressed()
    return {'status': 'submitted'}


# =========================================================================== monitoring


@routes.get('/iserver/account/orders')
def live_orders(gw: Gateway, req: SimRequest) -> Any:
    gw.session.require_accounts_queried()
    if gw.config.force_orders_empty and req.query_bool('force', False):
        return {'orders': [], 'snapshot': True}  # documented: "Submission will appear as a blank array"
    account = gw.account(req.query['accountId']).account_id if req.query.get('accountId') else gw.selected_account
    now = gw.clock.now()
    day_start = math.floor(now / 86400.0) * 86400.0
    orders = [o for o in gw.orders.orders_of(account) if o.is_open or o.updated_at >= day_start]
    requested = {_normalise_status(f) for f in (req.query.get('filters') or '').split(',') if f.strip()}
    sort_by_time = 'sortbytime' in requested
    wanted = requested & {_normalise_status(status) for status in STATUSES}  # unknown filters are ignored
    if wanted:
        orders = [o for o in orders if _normalise_status(o.status) in wanted]
    if sort_by_time:
        orders.sort(key=lambda o: (not o.is_open, o.created_at, o.order_id))
    return {'orders': [live_order_view(o) for o in orders[-MAX_LIVE_ORDERS:]], 'snapshot': True}


@routes.get('/iserver/account/order/status/{orderId}')
def order_status(gw: Gateway, req: SimRequest) -> Any:
    order_id = _path(req, 'orderId')
    if not order_id.strip().lstrip('-').isdigit():
        raise ApiError(400, f'Bad Request: orderId must be an integer, got {order_id!r}')
    order = gw.orders.order(order_id)
    if order is None:
        raise ApiError(400, f"OrderID {order_id} doesn't exist")
    return order_status_view(gw, order)


@routes.get('/iserver/account/trades')
def trades(gw: Gateway, req: SimRequest) -> Any:
    days = min(req.query_int('days', default=1, minimum=1), MAX_TRADE_DAYS)
    account_id = req.query.get('accountId') or gw.selected_account
    account = gw.account(account_id)
    now = gw.clock.now()
    since = (math.floor(now / 86400.0) - (days - 1)) * 86400.0
    orders = gw.orders.orders
    return [
        trade_view(gw, account.account_id, e, orders.get(e.order_id)) for e in account.executions if e.time >= since
    ]


@routes.post('/iserver/account/{accountId}/orders/whatif')
def whatif(gw: Gateway, req: SimRequest) -> Any:
    account = gw.account(_path(req, 'accountId'))
    body = req.body
    if not isinstance(body, dict) or not isinstance(body.get('orders'), list) or not body['orders']:
        raise ApiError(400, 'Bad Request: the body must be {"orders": [ ... ]} with at least one order')
    tickets = [parse_ticket(gw, raw, account.account_id, invalid_status=400) for raw in body['orders']]
    return whatif_view(gw, account, tickets[0])


# =========================================================================== views


def live_order_view(order: SimOrder) -> Dict[str, Any]:
    """One element of GET /iserver/account/orders "orders", with the documented keys and types."""
    instrument = order.instrument
    name, upper_name = ORDER_TYPE_NAMES[order.order_type]
    shown_at = order.last_execution_at or order.updated_at
    view: Dict[str, Any] = {
        'acct': order.account,
        'conidex': order.conidex,
        'conid': order.conid,
        'account': order.account,
        'orderId': order.order_id,
        'cashCcy': instrument.currency,
        'sizeAndFills': _size_and_fills(order),
        'orderDesc': order_description(order),
        'description1': instrument.symbol,
        'ticker': instrument.symbol,
        'secType': instrument.sec_type,
        'listingExchange': instrument.listing_exchange,
        'remainingQuantity': float(order.remaining),
        'filledQuantity': float(order.filled),
        'totalSize': float(order.quantity),
        'companyName': instrument.name,
        'status': order.status,
        'order_ccp_status': order.status,
        'origOrderType': upper_name,
        'supportsTaxOpt': '1',
        'lastExecutionTime': _yymmddhhmmss(shown_at),
        'orderType': name,
        'bgColor': '#FFFFFF',
        'fgColor': '#000000',
        'timeInForce': order.tif,
        'lastExecutionTime_r': int(shown_at * 1000),
        'side': order.side,
    }
    if order.filled:
        view['avgPrice'] = _price_text(order.avg_price, instrument.tick)
    if order.coid:
        view['order_ref'] = order.coid
    if order.price is not None:
        view['price'] = _price_text(order.price, instrument.tick)
    if order.aux_price is not None:
        view['auxPrice'] = _price_text(order.aux_price, instrument.tick)
    if order.parent_id is not None:
        view['parentId'] = order.parent_id
    return view


def order_status_view(gw: Gateway, order: SimOrder) -> Dict[str, Any]:
    """GET /iserver/account/order/status/{orderId}, with the documented keys and types."""
    instrument = order.instrument
    _, upper_name = ORDER_TYPE_NAMES[order.order_type]
    has_children = gw.orders.has_children(order)
    last = gw.market.last(order.conid)
    view: Dict[str, Any] = {
        'sub_type': None,
        'request_id': str(order.request_id),
        'server_id': '0',
        'order_id': order.order_id,
        'conidex': order.conidex,
        'conid': order.conid,
        'symbol': instrument.symbol,
        'side': 'B' if order.is_buy else 'S',
        'contract_description_1': instrument.symbol,
        'listing_exchange': instrument.listing_exchange,
        'option_acct': 'c',
        'company_name': instrument.name,
        'size': f'{float(order.remaining)}',
        'total_size': f'{float(order.quantity)}',
        'currency': instrument.currency,
        'account': order.account,
        'order_type': upper_name,
        'cum_fill': f'{float(order.filled)}',
        'order_status': order.status,
        'order_ccp_status': CCP_STATUS_CODES[order.status],
        'order_status_description': STATUS_DESCRIPTIONS[order.status],
        'tif': order.tif,
        'fg_color': '#FFFFFF',
        'bg_color': '#000000',
        'order_not_editable': not order.is_open,
        'editable_fields': '',
        'cannot_cancel_order': not order.is_open,
        'deactivate_order': False,
        'sec_type': instrument.sec_type,
        'available_chart_periods': '#R|1',
        'order_description': order_description(order),
        'order_description_with_contract': order_description(order, instrument.symbol),
        'alert_active': 1,
        'child_order_type': 'A' if has_children else '0',
        'order_clearing_account': order.account,
        'size_and_fills': _size_and_fills(order),
        'exit_strategy_display_price': _price_text(last, instrument.tick),
        'exit_strategy_chart_description': _chart_description(order),
        'exit_strategy_tool_availability': '1',
        'allowed_duplicate_opposite': True,
        'order_time': _yymmddhhmmss(order.created_at),
    }
    if order.filled:
        view['average_price'] = _price_text(order.avg_price, instrument.tick)
    if order.coid:
        view['order_ref'] = order.coid
    return view


def trade_view(gw: Gateway, account_id: str, execution: Execution, order: Optional[SimOrder]) -> Dict[str, Any]:
    """One element of GET /iserver/account/trades, with the documented keys and types."""
    instrument = gw.universe.find(execution.conid)
    symbol = instrument.symbol if instrument else str(execution.conid)
    tick = instrument.tick if instrument else 0.01
    multiplier = instrument.multiplier if instrument else 1.0
    verb = 'Bought' if execution.side == 'B' else 'Sold'
    price = _price_text(execution.price, tick)
    view: Dict[str, Any] = {
        'execution_id': execution.execution_id,
        'symbol': symbol,
        'supports_tax_opt': '1',
        'side': execution.side,
        'order_description': f'{verb} {format_quantity(execution.quantity)} @ {price} on {execution.exchange}',
        'trade_time': time.strftime('%Y%m%d-%H:%M:%S', time.gmtime(execution.time)),
        'trade_time_r': int(execution.time * 1000),
        'size': float(execution.quantity),
        'price': price,
        'submitter': gw.config.username,
        'exchange': execution.exchange,
        'commission': f'{execution.commission:.2f}',
        'net_amount': round(execution.quantity * execution.price * multiplier, 2),
        'account': account_id,
        'accountCode': account_id,
        'account_allocation_name': account_id,
        'company_name': instrument.name if instrument else symbol,
        'contract_description_1': symbol,
        'sec_type': instrument.sec_type if instrument else 'STK',
        'listing_exchange': instrument.listing_exchange if instrument else execution.exchange,
        'conid': execution.conid,
        'conidEx': order.conidex if order else str(execution.conid),
        'clearing_id': 'IB',
        'clearing_name': 'IB',
        'liquidation_trade': '0',
        'is_event_trading': '0',
        'order_id': execution.order_id,
    }
    if execution.order_ref:
        view['order_ref'] = execution.order_ref
    return view


def whatif_view(gw: Gateway, account: Account, ticket: Ticket) -> Dict[str, Any]:
    """The documented preview: cost, and equity, margin and position before/after, all as strings."""
    instrument = ticket.instrument
    bid, ask, last = gw.market.quote(ticket.conid)
    if ticket.price is not None and ticket.order_type != 'MIDPRICE':
        price = ticket.price
    else:
        price = ask if ticket.side == 'BUY' else bid
    quantity = ticket.quantity if ticket.cash_qty is None else round(ticket.cash_qty / price, 2)
    value = quantity * price * instrument.multiplier
    commission = commission_for(instrument, quantity, price)
    signed = quantity if ticket.side == 'BUY' else -quantity
    position = account.positions.get(instrument.conid)
    current = position.quantity if position else 0.0
    equity = _net_liquidation(gw, account)
    exposure_before = _gross_exposure(gw, account)
    exposure_after = (
        exposure_before
        - abs(current) * last * instrument.multiplier
        + abs(current + signed) * last * instrument.multiplier
    )
    initial = (exposure_before * INITIAL_MARGIN_RATE, exposure_after * INITIAL_MARGIN_RATE)
    maintenance = (exposure_before * MAINTENANCE_MARGIN_RATE, exposure_after * MAINTENANCE_MARGIN_RATE)
    total = value + commission if ticket.side == 'BUY' else value - commission
    units = 'Shares' if instrument.sec_type == 'STK' else 'Contracts'
    warn = None
    if not has_market_data(gw, instrument.conid) and 'o354' not in gw.orders.active_suppressions():
        warn = WHATIF_NO_MARKET_DATA_WARNING
    return {
        'amount': {
            'amount': f'{value:,.2f} {instrument.currency} ({format_quantity(quantity)} {units})',
            'commission': f'{_compact(commission)} {account.base_currency}',
            'total': f'{total:,.2f} {instrument.currency}',
        },
        'equity': _before_after(equity, equity - commission),
        'initial': _before_after(*initial),
        'maintenance': _before_after(*maintenance),
        'position': {
            'current': format_quantity(current),
            'change': format_quantity(signed),
            'after': format_quantity(current + signed),
        },
        'warn': warn,
        'error': None,
    }


# =========================================================================== formatting helpers


def _path(req: SimRequest, name: str) -> str:
    return urllib.parse.unquote(req.path_params[name])


def _normalise_status(text: str) -> str:
    """'PreSubmitted', 'pre_submitted' and 'Pre Submitted' all become 'presubmitted'."""
    return re.sub(r'[^a-z]', '', text.lower())


def _price_text(price: Optional[float], tick: float = 0.01) -> str:
    if price is None:
        return ''
    decimals = max(2, -math.floor(math.log10(tick))) if tick and tick < 1 else 2
    return f'{price:.{decimals}f}'


def _compact(amount: float) -> str:
    """1.0 -> '1', 1.01 -> '1.01' (the docs' whatif shows "1 USD")."""
    return f'{amount:.2f}'.rstrip('0').rstrip('.')


def _yymmddhhmmss(epoch: float) -> str:
    return time.strftime('%y%m%d%H%M%S', time.gmtime(epoch))


def _size_and_fills(order: SimOrder) -> str:
    if order.filled >= order.quantity:
        return format_quantity(order.quantity)
    return f'{format_quantity(order.filled)}/{format_quantity(order.quantity)}'


def _type_description(order: SimOrder) -> str:
    tick = order.instrument.tick
    name, _ = ORDER_TYPE_NAMES[order.order_type]
    if order.order_type in ('LMT', 'STP', 'MIDPRICE') and order.price is not None:
        return f'{name} {_price_text(order.price, tick)}'
    if order.order_type in ('STOP_LIMIT', 'TRAILLMT') and order.price is not None and order.aux_price is not None:
        return f'{name} {_price_text(order.aux_price, tick)} {_price_text(order.price, tick)}'
    if order.order_type == 'TRAIL' and order.trailing_amt is not None:
        unit = '%' if order.trailing_type == '%' else ''
        return f'{name} {order.trailing_amt:g}{unit}'
    return name


def order_description(order: SimOrder, symbol: Optional[str] = None) -> str:
    """'Sold 5 Market, Day' once filled, 'Buy 5 Limit 150.00, GTC' while working (with the symbol if given)."""
    if order.status == 'Filled':
        verb = 'Bought' if order.is_buy else 'Sold'
    else:
        verb = 'Buy' if order.is_buy else 'Sell'
    contract = f' {symbol}' if symbol else ''
    return f'{verb} {format_quantity(order.quantity)}{contract} {_type_description(order)}, {TIF_NAMES[order.tif]}'


def _chart_description(order: SimOrder) -> str:
    if order.filled:
        verb = 'Bought' if order.is_buy else 'Sold'
        return f'{verb} {format_quantity(order.filled)} @ {_price_text(order.avg_price, order.instrument.tick)}'
    return order_description(order)


def _before_after(current: float, after: float) -> Dict[str, str]:
    return {'current': f'{current:,.0f}', 'change': f'{after - current:,.0f}', 'after': f'{after:,.0f}'}


def _net_liquidation(gw: Gateway, account: Account) -> float:
    total = sum(account.cash.values())
    for position in account.open_positions():
        instrument = gw.universe.find(position.conid)
        if instrument is not None:
            total += position.quantity * gw.market.last(position.conid) * instrument.multiplier
    return total


def _gross_exposure(gw: Gateway, account: Account) -> float:
    total = 0.0
    for position in account.open_positions():
        instrument = gw.universe.find(position.conid)
        if instrument is not None:
            total += abs(position.quantity) * gw.market.last(position.conid) * instrument.multiplier
    return total
