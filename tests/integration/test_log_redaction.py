"""DEBUG logs of a request carrying credentials contain none of them."""

import logging

from ibind.base.rest_client import RestClient

SIGNATURE = 'c2lnbmF0dXJlU0VDUkVUdmFsdWU%3D'
TOKEN = 'accessTOKEN0123456789'
COOKIE = 'sessionCOOKIE987654321'


def test_debug_logs_of_a_signed_request_hold_no_secret(server, caplog):
    caplog.set_level(logging.DEBUG)
    client = RestClient(server.url())
    headers = {
        'Authorization': f'OAuth realm="limited_poa", oauth_consumer_key="TESTCONS", oauth_nonce="abc", '
        f'oauth_signature="{SIGNATURE}", oauth_signature_method="HMAC-SHA256", '
        f'oauth_timestamp="1700000000", oauth_token="{TOKEN}"',
        'Cookie': f'api={COOKIE}',
    }
    client.post('iserver/auth/ssodh/init', {'publish': True, 'compete': True}, headers=headers)
    assert server.received[-1].headers['Authorization'].endswith(f'oauth_token="{TOKEN}"')  # it was sent
    text = '\n'.join(record.getMessage() for record in caplog.records)
    assert 'iserver/auth/ssodh/init' in text  # the request was logged at DEBUG
    for secret in (SIGNATURE, TOKEN, COOKIE):
        assert secret not in text
