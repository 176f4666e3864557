"""ibind: a Python client for the Interactive Brokers Client Portal Web API (Web API 1.0 / CPAPI).

    from ibind import IbkrClient
    client = IbkrClient(account_id='DU1234567')

Public names are loaded on first use, so ``import ibind`` (in a script that only needs, say, the
errors) costs next to nothing. Settings are read at import: a malformed IBIND_* variable fails here.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any, List

from ibind import var  # noqa: F401  # parse IBIND_* settings now: a malformed value fails at import

__version__ = '0.1.0'

_EXPORTS = {
    'IbkrClient': 'ibind.client.ibkr_client',
    'RestClient': 'ibind.base.rest_client',
    'Result': 'ibind.base.rest_client',
    'RetryPolicy': 'ibind.base.retry',
    'Pacer': 'ibind.base.pacing',
    'StockQuery': 'ibind.client.stock_query',
    'StockQueries': 'ibind.client.stock_query',
    'OrderRequest': 'ibind.client.order_request',
    'make_order_request': 'ibind.client.order_request',
    'QuestionType': 'ibind.client.questions',
    'Answers': 'ibind.client.questions',
    'Tickler': 'ibind.client.tickler',
    'IbkrWsClient': 'ibind.client.ibkr_ws_client',
    'IbkrWsKey': 'ibind.client.ibkr_ws_definitions',
    'Subscription': 'ibind.client.ws_subscriptions',
    'SubscriptionState': 'ibind.client.ws_subscriptions',
    'QueueAccessor': 'ibind.client.ws_subscriptions',
    'WsMessage': 'ibind.client.ws_subscriptions',
    'snapshot_keys_to_ids': 'ibind.client.ibkr_definitions',
    'OAuth1aConfig': 'ibind.oauth.oauth1a',
    'ibind_logs_initialize': 'ibind.support.logs',
    'OneOrMany': 'ibind.support.py_utils',
    'ensure_list_arg': 'ibind.support.py_utils',
    'execute_in_parallel': 'ibind.support.py_utils',
    'filter_none': 'ibind.support.py_utils',
    'parse_snapshot': 'ibind.support.values',
    'parse_value': 'ibind.support.values',
    'diagnose': 'ibind.diagnosis',
    **dict.fromkeys(
        (
            'ExternalBrokerError',
            'NotAuthenticatedError',
            'NoBridgeError',
            'CompetingSessionError',
            'RateLimitError',
            'BadResponseError',
            'TransportError',
            'RequestTimeoutError',
            'OutcomeUnknownError',
            'OrderRejectedError',
            'OrderQuestionError',
            'AmbiguousSymbolError',
            'SymbolNotFoundError',
            'OAuthError',
            'ClientClosedError',
            'NotSentError',
            'GatewayUnreachableError',
            'TLSError',
            'RedirectError',
            'OrderInterruptedError',
            'RequestCancelledError',
        ),
        'ibind.support.errors',
    ),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what static analysers and IDEs see
    from ibind.base.pacing import Pacer
    from ibind.base.rest_client import RestClient, Result
    from ibind.base.retry import RetryPolicy
    from ibind.client.ibkr_client import IbkrClient
    from ibind.client.ibkr_definitions import snapshot_keys_to_ids
    from ibind.client.ibkr_ws_client import IbkrWsClient
    from ibind.client.ibkr_ws_definitions import IbkrWsKey
    from ibind.client.order_request import OrderRequest, make_order_request
    from ibind.client.questions import Answers, QuestionType
    from ibind.client.stock_query import StockQueries, StockQuery
    from ibind.client.tickler import Tickler
    from ibind.client.ws_subscriptions import QueueAccessor, Subscription, SubscriptionState, WsMessage
    from ibind.diagnosis import diagnose
    from ibind.oauth.oauth1a import OAuth1aConfig
    from ibind.support.errors import (
        AmbiguousSymbolError,
        BadResponseError,
        ClientClosedError,
        CompetingSessionError,
        ExternalBrokerError,
        GatewayUnreachableError,
        NoBridgeError,
        NotAuthenticatedError,
        NotSentError,
        OAuthError,
        OrderInterruptedError,
        OrderQuestionError,
        OrderRejectedError,
        OutcomeUnknownError,
        RateLimitError,
        RedirectError,
        RequestCancelledError,
        RequestTimeoutError,
        SymbolNotFoundError,
        TLSError,
        TransportError,
    )
    from ibind.support.logs import ibind_logs_initialize
    from ibind.support.py_utils import OneOrMany, ensure_list_arg, execute_in_parallel, filter_none
    from ibind.support.values import parse_snapshot, parse_value
