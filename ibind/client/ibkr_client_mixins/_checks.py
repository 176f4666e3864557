"""Argument checks shared by the mixins of the categories added for the whole API (alerts, FYI, FA, events)."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from ibind.support.arguments import is_digits, printable


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
