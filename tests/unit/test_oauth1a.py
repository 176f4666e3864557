"""The pure pieces of OAuth 1.0a: K bytes, prepend, percent-encoding, base string, header, config."""

import base64
import hashlib
import hmac

import pytest
from Crypto.Cipher import PKCS1_v1_5
from Crypto.IO import PEM
from Crypto.PublicKey import RSA
from Crypto.Util.asn1 import DerSequence

from ibind.oauth import oauth1a
from ibind.oauth.oauth1a import OAuth1aConfig
from ibind.sim.oauth import RFC3526_PRIME_2048
from ibind.support.errors import OAuthError


@pytest.fixture(scope='module')
def rsa_key():
    return RSA.generate(1024)


def docs_k_bytes(k):
    """The docs' three steps: hex, pad to even length, prepend a 00 sign byte when the top bit is set."""
    hex_k = format(k, 'x')
    if len(hex_k) % 2:
        hex_k = '0' + hex_k
    if k.bit_length() % 8 == 0:
        hex_k = '00' + hex_k
    return bytes.fromhex(hex_k)


@pytest.mark.parametrize(
    'k',
    [
        0xFF,
        0x80,
        0x7F,
        0x0ABC,
        0xABC,
        0x8000,
        1,
        2**2047 + 12345,
        2**2042 + 99,
        (2**2048) - 1,
    ],
)
def test_k_bytes_match_the_documented_rule(k):
    assert oauth1a.k_to_bytes(k) == docs_k_bytes(k)


def test_k_bytes_sign_byte_and_odd_length_cases():
    assert oauth1a.k_to_bytes(0x9AD7) == b'\x00\x9a\xd7'  # top bit set: sign byte
    assert oauth1a.k_to_bytes(0x6F14E) == b'\x06\xf1\x4e'  # odd number of hex digits: padded, no sign byte


def test_prepend_keeps_leading_zero_bytes(rsa_key):
    for secret in (b'\x07' + b'\x55' * 31, b'\x00\x01' + b'\xaa' * 30):
        encrypted = base64.b64encode(PKCS1_v1_5.new(rsa_key.publickey()).encrypt(secret)).decode()
        assert oauth1a.calculate_prepend(encrypted, rsa_key) == secret.hex()


def test_prepend_with_the_wrong_key_is_a_clear_error(rsa_key):
    other = RSA.generate(1024)
    encrypted = base64.b64encode(PKCS1_v1_5.new(other.publickey()).encrypt(b'x' * 32)).decode()
    with pytest.raises(OAuthError, match='could not be decrypted'):
        oauth1a.calculate_prepend(encrypted, rsa_key)
    with pytest.raises(OAuthError, match='base64'):
        oauth1a.calculate_prepend('not base64!!', rsa_key)


@pytest.mark.parametrize(
    'text, encoded',
    [
        (
            'https://api.ibkr.com/v1/api/oauth/live_session_token',
            'https%3A%2F%2Fapi.ibkr.com%2Fv1%2Fapi%2Foauth%2Flive_session_token',
        ),
        ('BRK B', 'BRK%20B'),
        ('a/b', 'a%2Fb'),
        ('a~b-c.d_e', 'a~b-c.d_e'),
        ('+//+', '%2B%2F%2F%2B'),
        ('k=v&x=y', 'k%3Dv%26x%3Dy'),
    ],
)
def test_percent_encoding(text, encoded):
    assert oauth1a.percent_encode(text) == encoded


def test_base_string_puts_prepend_raw_and_drops_the_query():
    params = {'oauth_token': 't', 'oauth_consumer_key': 'TESTCONS', 'diffie_hellman_challenge': 'ab'}
    text = oauth1a.base_string('post', 'https://api.ibkr.com/v1/api/x?a=1', params, prepend='07ff')
    assert text == (
        '07ffPOST&https%3A%2F%2Fapi.ibkr.com%2Fv1%2Fapi%2Fx&'
        'diffie_hellman_challenge%3Dab%26oauth_consumer_key%3DTESTCONS%26oauth_token%3Dt'
    )


def test_authorization_header_order_and_quoting():
    header = oauth1a.authorization_header(
        {'oauth_token': 't', 'oauth_signature_method': 'HMAC-SHA256', 'oauth_nonce': 'n'}, 'c2ln%3D', 'test_realm'
    )
    assert header == (
        'OAuth realm="test_realm", oauth_nonce="n", oauth_signature="c2ln%3D", '
        'oauth_signature_method="HMAC-SHA256", oauth_token="t"'
    )


def test_live_session_token_agrees_with_the_server_side_computation():
    prime, a, b = RFC3526_PRIME_2048, 0x1234567**5, 0x7654321**5
    secret = bytes.fromhex('0755dab12d264c142bd8d008f5041cd0d8a7e2c7a4ebce313e1deb4ccde2200b')
    server_k = pow(pow(2, a, prime), b, prime)
    server_lst = base64.b64encode(hmac.new(docs_k_bytes(server_k), secret, hashlib.sha1).digest()).decode()
    client_lst = oauth1a.compute_live_session_token(format(pow(2, b, prime), 'x'), a, prime, secret.hex())
    assert client_lst == server_lst
    signature = oauth1a.live_session_token_signature(server_lst, 'TESTCONS')
    assert oauth1a.validate_live_session_token(client_lst, signature, 'TESTCONS')
    assert not oauth1a.validate_live_session_token(client_lst, signature, 'OTHERKEY')


def test_hmac_signature_is_base64_of_hmac_sha256_percent_encoded():
    lst = base64.b64encode(b'k' * 20).decode()
    expected = base64.b64encode(hmac.new(b'k' * 20, b'GET&x&y', hashlib.sha256).digest()).decode()
    assert oauth1a.hmac_sha256_signature('GET&x&y', lst) == oauth1a.percent_encode(expected)


def test_timestamps_never_go_backwards_and_have_ten_digits():
    stamps = oauth1a.Timestamps()
    values = [stamps.next() for _ in range(50)]
    assert values == sorted(values) and all(len(v) == 10 for v in values)


def test_signer_uses_fresh_nonces_and_refuses_without_a_token(rsa_key):
    material = oauth1a.OAuthMaterial(
        'TESTCONS', 'token', 'secret', rsa_key, rsa_key, RFC3526_PRIME_2048, 2, 'test_realm'
    )
    signer = oauth1a.OAuthSigner(material)
    with pytest.raises(OAuthError):
        signer.headers('GET', 'https://x/v1/api/tickle')
    signer.set_token(base64.b64encode(b'k' * 20).decode(), expires_ms=10**13)
    first, second = (signer.headers('GET', 'https://x/v1/api/tickle')['Authorization'] for _ in range(2))
    nonce = lambda header: header.split('oauth_nonce="')[1].split('"')[0]  # noqa: E731
    assert nonce(first) != nonce(second)
    assert not signer.needs_refresh(now=0)
    assert signer.needs_refresh(now=10**10)


# --------------------------------------------------------------------------- configuration


def test_missing_configuration_is_reported_in_one_error():
    config = OAuth1aConfig(
        access_token=None,
        access_token_secret=None,
        consumer_key=None,
        dh_prime=None,
        encryption_key_fp=None,
        signature_key_fp=None,
        encryption_key=None,
        signature_key=None,
        dh_params_fp=None,
    )
    with pytest.raises(OAuthError) as info:
        config.verify_config()
    text = str(info.value)
    for piece in ('access_token', 'access_token_secret', 'consumer_key', 'encryption key', 'signature key', 'DH prime'):
        assert piece in text


def test_unreadable_key_file_is_named(tmp_path):
    config = OAuth1aConfig(
        access_token='t',
        access_token_secret='s',
        consumer_key='c',
        dh_prime='ff' * 64,
        encryption_key_fp=str(tmp_path / 'missing.pem'),
        signature_key_fp=None,
        signature_key='-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----',
        encryption_key=None,
        dh_params_fp=None,
    )
    with pytest.raises(OAuthError) as info:
        config.verify_config()
    assert 'missing.pem' in str(info.value) and 'signature key: not a readable RSA private key' in str(info.value)


def test_keys_as_pem_text_and_prime_from_dhparam_file(tmp_path, rsa_key):
    pem_text = rsa_key.export_key().decode()
    dh_file = tmp_path / 'dhparam.pem'
    dh_file.write_text(PEM.encode(DerSequence([RFC3526_PRIME_2048, 2]).encode(), 'DH PARAMETERS'))
    config = OAuth1aConfig(
        access_token='tok',
        access_token_secret='c2VjcmV0',
        consumer_key='TESTCONS',
        encryption_key=pem_text,
        signature_key_fp=pem_text,
        dh_params_fp=str(dh_file),
        dh_prime=None,
        encryption_key_fp=None,
        signature_key=None,
    )
    material = config.material()
    assert material.dh_prime == RFC3526_PRIME_2048 and material.dh_generator == 2


def test_repr_never_shows_secrets(rsa_key):
    pem_text = rsa_key.export_key().decode()
    config = OAuth1aConfig(
        access_token='tok1234567',
        access_token_secret='SECRETVALUE==',
        consumer_key='TESTCONS',
        encryption_key=pem_text,
        signature_key=pem_text,
    )
    text = repr(config)
    assert 'SECRETVALUE' not in text and 'BEGIN' not in text and 'tok1234567' not in text
    assert 'TESTCONS' in text
