"""A minimal DER (ASN.1) encoder and decoder: enough for X.509 certificates and DH parameter files.

ibind needs DER in two places -- the simulator's throwaway TLS certificates and OAuth's dhparam.pem --
and neither justifies a dependency.
"""

from __future__ import annotations

import base64
import re
from typing import List, Tuple


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(0x30, b''.join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(0x31, b''.join(items))


def integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, 'big', signed=True))


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split('.')]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def utf8(text: str) -> bytes:
    return tlv(0x0C, text.encode('utf-8'))


def bit_string(content: bytes, unused_bits: int = 0) -> bytes:
    return tlv(0x03, bytes([unused_bits]) + content)


def octet_string(content: bytes) -> bytes:
    return tlv(0x04, content)


def boolean(value: bool) -> bytes:
    return tlv(0x01, b'\xff' if value else b'\x00')


def explicit(number: int, content: bytes) -> bytes:
    return tlv(0xA0 | number, content)


def pem(der: bytes, label: str) -> str:
    text = base64.b64encode(der).decode('ascii')
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return f'-----BEGIN {label}-----\n' + '\n'.join(lines) + f'\n-----END {label}-----\n'


def pem_to_der(text: str, label: str) -> bytes:
    """The DER bytes inside the first ``-----BEGIN <label>-----`` block of ``text``."""
    match = re.search(rf'-----BEGIN {label}-----(.*?)-----END {label}-----', text, re.DOTALL)
    if not match:
        raise ValueError(f'no "BEGIN {label}" block found')
    return base64.b64decode(''.join(match.group(1).split()))


def read_tlv(data: bytes, offset: int = 0) -> Tuple[int, bytes, int]:
    """(tag, content, offset after the element) of the element at ``offset``."""
    if offset + 2 > len(data):
        raise ValueError('truncated DER element')
    tag = data[offset]
    size = data[offset + 1]
    offset += 2
    if size & 0x80:
        count = size & 0x7F
        if count == 0 or offset + count > len(data):
            raise ValueError('invalid DER length')
        size = int.from_bytes(data[offset:offset + count], 'big')
        offset += count
    end = offset + size
    if end > len(data):
        raise ValueError('truncated DER element')
    return tag, data[offset:end], end


def read_integers(sequence_der: bytes) -> List[int]:
    """The INTEGERs of a DER SEQUENCE of INTEGERs (e.g. DH parameters: p, g)."""
    tag, content, _ = read_tlv(sequence_der)
    if tag != 0x30:
        raise ValueError('expected a DER SEQUENCE')
    values, offset = [], 0
    while offset < len(content):
        item_tag, item, offset = read_tlv(content, offset)
        if item_tag != 0x02:
            raise ValueError('expected DER INTEGERs inside the SEQUENCE')
        values.append(int.from_bytes(item, 'big', signed=True))
    return values
