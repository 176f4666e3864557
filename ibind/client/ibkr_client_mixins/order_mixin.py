"""OrderMixin: the order category of the IBKR Client Portal Web API (order monitoring and orders).

Placing or modifying an order is a conversation: IBKR may answer with a precautionary question that
must be confirmed through ``/iserver/reply/{id}`` before the order is transmitted, and the answer may be
another question. ``place_order``/``modify_order`` hold that conversation from the caller's ``answers``
under the client's order-flow lock, because IBKR invalidates a waiting question as soon as another order
arrives: two interleaved conversations would fail with "reply id not found".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

from ibind.base.rest_client import Result, path_segment
from ibind.client.pending_orders import found_in
from ibind.client.response_shape import reading
from ibind.support.arguments import identifier, is_digits
from ibind.support.errors import (
    BadResponseError,
    ExternalBrokerError,
    OrderQuestionError,
    OrderRejectedError,
    OutcomeUnknownError,
)
from ibind.support.logs import project_logger
from ibind.support.py_utils import LazyModule, LazyPattern, OneOrMany, ensure_list_arg

if TYPE_CHECKING:  # imported when used, not at import time: only programs that place orders pay for them
    from ibind.client import order_dicts
    from ibind.client import order_reconciliation as reconciliation
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
    from ibind.client.order_request import OrderRequest
    from ibind.client.questions import Answers
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient
    order_dicts = LazyModule('ibind.client.order_dicts')  # turns order requests into IBKR's JSON, before sending
    reconciliation = LazyModule('ibind.client.order_reconciliation')  # what became of an order without an answer

_LOGGER = project_logger('ibind.orders')

MAX_QUESTION_ROUNDS = 20  # questions answered for one order before giving up
MAX_SUPPRESSED_MESSAGES = 51  # IBKR answers a longer list with a system error
MAX_TRADE_DAYS = 7
_MESSAGE_ID = LazyPattern(r'[A-Za-z]+[0-9]+')
LIVE_ORDER_FILTERS = (
    'inactive',
    'pending_submit',
    'pre_submitted',
    'submitted',
    'filled',
    'pending_cancel',
    'cancelled',
    'warn_state',
    'sort_by_time',
)
_FILTERS_BY_LETTERS = {value.replace('_', ''): value for value in LIVE_ORDER_FILTERS}

OrderInput = Union[Dict[str, Any], 'OrderRequest']


class OrderMixin(IbkrClientHost):
    """Order monitoring and orders.

    * https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#order-monitor
    * https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#orders
    """

    # ------------------------------------------------------------------ order monitoring

    @ensure_list_arg('filters')
    def live_orders(
        self, filters: Optional[OneOrMany[str]] = None, force: Optional[bool] = None, account_id: Optional[str] = None
    ) -> Result:
        """The account's orders of the day (working, filled, cancelled), optionally filtered by status.

        Arguments:
            filters: one status or a list: inactive, pending_submit, pre_submitted, submitted, filled,
                pending_cancel, cancelled, warn_state, sort_by_time (the names 'PreSubmitted', 'SortByTime', ...
                are accepted too). They are sent comma-separated.
            force: True clears IBKR's cached order list; that answer itself is an empty list (documented),
                the next call is fresh. Filtering also pauses websocket order updates until a call with force.
            account_id: for linked accounts, the (sub-)account to show; the selected account otherwise.

        The list holds at most 1000 orders. ``/iserver/accounts`` must have been called in this session; the
        client does that once by itself if IBKR asks for it.
        """
        params: Dict[str, Any] = {
            'filters': ','.join(_filter_values(filters)) if filters is not None else None,
            'force': _optional_bool('force', force),
        }
        if account_id is not None:
            params['accountId'] = self._account(account_id)
        return self.get('iserver/account/orders', params)

    def order_status(self, order_id: str) -> Result:
        """The status and details of one order, by the order id of the placement answer or of ``live_orders``.

        IBKR answers 503 for orders filled or cancelled before this session that it has no cache of, and for
        FA/linked accounts unless the account was selected with ``switch_account`` first.
        """
        return self.get(f'iserver/account/order/status/{_order_id(order_id)}')

    def trades(self, days: Optional[Union[str, int]] = None, account_id: Optional[str] = None) -> Result:
        """Executions of the current day, or of the last ``days`` days (1 to 7), for the selected account.

        IBKR advises calling this once per session (it is paced at 1 request per 5 seconds).
        """
        params: Dict[str, Any] = {'days': _trade_days(days)}
        if account_id is not None:
            params['accountId'] = self._account(account_id)
        return self.get('iserver/account/trades', params)

    # ------------------------------------------------------------------ orders

    @ensure_list_arg('order_request')
    def place_order(
        self, order_request: OneOrMany[OrderInput], answers: Answers, account_id: Optional[str] = None
    ) -> Result:
        """Place one order, or one bracket/OCA group (a list), answering IBKR's questions from ``answers``.

        Arguments:
            order_request: an ``OrderRequest`` or an IBKR order dict, or a list of them for a bracket (children
                carry ``parent_id`` = the parent's ``coid``) or an OCA group (``is_single_group=True``). Unrelated
                orders cannot be placed in bulk.
            answers: how to answer questions: ``{QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True, 'o354': True,
                'a piece of the question text': False}``. True confirms, False declines (the order is then
                discarded and ``OrderQuestionError`` is raised). A question no key matches is declined too, and
                ``OrderQuestionError`` quotes it so you can add an answer.
            account_id: the account to place the order in; the client's account by default.

        Returns the final acknowledgement, e.g. ``[{"order_id": "1234567890", "order_status": "Submitted",
        "encrypt_message": "1"}]`` (one entry per order); ``result.request`` is the placement request.

        Raises ``OrderRejectedError`` when IBKR refuses the order and ``OrderQuestionError`` when a question was
        declined or not answered. An order without a ``coid`` gets one (``ibind-<time>-<random>-<n>``; bracket
        children excepted, as IBKR requires). A placement whose answer is lost (timeout, dropped connection) is
        never sent again: the client looks for its cOID in ``live_orders`` for up to IBIND_ORDER_RECONCILE_TIMEOUT
        seconds and returns the order it finds (entries marked ``"reconciled": True``), or raises
        ``OutcomeUnknownError`` whose ``coid`` to check later.
        See https://interactivebrokers.github.io/tws-api/automated_considerations.html#order_placement
        """
        if order_request is None:
            raise TypeError("'order_request' is required: expected an OrderRequest, an order dict, or a list of them")
        requests = order_request if isinstance(order_request, list) else [order_request]  # a list: ensure_list_arg
        orders = [order_dicts.order_dict(order, f'order_request[{index}]') for index, order in enumerate(requests)]
        from ibind.client.questions import validate_answers

        answers = validate_answers(answers)
        account = self._account(account_id)
        orders = reconciliation.assign_coids(orders, self._next_coid_sequence)
        path = f'iserver/account/{path_segment("account_id", account)}/orders'
        record = {'method': 'POST', 'url': self.base_url + path, 'params': None, 'json': {'orders': orders}}
        coid = next((order.get('cOID') for order in orders if order.get('cOID')), None)
        with self._pending_orders.track('placement', coid=coid, request=record):
            try:
                return self._order_conversation(
                    lambda: self.post(path, json={'orders': orders}, error_class=OrderRejectedError), answers, 'placed'
                )
            except Exception as error:  # no answer, one that cannot be read, or anything unexpected while reading it
                if not reconciliation.needs_reconciliation(error):
                    raise
                error = reconciliation.as_broker_error(error, record)
                _LOGGER.warning(
                    'placement of cOID %s got no usable answer (%s); looking for it in live orders', coid, error.message
                )
                acknowledgements = reconciliation.reconcile_placement(
                    orders,
                    lambda: self.live_orders().data,
                    timeout=self.order_reconcile_timeout,
                    sleep=self._sleep,
                    error=error,
                )
                return Result(data=acknowledgements, request=record)

    def _next_coid_sequence(self) -> int:
        return next(self._coid_sequence)

    def pending_orders(self) -> List[Dict[str, Any]]:
        """The order requests of this client whose outcome is not known: interrupted, or without a usable answer.

        Each entry: ``action`` ('placement', 'reply', 'modification', 'cancel'), ``coid`` (placements),
        ``order_id`` (modify/cancel; the reply id for a reply), ``since`` (epoch seconds), ``reason`` and
        ``request`` (method, URL, body). Requests in flight on other threads are listed too ('in flight').
        Look them up with ``reconcile_pending_orders()`` or ``live_orders()`` before sending them again. With
        ``pending_orders_file`` the list outlives the program: entries a previous run left (it was killed or
        crashed mid-order) come back with ``previous_run`` True. Without it, a program that restarts should keep
        the cOIDs (they are in the exceptions and in the WARNING log).
        """
        return self._pending_orders.list()

    def forget_pending_order(self, key: int) -> bool:
        """Drop one entry of ``pending_orders()`` (by its ``key``) once you know its outcome yourself, e.g. an
        order that is not among the live orders because it never reached IBKR. True if it was listed."""
        if isinstance(key, bool) or not isinstance(key, int):
            raise TypeError(f"'key' must be the int 'key' of a pending_orders() entry, got {key!r}")
        return self._pending_orders.forget(key)

    def reconcile_pending_orders(self) -> List[Dict[str, Any]]:
        """Look every pending order request up in ``live_orders()`` once; forget the ones found.

        Returns the entries found, each with ``live`` (the live order). What is not found stays pending.
        """
        entries = [entry for entry in self._pending_orders.list() if entry['reason'] != 'in flight']
        if not entries:
            return []
        data = self.live_orders().data
        live_orders = data.get('orders') if isinstance(data, dict) else None
        live_orders = live_orders if isinstance(live_orders, list) else []
        found = []
        for entry in entries:
            live = found_in(entry, live_orders)
            if live is not None and self._pending_orders.forget(entry['key']):
                found.append(dict(entry, live=live))
        return found

    def reply(self, reply_id: Union[str, int], confirmed: bool) -> Result:
        """Answer one precautionary question: True transmits the order (or brings the next question), False discards it.

        ``reply_id`` is the question's ``id``; it can be used once, and only until the next order request.
        IBKR answers a declined question with ``{"error": "Order not confirmed"}``, raised as
        ``OrderRejectedError``. Prefer ``answers`` in ``place_order``, which runs the whole sequence safely.
        """
        if not isinstance(confirmed, bool):
            raise TypeError(f"'confirmed' must be True or False, got {confirmed!r}")
        reply_id = identifier('reply_id', reply_id, "the question's id, like '07a13a5a-4a48-44a5-bb25-5ab37b79186c'")
        with self._pending_orders.track(
            'reply', order_id=reply_id, request={'method': 'POST', 'path': f'iserver/reply/{reply_id}'}
        ):
            return self._reply(reply_id, confirmed)

    def _reply(self, reply_id: str, confirmed: bool) -> Result:
        """``reply`` without its own pending-order record (inside a conversation the order's record covers it)."""
        try:
            return self.post(f'iserver/reply/{reply_id}', json={'confirmed': confirmed}, error_class=OrderRejectedError)
        except BadResponseError as error:  # a confirmation may have transmitted the order: not just a bad answer
            raise OutcomeUnknownError(
                f'the reply to question {reply_id} got an unreadable answer ({error.message}); it may have transmitted '
                'the order: check live_orders()',
                method=error.method,
                url=error.url,
                status_code=error.status_code,
                body=error.body,
            ) from None

    def whatif_order(self, order_request: OneOrMany[OrderInput], account_id: str) -> Result:
        """Preview an order (or a bracket) without placing it: cost, commission, and equity/margin/position effect.

        The body has the structure of ``place_order``; nothing is placed, so the request is safe to retry.
        IBKR expects a market data snapshot of the instrument first; without one the answer's ``warn`` says so.
        ``account_id`` may be None for the client's account.
        """
        requests = order_request if isinstance(order_request, (list, tuple)) else [order_request]
        if not requests:
            raise ValueError("'order_request' must not be empty: pass one order or a list of them")
        orders = [order_dicts.order_dict(order, f'order_request[{index}]') for index, order in enumerate(requests)]
        account = self._account(account_id)
        return self.post(
            f'iserver/account/{path_segment("account_id", account)}/orders/whatif',
            json={'orders': orders},
            error_class=OrderRejectedError,
            retry_safe=True,
        )

    def cancel_order(self, order_id: str, account_id: Optional[str] = None) -> Result:
        """Cancel an open order; ``order_id='-1'`` cancels every open order of the account.

        The answer (``{"msg": "Request was submitted", "order_id": ..., "conid": ..., "account": ...}``) says the
        request was received, not that the order is gone: check ``order_status`` or ``live_orders``.
        ``/iserver/accounts`` must have been called first; the client does that once if IBKR asks for it.
        """
        account = self._account(account_id)
        path = f'iserver/account/{path_segment("account_id", account)}/order/{_order_id(order_id, cancel_all=True)}'
        send = lambda: self.delete(path, error_class=OrderRejectedError)  # noqa: E731
        record = {'method': 'DELETE', 'url': self.base_url + path, 'params': None, 'json': None}
        with self._pending_orders.track('cancel', order_id=str(order_id).strip(), request=record):
            try:
                return send()
            except Exception as error:
                if not reconciliation.needs_reconciliation(error):
                    raise
                return self._reconcile_cancel(
                    str(order_id).strip(), send, reconciliation.as_broker_error(error, record)
                )

    def _reconcile_cancel(self, order_id: str, send: Callable[[], Result], error: ExternalBrokerError) -> Result:
        """A cancel that got no answer: report it done if the order is (being) cancelled; if it still works, the
        cancel never arrived and sending it again is safe -- a cancel cannot act twice."""

        def check(live_orders: List[Dict[str, Any]]) -> Optional[str]:
            if order_id == '-1':
                return (
                    'working'
                    if any(o.get('status') in reconciliation.WORKING_STATES for o in live_orders)
                    else 'cancelled'
                )
            live = reconciliation.find_order(live_orders, order_id)
            if live is None:
                return None
            return 'cancelled' if live.get('status') in reconciliation.CANCELLED_STATES else str(live.get('status'))

        state = reconciliation.wait_for(
            lambda: self.live_orders().data, check, self.order_reconcile_timeout, self._sleep
        )
        if state == 'cancelled':
            return Result(
                data={'msg': 'Request was submitted', 'order_id': int(order_id), 'reconciled': True},
                request={'method': 'DELETE', 'url': error.url, 'params': None, 'json': None},
            )
        if state in reconciliation.WORKING_STATES or state == 'working':
            _LOGGER.warning(
                'cancel of order %s got no usable answer and the order still works; sending the cancel again', order_id
            )
            try:
                return send()
            except (OutcomeUnknownError, BadResponseError) as again:
                raise OutcomeUnknownError(
                    f'the cancel of order {order_id} got no usable answer, twice ({again.message}): check '
                    'order_status() before acting on it',
                    method=again.method,
                    url=again.url,
                    status_code=again.status_code,
                    body=again.body,
                ) from None
        if state is not None:
            raise OrderRejectedError(f'order {order_id} is {state}: there is nothing left to cancel', url=error.url)
        raise OutcomeUnknownError(
            f'the cancel of order {order_id} got no usable answer ({error.message}) and the '
            'order was not found in live orders: check order_status() before acting on it',
            method=error.method,
            url=error.url,
            status_code=error.status_code,
            body=error.body,
        )

    def modify_order(
        self, order_id: str, order_request: OrderInput, answers: Answers, account_id: Optional[str] = None
    ) -> Result:
        """Modify an open order, answering IBKR's questions from ``answers`` (as in ``place_order``).

        ``order_request`` must mirror the original order (same conid and side, every field again), with the
        values to change; it is sent as a single object. Filled or cancelled orders cannot be modified.
        """
        body = order_dicts.order_dict(order_request, 'order_request')
        from ibind.client.questions import validate_answers

        answers = validate_answers(answers)
        account = self._account(account_id)
        path = f'iserver/account/{path_segment("account_id", account)}/order/{_order_id(order_id)}'
        record = {'method': 'POST', 'url': self.base_url + path, 'params': None, 'json': body}
        with self._pending_orders.track('modification', order_id=str(order_id).strip(), request=record):
            try:
                return self._order_conversation(
                    lambda: self.post(path, json=body, error_class=OrderRejectedError), answers, 'modified'
                )
            except Exception as error:
                if not reconciliation.needs_reconciliation(error):
                    raise
                return self._reconcile_modification(
                    str(order_id).strip(), body, reconciliation.as_broker_error(error, record)
                )

    def _reconcile_modification(self, order_id: str, body: Dict[str, Any], error: ExternalBrokerError) -> Result:
        """A modification that got no answer is never sent again; it is reported done once the order shows it."""

        def check(live_orders: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
            live = reconciliation.find_order(live_orders, order_id)
            return live if live is not None and reconciliation.modification_applied(body, live) else None

        live = reconciliation.wait_for(
            lambda: self.live_orders().data, check, self.order_reconcile_timeout, self._sleep
        )
        if live is not None:
            return Result(
                data=[{'order_id': order_id, 'order_status': live.get('status'), 'reconciled': True}],
                request={'method': 'POST', 'url': error.url, 'params': None, 'json': body},
            )
        raise OutcomeUnknownError(
            f'the modification of order {order_id} got no usable answer ({error.message}) and the order does not show '
            f'it within {self.order_reconcile_timeout:g}s; it was NOT sent again: check order_status() first',
            method=error.method,
            url=error.url,
            status_code=error.status_code,
            body=error.body,
        )

    def suppress_messages(self, message_ids: List[str]) -> Result:
        """Stop IBKR from asking the given questions (e.g. ``['o163', 'o354']``) for this brokerage session.

        Up to 51 ids per request. Each request replaces the suppressed set, so send the complete list. Only
        suppress what you have read and accept: a suppressed question is confirmed without asking.
        """
        ids = _message_ids(message_ids)
        return self.post('iserver/questions/suppress', json={'messageIds': ids}, retry_safe=True)

    def reset_suppressed_messages(self) -> Result:
        """Ask every question again: undo all ``suppress_messages`` of this brokerage session."""
        return self.post('iserver/questions/suppress/reset', retry_safe=True)

    # ------------------------------------------------------------------ the question/reply conversation

    def _order_conversation(self, send: Callable[[], Result], answers: Mapping[Any, bool], outcome: str) -> Result:
        """Send an order request and answer every question, all under the order-flow lock."""
        with self._order_flow_lock:
            first = send()
            result = first
            for _ in range(MAX_QUESTION_ROUNDS):
                with reading(result):
                    question = _question_in(result)
                if question is None:
                    return result.copy(request=first.request)
                result = self._answer(question, answers, outcome)
            with reading(result):
                question = _question_in(result)
            if question is None:
                return result.copy(request=first.request)
            if isinstance(question.get('id'), str):
                self._decline(question['id'])
            raise OrderQuestionError(
                f'IBKR asked more than {MAX_QUESTION_ROUNDS} questions in a row; the last one was declined, '
                f'so the order was not {outcome}: {_quote(question)}',
                question=question,
                body=result.data,
            )

    def _answer(self, question: Dict[str, Any], answers: Mapping[Any, bool], outcome: str) -> Result:
        reply_id = question['id']
        from ibind.client.questions import decide

        decision, unanswered = decide(answers, question)
        if decision is True:
            _LOGGER.info('confirming order question %s %s', question.get('messageIds'), _first_line(question))
            return self._reply(reply_id, True)
        declined_ok = self._decline(reply_id)
        note = '' if declined_ok else ' (declining it failed too; it lapses with the next order request)'
        if decision is False:
            raise OrderQuestionError(
                f'declined the question {_quote(question)} as `answers` asked, so the order was not {outcome}{note}',
                question=question,
            )
        raise OrderQuestionError(_unanswered_message(unanswered, outcome) + note, question=question)

    def _decline(self, reply_id: str) -> bool:
        """Say no to a question so the order is discarded at once; True when IBKR confirmed the discard."""
        try:
            self._reply(reply_id, False)
        except OrderRejectedError:
            return True  # IBKR answers a declined question with {"error": "Order not confirmed"}
        except ExternalBrokerError as error:
            _LOGGER.warning('declining order question %s failed: %s', reply_id, error)
            return False
        return True


# ---------------------------------------------------------------------- helpers


def _question_in(result: Result) -> Optional[Dict[str, Any]]:
    """The question an order answer asks, or None when it is an acknowledgement."""
    data = result.data
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        first = data[0]
        if 'id' in first and 'message' in first:
            if not isinstance(first['id'], str) or not first['id'].strip():
                raise BadResponseError('an order question without an "id" to reply to', body=data)
            if len(data) > 1:
                _LOGGER.warning('IBKR asked %d questions at once; answering the first, the rest follow', len(data))
            return first
        if 'order_id' in first or 'order_status' in first:
            return None
    if isinstance(data, dict) and data.get('prompt'):
        raise OrderQuestionError(
            f'IBKR answered with a server prompt ({data.get("messageId")}: {data.get("text")!r}, options '
            f'{data.get("options")}); answer it with POST /iserver/notification',
            question=data,
            body=data,
        )
    raise BadResponseError('an order answer that is neither an acknowledgement nor a question', body=data)


def _first_line(question: Mapping[str, Any]) -> str:
    messages = question.get('message') or ['']
    text = messages[0] if isinstance(messages, list) and messages else str(messages)
    return ' '.join(str(text).split())[:200]


def _quote(question: Mapping[str, Any]) -> str:
    return f'{question.get("messageIds")} "{_first_line(question)}"'


def _unanswered_message(unanswered: List[Any], outcome: str) -> str:
    lines = [
        f'IBKR asked a question that `answers` does not cover, so it was declined and the order was not {outcome}:'
    ]
    examples = []
    for text, message_id in unanswered:
        lines.append(f'  [{message_id or "no id"}] {" ".join(text.split())}')
        from ibind.client.questions import QuestionType

        known = QuestionType.by_message_id(message_id) if message_id else None
        if known is not None:
            examples.append(f'QuestionType.{known.name}: True')
        if message_id:
            examples.append(f"'{message_id}': True")
    example = ', '.join(dict.fromkeys(examples)) or "'<a piece of the question text>': True"
    lines.append(
        f'To confirm it, pass answers={{{example}}} (or a piece of its text as the key) and send the '
        f'order again; suppress_messages([...]) stops IBKR from asking it at all.'
    )
    return '\n'.join(lines)


def _filter_values(filters: Iterable[Any]) -> List[str]:
    values = []
    for value in filters:
        if not isinstance(value, str):
            raise TypeError(f"'filters' must be status filter strings, got {value!r}")
        known = _FILTERS_BY_LETTERS.get(re.sub(r'[^a-z]', '', value.lower()))
        if known is None:
            raise ValueError(
                f"'filters' has an unknown filter {value!r}: expected any of {', '.join(LIVE_ORDER_FILTERS)}"
            )
        values.append(known)
    return list(dict.fromkeys(values))


def _optional_bool(name: str, value: Any) -> Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f'{name!r} must be True, False or None, got {value!r}')
    return value


def _trade_days(days: Any) -> Optional[str]:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, (int, str)):
        raise TypeError(f"'days' must be a number of days from 1 to {MAX_TRADE_DAYS}, got {days!r}")
    text = str(days).strip()
    if not is_digits(text) or not 1 <= int(text) <= MAX_TRADE_DAYS:
        raise ValueError(f"'days' must be a number of days from 1 to {MAX_TRADE_DAYS}, got {days!r}")
    return str(int(text))


def _message_ids(message_ids: Any) -> List[str]:
    if isinstance(message_ids, str) or not isinstance(message_ids, (list, tuple)):
        raise TypeError(f"'message_ids' must be a list of message ids like ['o163', 'o354'], got {message_ids!r}")
    if not message_ids:
        raise ValueError("'message_ids' must not be empty: pass the ids to suppress, like ['o163']")
    if len(message_ids) > MAX_SUPPRESSED_MESSAGES:
        raise ValueError(
            f"'message_ids' may hold at most {MAX_SUPPRESSED_MESSAGES} ids (IBKR answers more with a "
            f'system error), got {len(message_ids)}'
        )
    for message_id in message_ids:
        if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id.strip()):
            raise ValueError(f"'message_ids' must hold message ids like 'o163' or 'p12', got {message_id!r}")
    return [message_id.strip() for message_id in message_ids]


def _order_id(order_id: Any, cancel_all: bool = False) -> str:
    """An IBKR order id (a whole number; '-1' means every open order where cancelling allows it)."""
    expected = "an order id like '1234567890'" + (" or '-1' (all open orders)" if cancel_all else '')
    if order_id is None or (isinstance(order_id, str) and not order_id.strip()):
        raise ValueError(f"'order_id' is required: expected {expected}")
    if isinstance(order_id, bool) or not isinstance(order_id, (str, int)):
        raise TypeError(f"'order_id' must be a str or int ({expected}), got {type(order_id).__name__}")
    text = str(order_id).strip()
    if not (is_digits(text) or (cancel_all and text == '-1')):
        raise ValueError(f"'order_id' must be {expected}, got {order_id!r}")
    return text
