"""The environment's proxy settings are honoured, read once per client; ~/.netrc is never sent to the gateway.

The hostile server plays the forward proxy: a request sent through a proxy arrives there in absolute form,
with the gateway's name in its Host header.
"""

import pytest
from hostile_server import HostileServer

from ibind import GatewayUnreachableError, RestClient

GATEWAY = 'http://gateway.invalid:5000/v1/api/'


@pytest.fixture
def proxy():
    with HostileServer() as server:
        yield server


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))


def test_http_proxy_from_the_environment_carries_the_request(proxy, monkeypatch):
    monkeypatch.setenv('HTTP_PROXY', f'http://127.0.0.1:{proxy.port}')
    with RestClient(url=GATEWAY, cacert=False, max_retries=0) as client:
        assert client.get('tickle').data is not None
        client.get('tickle')
    assert proxy.count('GET', 'tickle') == 2, proxy.received
    assert proxy.headers_of_last()['Host'] == 'gateway.invalid:5000'


def test_no_proxy_sends_the_gateway_direct(proxy, monkeypatch):
    monkeypatch.setenv('HTTP_PROXY', f'http://127.0.0.1:{proxy.port}')
    monkeypatch.setenv('NO_PROXY', 'gateway.invalid')
    with RestClient(url=GATEWAY, cacert=False, max_retries=0) as client:
        with pytest.raises(GatewayUnreachableError):
            client.get('tickle')
    assert proxy.count() == 0


def test_the_environment_is_read_when_the_client_is_made(proxy, monkeypatch):
    with RestClient(url=proxy.url(), cacert=False, max_retries=0) as client:
        monkeypatch.setenv('HTTP_PROXY', 'http://127.0.0.1:9')  # set later: this client goes on without it
        client.get('tickle')
    assert proxy.count('GET', 'tickle') == 1


def test_netrc_credentials_are_never_sent_to_the_gateway(proxy, tmp_path):
    netrc = tmp_path / '.netrc'
    netrc.write_text('machine 127.0.0.1 login someone password secret\n')
    netrc.chmod(0o600)
    with RestClient(url=proxy.url(), cacert=False, max_retries=0) as client:
        client.get('tickle')
    assert 'Authorization' not in proxy.headers_of_last()
