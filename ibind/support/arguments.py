"""Argument checks every public method shares, so that a bad argument fails the same way everywhere.

A bad argument raises ValueError (wrong value) or TypeError (wrong type) naming the argument and the
expected form, before anything is sent. The rules here are the ones that are not specific to one
endpoint: what an identifier may look like (it becomes a path segment or names an account), what free
text may contain, and what counts as a number written in digits.
"""

from __future__ import annotations

import re
from typing import Any

_IDENTIFIER = re.compile(r'[A-Za-z0-9-][A-Za-z0-9_.-]*')


def identifier(name: str, value: Any, expected: str, allow_int: bool = True) -> str:
    """An IBKR identifier (account id, order id, reply id, issuer id...), stripped.

    Letters, digits, '-', '_' and '.', never '..': nothing that could change a route or a query when
    the id is sent ('/', '?', '#', '%', whitespace, control characters).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f'{name!r} is required: expected {expected}')
    if isinstance(value, bool) or not isinstance(value, (str, int) if allow_int else str):
        kinds = 'a str or int' if allow_int else 'a str'
        raise TypeError(f'{name!r} must be {kinds} ({expected}), got {type(value).__name__}')
    text = str(value).strip()
    if not _IDENTIFIER.fullmatch(text) or '..' in text:
        raise ValueError(f"{name!r} must be {expected} (letters, digits, '-', '_' or '.'), got {value!r}")
    return text


def printable(name: str, text: str, expected: str) -> str:
    """Free text (a symbol, an exchange, a name) without control characters or line breaks."""
    if not text.isprintable():
        raise ValueError(f'{name!r} must not contain control characters or line breaks ({expected}), got {text!r}')
    return text


def is_digits(text: str) -> bool:
    """A whole number written in ASCII digits ('265598'); not '²' or '١٢', which str.isdigit() also accepts."""
    return text.isascii() and text.isdigit()


def conid_arg(name: str, value: Any) -> str:
    """A contract id as IBKR takes it -- a positive whole number, given as int or ASCII digits -- as a str."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f'{name!r} is required: expected a contract id like 265598')
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f'{name!r} must be a conid (int or digit string like "265598"), got {type(value).__name__}')
    text = str(value).strip()
    if not is_digits(text) or int(text) <= 0:
        raise ValueError(f'{name!r} must be a positive integer conid like 265598, got {value!r}')
    return text
