"""dhparam.pem files as OAuth reads them (PKCS#3 DER inside a PEM block), written and read with pycryptodome."""

import pytest
from Crypto.IO import PEM
from Crypto.Util.asn1 import DerOctetString, DerSequence

from ibind.oauth.oauth1a import read_dh_params
from ibind.sim.oauth import RFC3526_PRIME_2048, make_test_credentials


def _dh_pem(*values: int) -> str:
    return PEM.encode(DerSequence(list(values)).encode(), 'DH PARAMETERS') + '\n'


def test_reads_prime_and_generator_around_other_text():
    text = 'DH Parameters: (2048 bit)\n    prime: ...\n' + _dh_pem(RFC3526_PRIME_2048, 2) + 'trailing\n'
    assert read_dh_params(text) == (RFC3526_PRIME_2048, 2)


def test_an_optional_private_value_length_is_ignored():
    assert read_dh_params(_dh_pem(RFC3526_PRIME_2048, 5, 256)) == (RFC3526_PRIME_2048, 5)


def test_the_file_make_test_credentials_writes_reads_back(tmp_path):
    credentials = make_test_credentials(str(tmp_path))
    with open(credentials.dh_params_fp, encoding='ascii') as file:
        assert read_dh_params(file.read()) == (RFC3526_PRIME_2048, 2)


@pytest.mark.parametrize(
    'text, message',
    [
        ('no pem here', 'BEGIN DH PARAMETERS'),
        (_dh_pem(RFC3526_PRIME_2048), 'prime and a generator'),
    ],
)
def test_missing_block_or_generator_is_a_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        read_dh_params(text)


def test_a_block_that_is_not_a_sequence_of_integers_is_a_value_error():
    not_integers = PEM.encode(DerSequence([RFC3526_PRIME_2048, DerOctetString(b'2')]).encode(), 'DH PARAMETERS')
    with pytest.raises(ValueError):
        read_dh_params(not_integers)
    with pytest.raises(ValueError):
        read_dh_params('-----BEGIN DH PARAMETERS-----\nnot base64 DER\n-----END DH PARAMETERS-----\n')
