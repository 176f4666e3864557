import pytest

from scripted_server import ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer() as s:
        yield s


@pytest.fixture(scope='session')
def tls_material(tmp_path_factory):
    from ibind.sim.certs import make_tls_material

    return make_tls_material(str(tmp_path_factory.mktemp('tls')))
