"""OAuth 1.0a consumer material the simulator knows (``OAuthServerConfig``) and throwaway consumers for tests.

``make_test_credentials`` creates a throwaway consumer: keys, DH group, access token and encrypted
secret, for tests, demos and users trying OAuth without an IBKR account.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, Optional

from ibind.oauth import oauth1a

# RFC 3526 group 14: the 2048-bit MODP prime, generator 2 (a published constant).
RFC3526_PRIME_2048 = int(
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD'
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED'
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F'
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B'
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510'
    '15728E5A8AACAA68FFFFFFFFFFFFFFFF',
    16,
)


@dataclass
class OAuthServerConfig:
    """What IBKR knows about one OAuth consumer."""

    consumer_key: str
    access_token: str
    access_token_secret: bytes  # the plaintext secret (the consumer holds it encrypted)
    signature_public_key: Any  # Crypto RSA key (public part is enough)
    dh_prime: int = RFC3526_PRIME_2048
    dh_generator: int = 2
    realm: str = 'test_realm'

    def __repr__(self) -> str:
        return f'OAuthServerConfig(consumer_key={self.consumer_key!r}, realm={self.realm!r})'

    @classmethod
    def load(cls, path: str) -> OAuthServerConfig:
        """Read the JSON file ``make_test_credentials`` writes (``oauth_server.json``)."""
        from Crypto.PublicKey import RSA

        with open(path, encoding='utf-8') as file:
            data = json.load(file)
        try:
            key_path = os.path.join(os.path.dirname(os.path.abspath(path)), data['signature_public_key_file'])
            with open(key_path, encoding='utf-8') as key_file:
                key = RSA.import_key(key_file.read())
            return cls(
                consumer_key=data['consumer_key'],
                access_token=data['access_token'],
                access_token_secret=bytes.fromhex(data['access_token_secret_hex']),
                signature_public_key=key,
                dh_prime=int(data.get('dh_prime_hex', format(RFC3526_PRIME_2048, 'x')), 16),
                dh_generator=int(data.get('dh_generator', 2)),
                realm=data.get('realm', 'test_realm'),
            )
        except (KeyError, ValueError) as error:
            raise ValueError(f'{path}: not an ibind.sim OAuth server file ({error})') from None


@dataclass
class TestCredentials:
    """A throwaway OAuth consumer: the server's view and the client's files."""

    directory: str
    server: OAuthServerConfig
    consumer_key: str
    access_token: str
    access_token_secret: str  # encrypted, base64: what IBKR's portal gives the user
    signature_key_fp: str
    encryption_key_fp: str
    dh_params_fp: str
    server_file: str
    realm: str

    __test__ = False  # not a pytest test class

    def client_config(self, rest_url: str, **overrides: Any) -> oauth1a.OAuth1aConfig:
        values: Dict[str, Any] = dict(
            access_token=self.access_token,
            access_token_secret=self.access_token_secret,
            consumer_key=self.consumer_key,
            signature_key_fp=self.signature_key_fp,
            encryption_key_fp=self.encryption_key_fp,
            dh_params_fp=self.dh_params_fp,
            dh_prime=None,
            encryption_key=None,
            signature_key=None,
            realm=self.realm,
            oauth_rest_url=rest_url,
        )
        values.update(overrides)
        return oauth1a.OAuth1aConfig(**values)

    def env_lines(self, rest_url: str, cacert: Optional[str] = None) -> str:
        """The IBIND_* settings of a client of this consumer (a .env file's content)."""
        return '\n'.join(
            ([f'IBIND_CACERT={cacert}'] if cacert else [])
            + [
                'IBIND_USE_OAUTH=True',
                f'IBIND_OAUTH1A_REST_URL={rest_url}',
                f'IBIND_OAUTH1A_CONSUMER_KEY={self.consumer_key}',
                f'IBIND_OAUTH1A_ACCESS_TOKEN={self.access_token}',
                f'IBIND_OAUTH1A_ACCESS_TOKEN_SECRET={self.access_token_secret}',
                f'IBIND_OAUTH1A_SIGNATURE_KEY_FP={self.signature_key_fp}',
                f'IBIND_OAUTH1A_ENCRYPTION_KEY_FP={self.encryption_key_fp}',
                f'IBIND_OAUTH1A_DH_PARAMS_FP={self.dh_params_fp}',
                f'IBIND_OAUTH1A_REALM={self.realm}',
                '',
            ]
        )

    def write_env_file(self, rest_url: str, cacert: Optional[str] = None) -> str:
        """Write ``client.env`` next to the keys (for IBIND_ENV_FILE) and return its path."""
        path = os.path.join(self.directory, 'client.env')
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w', encoding='utf-8') as file:
            file.write(self.env_lines(rest_url, cacert))
        return path


def make_test_credentials(
    directory: Optional[str] = None, consumer_key: str = 'TESTCONS', realm: str = 'test_realm'
) -> TestCredentials:
    """Create keys, a DH group file, an access token and its encrypted secret in ``directory``.

    Writes signature.pem and encryption.pem (private keys, mode 0600), dhparam.pem, and
    oauth_server.json (+ signature_public.pem) for ``python -m ibind.sim --oauth oauth_server.json``.
    """
    from Crypto.Cipher import PKCS1_v1_5
    from Crypto.IO import PEM
    from Crypto.PublicKey import RSA
    from Crypto.Util.asn1 import DerSequence

    directory = directory or tempfile.mkdtemp(prefix='ibind-oauth-')
    os.makedirs(directory, exist_ok=True)
    signature_key = RSA.generate(2048)
    encryption_key = RSA.generate(2048)
    access_token = secrets.token_hex(10)
    secret = secrets.token_bytes(32)
    encrypted = base64.b64encode(PKCS1_v1_5.new(encryption_key.publickey()).encrypt(secret)).decode('ascii')

    def write(name: str, text: str, private: bool = False) -> str:
        path = os.path.join(directory, name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(descriptor, 'w', encoding='utf-8') as file:
            file.write(text)
        return path

    signature_fp = write('signature.pem', signature_key.export_key().decode('ascii'), private=True)
    encryption_fp = write('encryption.pem', encryption_key.export_key().decode('ascii'), private=True)
    dh_fp = write('dhparam.pem', PEM.encode(DerSequence([RFC3526_PRIME_2048, 2]).encode(), 'DH PARAMETERS') + '\n')
    write('signature_public.pem', signature_key.publickey().export_key().decode('ascii'))
    server_file = write(
        'oauth_server.json',
        json.dumps(
            {
                'consumer_key': consumer_key,
                'access_token': access_token,
                'access_token_secret_hex': secret.hex(),
                'signature_public_key_file': 'signature_public.pem',
                'dh_prime_hex': format(RFC3526_PRIME_2048, 'x'),
                'dh_generator': 2,
                'realm': realm,
            },
            indent=2,
        ),
    )
    server = OAuthServerConfig(
        consumer_key=consumer_key,
        access_token=access_token,
        access_token_secret=secret,
        signature_public_key=signature_key.publickey(),
        realm=realm,
    )
    return TestCredentials(
        directory=directory,
        server=server,
        consumer_key=consumer_key,
        access_token=access_token,
        access_token_secret=encrypted,
        signature_key_fp=signature_fp,
        encryption_key_fp=encryption_fp,
        dh_params_fp=dh_fp,
        server_file=server_file,
        realm=realm,
    )
