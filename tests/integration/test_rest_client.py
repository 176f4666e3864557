"""RestClient against a real loopback HTTP(S) server: retries, errors, bodies, TLS, threads."""

import socket

import pytest

from ibind.base.rest_client import RestClient, Result
from ibind.base.retry import RetryPolicy
from ibind.support.errors import (
    BadResponseError,
    ClientClosedError,
    ExternalBrokerError,
    GatewayUnreachableError,
    NoBridgeError,
    NotAuthenticatedError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    TransportError,
)

from scripted_server import Reply, ScriptedServer
from threads import run_on_threads

FAST = RetryPolicy(max_retries=3, backoff=0.01, backoff_max=0.02, jitter=0.0)


def make_client(server, **kwargs):
    kwargs.setdefault('retry_policy', FAST)
    return RestClient(server.url(), **kwargs)


# --------------------------------------------------------------------------- results and bodies


def test_get_returns_result_with_data_and_request_record(server):
    client = make_client(server)
    result = client.get('iserver/accounts', params={'a': 1, 'skip': None, 'flag': True, 'off': False})
    assert isinstance(result, Result)
    assert result.data['path'] == '/v1/api/iserver/accounts'
    assert result.data['query'] == {'a': ['1'], 'flag': ['true'], 'off': ['false']}
    assert result.request == {
        'method': 'GET',
        'url': server.url() + 'iserver/accounts',
        'params': {'a': 1, 'flag': 'true', 'off': 'false'},
        'json': None,
    }


def test_post_sends_json_body_and_request_record_has_no_headers(server):
    client = make_client(server)
    result = client.post('iserver/auth/ssodh/init', {'publish': True, 'compete': True})
    assert result.data['json'] == {'publish': True, 'compete': True}
    assert set(result.request) == {'method', 'url', 'params', 'json'}


def test_bodiless_post_carries_content_length(server):
    make_client(server).post('tickle')
    assert server.received[-1].headers.get('Content-Length') == '0'


def test_empty_body_is_none(server):
    server.script('DELETE', '/v1/api/fyi/deliveryoptions/1', Reply(body=b'', content_type='text/plain'))
    assert make_client(server).delete('fyi/deliveryoptions/1').data is None


def test_text_and_xml_bodies_are_returned_as_text(server):
    server.script('GET', '/v1/api/xml', Reply(body='<ScanParameterResponse/>', content_type='text/xml'))
    server.script('POST', '/v1/api/iserver/notification', Reply(body='Submitted: ok', content_type='text/plain'))
    client = make_client(server)
    assert client.get('xml').data == '<ScanParameterResponse/>'
    assert client.post('iserver/notification', {'orderId': 1}).data == 'Submitted: ok'


def test_truncated_json_raises_bad_response_not_json_error(server):
    server.script('GET', '/v1/api/broken', Reply(body='{"accounts": ["DU1', content_type='application/json'))
    with pytest.raises(BadResponseError) as info:
        make_client(server).get('broken')
    assert info.value.status_code == 200
    assert 'broken' in str(info.value) and '{"accounts"' in str(info.value)


def test_json_with_an_integer_too_long_to_convert_raises_bad_response(server):
    # valid JSON, but Python refuses to convert an integer of more than 4300 digits (a plain ValueError,
    # not a JSONDecodeError): it used to escape as AttributeError
    server.script('GET', '/v1/api/huge', Reply(body='{"conid": ' + '7' * 5000 + '}', content_type='application/json'))
    with pytest.raises(BadResponseError) as info:
        make_client(server).get('huge')
    assert info.value.status_code == 200
    assert 'digits' in str(info.value)


def test_html_page_on_success_status_raises_bad_response(server):
    server.script('GET', '/v1/api/page', Reply(body='<html><body>Login</body></html>', content_type='text/html'))
    with pytest.raises(BadResponseError):
        make_client(server).get('page')


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    'status, body, error_class',
    [
        (400, {'error': 'Bad Request: no bridge', 'statusCode': 400}, NoBridgeError),
        (401, None, NotAuthenticatedError),
        (404, '<html><body><h1>Resource not found</h1></body></html>', BadResponseError),
        (500, {'error': 'description'}, ExternalBrokerError),
        (503, {'error': 'Details currently unavailable.', 'statusCode': 503}, ExternalBrokerError),
    ],
)
def test_error_statuses_map_to_errors_with_status_route_and_excerpt(server, status, body, error_class):
    ctype = 'text/html' if isinstance(body, str) else None
    server.script('POST', '/v1/api/x', Reply(status=status, body=body, content_type=ctype))
    with pytest.raises(error_class) as info:
        make_client(server).post('x', {'a': 1})
    error = info.value
    assert isinstance(error, ExternalBrokerError)
    assert error.status_code == status
    assert error.method == 'POST' and error.url.endswith('/v1/api/x')
    assert f'status={status}' in str(error)


def test_200_with_error_body_raises(server):
    server.script('POST', '/v1/api/iserver/account/DU1/orders', Reply(body={'error': 'We cannot accept an order'}))
    with pytest.raises(ExternalBrokerError) as info:
        make_client(server).post('iserver/account/DU1/orders', {'orders': []})
    assert 'We cannot accept an order' in str(info.value)
    assert info.value.status_code == 200


def test_data_with_a_null_error_field_is_data(server):
    server.script('GET', '/v1/api/rules', Reply(body={'error': None, 'orderTypes': ['limit']}))
    assert make_client(server).get('rules').data['orderTypes'] == ['limit']


def test_429_on_post_raises_rate_limit_with_retry_after(server):
    server.script('POST', '/v1/api/iserver/scanner/run', Reply(status=429, headers={'Retry-After': '7'}))
    with pytest.raises(RateLimitError) as info:
        make_client(server).post('iserver/scanner/run', {})
    assert info.value.retry_after == 7
    assert server.count('POST', '/v1/api/iserver/scanner/run') == 1


def test_429_on_get_is_retried_after_retry_after(server):
    server.script('GET', '/v1/api/busy', Reply(status=429, headers={'Retry-After': '0'}), Reply(body={'ok': 1}))
    assert make_client(server).get('busy').data == {'ok': 1}
    assert server.count('GET', '/v1/api/busy') == 2


# --------------------------------------------------------------------------- retries


def test_get_is_retried_on_502_503_504_then_succeeds(server):
    server.script(
        'GET', '/v1/api/flaky', Reply(status=502), Reply(status=503), Reply(status=504), Reply(body={'ok': True})
    )
    assert make_client(server).get('flaky').data == {'ok': True}
    assert server.count('GET', '/v1/api/flaky') == 4


def test_a_5xx_carrying_an_ibkr_error_is_an_answer_not_retried(server):
    server.script(
        'GET',
        '/v1/api/iserver/account/search/DU',
        Reply(
            status=503,
            body={
                'error': 'Details currently unavailable. Please try again later and contact client services if the issue '
                'persists.',
                'statusCode': 503,
            },
        ),
        Reply(body={'ok': True}),
    )
    with pytest.raises(ExternalBrokerError) as info:
        make_client(server).get('iserver/account/search/DU')
    assert 'Details currently unavailable' in str(info.value)
    assert server.count('GET', '/v1/api/iserver/account/search/DU') == 1


def test_get_gives_up_after_max_retries(server):
    server.script('GET', '/v1/api/down', *[Reply(status=503)] * 10)
    with pytest.raises(ExternalBrokerError) as info:
        make_client(server).get('down')
    assert info.value.status_code == 503
    assert server.count('GET', '/v1/api/down') == 4  # 1 + max_retries


def test_post_is_not_retried_on_503(server):
    server.script('POST', '/v1/api/iserver/reply/abc', Reply(status=503), Reply(body={'ok': True}))
    with pytest.raises(ExternalBrokerError):
        make_client(server).post('iserver/reply/abc', {'confirmed': True})
    assert server.count('POST', '/v1/api/iserver/reply/abc') == 1


def test_retry_safe_post_is_retried(server):
    server.script('POST', '/v1/api/tickle', Reply(status=503), Reply(body={'session': 'x'}))
    assert make_client(server).post('tickle', retry_safe=True).data == {'session': 'x'}
    assert server.count('POST', '/v1/api/tickle') == 2


def test_get_is_retried_after_a_read_timeout(server):
    server.script('GET', '/v1/api/slow', Reply(delay=0.6), Reply(body={'ok': True}))
    client = make_client(server, timeout=0.2)
    assert client.get('slow').data == {'ok': True}
    assert server.count('GET', '/v1/api/slow') == 2


def test_post_that_timed_out_after_the_server_received_it_is_sent_exactly_once(server):
    server.script('POST', '/v1/api/iserver/account/DU1/orders', Reply(delay=0.6, body=[{'order_id': '1'}]))
    client = make_client(server, timeout=0.2)
    with pytest.raises(OutcomeUnknownError) as info:
        client.post('iserver/account/DU1/orders', {'orders': [{'conid': 265598}]})
    assert 'not repeated' in str(info.value)
    assert server.count('POST', '/v1/api/iserver/account/DU1/orders') == 1


def test_post_whose_connection_dropped_after_sending_is_not_retried(server):
    server.script('POST', '/v1/api/iserver/reply/q1', Reply(drop=True), Reply(body=[{'order_id': '1'}]))
    with pytest.raises(OutcomeUnknownError):
        make_client(server).post('iserver/reply/q1', {'confirmed': True})
    assert server.count('POST', '/v1/api/iserver/reply/q1') == 1


def test_dropped_get_is_retried(server):
    server.script('GET', '/v1/api/drop', Reply(drop=True), Reply(body={'ok': True}))
    assert make_client(server).get('drop').data == {'ok': True}


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_refused_connection_fails_at_once_and_is_not_retried():
    """Connection refused proves the POST never arrived, and repeating it does not start the gateway:
    GatewayUnreachableError at once, no back-off (the gateway that comes up later gets nothing)."""
    port = _free_port()
    client = RestClient(f'http://127.0.0.1:{port}/v1/api/', retry_policy=FAST)
    sleeps = []
    client._sleep = sleeps.append
    with pytest.raises(GatewayUnreachableError) as info:
        client.post('iserver/account/DU1/orders', {'orders': []})
    assert sleeps == []
    assert not isinstance(info.value, OutcomeUnknownError)
    assert 'is the gateway running' in str(info.value).lower()


def test_refused_connection_is_a_transport_error():
    port = _free_port()
    client = RestClient(f'http://127.0.0.1:{port}/v1/api/', retry_policy=FAST)
    with pytest.raises(TransportError) as info:
        client.get('iserver/accounts')
    assert 'could not connect' in str(info.value)
    assert not isinstance(info.value, OutcomeUnknownError)


def test_read_timeout_after_retries_is_a_request_timeout(server):
    server.script('GET', '/v1/api/slow', *[Reply(delay=0.4)] * 3)
    client = make_client(server, timeout=0.1, retry_policy=RetryPolicy(max_retries=2, backoff=0, jitter=0))
    with pytest.raises(RequestTimeoutError):
        client.get('slow')
    assert server.count('GET', '/v1/api/slow') == 3


# --------------------------------------------------------------------------- TLS


def test_tls_verified_against_the_given_ca(tls_material):
    with ScriptedServer(ssl_context=tls_material.server_context()) as tls_server:
        for host in ('localhost', '127.0.0.1'):
            client = RestClient(tls_server.url(host), cacert=tls_material.ca_path, retry_policy=FAST)
            assert client.get('iserver/accounts').data['path'] == '/v1/api/iserver/accounts'


def test_tls_with_verification_against_other_cas_fails(tls_material):
    with ScriptedServer(ssl_context=tls_material.server_context()) as tls_server:
        client = RestClient(tls_server.url('localhost'), cacert=True, retry_policy=FAST)
        with pytest.raises(TransportError) as info:
            client.get('iserver/accounts')
        assert 'SSL' in str(info.value)
        assert tls_server.count('GET', '/v1/api/iserver/accounts') == 0


@pytest.mark.parametrize('cacert', [False, 'False', 'false', '0'])
def test_tls_unverified_when_cacert_is_false_and_warns_once(tls_material, cacert, recwarn, caplog):
    with ScriptedServer(ssl_context=tls_material.server_context()) as tls_server:
        client = RestClient(tls_server.url('localhost'), cacert=cacert, retry_policy=FAST)
        for _ in range(5):
            client.get('iserver/accounts')
    insecure = [w for w in recwarn.list if 'Unverified HTTPS' in str(w.message)]
    assert len(insecure) <= 1
    assert sum('verification is disabled' in r.getMessage() for r in caplog.records) == 1


def test_verify_always_ignores_cacert_false(tls_material):
    with ScriptedServer(ssl_context=tls_material.server_context()) as tls_server:
        client = RestClient(tls_server.url('localhost'), cacert=False, verify_always=True, retry_policy=FAST)
        with pytest.raises(TransportError):
            client.get('iserver/accounts')
        verified = RestClient(tls_server.url('localhost'), cacert=tls_material.ca_path, verify_always=True)
        assert verified.get('x').data['path'] == '/v1/api/x'


def test_missing_cacert_file_is_a_clear_value_error():
    with pytest.raises(ValueError, match="'cacert'"):
        RestClient('https://localhost:5000/v1/api/', cacert='/nonexistent/ca.pem')


# --------------------------------------------------------------------------- threads and lifecycle


def test_eight_threads_times_one_hundred_calls_each_result_matches_its_request(server):
    client = make_client(server)
    failures = []

    def work(thread_no):
        for call_no in range(100):
            try:
                result = client.get('echo', params={'t': thread_no, 'c': call_no})
                if result.data['query'] != {'t': [str(thread_no)], 'c': [str(call_no)]}:
                    failures.append((thread_no, call_no, result.data))
            except Exception as error:  # any error fails the test below
                failures.append((thread_no, call_no, repr(error)))

    run_on_threads(work, 8)
    assert failures == []
    assert server.count('GET', '/v1/api/echo') == 800


def test_context_manager_closes_and_closed_client_refuses(server):
    with make_client(server) as client:
        client.get('x')
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.get('x')


def test_use_session_false_still_works(server):
    client = make_client(server, use_session=False)
    assert client.get('x').data['path'] == '/v1/api/x'


@pytest.mark.parametrize(
    'kwargs, needle',
    [
        ({'url': None}, "'url'"),
        ({'url': 'localhost:5000'}, "'url'"),
        ({'url': 'http://x/', 'timeout': 0}, "'timeout'"),
        ({'url': 'http://x/', 'timeout': 'ten'}, "'timeout'"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        RestClient(**kwargs)


def test_sequential_requests_reuse_one_kept_alive_connection(server):
    client = make_client(server)
    for _ in range(20):
        client.get('x')
    assert len({r.client_port for r in server.received}) == 1
