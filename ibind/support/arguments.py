"""Argument checks every public method shares, so that a bad argument fails the same way everywhere.

A bad argument raises ValueError (wrong value) or TypeError (wrong type) naming the argument and the
expected form, before anything is sent. The rules here are the ones that are not specific to one
endpoint: what an identifier may look like (it becomes a path segment or names an account), what free
text may contain, and what counts as a number written in digits.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple, Union

from ibind.support.py_utils import LazyPattern

_IDENTIFIER = LazyPattern(r'[A-Za-z0-9-][A-Za-z0-9_.-]*')


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


def plain_number(name: str, value: Any) -> Union[int, float]:
    """A number as JSON can carry it: a Python int or float holding exactly the value given.

    Accepts what users really pass -- int, float, numpy/pandas scalars, ``Decimal``, ``Fraction`` -- when the
    value survives the conversion exactly (``Decimal('0.1')`` -> 0.1 is fine, ``Fraction(1, 3)`` is not);
    a bool, a str or anything else that is not a number is a TypeError naming the argument.
    """
    if type(value) in (int, float):
        return value
    import decimal  # imported here, not at import time: only exotic numbers come this way
    import fractions
    import numbers

    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Number)
        or isinstance(value, numbers.Complex)
        and not isinstance(value, numbers.Real)
    ):
        raise TypeError(f'{name!r} must be a number, got {type(value).__name__} {value!r}')
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (decimal.Decimal, fractions.Fraction, numbers.Real)):
        real: Any = value  # the numbers ABCs' stubs promise no int()/abs()/constructor; every real number type has them
        try:
            if isinstance(value, decimal.Decimal) and not value.is_finite():
                return float(value)  # nan/inf: the caller's finiteness check names it
            if real == int(real):
                return int(real) if abs(real) < 2**63 else float(real)
        except (OverflowError, ValueError):
            return float(value)
        converted = float(value)
        if not isinstance(value, (decimal.Decimal, fractions.Fraction)):  # numpy float32 0.1 -> 0.1, not 0.100000001
            try:
                shortest = float(str(value))
                if type(real)(shortest) == value:
                    converted = shortest
            except (TypeError, ValueError):
                pass
        exact = (
            decimal.Decimal(repr(converted)) == value
            if isinstance(value, decimal.Decimal)
            else fractions.Fraction(repr(converted)) == value
            if isinstance(value, fractions.Fraction)
            else converted == value
        )
        if not exact:
            raise ValueError(
                f'{name!r} must be a number a float can hold exactly, got {value!r} (it would be sent as {converted!r})'
            )
        return converted
    raise TypeError(f'{name!r} must be a number, got {type(value).__name__} {value!r}')


def whole_number(name: str, value: Any) -> Optional[int]:
    """The int a number holds when it is whole (265598, np.int64(265598), 265598.0, Decimal('265598')), else None."""
    number = plain_number(name, value)
    if isinstance(number, float):
        if not math.isfinite(number) or number != int(number):
            return None
        return int(number)
    return number


def _is_number(value: Any) -> bool:
    import numbers  # here, not at import time: the common arguments (int, str) never get this far

    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def conid_arg(name: str, value: Any) -> str:
    """A contract id as IBKR takes it -- a positive whole number (int, numpy int, whole float/Decimal, or ASCII
    digits) -- as a str."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f'{name!r} is required: expected a contract id like 265598')
    if type(value) not in (int, str) and _is_number(value):  # numpy ints, whole floats, Decimals
        whole = whole_number(name, value)
        if whole is None:
            raise ValueError(f'{name!r} must be a positive integer conid like 265598, got {value!r}')
        value = whole
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f'{name!r} must be a conid (int or digit string like "265598"), got {type(value).__name__}')
    text = str(value).strip()
    if not is_digits(text) or int(text) <= 0:
        raise ValueError(f'{name!r} must be a positive integer conid like 265598, got {value!r}')
    return text


# Plain checks of one argument each: text, flags, whole numbers, choices.


def text_arg(name: str, value: Any, expected: str) -> str:
    """A required, printable, non-empty str."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f'{name!r} is required: expected {expected}')
    if not isinstance(value, str):
        raise TypeError(f'{name!r} must be a str ({expected}), got {type(value).__name__}')
    return printable(name, value.strip(), expected)


def optional_text(name: str, value: Any, expected: str) -> Optional[str]:
    return None if value is None else text_arg(name, value, expected)


def bool_arg(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f'{name!r} must be a bool (True or False), got {type(value).__name__} {value!r}')
    return value


def optional_bool(name: str, value: Any) -> Optional[bool]:
    return None if value is None else bool_arg(name, value)


def flag_arg(name: str, value: Any) -> int:
    """IBKR's 0/1 flags: a bool or 0/1, sent as 0 or 1."""
    if isinstance(value, bool):
        return int(value)
    if value in (0, 1) and isinstance(value, int):
        return value
    raise ValueError(f'{name!r} must be True/False or 0/1, got {value!r}')


def optional_flag(name: str, value: Any) -> Optional[int]:
    return None if value is None else flag_arg(name, value)


def whole_arg(name: str, value: Any, minimum: int = 0) -> int:
    """A whole number >= minimum (an int, or a str of digits)."""
    if isinstance(value, str) and is_digits(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'{name!r} must be an int >= {minimum}, got {type(value).__name__} {value!r}')
    if value < minimum:
        raise ValueError(f'{name!r} must be an int >= {minimum}, got {value}')
    return value


def choice_arg(name: str, value: Any, allowed: Tuple[Any, ...]) -> Any:
    if value not in allowed:
        raise ValueError(f'{name!r} must be one of {", ".join(map(repr, allowed))}, got {value!r}')
    return value


def number_arg(name: str, value: Any, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{name!r} must be a number ({expected}), got {type(value).__name__} {value!r}')
    return value
