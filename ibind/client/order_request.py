"""OrderRequest and make_order_request: an order as Python fields, sent as IBKR's camelCase JSON.

``OrderRequest(conid=265598, side='BUY', quantity=10, order_type='LMT', acct_id='DU1234567', price=150)``
validates its fields when it is created (and again in ``to_dict``), so a malformed order raises a
``ValueError``/``TypeError`` naming the field before anything reaches IBKR. ``to_dict()`` gives the body
element of ``POST /iserver/account/{accountId}/orders`` with None values left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Dict, Mapping, Optional, Union

from ibind.client.order_fields import (  # noqa: F401  # re-exported: order_request was their home
    FRACTIONAL_SEC_TYPES,
    ORDER_TYPES,
    SIDES,
    TIFS,
    TRAILING_TYPES,
    check_whole_quantity,
)
from ibind.support.arguments import conid_arg, plain_number

_NEEDS_PRICE = ('LMT', 'STOP_LIMIT', 'TRAILLMT')
_NEEDS_AUX_PRICE = ('STOP_LIMIT', 'TRAILLMT')
_NEEDS_TRAILING = ('TRAIL', 'TRAILLMT')

# field name -> IBKR key, in the order the docs list them
_KEYS = {
    'acct_id': 'acctId',
    'conid': 'conid',
    'conidex': 'conidex',
    'manual_indicator': 'manualIndicator',
    'ext_operator': 'extOperator',
    'sec_type': 'secType',
    'coid': 'cOID',
    'parent_id': 'parentId',
    'order_type': 'orderType',
    'listing_exchange': 'listingExchange',
    'is_single_group': 'isSingleGroup',
    'outside_rth': 'outsideRTH',
    'price': 'price',
    'aux_price': 'auxPrice',
    'side': 'side',
    'ticker': 'ticker',
    'tif': 'tif',
    'trailing_amt': 'trailingAmt',
    'trailing_type': 'trailingType',
    'referrer': 'referrer',
    'quantity': 'quantity',
    'cash_qty': 'cashQty',
    'fx_qty': 'fxQty',
    'use_adaptive': 'useAdaptive',
    'is_ccy_conv': 'isCcyConv',
    'allocation_method': 'allocationMethod',
    'strategy': 'strategy',
    'strategy_parameters': 'strategyParameters',
}

Number = Union[int, float]


@dataclass
class OrderRequest:
    """One order, in the field names of this library (snake_case) and IBKR's meaning.

    ``conid`` (or ``conidex`` for direct routing), ``side`` ('BUY'/'SELL'), ``quantity`` (> 0; or
    ``cash_qty``/``fx_qty`` instead) and ``order_type`` (LMT, MKT, STP, STOP_LIMIT, MIDPRICE, TRAIL,
    TRAILLMT) are required. ``price`` is the limit price (the stop price of STP and TRAIL); ``aux_price``
    is the stop price of STOP_LIMIT and TRAILLMT. For a bracket give the parent a ``coid`` and each child
    ``parent_id`` = that cOID. ``manual_indicator``/``ext_operator`` are required by IBKR for futures.
    """

    conid: Optional[Union[str, int]]
    side: str
    quantity: Optional[Number]
    order_type: str
    acct_id: Optional[str]
    price: Optional[Number] = None
    conidex: Optional[str] = None
    sec_type: Optional[str] = None
    coid: Optional[str] = None
    parent_id: Optional[str] = None
    listing_exchange: Optional[str] = None
    is_single_group: Optional[bool] = None
    outside_rth: Optional[bool] = None
    aux_price: Optional[Number] = None
    ticker: Optional[str] = None
    tif: str = 'GTC'
    trailing_amt: Optional[Number] = None
    trailing_type: Optional[str] = None
    referrer: Optional[str] = None
    cash_qty: Optional[Number] = None
    fx_qty: Optional[Number] = None
    use_adaptive: Optional[bool] = None
    is_ccy_conv: Optional[bool] = None
    allocation_method: Optional[str] = None
    strategy: Optional[str] = None
    strategy_parameters: Optional[Dict[str, Any]] = None
    manual_indicator: Optional[bool] = None
    ext_operator: Optional[str] = None
    allow_fractional: bool = False

    def __post_init__(self) -> None:
        self.to_dict()  # fail at construction, naming the field, rather than at placement

    def to_dict(self) -> Dict[str, Any]:
        """The IBKR JSON object for this order (camelCase keys, None values dropped), validated."""
        return make_order_request(**{f.name: getattr(self, f.name) for f in fields(self)})


def make_order_request(
    conid: Optional[Union[str, int]],
    side: str,
    quantity: Optional[Number],
    order_type: str,
    acct_id: Optional[str],
    price: Optional[Number] = None,
    conidex: Optional[str] = None,
    sec_type: Optional[str] = None,
    coid: Optional[str] = None,
    parent_id: Optional[str] = None,
    listing_exchange: Optional[str] = None,
    is_single_group: Optional[bool] = None,
    outside_rth: Optional[bool] = None,
    aux_price: Optional[Number] = None,
    ticker: Optional[str] = None,
    tif: str = 'GTC',
    trailing_amt: Optional[Number] = None,
    trailing_type: Optional[str] = None,
    referrer: Optional[str] = None,
    cash_qty: Optional[Number] = None,
    fx_qty: Optional[Number] = None,
    use_adaptive: Optional[bool] = None,
    is_ccy_conv: Optional[bool] = None,
    allocation_method: Optional[str] = None,
    strategy: Optional[str] = None,
    strategy_parameters: Optional[Dict[str, Any]] = None,
    manual_indicator: Optional[bool] = None,
    ext_operator: Optional[str] = None,
    allow_fractional: bool = False,
) -> Dict[str, Any]:
    """Build and validate the IBKR order object (the element of ``{"orders": [...]}``); None values are dropped.

    Raises ValueError/TypeError naming the field for anything IBKR would refuse as malformed: a missing
    conid, a side other than BUY/SELL, a quantity that is not > 0, an unknown order type or tif, an LMT
    without a price, a STOP_LIMIT without aux_price, a TRAIL without trailing_amt/trailing_type, ...
    """
    values = dict(locals())
    is_combo = isinstance(conidex, str) and ';;;' in conidex
    values['conid'] = None if conid is None else int(conid_arg('conid', conid))
    values['conidex'] = _text('conidex', conidex)
    if values['conid'] is None and values['conidex'] is None:
        raise ValueError("'conid' is required: expected a contract id like 265598 (or pass 'conidex')")
    values['side'] = _choice('side', side, SIDES, upper=True)
    values['order_type'] = _choice('order_type', order_type, ORDER_TYPES, upper=True)
    values['tif'] = _choice('tif', tif, TIFS, upper=True)
    values['quantity'] = _number('quantity', quantity, positive=True)
    _flag('allow_fractional', allow_fractional)
    check_whole_quantity('quantity', values['quantity'], sec_type, allow_fractional)
    values['cash_qty'] = _number('cash_qty', cash_qty, positive=True)
    values['fx_qty'] = _number('fx_qty', fx_qty, positive=True)
    sized_by_cash = values['cash_qty'] is not None or values['fx_qty'] is not None
    if values['quantity'] is None and not sized_by_cash:
        raise ValueError("'quantity' is required: expected a number greater than 0 (or pass cash_qty/fx_qty)")
    if values['quantity'] is not None and sized_by_cash:
        raise ValueError("'quantity' cannot be combined with 'cash_qty' or 'fx_qty': pass only one of them")
    for name in ('price', 'aux_price'):
        values[name] = _number(name, values[name], positive=not is_combo)  # combo prices may be negative
    values['trailing_amt'] = _number('trailing_amt', trailing_amt, positive=True)
    kind = values['order_type']
    if kind in _NEEDS_PRICE and values['price'] is None:
        raise ValueError(f"'price' is required for order_type {kind!r}: expected the limit price")
    if kind == 'STP' and values['price'] is None and values['aux_price'] is None:
        raise ValueError("'price' is required for order_type 'STP': expected the stop price")
    if kind in _NEEDS_AUX_PRICE and values['aux_price'] is None:
        raise ValueError(f"'aux_price' is required for order_type {kind!r}: expected the stop price")
    if trailing_type is not None:
        values['trailing_type'] = _choice('trailing_type', trailing_type, TRAILING_TYPES)
    if kind in _NEEDS_TRAILING and (values['trailing_amt'] is None or values['trailing_type'] is None):
        raise ValueError(f"'trailing_amt' and 'trailing_type' ('amt' or '%') are required for order_type {kind!r}")
    if isinstance(parent_id, int) and not isinstance(parent_id, bool):
        values['parent_id'] = str(parent_id)  # sequential brackets may name the parent by its order id
    for name in (
        'acct_id',
        'sec_type',
        'coid',
        'parent_id',
        'listing_exchange',
        'ticker',
        'referrer',
        'allocation_method',
        'strategy',
        'ext_operator',
    ):
        values[name] = _text(name, values[name])
    for name in ('is_single_group', 'outside_rth', 'use_adaptive', 'is_ccy_conv', 'manual_indicator'):
        values[name] = _flag(name, values[name])
    if strategy_parameters is not None and not isinstance(strategy_parameters, Mapping):
        raise TypeError(
            f"'strategy_parameters' must be a dict of IB Algo parameters, got {type(strategy_parameters).__name__}"
        )
    if strategy_parameters is not None:
        values['strategy_parameters'] = dict(strategy_parameters)
    return {key: values[name] for name, key in _KEYS.items() if values[name] is not None}


def _choice(name: str, value: Any, allowed: tuple, upper: bool = False) -> str:
    if not isinstance(value, str):
        raise TypeError(f'{name!r} must be one of {", ".join(allowed)}, got {value!r}')
    normalised = value.strip().upper() if upper else value.strip()
    if normalised not in allowed:
        raise ValueError(f'{name!r} must be one of {", ".join(allowed)}, got {value!r}')
    return normalised


def _number(name: str, value: Any, positive: bool) -> Optional[Number]:
    if value is None:
        return None
    value = plain_number(name, value)  # numpy, Decimal, Fraction: as int/float when the value is exact
    if not math.isfinite(value):
        raise ValueError(f'{name!r} must be a finite number, got {value!r}')
    if positive and value <= 0:
        raise ValueError(f'{name!r} must be greater than 0, got {value!r}')
    return value


def _text(name: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f'{name!r} must be a str, got {type(value).__name__} {value!r}')
    if not value.strip():
        raise ValueError(f'{name!r} must not be empty: pass a value or leave it out (None)')
    return value.strip()


def _flag(name: str, value: Any) -> Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f'{name!r} must be True, False or None, got {value!r}')
    return value


__all__ = ['ORDER_TYPES', 'OrderRequest', 'TIFS', 'make_order_request']
