"""ensure_list_arg, filter_none, execute_in_parallel, RateCap."""

import subprocess
import sys
import threading

import pytest

from ibind.support.py_utils import RateCap, ensure_list_arg, execute_in_parallel, filter_none


@ensure_list_arg('conids', 'fields')
def _snapshot(conids, fields=None, other='x'):
    return conids, fields, other


def test_ensure_list_arg_wraps_single_values_and_keeps_lists():
    assert _snapshot('265598') == (['265598'], None, 'x')
    assert _snapshot(['1', '2'], fields='31') == (['1', '2'], ['31'], 'x')
    assert _snapshot(conids=('1',), fields={'31'}) == (['1'], ['31'], 'x')
    assert _snapshot({'a': 1}) == ([{'a': 1}], None, 'x')


def test_ensure_list_arg_rejects_empty_lists_naming_the_argument():
    with pytest.raises(ValueError, match="'conids'"):
        _snapshot([])


def test_ensure_list_arg_checks_names_at_decoration():
    with pytest.raises(TypeError):
        ensure_list_arg('nope')(lambda a: a)


def test_filter_none_recurses():
    assert filter_none({'a': None, 'b': {'c': None, 'd': 1}, 'e': [None, {'f': None}]}) == {'b': {'d': 1}, 'e': [{}]}


def test_execute_in_parallel_keys_results_like_the_input():
    def double(x, extra=0):
        return 2 * x + extra

    assert execute_in_parallel(double, [{'args': [1]}, {'args': [2], 'kwargs': {'extra': 1}}]) == [2, 5]
    assert execute_in_parallel(double, {'a': {'args': [3]}, 'b': {'kwargs': {'x': 4}}}) == {'a': 6, 'b': 8}
    assert execute_in_parallel(double, {}) == {}


def test_execute_in_parallel_returns_or_raises_exceptions():
    def boom(x):
        if x == 2:
            raise KeyError('two')
        return x

    results = execute_in_parallel(boom, {'one': {'args': [1]}, 'two': {'args': [2]}})
    assert results['one'] == 1 and isinstance(results['two'], KeyError)
    with pytest.raises(KeyError):
        execute_in_parallel(boom, [{'args': [1]}, {'args': [2]}], raise_exceptions=True)


def test_execute_in_parallel_really_runs_concurrently():
    barrier = threading.Barrier(4, timeout=5)
    assert (
        execute_in_parallel(lambda: barrier.wait() is not None, [{}] * 4, max_workers=4, max_per_second=None)
        == [True] * 4
    )


def test_execute_in_parallel_validates_its_arguments():
    with pytest.raises(TypeError, match="'requests'"):
        execute_in_parallel(print, 'abc')
    with pytest.raises(ValueError, match="'max_workers'"):
        execute_in_parallel(print, [{}], max_workers=0)
    with pytest.raises(TypeError, match="'args'"):
        execute_in_parallel(print, [{'argz': []}])


def test_rate_cap_sleeps_the_right_amounts_without_spinning():
    now = [100.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    cap = RateCap(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        cap.wait()
    assert sleeps == pytest.approx([0.25, 0.25, 0.25, 0.25])
    with pytest.raises(ValueError, match="'max_per_second'"):
        RateCap(0)


def test_on_result_is_called_as_each_call_completes_with_value_or_exception():
    import threading
    import time

    from ibind.support.py_utils import execute_in_parallel

    seen = []
    caller = threading.current_thread()

    def work(n):
        if n == 2:
            raise ValueError('two')
        time.sleep(0.05 * (3 - n))
        return n * 10

    def on_result(key, value):
        assert threading.current_thread() is caller  # on the calling thread: safe for a progress bar
        seen.append((key, value if not isinstance(value, Exception) else repr(value)))

    results = execute_in_parallel(work, {f'k{n}': {'args': [n]} for n in range(4)}, on_result=on_result)
    assert sorted(seen) == [('k0', 0), ('k1', 10), ('k2', "ValueError('two')"), ('k3', 30)]
    assert seen[0][0] in ('k2', 'k3')  # completion order, not input order
    assert results['k1'] == 10 and isinstance(results['k2'], ValueError)


def test_an_exception_in_on_result_stops_the_work_without_waiting_for_queued_calls():
    import time

    import pytest

    from ibind.support.py_utils import execute_in_parallel

    started = []

    def work(n):
        started.append(n)
        time.sleep(0.05)
        return n

    def on_result(key, value):
        raise RuntimeError('stop')

    with pytest.raises(RuntimeError):
        execute_in_parallel(work, [{'args': [n]} for n in range(50)], max_workers=2, on_result=on_result)
    time.sleep(0.3)
    assert len(started) <= 4  # the 46 queued calls never ran


def test_on_result_must_be_callable():
    import pytest

    from ibind.support.py_utils import execute_in_parallel

    with pytest.raises(TypeError, match='on_result'):
        execute_in_parallel(lambda: 1, [None], on_result='progress')


def test_lazy_module_imports_on_first_attribute_and_names_a_missing_one():
    code = (
        'import sys\n'
        'from ibind.support.py_utils import LazyModule\n'
        "colours = LazyModule('colorsys')\n"
        "before = 'colorsys' in sys.modules\n"
        'print(before, colours.rgb_to_hsv(1.0, 0.0, 0.0), repr(colours))\n'
        'try:\n    colours.no_such_function\n'
        'except AttributeError as error:\n    print(error)\n'
    )
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    assert lines[0] == "False (0.0, 1.0, 1.0) LazyModule('colorsys', loaded=True)"
    assert 'colorsys' in lines[1] and 'no_such_function' in lines[1]
