"""Snapshot field names <-> ids, and the history helpers: argument checks, startTime, bar cleanup."""

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibind.client.history import (
    HISTORY_BARS,
    HISTORY_PERIOD_LIMITS,
    clean_history,
    collect_history,
    format_start_time,
    validate_history_bar,
    validate_history_period,
    validate_hmds_bar,
    validate_hmds_bar_type,
    validate_hmds_direction,
    validate_hmds_period,
)
from ibind.client.ibkr_definitions import (
    SNAPSHOT_FIELDS,
    snapshot_by_id,
    snapshot_by_key,
    snapshot_field_name,
    snapshot_keys_to_ids,
)
from ibind.support.errors import BadResponseError, ExternalBrokerError

UTC = datetime.timezone.utc

# ----------------------------------------------------------------- snapshot fields


def test_every_field_of_the_docs_table_has_one_unique_name():
    assert len(SNAPSHOT_FIELDS) == 118
    assert len(snapshot_by_id) == len(snapshot_by_key) == 118
    for field_id, name in snapshot_by_id.items():
        assert snapshot_by_key[name] == field_id
        assert field_id.isdigit()
        assert re.fullmatch(r'[a-z][a-z0-9_]*', name), name


@pytest.mark.parametrize(
    'field_id, name',
    [
        ('31', 'last_price'),
        ('84', 'bid'),
        ('86', 'ask'),
        ('55', 'symbol'),
        ('7295', 'open'),
        ('7296', 'close'),
        ('70', 'high'),
        ('71', 'low'),
        ('87', 'volume'),
        ('7762', 'volume_long'),
        ('6008', 'conid'),
        ('6509', 'market_data_availability'),
        ('7308', 'delta'),
        ('7741', 'prior_close'),
        ('7293', 'week_52_high'),
        ('7219', 'contract_description_1'),
        ('7220', 'contract_description_2'),
        ('7724', 'price_ema_50'),
    ],
)
def test_field_names(field_id, name):
    assert snapshot_by_id[field_id] == name
    assert snapshot_by_key[name] == field_id


def test_keys_to_ids_accepts_names_and_ids_in_order():
    assert snapshot_keys_to_ids(['bid', '31', 7295, ' ask ']) == ['84', '31', '7295', '86']


def test_keys_to_ids_passes_undocumented_numeric_ids_through():
    assert snapshot_keys_to_ids(['7771', '0031']) == ['7771', '31']


def test_keys_to_ids_names_every_unknown_key():
    with pytest.raises(ValueError) as raised:
        snapshot_keys_to_ids(['bid', 'lastprice', 'Bid', True, -1])
    assert str(raised.value).startswith("unknown market data field(s) 'lastprice', 'Bid', True, -1: expected")


def test_keys_to_ids_wants_a_list():
    with pytest.raises(TypeError):
        snapshot_keys_to_ids('bid')


def test_field_name_of_an_undocumented_id_is_the_id():
    assert snapshot_field_name('84') == 'bid'
    assert snapshot_field_name('7771') == '7771'


# ----------------------------------------------------------------- history arguments


@pytest.mark.parametrize('bar', HISTORY_BARS)
def test_every_documented_bar_is_accepted(bar):
    assert validate_history_bar(bar) == bar


@pytest.mark.parametrize('bar', ['1M', '1H', '7min', '1 min', '1mins', '', '60s'])
def test_undocumented_bars_are_refused_naming_the_argument(bar):
    with pytest.raises(ValueError, match="'bar'"):
        validate_history_bar(bar)


def test_bar_must_be_a_string():
    with pytest.raises(TypeError, match="'bar'"):
        validate_history_bar(5)


@pytest.mark.parametrize(
    'period', ['1min', '30min', '1h', '8h', '1d', '1000d', '1w', '792w', '1m', '182m', '1y', '15y']
)
def test_documented_period_limits_are_accepted(period):
    assert validate_history_period(period) == period


@pytest.mark.parametrize('period', ['31min', '9h', '1001d', '793w', '183m', '16y', '0d', '1D', '1 d', 'd', '1s', '01d'])
def test_periods_outside_the_documented_syntax_are_refused(period):
    with pytest.raises(ValueError, match="'period'"):
        validate_history_period(period)


@given(st.integers(min_value=1, max_value=2000), st.sampled_from(sorted(HISTORY_PERIOD_LIMITS)))
def test_a_period_is_accepted_exactly_up_to_its_unit_limit(count, unit):
    period = f'{count}{unit}'
    if count <= HISTORY_PERIOD_LIMITS[unit]:
        assert validate_history_period(period) == period
    else:
        with pytest.raises(ValueError):
            validate_history_period(period)


@pytest.mark.parametrize('period', ['60S', '3600S', '1d', '2w', '1m', '1y'])
def test_hmds_periods(period):
    assert validate_hmds_period(period) == period


@pytest.mark.parametrize('period', ['60s', '1D', '1h', '1min', 'S'])
def test_hmds_periods_are_case_sensitive(period):
    with pytest.raises(ValueError, match="'period'"):
        validate_hmds_period(period)


@pytest.mark.parametrize('bar', ['30secs', '5mins', '1hrs', '1d', '1w', '1min'])
def test_hmds_bars(bar):
    assert validate_hmds_bar(bar) == bar


@pytest.mark.parametrize('bar', ['1h', '5Mins', '1HRS', 'secs', '1y'])
def test_hmds_bad_bars(bar):
    with pytest.raises(ValueError, match="'bar'"):
        validate_hmds_bar(bar)


def test_hmds_direction_and_bar_type():
    assert validate_hmds_direction(-1) == '-1' and validate_hmds_direction('1') == '1'
    assert validate_hmds_direction(None) is None
    with pytest.raises(ValueError, match="'direction'"):
        validate_hmds_direction(0)
    with pytest.raises(ValueError, match="'direction'"):
        validate_hmds_direction(True)
    assert validate_hmds_bar_type('Midpoint') == 'Midpoint'
    with pytest.raises(ValueError, match="'bar_type'"):
        validate_hmds_bar_type('last')


# ----------------------------------------------------------------- startTime


def test_start_time_is_sent_as_utc():
    assert format_start_time(datetime.datetime(2023, 8, 21, 13, 30, 0)) == '20230821-13:30:00'
    new_york = datetime.timezone(datetime.timedelta(hours=-4))
    assert format_start_time(datetime.datetime(2023, 8, 21, 9, 30, tzinfo=new_york)) == '20230821-13:30:00'
    assert format_start_time(datetime.date(2023, 8, 21)) == '20230821-00:00:00'
    assert format_start_time('20230821-13:30:00') == '20230821-13:30:00'
    assert format_start_time(None) is None


def test_bad_start_times_are_refused_naming_the_argument():
    with pytest.raises(ValueError, match="'start_time'"):
        format_start_time('2023-08-21 13:30')
    with pytest.raises(TypeError, match="'start_time'"):
        format_start_time(1692624600)


# ----------------------------------------------------------------- cleanup


def _response(*bars):
    return {'symbol': 'AAPL', 'data': list(bars), 'points': max(0, len(bars) - 1)}


def test_clean_history_unifies_bars():
    bars = clean_history(
        _response({'o': 173.4, 'c': 174.7, 'h': 175.1, 'l': 171.7, 'v': 472117.45, 't': 1692345600000})
    )
    assert bars == [
        {
            'open': 173.4,
            'high': 175.1,
            'low': 171.7,
            'close': 174.7,
            'volume': 472117.45,
            'date': datetime.datetime(2023, 8, 18, 8, 0, tzinfo=UTC),
        }
    ]


def test_clean_history_sorts_by_date_and_tolerates_missing_volume():
    later = {'o': 2, 'c': 2, 'h': 2, 'l': 2, 't': 1_700_000_060_000}
    earlier = {'o': 1, 'c': 1, 'h': 1, 'l': 1, 'v': None, 't': 1_700_000_000_000}
    bars = clean_history(_response(later, earlier))
    assert [bar['open'] for bar in bars] == [1.0, 2.0]
    assert [bar['volume'] for bar in bars] == [0.0, 0.0]


def test_clean_history_of_no_bars_is_an_empty_list():
    assert clean_history(_response()) == []


@pytest.mark.parametrize(
    'data',
    [
        None,
        [],
        'text',
        {'symbol': 'AAPL'},
        {'data': {}},
        {'data': ['bar']},
        {'data': [{'o': 1, 'c': 1, 'h': 1, 't': 1}]},  # no low
        {'data': [{'o': 'x', 'c': 1, 'h': 1, 'l': 1, 't': 1}]},
        {'data': [{'o': 1, 'c': 1, 'h': 1, 'l': 1, 't': '1692345600000'}]},  # t must be a number
        {'data': [{'o': 1, 'c': 1, 'h': 1, 'l': 1, 't': True}]},
        {'data': [{'o': float('nan'), 'c': 1, 'h': 1, 'l': 1, 't': 1}]},
        {'data': [{'o': 1, 'c': 1, 'h': 1, 'l': 1, 't': 10**20}]},
    ],
)
def test_unexpected_shapes_are_bad_responses(data):
    with pytest.raises(BadResponseError):
        clean_history(data)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                'o': st.floats(0.01, 1e6),
                'c': st.floats(0.01, 1e6),
                'h': st.floats(0.01, 1e6),
                'l': st.floats(0.01, 1e6),
                'v': st.floats(0, 1e9),
                't': st.integers(0, 4_000_000_000_000),
            }
        ),
        max_size=20,
    )
)
def test_cleanup_keeps_every_bar_and_value(bars):
    cleaned = clean_history({'data': bars})
    assert len(cleaned) == len(bars)
    assert sorted((b['open'], b['close'], b['volume']) for b in cleaned) == sorted(
        (b['o'], b['c'], b['v']) for b in bars
    )
    assert all(b['date'].tzinfo is UTC for b in cleaned)
    assert [b['date'] for b in cleaned] == sorted(b['date'] for b in cleaned)


class _Result:
    def __init__(self, data):
        self.data = data


def test_collect_history_puts_broker_errors_in_place():
    failure = ExternalBrokerError('no data', status_code=500)
    outcomes = {
        'AAPL': _Result(_response({'o': 1, 'c': 1, 'h': 1, 'l': 1, 'v': 1, 't': 0})),
        'IBM': failure,
        'BAD': _Result({'no': 'data'}),
    }
    collected = collect_history(outcomes, raise_on_error=False)
    assert list(collected) == ['AAPL', 'IBM', 'BAD']
    assert collected['AAPL'][0]['close'] == 1.0
    assert collected['IBM'] is failure
    assert isinstance(collected['BAD'], BadResponseError)


def test_collect_history_raises_the_first_error_when_asked():
    failure = ExternalBrokerError('no data', status_code=500)
    with pytest.raises(ExternalBrokerError) as raised:
        collect_history({'A': failure, 'B': ExternalBrokerError('later')}, raise_on_error=True)
    assert raised.value is failure
    with pytest.raises(BadResponseError):
        collect_history({'A': {'no': 'data'}}, raise_on_error=True)


def test_collect_history_never_hides_bugs():
    with pytest.raises(TypeError):
        collect_history({'A': TypeError('a bug')}, raise_on_error=False)
