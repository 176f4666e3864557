"""print_table: the helper the established ibind's examples import from ibind.support.py_utils."""

import io

import pytest

from ibind.support.py_utils import print_table


def _printed(*args, **kwargs):
    out = io.StringIO()
    print_table(*args, file=out, **kwargs)
    return out.getvalue().splitlines()


def test_rows_become_aligned_columns_in_first_seen_order():
    lines = _printed([{'conid': 1, 'symbol': 'SPX'}, {'conid': 23, 'right': 'C'}])
    assert lines == ['conid  symbol  right', '-----  ------  -----', '1      SPX', '23             C']


def test_one_dict_columns_and_long_values():
    assert _printed({'a': 'x' * 50, 'b': None}, columns=['b', 'a'], max_width=8) == [
        'b  a',
        '-  --------',
        '   xxxxx...',
    ]


@pytest.mark.parametrize('bad', ['text', 5, [1, 2]])
def test_bad_rows_are_refused(bad):
    with pytest.raises(TypeError, match="'rows'"):
        print_table(bad)
