"""A throwaway certificate authority and a localhost server certificate, made at start-up.

The simulator serves HTTPS with a certificate that a client can really verify: a fresh CA signs a
server certificate for localhost/127.0.0.1/::1, and the CA file is what users pass as ``cacert``.
The certificates come from ``trustme`` (ECDSA keys: milliseconds to make, so a TLS simulator starts
fast). trustme is in the ``sim`` extra (``pip install 'ibind[sim]'``); without it the simulator still
serves plain HTTP, and only ``tls=True`` fails, saying what to install.
"""

from __future__ import annotations

import datetime
import os
import ssl
from dataclasses import dataclass
from typing import Any, Sequence

TLS_EXTRA_HINT = (
    "the simulator's TLS needs the 'trustme' package: pip install 'ibind[sim]' "
    '(or pip install trustme); plain HTTP (tls=False) works without it'
)


def _trustme() -> Any:
    try:
        import trustme
    except ImportError:
        raise ImportError(TLS_EXTRA_HINT) from None
    return trustme


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


def make_tls_material(
    directory: str, hosts: Sequence[str] = ('localhost',), ips: Sequence[str] = ('127.0.0.1', '::1'), days: int = 30
) -> TlsMaterial:
    """Create a CA and a server certificate for ``hosts``/``ips`` in ``directory``; return their paths.

    Raises ImportError naming the ``sim`` extra when trustme is not installed.
    """
    trustme = _trustme()
    os.makedirs(directory, exist_ok=True)
    authority = trustme.CA(organization_name='ibind simulator CA')
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    server = authority.issue_cert(
        *hosts,
        *ips,
        common_name=hosts[0] if hosts else 'localhost',
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=days),
    )
    ca_path = os.path.join(directory, 'ibind-sim-ca.pem')
    cert_path = os.path.join(directory, 'ibind-sim-server.pem')
    key_path = os.path.join(directory, 'ibind-sim-server.key')
    authority.cert_pem.write_to_path(ca_path)
    with open(cert_path, 'wb') as file:
        for blob in server.cert_chain_pems:
            file.write(blob.bytes())
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the private key: owner only
    with os.fdopen(descriptor, 'wb') as file:
        file.write(server.private_key_pem.bytes())
    return TlsMaterial(directory=directory, ca_path=ca_path, cert_path=cert_path, key_path=key_path)
