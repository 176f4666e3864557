"""A throwaway certificate authority and a localhost server certificate, made at start-up.

The simulator serves HTTPS with a certificate that a client can really verify: a fresh CA signs a
server certificate for localhost/127.0.0.1/::1, and the CA file is what users pass as ``cacert``.
It is written with pycryptodome (already a dependency) and a small DER encoder, so no extra package
is needed. Keys are ECDSA P-256: generating one takes milliseconds, so starting a TLS simulator
stays fast.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import secrets
import ssl
from dataclasses import dataclass
from typing import Iterable, List, Sequence

from Crypto.Hash import SHA256
from Crypto.PublicKey import ECC
from Crypto.Signature import DSS

from ibind.support import der

OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2'
OID_COMMON_NAME = '2.5.4.3'
OID_BASIC_CONSTRAINTS = '2.5.29.19'
OID_KEY_USAGE = '2.5.29.15'
OID_EXT_KEY_USAGE = '2.5.29.37'
OID_SUBJECT_ALT_NAME = '2.5.29.17'
OID_SUBJECT_KEY_ID = '2.5.29.14'
OID_AUTHORITY_KEY_ID = '2.5.29.35'
OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1'


def _utc_time(moment: datetime.datetime) -> bytes:
    return der.tlv(0x17, moment.strftime('%y%m%d%H%M%SZ').encode('ascii'))


def _name(common_name: str) -> bytes:
    return der.sequence(der.set_of(der.sequence(der.oid(OID_COMMON_NAME), der.utf8(common_name))))


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    parts = [der.oid(oid)]
    if critical:
        parts.append(der.boolean(True))
    parts.append(der.octet_string(value))
    return der.sequence(*parts)


def _key_id(public_key_der: bytes) -> bytes:
    return hashlib.sha1(public_key_der).digest()


def _subject_alt_names(hosts: Iterable[str], ips: Iterable[str]) -> bytes:
    names: List[bytes] = [der.tlv(0x82, host.encode('ascii')) for host in hosts]
    names += [der.tlv(0x87, ipaddress.ip_address(ip).packed) for ip in ips]
    return der.sequence(*names)


def _certificate(subject: str, issuer: str, public_key: ECC.EccKey, signing_key: ECC.EccKey,
                 extensions: Sequence[bytes], days: int) -> bytes:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    algorithm = der.sequence(der.oid(OID_ECDSA_SHA256))
    tbs = der.sequence(
        der.explicit(0, der.integer(2)),
        der.integer(secrets.randbits(63) | 1),
        algorithm,
        _name(issuer),
        der.sequence(_utc_time(now - datetime.timedelta(days=1)), _utc_time(now + datetime.timedelta(days=days))),
        _name(subject),
        public_key.export_key(format='DER'),
        der.explicit(3, der.sequence(*extensions)),
    )
    signature = DSS.new(signing_key, 'fips-186-3', encoding='der').sign(SHA256.new(tbs))
    return der.sequence(tbs, algorithm, der.bit_string(signature))


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of a generated CA (``ca_path``: pass it as ``cacert``) and of the server's certificate and key."""

    directory: str
    ca_path: str
    cert_path: str
    key_path: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        # No TLS 1.3 session tickets: sent after the handshake, they race a client that reads on one thread
        # while it writes its first request on another (websockets' sync client does): about one connection
        # in a hundred then waited forever for an answer. The simulator never resumes sessions anyway.
        context.num_tickets = 0
        return context


def make_tls_material(directory: str, hosts: Sequence[str] = ('localhost',),
                      ips: Sequence[str] = ('127.0.0.1', '::1'), days: int = 30) -> TlsMaterial:
    """Create a CA and a server certificate for ``hosts``/``ips`` in ``directory``; return their paths."""
    os.makedirs(directory, exist_ok=True)
    ca_key = ECC.generate(curve='P-256')
    server_key = ECC.generate(curve='P-256')
    ca_public_der = ca_key.public_key().export_key(format='DER')
    server_public_der = server_key.public_key().export_key(format='DER')
    ca_name = 'ibind simulator CA ' + secrets.token_hex(4)

    ca_cert = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, [
        _extension(OID_BASIC_CONSTRAINTS, der.sequence(der.boolean(True)), critical=True),
        _extension(OID_KEY_USAGE, der.bit_string(b'\x86', unused_bits=1), critical=True),
        _extension(OID_SUBJECT_KEY_ID, der.octet_string(_key_id(ca_public_der))),
    ], days)
    server_cert = _certificate(hosts[0] if hosts else 'localhost', ca_name, server_key.public_key(), ca_key, [
        _extension(OID_BASIC_CONSTRAINTS, der.sequence(), critical=True),
        _extension(OID_KEY_USAGE, der.bit_string(b'\x80', unused_bits=7), critical=True),
        _extension(OID_EXT_KEY_USAGE, der.sequence(der.oid(OID_SERVER_AUTH))),
        _extension(OID_SUBJECT_ALT_NAME, _subject_alt_names(hosts, ips)),
        _extension(OID_SUBJECT_KEY_ID, der.octet_string(_key_id(server_public_der))),
        _extension(OID_AUTHORITY_KEY_ID, der.sequence(der.tlv(0x80, _key_id(ca_public_der)))),
    ], days)

    ca_path = os.path.join(directory, 'ibind-sim-ca.pem')
    cert_path = os.path.join(directory, 'ibind-sim-server.pem')
    key_path = os.path.join(directory, 'ibind-sim-server.key')
    with open(ca_path, 'w', encoding='ascii') as file:
        file.write(der.pem(ca_cert, 'CERTIFICATE'))
    with open(cert_path, 'w', encoding='ascii') as file:
        file.write(der.pem(server_cert, 'CERTIFICATE'))
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w', encoding='ascii') as file:
        file.write(server_key.export_key(format='PEM'))
    return TlsMaterial(directory=directory, ca_path=ca_path, cert_path=cert_path, key_path=key_path)
