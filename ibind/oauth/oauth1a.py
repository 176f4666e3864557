"""OAuth 1.0a for IBKR's Web API: configuration, the live session token, and request signing.

The algorithm follows IBKR's docs with their errata fixed (see docs/oauth.md): the live session token
(LST) comes from a Diffie-Hellman exchange signed RSA-SHA256 with the *signature* key over a base
string that starts with the decrypted access token secret ("prepend"); K is encoded as Java's
BigInteger.toByteArray (two's complement, with a sign byte when the top bit is set); every later
request is signed HMAC-SHA256 with the LST over METHOD & URL & the oauth_* parameters only.

Everything here is a pure function or a small thread-safe object, except nothing: the one HTTP
request (the LST exchange) is made by IbkrClient through its normal request path.
pycryptodome is imported lazily, so ``import ibind`` stays light.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import string
import threading
import time
import urllib.parse
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple

from ibind import var
from ibind.support.errors import BadResponseError, OAuthError

_NONCE_ALPHABET = string.ascii_letters + string.digits
SECRET_FIELDS = ('access_token_secret', 'encryption_key', 'signature_key')
_PATH_FIELDS = ('encryption_key_fp', 'signature_key_fp', 'dh_params_fp')


def _looks_like_path(value: str) -> bool:
    """A file path can be shown; PEM text, base64 or anything multi-line given where a path was due cannot."""
    return (
        len(value) <= 260
        and value.isprintable()
        and '-----' not in value
        and not (len(value) > 40 and ' ' not in value and os.sep not in value and '.' not in value)
    )


# --------------------------------------------------------------------------- configuration


@dataclass
class OAuth1aConfig:
    """Everything OAuth 1.0a needs; each field defaults to its IBIND_OAUTH1A_* variable.

    Keys can be given as PEM text (``encryption_key``/``signature_key``) or as paths
    (``*_key_fp``; a PEM text there is accepted too). The DH prime is hex (``dh_prime``) or read from a
    dhparam.pem (``dh_params_fp``). The repr never shows a secret.
    """

    access_token: Optional[str] = var.IBIND_OAUTH1A_ACCESS_TOKEN  # (defaults re-read at creation: see the end)
    access_token_secret: Optional[str] = var.IBIND_OAUTH1A_ACCESS_TOKEN_SECRET
    consumer_key: Optional[str] = var.IBIND_OAUTH1A_CONSUMER_KEY
    dh_prime: Optional[str] = var.IBIND_OAUTH1A_DH_PRIME
    encryption_key_fp: Optional[str] = var.IBIND_OAUTH1A_ENCRYPTION_KEY_FP
    signature_key_fp: Optional[str] = var.IBIND_OAUTH1A_SIGNATURE_KEY_FP
    encryption_key: Optional[str] = var.IBIND_OAUTH1A_ENCRYPTION_KEY
    signature_key: Optional[str] = var.IBIND_OAUTH1A_SIGNATURE_KEY
    dh_params_fp: Optional[str] = var.IBIND_OAUTH1A_DH_PARAMS_FP
    dh_generator: int = var.IBIND_OAUTH1A_DH_GENERATOR
    realm: str = var.IBIND_OAUTH1A_REALM
    oauth_rest_url: str = var.IBIND_OAUTH1A_REST_URL
    live_session_token_endpoint: str = var.IBIND_OAUTH1A_LIVE_SESSION_TOKEN_ENDPOINT
    init_oauth: bool = var.IBIND_INIT_OAUTH
    init_brokerage_session: bool = var.IBIND_INIT_BROKERAGE_SESSION
    maintain_oauth: bool = var.IBIND_MAINTAIN_OAUTH
    shutdown_oauth: bool = var.IBIND_SHUTDOWN_OAUTH
    lst_refresh_margin: float = var.IBIND_OAUTH1A_LST_REFRESH_MARGIN
    _material: Optional[OAuthMaterial] = field(default=None, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        shown = []
        for item in fields(self):
            if item.name.startswith('_'):
                continue
            value = getattr(self, item.name)
            if item.name in SECRET_FIELDS and value:
                value = '***'
            elif item.name == 'access_token' and value:
                value = value[:4] + '***'
            elif item.name in _PATH_FIELDS and isinstance(value, str) and not _looks_like_path(value):
                value = '*** (key material, not a path)'
            shown.append(f'{item.name}={value!r}')
        return f'OAuth1aConfig({", ".join(shown)})'

    def version(self) -> str:
        return 'oauth1a'

    def verify_config(self) -> None:
        """Raise one OAuthError listing everything missing or unreadable (nothing is sent before this passes)."""
        self.material()

    def material(self) -> OAuthMaterial:
        """The parsed keys, DH group and decrypted prepend; loaded once."""
        if self._material is None:
            self._material = _load_material(self)
        return self._material


OAuth1aConfig.__init__ = var.from_environment(  # type: ignore[method-assign]  # defaults as they are now
    access_token='IBIND_OAUTH1A_ACCESS_TOKEN',
    access_token_secret='IBIND_OAUTH1A_ACCESS_TOKEN_SECRET',
    consumer_key='IBIND_OAUTH1A_CONSUMER_KEY',
    dh_prime='IBIND_OAUTH1A_DH_PRIME',
    encryption_key_fp='IBIND_OAUTH1A_ENCRYPTION_KEY_FP',
    signature_key_fp='IBIND_OAUTH1A_SIGNATURE_KEY_FP',
    encryption_key='IBIND_OAUTH1A_ENCRYPTION_KEY',
    signature_key='IBIND_OAUTH1A_SIGNATURE_KEY',
    dh_params_fp='IBIND_OAUTH1A_DH_PARAMS_FP',
    dh_generator='IBIND_OAUTH1A_DH_GENERATOR',
    realm='IBIND_OAUTH1A_REALM',
    oauth_rest_url='IBIND_OAUTH1A_REST_URL',
    live_session_token_endpoint='IBIND_OAUTH1A_LIVE_SESSION_TOKEN_ENDPOINT',
    init_oauth='IBIND_INIT_OAUTH',
    init_brokerage_session='IBIND_INIT_BROKERAGE_SESSION',
    maintain_oauth='IBIND_MAINTAIN_OAUTH',
    shutdown_oauth='IBIND_SHUTDOWN_OAUTH',
    lst_refresh_margin='IBIND_OAUTH1A_LST_REFRESH_MARGIN',
)(OAuth1aConfig.__init__)


@dataclass(frozen=True)
class OAuthMaterial:
    consumer_key: str
    access_token: str
    access_token_secret: str
    encryption_key: Any  # Crypto.PublicKey.RSA.RsaKey
    signature_key: Any
    dh_prime: int
    dh_generator: int
    realm: str

    def __repr__(self) -> str:
        return f'OAuthMaterial(consumer_key={self.consumer_key!r}, realm={self.realm!r}, dh_bits={self.dh_prime.bit_length()})'


def _required(value: Optional[str], name: str, variable: str, problems: List[str]) -> str:
    """A setting that must be given: its value, or '' with the problem noted."""
    if not value:
        problems.append(f'{name} is missing (argument or {variable})')
    return value or ''


def _read_text(value: Optional[str], what: str, problems: List[str]) -> Optional[str]:
    """PEM text as given, or the content of the file it names."""
    if not value:
        return None
    if '-----BEGIN' in value:
        return value
    if not _looks_like_path(value):
        problems.append(
            f'{what}: neither PEM text (-----BEGIN ...) nor the path of a readable file (the value is '
            'not shown: it may be key material)'
        )
        return None
    path = os.path.expanduser(value)
    try:
        with open(path, encoding='utf-8') as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f'{what}: cannot read {path!r} ({getattr(error, "strerror", None) or type(error).__name__})')
        return None


def _import_rsa(text: Optional[str], what: str, problems: List[str]) -> Any:
    if text is None:
        return None
    from Crypto.PublicKey import RSA

    try:
        key = RSA.import_key(text)
    except (ValueError, IndexError, TypeError):
        problems.append(f'{what}: not a readable RSA private key (PEM)')
        return None
    if not key.has_private():
        problems.append(f'{what}: is a public key; the private key is needed')
        return None
    return key


def read_dh_params(text: str) -> Tuple[int, int]:
    """(prime, generator) from the text of a dhparam.pem (``openssl dhparam -out dhparam.pem 2048``)."""
    from Crypto.IO import PEM
    from Crypto.Util.asn1 import DerSequence

    begin, end = '-----BEGIN DH PARAMETERS-----', '-----END DH PARAMETERS-----'
    start = text.find(begin)
    stop = text.find(end, start + 1)
    if start < 0 or stop < 0:
        raise ValueError('no "BEGIN DH PARAMETERS" block found')
    der, _, _ = PEM.decode(text[start : stop + len(end)])
    values = DerSequence().decode(der, only_ints_expected=True)  # PKCS#3: prime, generator[, length]
    if len(values) < 2:
        raise ValueError('a DH PARAMETERS block needs a prime and a generator')
    return int(values[0]), int(values[1])


def _load_material(config: OAuth1aConfig) -> OAuthMaterial:
    problems: List[str] = []
    access_token = _required(config.access_token, 'access_token', 'IBIND_OAUTH1A_ACCESS_TOKEN', problems)
    access_token_secret = _required(
        config.access_token_secret, 'access_token_secret', 'IBIND_OAUTH1A_ACCESS_TOKEN_SECRET', problems
    )
    consumer_key = _required(config.consumer_key, 'consumer_key', 'IBIND_OAUTH1A_CONSUMER_KEY', problems)
    encryption_text = config.encryption_key or _read_text(config.encryption_key_fp, 'encryption key', problems)
    signature_text = config.signature_key or _read_text(config.signature_key_fp, 'signature key', problems)
    if not (config.encryption_key or config.encryption_key_fp):
        problems.append(
            'encryption key is missing (encryption_key PEM text or encryption_key_fp path; '
            'IBIND_OAUTH1A_ENCRYPTION_KEY(_FP))'
        )
    if not (config.signature_key or config.signature_key_fp):
        problems.append(
            'signature key is missing (signature_key PEM text or signature_key_fp path; '
            'IBIND_OAUTH1A_SIGNATURE_KEY(_FP))'
        )
    encryption_key = _import_rsa(encryption_text, 'encryption key', problems)
    signature_key = _import_rsa(signature_text, 'signature key', problems)

    prime, generator = None, config.dh_generator
    if config.dh_prime:
        try:
            prime = int(config.dh_prime.strip().lower().removeprefix('0x'), 16)
        except ValueError:
            problems.append('dh_prime is not a hexadecimal number')
    elif config.dh_params_fp:
        text = _read_text(config.dh_params_fp, 'DH parameters', problems)
        if text is not None:
            try:
                prime, generator = read_dh_params(text)
            except ValueError as error:
                problems.append(f'DH parameters: {error}')
    else:
        problems.append(
            'DH prime is missing (dh_prime hex or dh_params_fp path to dhparam.pem; '
            'IBIND_OAUTH1A_DH_PRIME or IBIND_OAUTH1A_DH_PARAMS_FP)'
        )
    if prime is not None and prime.bit_length() < 512:
        problems.append(f'the DH prime has only {prime.bit_length()} bits')
    if not config.realm:
        problems.append('realm is missing (limited_poa, or test_realm for TESTCONS)')

    if problems or prime is None:  # every way of leaving prime None added a problem
        raise OAuthError('OAuth 1.0a configuration is incomplete:\n- ' + '\n- '.join(problems))
    return OAuthMaterial(
        consumer_key=consumer_key,
        access_token=access_token,
        access_token_secret=access_token_secret,
        encryption_key=encryption_key,
        signature_key=signature_key,
        dh_prime=prime,
        dh_generator=generator,
        realm=config.realm,
    )


# --------------------------------------------------------------------------- the algorithm, as pure functions


def percent_encode(value: str) -> str:
    """OAuth percent-encoding (RFC 3986 unreserved characters kept, the rest %XX over UTF-8)."""
    return urllib.parse.quote(value, safe='~')


def generate_nonce(length: int = 16) -> str:
    return ''.join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def generate_dh_random() -> int:
    return secrets.randbits(256)


def dh_challenge(dh_random: int, prime: int, generator: int = 2) -> str:
    """A = g^a mod p, as lowercase hex without 0x or padding."""
    return format(pow(generator, dh_random, prime), 'x')


def calculate_prepend(access_token_secret: str, encryption_key: Any) -> str:
    """The access token secret decrypted with the private encryption key (PKCS#1 v1.5), as hex.

    Goes through bytes, never an integer, so leading zero bytes survive.
    """
    from Crypto.Cipher import PKCS1_v1_5

    try:
        ciphertext = base64.b64decode(access_token_secret, validate=True)
    except (ValueError, TypeError):
        raise OAuthError('the access token secret is not valid base64 (was it copied whole?)') from None
    sentinel = object()
    try:
        plaintext = PKCS1_v1_5.new(encryption_key).decrypt(ciphertext, sentinel)
    except ValueError:  # e.g. "Ciphertext too large": made for another key
        plaintext = sentinel
    if not isinstance(plaintext, bytes):  # the sentinel: PKCS#1 v1.5 padding did not check out
        raise OAuthError(
            'the access token secret could not be decrypted with the encryption key: wrong key, or a damaged secret'
        )
    return plaintext.hex()


def params_string(params: Dict[str, str]) -> str:
    return '&'.join(f'{key}={params[key]}' for key in sorted(params))


def base_string(method: str, url: str, params: Dict[str, str], prepend: str = '') -> str:
    """[prepend]METHOD&enc(url)&enc(sorted params). The URL is the requested one without its query."""
    url = url.split('?', 1)[0]
    return f'{prepend}{method.upper()}&{percent_encode(url)}&{percent_encode(params_string(params))}'


def rsa_sha256_signature(text: str, signature_key: Any) -> str:
    """base64 RSASSA-PKCS1-v1_5(SHA256(text)), percent-encoded for the header."""
    from Crypto.Hash import SHA256
    from Crypto.Signature import pkcs1_15

    signature = pkcs1_15.new(signature_key).sign(SHA256.new(text.encode('utf-8')))
    return percent_encode(base64.b64encode(signature).decode('ascii'))


def hmac_sha256_signature(text: str, live_session_token: str) -> str:
    """base64 HMAC-SHA256(key = base64decode(LST), text), percent-encoded for the header."""
    digest = hmac.new(base64.b64decode(live_session_token), text.encode('utf-8'), hashlib.sha256).digest()
    return percent_encode(base64.b64encode(digest).decode('ascii'))


def k_to_bytes(k: int) -> bytes:
    """K as Java's BigInteger.toByteArray(): big-endian two's complement, with a 0x00 sign byte when needed."""
    return k.to_bytes(k.bit_length() // 8 + 1, 'big')


def compute_live_session_token(dh_response: str, dh_random: int, prime: int, prepend: str) -> str:
    """LST = base64(HMAC-SHA1(key = K bytes, msg = prepend bytes)), K = B^a mod p."""
    try:
        b = int(dh_response, 16)
    except (TypeError, ValueError):
        raise OAuthError('diffie_hellman_response is not a hexadecimal number') from None
    k = pow(b, dh_random, prime)
    digest = hmac.new(k_to_bytes(k), bytes.fromhex(prepend), hashlib.sha1).digest()
    return base64.b64encode(digest).decode('ascii')


def live_session_token_signature(live_session_token: str, consumer_key: str) -> str:
    """hex HMAC-SHA1(key = base64decode(LST), consumer key): what IBKR returns to validate the LST."""
    return hmac.new(base64.b64decode(live_session_token), consumer_key.encode('utf-8'), hashlib.sha1).hexdigest()


def validate_live_session_token(live_session_token: str, signature: str, consumer_key: str) -> bool:
    return hmac.compare_digest(live_session_token_signature(live_session_token, consumer_key), signature.lower())


def authorization_header(params: Dict[str, str], signature: str, realm: str) -> str:
    """'OAuth realm="...", k="v", ...' with the pairs sorted by key; the signature is already encoded."""
    pairs = dict(params, oauth_signature=signature)
    return f'OAuth realm="{realm}", ' + ', '.join(f'{key}="{pairs[key]}"' for key in sorted(pairs))


# --------------------------------------------------------------------------- stateful pieces


class Timestamps:
    """10-digit Unix seconds that never go backwards, as IBKR requires."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._last = max(self._last, int(time.time()))
            return str(self._last)


class LiveSessionTokenRequest:
    """One LST exchange: the headers to send, and the LST from the answer."""

    def __init__(self, material: OAuthMaterial, url: str, timestamps: Timestamps):
        self.material = material
        self.url = url
        self.dh_random = generate_dh_random()
        self.prepend = calculate_prepend(material.access_token_secret, material.encryption_key)
        params = {
            'diffie_hellman_challenge': dh_challenge(self.dh_random, material.dh_prime, material.dh_generator),
            'oauth_consumer_key': material.consumer_key,
            'oauth_nonce': generate_nonce(),
            'oauth_signature_method': 'RSA-SHA256',
            'oauth_timestamp': timestamps.next(),
            'oauth_token': material.access_token,
        }
        signature = rsa_sha256_signature(base_string('POST', url, params, self.prepend), material.signature_key)
        self.headers = {'Authorization': authorization_header(params, signature, material.realm)}

    def token_from(self, data: Any) -> Tuple[str, int]:
        """(LST, expiry in epoch ms) from IBKR's answer; validated, else OAuthError."""
        expiration = data.get('live_session_token_expiration') if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or not all(
                isinstance(data.get(key), str) for key in ('diffie_hellman_response', 'live_session_token_signature')
            )
            or isinstance(expiration, bool)
            or not (isinstance(expiration, int) or str(expiration).isdecimal())
        ):
            raise BadResponseError(
                'unexpected answer to the live session token request: expected an object with '
                'diffie_hellman_response, live_session_token_signature and '
                'live_session_token_expiration (epoch ms)',
                body=data,
            )
        token = compute_live_session_token(
            str(data['diffie_hellman_response']), self.dh_random, self.material.dh_prime, self.prepend
        )
        if not validate_live_session_token(
            token, str(data['live_session_token_signature']), self.material.consumer_key
        ):
            raise OAuthError(
                'Live session token validation failed: the computed token does not match '
                "IBKR's signature (wrong encryption key, access token secret or DH prime?)"
            )
        return token, int(data['live_session_token_expiration'])


class OAuthSigner:
    """Signs requests with the current LST; thread-safe; knows when the LST needs renewing."""

    def __init__(self, material: OAuthMaterial, refresh_margin: float = 600.0):
        self.material = material
        self.refresh_margin = refresh_margin
        self.timestamps = Timestamps()
        self._token: Optional[str] = None
        self._expires_ms: Optional[int] = None
        self._lock = threading.Lock()

    @property
    def has_token(self) -> bool:
        return self._token is not None

    @property
    def expires_ms(self) -> Optional[int]:
        return self._expires_ms

    def set_token(self, token: str, expires_ms: int) -> None:
        with self._lock:
            self._token, self._expires_ms = token, expires_ms

    def clear(self) -> None:
        with self._lock:
            self._token = None

    def needs_refresh(self, now: Optional[float] = None) -> bool:
        if self._token is None or self._expires_ms is None:
            return True
        now = time.time() if now is None else now
        return now + self.refresh_margin >= self._expires_ms / 1000.0

    def headers(self, method: str, url: str) -> Dict[str, str]:
        with self._lock:
            token = self._token
        if token is None:
            raise OAuthError('no live session token yet: call generate_live_session_token() or oauth_init()')
        params = {
            'oauth_consumer_key': self.material.consumer_key,
            'oauth_nonce': generate_nonce(),
            'oauth_signature_method': 'HMAC-SHA256',
            'oauth_timestamp': self.timestamps.next(),
            'oauth_token': self.material.access_token,
        }
        signature = hmac_sha256_signature(base_string(method, url, params), token)
        return {
            'Authorization': authorization_header(params, signature, self.material.realm),
            'Accept': '*/*',
            'Accept-Encoding': 'gzip,deflate',
            'Connection': 'keep-alive',
        }
