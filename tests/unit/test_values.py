"""IBKR's display strings read as numbers: suffixes, separators, prefixes, missing values, field names."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibind import parse_snapshot, parse_value
from ibind.support.values import ParsedValue, parse_fields, parse_number


@pytest.mark.parametrize(
    'text, expected',
    [
        ('1.56M', ParsedValue(1560000)),
        ('12.14M', ParsedValue(12140000)),
        ('3.03T', ParsedValue(3030000000000)),
        ('2.5B', ParsedValue(2500000000)),
        ('950K', ParsedValue(950000)),
        ('1.5K', ParsedValue(1500)),
        ('1,234', ParsedValue(1234)),
        ('1,234,567.5', ParsedValue(1234567.5)),
        ('185.12', ParsedValue(185.12)),
        ('185.00', ParsedValue(185.0)),
        ('100', ParsedValue(100)),
        ('-1.42', ParsedValue(-1.42)),
        ('+0.35', ParsedValue(0.35)),
        ('-1.42%', ParsedValue(-1.42)),
        ('C185.12', ParsedValue(185.12, 'closed')),
        ('H9.5', ParsedValue(9.5, 'halted')),
        ('C-0.5', ParsedValue(-0.5, 'closed')),
        (' 42 ', ParsedValue(42)),
        ('.5', ParsedValue(0.5)),
        ('-', ParsedValue(None)),
        ('', ParsedValue(None)),
        ('N/A', ParsedValue(None)),
        (None, ParsedValue(None)),
        (7, ParsedValue(7)),
        (1.25, ParsedValue(1.25)),
    ],
)
def test_parse_number(text, expected):
    parsed = parse_number(text)
    assert parsed == expected
    assert type(parsed.value) is type(expected.value)  # an int stays an int, a price a float


@pytest.mark.parametrize('text', ['AAPL', '1.2.3', '12,34', '1,2345', 'M', 'C', '1.5X', '--5', 'CH5'])
def test_not_a_number_raises_and_parse_value_keeps_the_text(text):
    with pytest.raises(ValueError):
        parse_number(text)
    assert parse_value(text) == text


def test_a_bool_is_not_a_market_value():
    with pytest.raises(ValueError):
        parse_number(True)


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_round_trip(number):
    assert parse_number(f'{number:,}').value == number


@given(
    st.decimals(min_value=0, max_value=999, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([('K', 10**3), ('M', 10**6), ('B', 10**9), ('T', 10**12)]),
)
def test_suffixes_scale_exactly(number, suffix):
    letter, scale = suffix
    exact = number * scale  # Decimal arithmetic: '2.01K' is 2010, not float's 2009.9999999999998
    assert parse_number(f'{number}{letter}').value == (
        int(exact) if exact == exact.to_integral_value() else float(exact)
    )


def test_parse_fields_names_fields_keeps_texts_and_flags_prefixes():
    parsed = parse_fields(
        {
            '31': 'C185.12',
            '84': '185.10',
            '87': '1.56M',
            '55': 'AAPL',
            '7288': '20240105',
            '6509': 'RpB',
            'conid': 265598,
            '7051': 'APPLE INC',
            '9999': '12',
        }
    )
    assert parsed == {
        'last_price': 185.12,
        'last_price_flag': 'closed',
        'bid': 185.10,
        'volume': 1560000,
        'symbol': 'AAPL',
        'ex_date': '20240105',
        'market_data_availability': 'RpB',
        'conid': 265598,
        'company_name': 'APPLE INC',
        '9999': 12,
    }


def test_last_price_always_has_its_flag_column():
    assert parse_fields({'last_price': '10.5'}) == {'last_price': 10.5, 'last_price_flag': None}


def test_unreadable_number_is_kept_not_turned_into_nan():
    assert parse_fields({'bid': 'garbage'}) == {'bid': 'garbage'}


def test_parse_snapshot_shapes():
    raw = [{'conid': 265598, '31': '183.39', '87': '12.14M'}, {'conid': 272093, '31': 'H348.5'}]
    assert parse_snapshot(raw) == [
        {'conid': 265598, 'last_price': 183.39, 'last_price_flag': None, 'volume': 12140000},
        {'conid': 272093, 'last_price': 348.5, 'last_price_flag': 'halted'},
    ]
    by_symbol = {'AAPL': {'last_price': '183.39', 'market_cap': '3.03T'}}
    assert parse_snapshot(by_symbol) == {
        'AAPL': {'last_price': 183.39, 'last_price_flag': None, 'market_cap': 3030000000000}
    }
    assert parse_snapshot({'31': '1'}) == {'last_price': 1, 'last_price_flag': None}
    assert raw[0]['31'] == '183.39'  # the input is left as it was


@pytest.mark.parametrize('bad', ['text', 42, [1, 2]])
def test_parse_snapshot_rejects_what_is_no_snapshot(bad):
    with pytest.raises(TypeError):
        parse_snapshot(bad)
