"""The mixins' typed host (IbkrClientHost) exists for the type checker only, and says nothing IbkrClient lacks.

mypy checks the mixins against ``ibind.client.ibkr_client_mixins._host.IbkrClientHost``; at run time the mixins
derive from ``object``. These tests pin the run-time half: the Protocol's stub methods never enter IbkrClient's
MRO (where they could shadow RestClient's real methods), the host module is not even imported, and every member
it declares is really there on a client.
"""

import subprocess
import sys
import typing

from ibind import IbkrClient, RestClient
from ibind.client.ibkr_client_mixins._host import IbkrClientHost
from ibind.client.session_lifecycle import SessionLifecycleMixin


def _declared_members() -> typing.Set[str]:
    names = set(IbkrClientHost.__annotations__)  # the attributes
    names.update(name for name, value in vars(IbkrClientHost).items() if callable(value) or isinstance(value, property))
    return {name for name in names if not (name.startswith('__') and name.endswith('__'))} - {'_is_protocol'}


def test_no_protocol_and_no_host_in_the_clients_mro():
    assert IbkrClientHost not in IbkrClient.__mro__
    assert typing.Protocol not in IbkrClient.__mro__
    assert all(klass.__module__ != IbkrClientHost.__module__ for klass in IbkrClient.__mro__)


def test_the_real_methods_win_the_mro():
    # SessionLifecycleMixin wraps RestClient.request/close; every other verb is RestClient's own
    assert IbkrClient.request is SessionLifecycleMixin.request
    assert IbkrClient.close is SessionLifecycleMixin.close
    for verb in ('get', 'post', 'put', 'delete'):
        assert getattr(IbkrClient, verb) is getattr(RestClient, verb)


def test_the_host_module_is_not_imported_at_run_time():
    code = "import sys, ibind.client.ibkr_client\nprint('ibind.client.ibkr_client_mixins._host' in sys.modules)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == 'False'


def test_every_member_the_host_declares_exists_on_a_client():
    declared = _declared_members()
    assert {'get', 'post', '_account', 'stock_conid_by_symbol', 'order_reconcile_timeout'} <= declared
    with IbkrClient(url='http://127.0.0.1:9/v1/api/', account_id='DU1234567', pacing=False) as client:
        missing = sorted(name for name in declared if not hasattr(client, name))
    assert not missing, f'IbkrClientHost declares members IbkrClient does not have: {missing}'
