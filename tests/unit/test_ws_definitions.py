"""The WebSocket vocabulary: channels, subscribe/unsubscribe texts, market data values, and the back-off."""

from __future__ import annotations

import random

import pytest

from ibind import IbkrWsKey
from ibind.base.ws_client import backoff_delay
from ibind.client.ibkr_ws_client import _older_than, _websocket_url
from ibind.client.ibkr_ws_definitions import (
    channel_of_topic,
    is_brokerage_channel,
    market_data_fields,
    normalise_channel,
    parse_field_value,
    subscribe_message,
    unsubscribe_message,
)
from ibind.sim.streaming.session import parse_command


@pytest.mark.parametrize(
    'channel, message',
    [
        ('md+265598', 'smd+265598+{"fields":["31"]}'),
        ('smd+265598', 'smd+265598+{"fields":["31"]}'),
        ('or', 'sor+{}'),
        ('pl', 'spl+{}'),
        ('tr', 'str+{}'),
        ('ld+DU1234567', 'sld+DU1234567+{}'),
        ('sd+DU1234567', 'ssd+DU1234567+{}'),
        ('bd+DU1234567+265598', 'sbd+DU1234567+265598'),
    ],
)
def test_subscribe_messages_follow_the_documented_format(channel, message):
    data = {'fields': ['31']} if 'md' in channel else None
    assert subscribe_message(channel, data) == message
    topic, _, _ = parse_command(message)  # and the simulator reads them back
    assert topic == 's' + normalise_channel(channel).split('+')[0]


@pytest.mark.parametrize(
    'channel, message',
    [
        ('md+265598', 'umd+265598+{}'),
        ('or', 'uor+{}'),
        ('pl', 'upl+{}'),
        ('tr', 'utr+{}'),
        ('sd+DU1', 'usd+DU1+{}'),
        ('ld+DU1', 'uld+DU1+{}'),
        ('bd+DU1+265598', 'ubd+DU1'),
    ],
)
def test_unsubscribe_messages(channel, message):
    assert unsubscribe_message(channel) == message


def test_umh_needs_the_server_id():
    assert unsubscribe_message('mh+265598', '4477') == 'umh+4477'
    assert unsubscribe_message('mh+265598') == ''


@pytest.mark.parametrize('channel', ['', 'xx+1', 'md', 'or+1', 'md+1+2', 'bd+DU1', 'md+12 34', 'md+{}'])
def test_bad_channels_are_value_errors_naming_the_argument(channel):
    with pytest.raises(ValueError, match="'channel'"):
        normalise_channel(channel)


def test_channel_of_topic_and_keys():
    assert channel_of_topic('smd+265598') == 'md+265598' and channel_of_topic('sor') == 'or'
    assert channel_of_topic('usd+DU1') is None and channel_of_topic('system') is None
    assert IbkrWsKey.from_channel('ld+DU1') is IbkrWsKey.ACCOUNT_LEDGER
    assert is_brokerage_channel('md+1') and is_brokerage_channel('or') and not is_brokerage_channel('pl')


@pytest.mark.parametrize(
    'field_id, text, value',
    [
        ('31', '193.18', 193.18),
        ('31', 'C193.18', 193.18),
        ('31', 'H193.18', 193.18),
        ('87', '55.2M', 55.2e6),
        ('87', '1,234', 1234.0),
        ('7283', '25.3%', 25.3),
        ('55', 'AAPL', 'AAPL'),
        ('6509', 'RB', 'RB'),
        ('7289', '2.9T', 2.9e12),
        ('31', 'n/a', 'n/a'),
        ('6008', 265598, 265598),
    ],
)
def test_field_values_are_parsed_where_they_are_numbers(field_id, text, value):
    assert parse_field_value(field_id, text) == value


def test_market_data_fields_by_name():
    data = market_data_fields({'31': '1.5', '84': '1.4', '_updated': 7, 'conid': 1, 'topic': 'smd+1', '99999': 'x'})
    assert data == {'last_price': 1.5, 'bid': 1.4, '_updated': 7, 'conid': 1, '99999': 'x'}


def test_backoff_grows_with_jitter_up_to_the_cap():
    rng = random.Random(1)
    delays = [backoff_delay(attempt, 0.5, 30.0, rng) for attempt in range(12)]
    assert all(0.25 <= d <= 0.5 for d in delays[:1]) and all(d <= 30.0 for d in delays)
    assert delays[6] > delays[0] * 8 and max(delays) >= 15.0


def test_ages_count_on_either_clock():
    assert _older_than(60, now=100.0, since=30.0, server_now=None, server_since=None)
    assert _older_than(60, now=100.0, since=90.0, server_now=200_000, server_since=130_000)
    assert not _older_than(60, now=100.0, since=90.0, server_now=150_000, server_since=130_000)


def test_websocket_url_from_the_rest_url():
    assert _websocket_url('https://localhost:5000/v1/api/') == 'wss://localhost:5000/v1/api/ws'
    assert _websocket_url('http://127.0.0.1:5000/v1/api') == 'ws://127.0.0.1:5000/v1/api/ws'
