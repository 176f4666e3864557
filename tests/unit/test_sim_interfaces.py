"""Every category state keeps the interfaces it promises other parts of the simulator (ibind.sim.interfaces)."""

import inspect
import typing

import pytest

from ibind.sim import interfaces
from ibind.sim.categories import CATEGORIES, Category
from ibind.sim.gateway import Gateway


def _members(protocol: type) -> typing.Dict[str, typing.Any]:
    """{name: function or None (a data member)} that ``protocol`` declares."""
    members = dict.fromkeys(typing.get_type_hints(protocol))
    members.update(
        {
            name: value
            for name, value in vars(protocol).items()
            if inspect.isfunction(value) and not name.startswith('_')
        }
    )
    return members


def _mismatches(state: typing.Any, protocol: type) -> typing.List[str]:
    problems = []
    for name, declared in _members(protocol).items():
        if not hasattr(state, name):
            problems.append(f'{type(state).__name__} has no {name!r} ({protocol.__name__})')
            continue
        if declared is None:
            continue
        actual = getattr(state, name)
        if not callable(actual):
            problems.append(f'{type(state).__name__}.{name} is not a method ({protocol.__name__})')
            continue
        want = list(inspect.signature(declared).parameters)[1:]  # without self
        have = list(inspect.signature(actual).parameters)
        if want != have:
            problems.append(f'{type(state).__name__}.{name}{tuple(have)} != {protocol.__name__}.{name}{tuple(want)}')
    return problems


@pytest.fixture(scope='module')
def gateway():
    return Gateway()


@pytest.mark.parametrize('category', [c for c in CATEGORIES if c.provides], ids=lambda c: c.name)
def test_each_state_keeps_the_interfaces_it_provides(gateway, category: Category):
    state = gateway.states[category.name]
    problems = [problem for protocol in category.provides for problem in _mismatches(state, protocol)]
    assert not problems, '\n'.join(problems)


def test_every_interface_is_provided_by_some_category():
    declared = {
        value
        for value in vars(interfaces).values()
        if isinstance(value, type)
        and issubclass(value, typing.Protocol)
        and value is not typing.Protocol
        and value.__module__ == interfaces.__name__
    }
    provided = {protocol for category in CATEGORIES for protocol in category.provides}
    assert declared and declared == provided


def test_a_renamed_method_or_changed_signature_is_caught():
    class Renamed:
        brokerage_opened_at = None
        brokerage_generation = 0

        def has_snapshot(self, conid):
            return True

        def searched(self, conid, session):
            return True

    assert _mismatches(Renamed(), interfaces.MarketDataFeeds) == ["Renamed has no 'has_market_data' (MarketDataFeeds)"]
    assert _mismatches(Renamed(), interfaces.ContractSearches) == [
        "Renamed.searched('conid', 'session') != ContractSearches.searched('conid',)"
    ]
    assert _mismatches(Renamed(), interfaces.BrokerageSession) == []
    assert _mismatches(object(), interfaces.BrokerageSession) == [
        "object has no 'brokerage_opened_at' (BrokerageSession)",
        "object has no 'brokerage_generation' (BrokerageSession)",
    ]


def test_category_states_are_reachable_as_gateway_attributes(gateway):
    for category in CATEGORIES:
        if category.state is not None:
            assert getattr(gateway, category.state_attribute) is gateway.states[category.name]
