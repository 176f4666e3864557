"""The client's advice for IBKR's terse error texts (ibind.support.ibkr_advice), and that it reaches the exception."""

import pytest

from ibind.base.responses import raise_for_failure
from ibind.support.errors import ExternalBrokerError, NotAuthenticatedError
from ibind.support.ibkr_advice import advice_for, with_advice


@pytest.mark.parametrize(
    'status, text, words',
    [
        (401, 'not authenticated', 'log in to the Client Portal Gateway'),
        (400, 'Account DU999 not found', "one of this user's accounts"),
        (400, 'Please query /accounts first', '/iserver/accounts'),
        (200, 'YOUR ORDER IS NOT ACCEPTED. ... MUST EXCEED THE INITIAL MARGIN [5.00 USD]', 'margin'),
        (503, 'no bridge', 'ssodh/init'),
    ],
)
def test_known_texts_get_advice(status, text, words):
    assert words in advice_for(status, text)
    assert with_advice(status, text).startswith(text + ' -- ')


def test_unknown_texts_are_left_alone():
    assert advice_for(500, 'something else') is None and with_advice(500, 'x') == 'x'
    assert advice_for(404, 'Resource not found') is None  # "not found" only advises about accounts
    assert with_advice(400, None) is None


def test_the_exception_carries_the_advice():
    with pytest.raises(NotAuthenticatedError, match='not authenticated -- log in to the Client Portal Gateway'):
        raise_for_failure(401, {'error': 'not authenticated', 'statusCode': 401}, '', 'GET', 'https://gw/x')
    with pytest.raises(ExternalBrokerError, match="one of this user's accounts"):
        raise_for_failure(400, {'error': 'Account DU9 not found', 'statusCode': 400}, '', 'GET', 'https://gw/x')
