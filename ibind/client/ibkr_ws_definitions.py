"""The IBKR WebSocket's vocabulary: topics, the keys ibind files their messages under, and value parsing.

A channel names a subscription the way the established ibind does: the topic without its leading
``s`` plus its target, e.g. ``'md+265598'`` (market data of AAPL), ``'or'`` (orders), ``'ld+DU1234567'``
(ledger). ``'smd+265598'`` is accepted too. Seed 002 ("Websockets") documents each topic's messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, Optional, Tuple

from ibind.client.ibkr_definitions import snapshot_field_name


class IbkrWsKey(Enum):
    """Where a message is filed: one queue (and one set of callbacks) per key."""

    ACCOUNT_SUMMARY = 'sd'
    ACCOUNT_LEDGER = 'ld'
    MARKET_DATA = 'md'
    MARKET_HISTORY = 'mh'
    PRICE_LADDER = 'bd'
    ORDERS = 'or'
    PNL = 'pl'
    TRADES = 'tr'
    ACCOUNT_UPDATES = 'act'
    AUTHENTICATION_STATUS = 'sts'
    BULLETINS = 'blt'
    NOTIFICATIONS = 'ntf'
    SYSTEM = 'system'
    ERROR = 'error'

    @classmethod
    def from_channel(cls, channel: str) -> IbkrWsKey:
        """'md+265598' -> MARKET_DATA; a ValueError naming the known channels otherwise."""
        return cls(parse_channel(channel)[0])

    @property
    def solicited(self) -> bool:
        return self.value in _SOLICITED


@dataclass(frozen=True)
class _Topic:
    needs_target: bool  # a conid or account after the topic
    has_parameters: bool  # '+{...}' is sent (an empty {} when there are none)
    brokerage: bool  # needs the brokerage session (seed 002's list)
    unsubscribe_by_target: bool  # 'u..+target' (False: 'u..' alone, or 'umh+serverId')


_SOLICITED: Dict[str, _Topic] = {
    'md': _Topic(True, True, True, True),
    'mh': _Topic(True, True, True, False),
    'bd': _Topic(True, False, True, True),
    'or': _Topic(False, True, True, False),
    'tr': _Topic(False, True, True, False),
    'pl': _Topic(False, True, False, False),
    'sd': _Topic(True, True, False, True),
    'ld': _Topic(True, True, False, True),
}
BROKERAGE_CHANNELS = frozenset(name for name, topic in _SOLICITED.items() if topic.brokerage)
_TARGET = re.compile(r'[A-Za-z0-9@._-]+')


def parse_channel(channel: str) -> Tuple[str, Tuple[str, ...]]:
    """'md+265598' (or 'smd+265598') -> ('md', ('265598',)); ValueError for anything else."""
    if not isinstance(channel, str):
        raise TypeError(f"'channel' must be a str like 'md+265598', got {type(channel).__name__}")
    parts = channel.strip().split('+')
    name = parts[0]
    if len(name) == 3 and name.startswith('s') and name[1:] in _SOLICITED:
        name = name[1:]
    topic = _SOLICITED.get(name)
    if topic is None:
        raise ValueError(
            f"'channel' must start with one of {sorted(_SOLICITED)} (e.g. 'md+265598', 'or', "
            f"'ld+DU1234567'), got {channel!r}"
        )
    targets = tuple(parts[1:])
    if topic.needs_target and not targets:
        raise ValueError(f"'channel' {channel!r} needs a target: e.g. '{name}+265598' or '{name}+DU1234567'")
    if not topic.needs_target and targets:
        raise ValueError(f"'channel' {channel!r} takes no target: use {name!r}")
    if name == 'bd' and len(targets) not in (2, 3):
        raise ValueError(f"'channel' {channel!r}: price ladder is 'bd+ACCOUNT+CONID' (optionally '+EXCHANGE')")
    if name != 'bd' and len(targets) > 1:
        raise ValueError(f"'channel' {channel!r} takes one target")
    for target in targets:
        if not _TARGET.fullmatch(target):
            raise ValueError(f"'channel' {channel!r}: {target!r} is not a conid or account id")
    return name, targets


def normalise_channel(channel: str) -> str:
    name, targets = parse_channel(channel)
    return '+'.join((name,) + targets)


def is_brokerage_channel(channel: str) -> bool:
    return channel.split('+', 1)[0] in BROKERAGE_CHANNELS


def subscribe_message(channel: str, data: Optional[Dict[str, Any]]) -> str:
    """The text that opens (or renews) a subscription: 'smd+265598+{"fields":["31"]}'."""
    name, targets = parse_channel(channel)
    head = '+'.join((f's{name}',) + targets)
    if not _SOLICITED[name].has_parameters:
        return head
    return f'{head}+{json.dumps(data or {}, separators=(",", ":"))}'


def unsubscribe_message(channel: str, server_id: Optional[str] = None) -> str:
    """The text that ends a subscription: 'umd+265598+{}', 'uor+{}', 'umh+<serverId>', 'ubd+DU1234567'."""
    name, targets = parse_channel(channel)
    if name == 'mh':
        return f'umh+{server_id}' if server_id else ''
    if name == 'bd':
        return f'ubd+{targets[0]}'
    if _SOLICITED[name].unsubscribe_by_target:
        return f'u{name}+{targets[0]}+{{}}'
    return f'u{name}+{{}}'


def channel_of_topic(topic: str) -> Optional[str]:
    """The channel a message's "topic" belongs to: 'smd+265598' -> 'md+265598', 'sor' -> 'or'."""
    if len(topic) < 3 or topic[0] != 's' or topic[1:3] not in _SOLICITED:
        return None
    return topic[1:]


# ----------------------------------------------------------------- market data values

_NUMBER = re.compile(r'^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$')
_SUFFIXES = {'K': 1e3, 'M': 1e6, 'B': 1e9, 'T': 1e12}
_PRICE_PREFIXES = ('C', 'H')  # C: the price is the previous close; H: trading is halted
_TEXT_FIELDS = frozenset(
    {
        '55',
        '58',
        '6004',
        '6070',
        '6072',
        '6073',
        '6119',
        '6508',
        '6509',
        '7051',
        '7057',
        '7058',
        '7068',
        '7094',
        '7219',
        '7220',
        '7221',
        '7280',
        '7281',
        '7288',
        '201',
    }
)


def parse_field_value(field_id: str, value: Any) -> Any:
    """A market data value as a number where it is one: '193.18' -> 193.18, 'C193.18' -> 193.18, '55.2M' ->
    55200000.0, '1,234' -> 1234.0; text fields and anything else stay as received."""
    if not isinstance(value, str) or field_id in _TEXT_FIELDS:
        return value
    text = value.strip().replace(',', '')
    if text[:1] in _PRICE_PREFIXES and _NUMBER.match(text[1:]):
        text = text[1:]
    multiplier = 1.0
    if text[-1:] in _SUFFIXES and _NUMBER.match(text[:-1]):
        multiplier = _SUFFIXES[text[-1]]
        text = text[:-1]
    if text.endswith('%') and _NUMBER.match(text[:-1]):
        text = text[:-1]
    if _NUMBER.match(text):
        return float(text) * multiplier
    return value


def market_data_fields(message: Dict[str, Any]) -> Dict[str, Any]:
    """An smd message as {name: parsed value}: numeric field ids become snapshot names ('31' -> 'last_price')."""
    data: Dict[str, Any] = {}
    for key, value in message.items():
        if key.isdigit():
            data[snapshot_field_name(key)] = parse_field_value(key, value)
        elif key != 'topic':
            data[key] = value
    return data
