"""ScannerMixin: the scanner category of the IBKR Client Portal Web API.

Two scanners exist: the iserver scanner (``/iserver/scanner/*``, at most 50 contracts, stocks,
ETFs, futures, indexes) and the HMDS scanner (``/hmds/scanner/*``, at most 250 contracts, bonds
among others). Each has a parameters endpoint that lists the valid instrument types, scan codes,
locations and filters; the run endpoints take values from those lists.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.base.rest_client import Result
from ibind.support.arguments import printable

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

HMDS_MAX_ITEMS = 250


class ScannerMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#scanner"""

    def scanner_parameters(self) -> Result:
        """Every value the iserver scanner accepts.

        The answer lists ``scan_type_list``, ``instrument_list``, ``filter_list`` and ``location_tree``.

        IBKR allows one such request per 15 minutes: fetch it once and keep it.
        """
        return self.get('iserver/scanner/params')

    def market_scanner(
        self, instrument: str, type: str, location: str, filter: Optional[List[Dict[str, Any]]] = None
    ) -> Result:
        """Run the iserver market scanner: at most 50 contracts, ranked by the scan ``type``.

        Arguments:
            instrument: an instrument type from ``instrument_list``, e.g. ``'STK'``.
            type: a scan code from ``scan_type_list``, e.g. ``'TOP_PERC_GAIN'`` or ``'MOST_ACTIVE'``.
            location: a location from ``location_tree``, e.g. ``'STK.US.MAJOR'``.
            filter: optional filters, each ``{'code': <filter_list code>, 'value': <number>}``,
                e.g. ``[{'code': 'priceAbove', 'value': 5}]``.

        Running a scan changes nothing, so the request is safe to retry.
        """
        body: Dict[str, Any] = {
            'instrument': _required_text('instrument', instrument, "an instrument type like 'STK'"),
            'type': _required_text('type', type, "a scan code like 'TOP_PERC_GAIN'"),
            'location': _required_text('location', location, "a location code like 'STK.US.MAJOR'"),
        }
        if filter is not None:
            body['filter'] = _code_value_filters(filter)
        return self.post('iserver/scanner/run', json=body, retry_safe=True)

    def hmds_scanner_parameters(self) -> Result:
        """Every value the HMDS scanner accepts: ``instrument_list``, ``scan_type_list``, ``location_tree``."""
        return self.get('hmds/scanner/params')

    def hmds_market_scanner(
        self,
        instrument: str,
        location: str,
        scan_code: str,
        sec_type: str,
        filter: List[Dict[str, Any]],
        max_items: Optional[int] = None,
    ) -> Result:
        """Run the HMDS market scanner: up to 250 contracts (``Contracts.Contract[].contractID``).

        Arguments:
            instrument: an instrument type from ``instrument_list``, e.g. ``'BOND'``.
            location: a location code from ``location_tree``, e.g. ``'BOND.US'`` (sent as ``locations``).
            scan_code: a scan code from ``scan_type_list``, e.g. ``'HIGH_BOND_ASK_YIELD_ALL'`` (``scanCode``).
            sec_type: the security type, e.g. ``'BOND'`` (``secType``).
            filter: filters as ``{<filter code>: <value>}`` objects, e.g. ``[{'bondAskYieldBelow': 15.819}]``;
                required by IBKR, but may be an empty list (sent as ``filters``).
            max_items: how many contracts to return, 1 to 250 (IBKR's default and maximum is 250).

        Running a scan changes nothing, so the request is safe to retry.
        """
        body: Dict[str, Any] = {
            'instrument': _required_text('instrument', instrument, "an instrument type like 'BOND'"),
            'locations': _required_text('location', location, "a location code like 'BOND.US'"),
            'scanCode': _required_text('scan_code', scan_code, "a scan code like 'HIGH_BOND_ASK_YIELD_ALL'"),
            'secType': _required_text('sec_type', sec_type, "a security type like 'BOND'"),
            'filters': _keyed_filters(filter),
        }
        if max_items is not None:
            if isinstance(max_items, bool) or not isinstance(max_items, int):
                raise TypeError(f"'max_items' must be an int from 1 to {HMDS_MAX_ITEMS}, got {max_items!r}")
            if not 1 <= max_items <= HMDS_MAX_ITEMS:
                raise ValueError(f"'max_items' must be from 1 to {HMDS_MAX_ITEMS}, got {max_items}")
            body['maxItems'] = max_items
        return self.post('hmds/scanner/run', json=body, retry_safe=True)


def _required_text(name: str, value: Any, expected: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f'{name!r} must be a str ({expected}), got {type(value).__name__}')
    if not value.strip():
        raise ValueError(f'{name!r} is required: expected {expected}')
    return printable(name, value.strip(), expected)


def _is_filter_value(value: Any) -> bool:
    """A value JSON can carry: a str, a bool or a finite number (NaN would make the body invalid JSON)."""
    if isinstance(value, (str, bool)):
        return True
    import numbers  # here, not at import time (it costs the import of every ibind user)

    return isinstance(value, numbers.Real) and math.isfinite(value)


def _code_value_filters(filters: Any) -> List[Dict[str, Any]]:
    """The iserver scanner's filters: a list of ``{'code': str, 'value': number|str|bool}``."""
    expected = "a list of {'code': <filter code>, 'value': <value>} dicts, e.g. [{'code': 'priceAbove', 'value': 5}]"
    if not isinstance(filters, (list, tuple)):
        raise TypeError(f"'filter' must be {expected}, got {type(filters).__name__}")
    checked = []
    for position, item in enumerate(filters):
        if not isinstance(item, dict) or set(item) != {'code', 'value'}:
            raise ValueError(f"'filter'[{position}] must be {{'code': ..., 'value': ...}}, got {item!r}")
        if not isinstance(item['code'], str) or not item['code'].strip():
            raise ValueError(f"'filter'[{position}]['code'] must be a non-empty filter code, got {item['code']!r}")
        if not _is_filter_value(item['value']):
            raise TypeError(
                f"'filter'[{position}]['value'] must be a finite number, a str or a bool, got {item['value']!r}"
            )
        checked.append({'code': item['code'].strip(), 'value': item['value']})
    return checked


def _keyed_filters(filters: Any) -> List[Dict[str, Any]]:
    """The HMDS scanner's filters: a list (possibly empty) of ``{<filter code>: <value>}`` objects."""
    expected = "a list of {<filter code>: <value>} dicts (may be empty), e.g. [{'bondAskYieldBelow': 15.819}]"
    if filters is None:
        raise ValueError(f"'filter' is required by the HMDS scanner: expected {expected}")
    if not isinstance(filters, (list, tuple)):
        raise TypeError(f"'filter' must be {expected}, got {type(filters).__name__}")
    checked = []
    for position, item in enumerate(filters):
        if not isinstance(item, dict) or not item:
            raise ValueError(f"'filter'[{position}] must be a non-empty {{<filter code>: <value>}} dict, got {item!r}")
        for code, value in item.items():
            if not isinstance(code, str) or not code.strip():
                raise ValueError(f"'filter'[{position}] has an invalid filter code {code!r}")
            if not _is_filter_value(value):
                raise TypeError(
                    f"'filter'[{position}][{code!r}] must be a finite number, a str or a bool, got {value!r}"
                )
        checked.append(dict(item))
    return checked
