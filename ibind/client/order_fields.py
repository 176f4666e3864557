"""The order vocabulary OrderRequest and raw IBKR order dicts share: order types, TIFs, sides, whole quantities.

Apart from ``order_request`` so that checking a raw order dict does not import ``dataclasses`` (and with it
``inspect``), a tenth of ibind's import time.
"""

from __future__ import annotations

from typing import Any

# Instrument kinds traded in fractions as a matter of course; any other non-whole quantity needs allow_fractional.
FRACTIONAL_SEC_TYPES = ('CASH', 'CRYPTO')


def check_whole_quantity(name: str, quantity: Any, sec_type: Any, allow_fractional: Any) -> None:
    """A non-whole quantity is refused before sending unless the order says fractions are meant.

    The client cannot know whether an instrument (or the account) allows fractions; a quantity of 0.5 sent by
    mistake -- from a division, a DataFrame of floats -- should not quietly become a fractional fill. Forex and
    crypto (``sec_type`` CASH/CRYPTO, also as IBKR's ``'conid:CASH'``) trade in fractions; for fractional shares
    pass ``allow_fractional=True`` (not sent to IBKR), or size the order with ``cash_qty``.
    """
    if quantity is None or allow_fractional is True or float(quantity).is_integer():
        return
    kind = sec_type.rsplit(':', 1)[-1].strip().upper() if isinstance(sec_type, str) else ''
    if kind in FRACTIONAL_SEC_TYPES:
        return
    raise ValueError(
        f'{name!r} is {quantity!r}, not a whole number: fractional quantities are refused unless the '
        "order says they are meant (allow_fractional=True, or sec_type 'CASH'/'CRYPTO'); "
        'use cash_qty to size by amount'
    )


ORDER_TYPES = ('LMT', 'MKT', 'STP', 'STOP_LIMIT', 'MIDPRICE', 'TRAIL', 'TRAILLMT')
TIFS = ('GTC', 'OPG', 'DAY', 'IOC', 'PAX')
SIDES = ('BUY', 'SELL')
TRAILING_TYPES = ('amt', '%')
