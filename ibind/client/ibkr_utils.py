"""Helpers users rely on next to IbkrClient: stock queries, order requests and questions, the Tickler.

They live in small modules of their own and are re-exported here, where seed 001 places them.
"""

from ibind.client.order_request import OrderRequest, make_order_request
from ibind.client.questions import Answers, QuestionType
from ibind.client.stock_query import StockQueries, StockQuery

__all__ = ['Answers', 'OrderRequest', 'QuestionType', 'StockQueries', 'StockQuery', 'make_order_request']
