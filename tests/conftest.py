import pytest

from scripted_server import ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer() as s:
        yield s


@pytest.fixture(scope='session')
def tls_material(tmp_path_factory):
    from ibind.sim.transport.certs import make_tls_material

    return make_tls_material(str(tmp_path_factory.mktemp('tls')))


@pytest.fixture
def sim():
    """A fresh simulated gateway on a free port (starting one takes milliseconds)."""
    from ibind.sim import GatewaySimulator

    # o354 until a snapshot (the simulator's older rule): many client tests use it as their question trigger
    with GatewaySimulator(port=0, market_data_subscriptions=None) as simulator:
        yield simulator


@pytest.fixture
def client(sim):
    """An IbkrClient talking to the simulator over a real socket."""
    from ibind import IbkrClient

    with IbkrClient(
        url=sim.url, account_id='DU1234567', cacert=False, pacing=False, order_reconcile_timeout=0.5
    ) as ibkr:
        yield ibkr


@pytest.fixture
def start_simulator():
    """start_simulator(**options) -> a started simulator on a free port; every one is stopped after the test."""
    from ibind.sim import GatewaySimulator

    started = []

    def start(**options):
        simulator = GatewaySimulator(port=0, **options).start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture(scope='module')
def creds(tmp_path_factory):
    """OAuth 1.0a test credentials: the simulator's side (``creds.server``) and the client's (``client_config``)."""
    from ibind.sim.oauth import make_test_credentials

    return make_test_credentials(str(tmp_path_factory.mktemp('oauth')))


@pytest.fixture
def oauth_sim(creds):
    """A TLS simulator that accepts only OAuth 1.0a requests signed with ``creds``."""
    from ibind.sim import GatewaySimulator

    with GatewaySimulator(tls=True, oauth=creds.server) as simulator:
        yield simulator
