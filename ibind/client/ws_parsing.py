"""What each topic's message becomes in ``WsMessage.data``, and the deduplication that makes replays harmless.

IBKR answers a new ``sor`` subscription with the day's orders and a new ``str`` with the day's executions,
so every reconnect replays them. ``TopicParser`` remembers what it delivered: an order comes again only
when its state changed, an execution only once. It lives as long as the IbkrWsClient, across connections.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from ibind.client.ibkr_ws_definitions import IbkrWsKey, market_data_fields

_ORDER_STATE = ('status', 'filledQuantity', 'remainingQuantity', 'totalSize', 'price', 'auxPrice')


class TopicParser:
    def __init__(self) -> None:
        self._order_states: Dict[Any, Tuple[Any, ...]] = {}
        self._execution_ids: Set[Any] = set()
        self.fills = 0  # orders seen reaching Filled (each once)

    def parse(self, key: IbkrWsKey, message: Dict[str, Any]) -> Any:
        """The data to deliver for a solicited topic's message; None when there is nothing new."""
        if key == IbkrWsKey.MARKET_DATA:
            return market_data_fields(message)
        if key == IbkrWsKey.ORDERS:
            return self._changed_orders(message.get('args') or [])
        if key == IbkrWsKey.TRADES:
            return self._new_trades(message.get('args') or [])
        if key in (IbkrWsKey.ACCOUNT_SUMMARY, IbkrWsKey.ACCOUNT_LEDGER):
            return message.get('result')
        if key == IbkrWsKey.PNL:
            return message.get('args')
        if key == IbkrWsKey.PRICE_LADDER:
            return message.get('data')
        return message

    def _changed_orders(self, orders: List[Any]) -> Optional[List[Dict[str, Any]]]:
        changed = []
        for order in orders:
            if not isinstance(order, dict):
                continue
            state = tuple(order.get(name) for name in _ORDER_STATE)
            order_id = order.get('orderId')
            previous = self._order_states.get(order_id)
            if previous == state:
                continue
            if order.get('status') == 'Filled' and (previous is None or previous[0] != 'Filled'):
                self.fills += 1
            self._order_states[order_id] = state
            changed.append(order)
        return changed or None

    def _new_trades(self, trades: List[Any]) -> Optional[List[Dict[str, Any]]]:
        new = [t for t in trades if isinstance(t, dict) and t.get('execution_id') not in self._execution_ids]
        self._execution_ids.update(t.get('execution_id') for t in new)
        return new or None
