"""ibind: a Python client for the Interactive Brokers Client Portal Web API (Web API 1.0 / CPAPI)."""

from ibind.base.rest_client import RestClient, Result
from ibind.client.ibkr_client import IbkrClient
from ibind.base.retry import RetryPolicy
from ibind.support.errors import (
    AmbiguousSymbolError,
    BadResponseError,
    ClientClosedError,
    CompetingSessionError,
    ExternalBrokerError,
    NoBridgeError,
    NotAuthenticatedError,
    OAuthError,
    OrderQuestionError,
    OrderRejectedError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    SymbolNotFoundError,
    TransportError,
)
from ibind.support.logs import ibind_logs_initialize
from ibind.support.py_utils import OneOrMany, ensure_list_arg, execute_in_parallel, filter_none

__version__ = '0.1.0'

__all__ = [
    'AmbiguousSymbolError', 'BadResponseError', 'ClientClosedError', 'CompetingSessionError',
    'ExternalBrokerError', 'IbkrClient', 'NoBridgeError', 'NotAuthenticatedError', 'OAuthError', 'OneOrMany',
    'OrderQuestionError', 'OrderRejectedError', 'OutcomeUnknownError', 'RateLimitError',
    'RequestTimeoutError', 'RestClient', 'Result', 'RetryPolicy', 'SymbolNotFoundError', 'TransportError',
    'ensure_list_arg', 'execute_in_parallel', 'filter_none', 'ibind_logs_initialize',
]
