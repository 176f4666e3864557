"""IBKR's display strings -> numbers: ``"1.56M"``, ``"1,234"``, ``"C185.12"``, ``"-1.42%"``, ``"-"``.

Market data snapshots send most values as text formatted for a screen: thousands separators, a
magnitude suffix (``K``, ``M``, ``B``, ``T``), a ``%`` sign, and a one-letter prefix on the last price
(``C``: the market is closed and this is the prior close; ``H``: trading is halted). ``pd.to_numeric``
turns every one of those into NaN without a word. ``parse_value`` reads them exactly (through
``Decimal``, so ``"1.56M"`` is 1560000, not 1559999.9999999998); ``parse_snapshot`` does a whole
snapshot answer, naming the fields (``'last_price'``, not ``'31'``).

Nothing here raises for a value it cannot read: a text that is not a number is returned unchanged,
so no information is lost and a bad value stays visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, Optional, Union

from ibind.client.ibkr_definitions import snapshot_field_name

Number = Union[int, float]

PRICE_FLAGS: Dict[str, str] = {'C': 'closed', 'H': 'halted'}
"""Prefix letter of a snapshot price -> its flag: ``C`` the prior close (market closed), ``H`` halted."""

MISSING_TEXTS = frozenset({'', '-', '--', 'n/a', 'na', 'nan', 'none', 'null'})
"""Texts that mean "no value" (compared lower-cased, after stripping blanks)."""

_SCALES = {'K': Decimal(10) ** 3, 'M': Decimal(10) ** 6, 'B': Decimal(10) ** 9, 'T': Decimal(10) ** 12}
_NUMBER = re.compile(r'^(?P<flag>[CH])?(?P<sign>[+-])?(?P<digits>\d[\d,]*(?:\.\d*)?|\.\d+)(?P<scale>[KMBT])?%?$')
_THOUSANDS = re.compile(r'^\d{1,3}(?:,\d{3})*(?:\.|$)')

TEXT_FIELDS = frozenset(
    {
        'symbol',
        'text',
        'exchange',
        'sec_type',
        'months',
        'regular_expiry',
        'marker',
        'service_params',
        'market_data_availability',
        'company_name',
        'ask_exch',
        'last_exch',
        'bid_exch',
        'conid_exchange',
        'contract_description_1',
        'contract_description_2',
        'listing_exchange',
        'industry',
        'category',
        'ex_date',
        'right',
        'formatted_position',
        'formatted_unrealized_pnl',
        'upcoming_event',
        'upcoming_event_date',
        'upcoming_analyst_meeting',
        'upcoming_earnings',
        'upcoming_misc_event',
        'recent_analyst_meeting',
        'recent_earnings',
        'recent_misc_event',
        'organization_type',
        'debt_class',
        'ratings',
        'bond_state_code',
        'bond_type',
        'last_trading_date',
        'issue_date',
        'morningstar_rating',
        'can_be_traded',
        'shortable',
        'has_trading_permissions',
        'conidEx',
        'server_id',
    }
)
"""Fields whose values are words, codes or dates, kept as IBKR sent them (``'20240105'`` is a date, not 20 million)."""


@dataclass(frozen=True)
class ParsedValue:
    """A number read from IBKR's text, with the prefix flag it carried (``'closed'``, ``'halted'`` or None)."""

    value: Optional[Number]
    flag: Optional[str] = None


def parse_number(text: Any) -> ParsedValue:
    """One IBKR value -> ``ParsedValue(number, flag)``; a text that is no number raises ValueError.

    ``"1.56M"`` -> 1560000, ``"1,234"`` -> 1234, ``"C185.12"`` -> 185.12 flagged ``'closed'``,
    ``"H9.5"`` -> 9.5 flagged ``'halted'``, ``"-1.42%"`` -> -1.42 (percent points, as the field says),
    ``"-"``, ``""`` and None -> None. An int stays an int, a float a float. The result is an int when the
    text is a whole number without a decimal point, or a scaled one (``"12.14M"``); else a float.
    """
    if text is None:
        return ParsedValue(None)
    if isinstance(text, bool):
        raise ValueError(f'a bool is not a market value: {text!r}')
    if isinstance(text, (int, float)):
        return ParsedValue(text)
    if not isinstance(text, str):
        raise ValueError(f'expected a str or a number, got {type(text).__name__}')
    stripped = text.strip().replace('\u2212', '-')
    if stripped.lower() in MISSING_TEXTS:
        return ParsedValue(None)
    match = _NUMBER.match(stripped)
    if match is None:
        raise ValueError(f'not a number: {text!r}')
    digits = match.group('digits')
    if ',' in digits and not _THOUSANDS.match(digits):
        raise ValueError(f'misplaced thousands separator in {text!r}')
    try:
        number = Decimal(digits.replace(',', ''))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal digits
        raise ValueError(f'not a number: {text!r}') from None
    scale = match.group('scale')
    if scale:
        number *= _SCALES[scale]
    if match.group('sign') == '-':
        number = -number
    flag = PRICE_FLAGS.get(match.group('flag') or '')
    whole = number == number.to_integral_value() and ('.' not in digits or bool(scale))
    return ParsedValue(int(number) if whole else float(number), flag)


def parse_value(text: Any) -> Any:
    """Like ``parse_number`` but forgiving: the number, None for a missing value, else ``text`` unchanged."""
    try:
        return parse_number(text).value
    except ValueError:
        return text


def parse_fields(values: Mapping[Any, Any]) -> Dict[str, Any]:
    """One instrument's snapshot values -> ``{field_name: number}``.

    Keys may be field ids (``'31'``) or ibind names (``'last_price'``); the result uses names. Text
    fields (``TEXT_FIELDS``: symbol, exchange, dates, ...) keep their text; every other value is read by
    ``parse_number`` and kept unchanged if it is not a number. A value with a prefix adds
    ``'<name>_flag'`` (``'closed'`` or ``'halted'``); ``last_price_flag`` is always present (None when
    the price had no prefix) when ``last_price`` is, so a table of snapshots has the column.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"'values' must be a mapping of snapshot fields, got {type(values).__name__}")
    parsed: Dict[str, Any] = {}
    for key, raw in values.items():
        name = snapshot_field_name(str(key)) if str(key).isdigit() else str(key)
        if name in TEXT_FIELDS or isinstance(raw, (dict, list)):
            parsed[name] = raw
            continue
        try:
            number = parse_number(raw)
        except ValueError:
            parsed[name] = raw
            continue
        parsed[name] = number.value
        if number.flag is not None or name == 'last_price':
            parsed[f'{name}_flag'] = number.flag
    return parsed


def parse_snapshot(snapshot: Any) -> Any:
    """A snapshot answer with numbers for values and names for field ids.

    Accepts what the client returns:

    * ``live_marketdata_snapshot(...)`` (a Result, or its ``data``): a list of entries
      ``[{'conid': 265598, '31': 'C185.12', ...}]`` -> a list of ``{'conid': 265598, 'last_price': 185.12,
      'last_price_flag': 'closed', ...}``;
    * ``live_marketdata_snapshot_by_symbol(...)``: ``{symbol: {field_name: text}}`` -> ``{symbol: {field_name:
      number}}``;
    * one entry (a dict of fields) -> one parsed dict.

    See ``parse_fields`` for the rules. The input is not changed.
    """
    data = getattr(snapshot, 'data', snapshot)
    if isinstance(data, list):
        return [parse_fields(entry) for entry in _entries(data)]
    if isinstance(data, Mapping):
        if data and all(isinstance(value, Mapping) for value in data.values()):
            return {key: parse_fields(values) for key, values in data.items()}
        return parse_fields(data)
    raise TypeError(
        'expected a snapshot answer: a Result, a list of entries, or {symbol: {field: value}}; '
        f'got {type(data).__name__}'
    )


def _entries(data: List[Any]) -> List[Mapping[Any, Any]]:
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping):
            raise TypeError(f'snapshot entry #{index} must be a dict of fields, got {type(entry).__name__}')
    return data
