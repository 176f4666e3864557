"""Orders are placed at most once, and the caller always learns the outcome.

An order POST that times out, or whose connection drops after sending, may or may not have reached IBKR.
Sending it again could buy twice, so ibind never does. Instead every order carries a customer order id
(``cOID``; ibind assigns a readable unique one when the caller gave none), and when the outcome of a
placement is unknown the client looks for that cOID among the account's live orders, waiting within a
bound for IBKR to show it. Found: the placement succeeded and the caller gets the order. Not found in
time: the caller gets ``OutcomeUnknownError`` carrying the cOID, to check again later -- never a silent
guess.

Bracket children must not carry a cOID (IBKR's docs); they are recognised next to their parent by
contract, side, quantity and type. A parent whose children cannot all be confirmed is reported, so a
position is never left without its protective orders unnoticed.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from ibind.support.errors import BadResponseError, ExternalBrokerError, OutcomeUnknownError, RedirectError


def needs_reconciliation(error: Exception) -> bool:
    """Whether an order request that failed this way may have acted, so its outcome must be looked up.

    IBKR's own answers (rejected, declined, an HTTP error status), a request never sent and a redirect (the
    redirecting server did not act) are definite. No answer, an unreadable one, or any unexpected exception
    while sending or reading it (a bug, a RecursionError, ...) may hide an order that was carried out.
    """
    if isinstance(error, RedirectError):
        return False
    if isinstance(error, (OutcomeUnknownError, BadResponseError)):
        return True
    return not isinstance(error, ExternalBrokerError)


def as_broker_error(error: Exception, record: Dict[str, Any]) -> ExternalBrokerError:
    """The error to reconcile for: an ExternalBrokerError as it is, anything else wrapped (it names what broke)."""
    if isinstance(error, ExternalBrokerError):
        return error
    return BadResponseError(
        f'{type(error).__name__} while sending or reading the answer: {error}',
        method=record.get('method'),
        url=record.get('url'),
    )


def new_coid(sequence: int, prefix: str = 'ibind') -> str:
    """A readable cOID, unique far beyond IBKR's 24 h window: ``ibind-20261121T143205-7f3a2c-1``.

    ``sequence`` is the client's own counter (unique within a client); the time and 24 random bits keep
    clients and processes apart.
    """
    import secrets  # only needed when placing orders

    stamp = time.strftime('%Y%m%dT%H%M%S', time.gmtime())
    return f'{prefix}-{stamp}-{secrets.token_hex(3)}-{sequence}'


def assign_coids(orders: List[Dict[str, Any]], sequence: Callable[[], int]) -> List[Dict[str, Any]]:
    """Give every order that is not a bracket child a cOID if it has none (copies; the caller's dicts stay as they are)."""
    assigned = []
    for order in orders:
        order = dict(order)
        if not order.get('cOID') and order.get('parentId') is None:
            order['cOID'] = new_coid(sequence())
        assigned.append(order)
    return assigned


def _same_instrument(order: Dict[str, Any], live: Dict[str, Any]) -> bool:
    conid = live.get('conid')
    if conid is None:
        return False
    try:
        return int(conid) == int(order.get('conid') or str(order.get('conidex', '')).split('@')[0])
    except (TypeError, ValueError):
        return False


def _looks_like(order: Dict[str, Any], live: Dict[str, Any]) -> bool:
    side = str(order.get('side', '')).upper()
    live_side = str(live.get('side', '')).upper()[:1]
    quantity = order.get('quantity')
    total = live.get('totalSize')
    try:
        same_size = quantity is None or total is None or float(total) == float(quantity)
    except (TypeError, ValueError):
        same_size = False
    return _same_instrument(order, live) and side[:1] == live_side and same_size


def _order_id(live: Dict[str, Any]) -> Optional[int]:
    order_id = live.get('orderId')
    if order_id is None:
        return None
    try:
        return int(order_id)
    except (TypeError, ValueError):
        return None


def acknowledgement(live: Dict[str, Any]) -> Dict[str, Any]:
    """A placement acknowledgement rebuilt from a live order, marked as reconciled."""
    return {
        'order_id': str(live.get('orderId')),
        'order_status': live.get('status'),
        'order_ref': live.get('order_ref'),
        'reconciled': True,
    }


def match_placement(
    orders: Sequence[Dict[str, Any]], live_orders: Sequence[Dict[str, Any]]
) -> Optional[List[Optional[Dict[str, Any]]]]:
    """The live order of each placed order, or None when the order with the group's cOID is not there yet.

    Orders with a cOID are found by it; bracket children (no cOID) by instrument, side and size among the
    orders placed after their parent. A child not found is None in the list.
    """
    by_ref = {live.get('order_ref'): live for live in live_orders if isinstance(live, dict) and live.get('order_ref')}
    matched: List[Optional[Dict[str, Any]]] = []
    anchor: Optional[int] = None
    for order in orders:
        coid = order.get('cOID')
        if coid:
            live = by_ref.get(coid)
            if live is None:
                return None
            matched.append(live)
            anchor = _order_id(live) if anchor is None else anchor
    taken = {id(live) for live in matched}
    result: List[Optional[Dict[str, Any]]] = []
    position = 0
    for order in orders:
        if order.get('cOID'):
            result.append(matched[position])
            position += 1
            continue
        candidates = [
            live
            for live in live_orders
            if isinstance(live, dict)
            and id(live) not in taken
            and not live.get('order_ref')
            and _looks_like(order, live)
            and (anchor is None or (_order_id(live) or 0) > anchor)
        ]
        candidates.sort(key=lambda live: _order_id(live) or 0)
        child = candidates[0] if candidates else None
        if child is not None:
            taken.add(id(child))
        result.append(child)
    return result


def wait_for(
    fetch_live_orders: Callable[[], Any],
    check: Callable[[List[Dict[str, Any]]], Any],
    timeout: float,
    sleep: Callable[[float], None],
    interval: float = 0.5,
) -> Any:
    """Poll live orders until ``check`` returns something other than None, or ``timeout`` passes (then None).

    A failing lookup is retried within the bound; the last failure is kept in ``wait_for.last_problem``.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        try:
            data = fetch_live_orders()
            live = data.get('orders') if isinstance(data, dict) else None
            outcome = check([item for item in live if isinstance(item, dict)] if isinstance(live, list) else [])
        except OutcomeUnknownError:
            outcome = None
        except Exception:  # the lookup itself failed; keep trying within the bound
            outcome = None
        if outcome is not None or time.monotonic() >= deadline:
            return outcome
        sleep(min(interval, max(0.0, deadline - time.monotonic())))


def reconcile_placement(
    orders: Sequence[Dict[str, Any]],
    fetch_live_orders: Callable[[], Any],
    timeout: float,
    sleep: Callable[[float], None],
    error: ExternalBrokerError,
    interval: float = 0.5,
) -> List[Dict[str, Any]]:
    """Look for a placement whose answer was lost; its acknowledgements, or OutcomeUnknownError with the cOID."""
    coid = next((order.get('cOID') for order in orders if order.get('cOID')), None)
    found = wait_for(fetch_live_orders, lambda live: match_placement(orders, live), timeout, sleep, interval)
    if found is None:
        raise OutcomeUnknownError(
            f'the placement of cOID {coid!r} got no usable answer ({error.message}) and the order did not appear in '
            f'live orders within {timeout:g}s. It was NOT sent again. It may still appear, or it may have stopped at a '
            f'question that lapsed: check live_orders() for order_ref {coid!r} before placing it again.',
            coid=coid,
            method=error.method,
            url=error.url,
            status_code=error.status_code,
            body=error.body,
        )
    missing = [index for index, live in enumerate(found) if live is None]
    if missing:
        raise OutcomeUnknownError(
            f'the order with cOID {coid!r} was placed (its answer was lost), but bracket order(s) {missing} could '
            'not be found next to it: check live_orders() and make sure the position is protected',
            coid=coid,
            method=error.method,
            url=error.url,
            status_code=error.status_code,
            body=error.body,
        )
    return [acknowledgement(live) for live in found]


CANCELLED_STATES = ('Cancelled', 'PendingCancel', 'Inactive')
WORKING_STATES = ('PreSubmitted', 'Submitted', 'PendingSubmit')


def find_order(live_orders: Sequence[Dict[str, Any]], order_id: Any) -> Optional[Dict[str, Any]]:
    return next((live for live in live_orders if str(live.get('orderId')) == str(order_id)), None)


def modification_applied(body: Dict[str, Any], live: Dict[str, Any]) -> bool:
    """Whether a live order shows the price and quantity a modification asked for."""
    for key, live_key in (('price', 'price'), ('quantity', 'totalSize')):
        wanted, shown = body.get(key), live.get(live_key)
        if wanted is None:
            continue
        if shown is None:
            return False
        try:
            if abs(float(shown) - float(wanted)) > 1e-9:
                return False
        except (TypeError, ValueError):
            return False
    return True
