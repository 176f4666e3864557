"""Raw IBKR order dicts, checked before anything is sent (keys as IBKR names them) and made JSON-ready.

A caller may pass IBKR's own order objects instead of ``OrderRequest``; they get the checks IBKR would refuse
them for, and their numbers (numpy, Decimal, Fraction) become plain int/float holding exactly the same value.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Mapping, NoReturn

from ibind.client.order_fields import ORDER_TYPES, TIFS, check_whole_quantity
from ibind.support.arguments import conid_arg, identifier, plain_number, printable


def order_dict(order: Any, argument: str) -> Dict[str, Any]:
    # Only an imported ibind.client.order_request can have made an OrderRequest: looked up, not imported, so
    # a program that sends dicts never pays for dataclasses.
    order_request = sys.modules.get('ibind.client.order_request')
    if order_request is not None and isinstance(order, order_request.OrderRequest):
        return order.to_dict()
    if isinstance(order, Mapping):
        if not order:
            raise ValueError(
                f'{argument!r} must not be empty: expected an order like {{"conid": 265598, '
                '"side": "BUY", "orderType": "MKT", "quantity": 1, "tif": "DAY"}'
            )
        return check_order_dict(order, argument)
    raise TypeError(f'{argument!r} must be an OrderRequest or an order dict, got {type(order).__name__}')


def check_order_dict(order: Mapping[str, Any], argument: str) -> Dict[str, Any]:
    """The checks IBKR would refuse a raw order dict for, done before anything is sent (keys as IBKR names them).

    Returns a copy whose numbers are plain int/float (numpy, Decimal and Fraction values converted exactly)."""
    checked = dict(order)

    def fail(key: str, expected: str, error: type = ValueError) -> NoReturn:
        raise error(f'{argument}[{key!r}] must be {expected}, got {order.get(key)!r}')

    for key in order:
        if not isinstance(key, str):
            raise TypeError(f'{argument!r} keys must be IBKR field names (str), got {key!r}')
    conid, conidex = order.get('conid'), order.get('conidex')
    if conid is None and conidex is None:
        raise ValueError(f"{argument!r} needs 'conid' (e.g. 265598) or 'conidex'")
    if conid is not None:
        text = conid_arg(f"{argument}['conid']", conid)
        checked['conid'] = text if isinstance(conid, str) else int(text)
    if conidex is not None and (not isinstance(conidex, str) or not conidex.strip()):
        fail('conidex', 'a non-empty str like "265598@SMART"')
    side = order.get('side')
    if not isinstance(side, str) or side.strip().upper() not in ('BUY', 'SELL'):
        fail('side', '"BUY" or "SELL"', ValueError if isinstance(side, str) else TypeError)
    order_type = order.get('orderType')
    if not isinstance(order_type, str) or order_type.strip().upper() not in ORDER_TYPES:
        fail('orderType', f'one of {", ".join(ORDER_TYPES)}', ValueError if isinstance(order_type, str) else TypeError)
    tif = order.get('tif')
    if tif is not None and (not isinstance(tif, str) or tif.strip().upper() not in TIFS):
        fail('tif', f'one of {", ".join(TIFS)}')
    sized_by_cash = any(order.get(key) is not None for key in ('cashQty', 'fxQty', 'fxQTY'))
    for key in ('quantity', 'price', 'auxPrice', 'cashQty', 'fxQty', 'trailingAmt'):
        value = order.get(key)
        if value is None:
            continue
        try:
            value = checked[key] = plain_number(f'{argument}[{key!r}]', value)
        except TypeError:
            fail(key, 'a finite number', TypeError)
        if value != value or value in (float('inf'), float('-inf')):
            fail(key, 'a finite number')
        combo = isinstance(conidex, str) and ';;;' in conidex
        if value <= 0 and not (combo and key in ('price', 'auxPrice')):
            fail(key, 'a number greater than 0')
    check_whole_quantity(f"{argument}['quantity']", checked.get('quantity'), order.get('secType'), False)
    if order.get('quantity') is None and not sized_by_cash:
        raise ValueError(f"{argument!r} needs 'quantity' (a number greater than 0) or 'cashQty'/'fxQty'")
    if order_type.strip().upper() in ('LMT', 'STOP_LIMIT', 'TRAILLMT') and order.get('price') is None:
        raise ValueError(f"{argument!r}: orderType {order_type!r} needs 'price' (the limit price)")
    for key in ('cOID', 'parentId', 'acctId', 'listingExchange', 'secType', 'ticker', 'referrer'):
        value = order.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            fail(key, 'a str', TypeError)
        if isinstance(value, str) and not value.strip():
            fail(key, 'a non-empty str (or leave it out)')
        if isinstance(value, str):
            printable(f'{argument}[{key!r}]', value, 'one line of text')
    if order.get('acctId') is not None:
        identifier(f"{argument}['acctId']", order['acctId'], "an account id like 'DU1234567'")
    return checked
