"""The precautionary questions IBKR asks about orders, and how answers are matched to them.

When an order needs a confirmation, IBKR answers the order request with a question instead of an
acknowledgement::

    [{"id": "07a13a5a-...", "message": ["The following order \\"BUY 5 AAPL NASDAQ.NMS @ 150.0\\" price
      exceeds \\nthe Percentage constraint of 3%.\\nAre you sure you want to submit this order?"],
      "isSuppressed": false, "messageIds": ["o163"]}]

``place_order``/``modify_order`` take ``answers``, a mapping from questions to True (confirm) or False
(decline). A key is a ``QuestionType``, a message id such as ``'o163'``, or any piece of the question's
text. Text is compared case-insensitively with whitespace normalised, because IBKR's texts contain line
breaks in odd places.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ibind.support.py_utils import LazyPattern

_MESSAGE_ID = LazyPattern(r'^[a-z]\d+$', re.IGNORECASE)


class QuestionType(Enum):
    """Known order questions. The value is a distinctive piece of the question text; ``message_id`` is its id.

    A ``QuestionType`` key in ``answers`` matches a question that carries its message id *or* contains its
    text. For the ids the docs only describe (not quote), the value is that description, so such
    questions are in practice matched by their id.
    """

    message_id: Optional[str]  # set by __new__ from each member's (text, message_id); an annotation, not a member

    PRICE_PERCENTAGE_CONSTRAINT = ('price exceeds the Percentage constraint of 3%', 'o163')
    MISSING_MARKET_DATA = (
        'You are submitting an order without market data. We strongly recommend against this as '
        'it may result in erroneous and unexpected trades.',
        'o354',
    )
    TICK_SIZE_LIMIT = ('exceeds the tick size limit', 'o382')
    ORDER_SIZE_LIMIT = ('size exceeds the Size Limit of', 'o383')
    TRIGGER_AND_FILL = ('This order will most likely trigger and fill immediately.', 'o403')
    ORDER_VALUE_LIMIT = ('exceeds the Total Value Limit of', 'o451')
    MIXED_ALLOCATION = ('Mixed allocation order warning', 'o2136')
    CROSS_SIDE_ORDER = ('Cross side order warning', 'o2137')
    NO_FRACTIONS_OUTSIDE_RTH = ('does not support trading in fractions outside regular trading hours', 'o2165')
    CALLED_BOND = ('Called Bond warning', 'o10082')
    SIZE_MODIFICATION_LIMIT = ('size modification exceeds the size modification limit', 'o10138')
    MARKET_ORDER_RISKS = ('risks with Market Orders', 'o10151')
    STOP_ORDER_ACTIVE_RISKS = ('risks associated with stop orders once they become active', 'o10152')
    MANDATORY_CAP_PRICE = (
        'To avoid trading at a price that is not consistent with a fair and orderly market, IB may set a cap',
        'o10153',
    )
    CASH_QUANTITY = (
        'Traders are responsible for understanding cash quantity details, which are provided on a '
        'best efforts basis only.',
        'o10164',
    )
    CASH_QUANTITY_ORDER = (
        'Orders that express size using a monetary value (cash quantity) are provided on a non-guaranteed basis.',
        'o10223',
    )
    CRYPTO_MARKET_ORDER_RISKS = ('risks associated with market orders for Crypto', 'o10288')
    STOP_ORDER_RISKS = (
        'You are about to submit a stop order. Please be aware of the various stop order types '
        'available and the risks associated with each one.',
        'o10331',
    )
    OSL_CRYPTO_ORDER = ('OSL Digital Securities LTD Crypto Order Warning', 'o10332')
    OPTION_EXERCISE_AT_THE_MONEY = ('Option Exercise at the Money warning', 'o10333')
    OMNIBUS_ACCOUNT = (
        'will be placed into current omnibus account instead of currently selected global account',
        'o10334',
    )
    RAPID_ENTRY = ('Serves internal Rapid Entry window', 'o10335')
    MULTIPLE_ACCOUNTS = (
        'This order will be distributed over multiple accounts. We strongly suggest you familiarize '
        'yourself with our allocation facilities before submitting orders.',
        'p6',
    )
    PRICE_MANAGEMENT_ALGO = ('Use the Price Management Algo?', 'p12')

    def __new__(cls, text: str, message_id: Optional[str]) -> QuestionType:
        member = object.__new__(cls)
        member._value_ = text
        member.message_id = message_id
        return member

    @classmethod
    def by_message_id(cls, message_id: str) -> Optional[QuestionType]:
        for member in cls:
            if member.message_id == message_id:
                return member
        return None


Answers = Dict[Union[QuestionType, str], bool]
"""Answers to order questions, e.g. ``{QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True, 'o354': True}``."""


def normalise_text(text: str) -> str:
    """Lower case, with every run of whitespace (IBKR puts '\\n' mid-sentence) collapsed to one space."""
    return ' '.join(str(text).split()).lower()


def validate_answers(answers: Any, argument: str = 'answers') -> Dict[Union[QuestionType, str], bool]:
    """Check an ``answers`` mapping before anything is sent: keys QuestionType or non-empty str, values bool."""
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise TypeError(
            f'{argument!r} must be a dict like {{QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True, '
            f"'o354': True}}, got {type(answers).__name__}"
        )
    for key, value in answers.items():
        if not isinstance(key, QuestionType) and not (isinstance(key, str) and key.strip()):
            raise TypeError(
                f"{argument!r} keys must be QuestionType members, message ids like 'o163' or "
                f'pieces of question text, got {key!r}'
            )
        if not isinstance(value, bool):
            raise TypeError(f'{argument!r} values must be True (confirm) or False (decline); {key!r} maps to {value!r}')
    return dict(answers)


def _key_matches(key: Union[QuestionType, str], text: str, message_id: Optional[str]) -> bool:
    normalised = normalise_text(text)
    if isinstance(key, QuestionType):
        if message_id is not None and key.message_id is not None and message_id.lower() == key.message_id.lower():
            return True
        return normalise_text(key.value) in normalised
    if _MESSAGE_ID.match(key.strip()):
        return message_id is not None and message_id.lower() == key.strip().lower()
    return normalise_text(key) in normalised


def find_answer(
    answers: Mapping[Union[QuestionType, str], bool], text: str, message_id: Optional[str] = None
) -> Optional[bool]:
    """The answer to one question message: None when no key matches; False when any matching key says False."""
    matched = [value for key, value in answers.items() if _key_matches(key, text, message_id)]
    if not matched:
        return None
    return all(matched)


def question_messages(question: Mapping[str, Any]) -> List[Tuple[str, Optional[str]]]:
    """(text, message id) for every message of one question object (messageIds align with message by index)."""
    messages = question.get('message')
    if isinstance(messages, str):
        messages = [messages]
    if not isinstance(messages, Sequence) or not messages:
        messages = ['']
    ids = question.get('messageIds')
    ids = list(ids) if isinstance(ids, Sequence) and not isinstance(ids, str) else []
    return [
        (str(text), str(ids[index]) if index < len(ids) and ids[index] is not None else None)
        for index, text in enumerate(messages)
    ]


def decide(
    answers: Mapping[Union[QuestionType, str], bool], question: Mapping[str, Any]
) -> Tuple[Optional[bool], List[Tuple[str, Optional[str]]]]:
    """Answer a whole question object: (True/False, []) or (None, the messages no answer covers).

    A question is confirmed only when every one of its messages is answered True; one False declines it.
    """
    unanswered = []
    decisions = []
    for text, message_id in question_messages(question):
        answer = find_answer(answers, text, message_id)
        if answer is None:
            unanswered.append((text, message_id))
        decisions.append(answer)
    if False in decisions:
        return False, []
    if unanswered:
        return None, unanswered
    return True, []


__all__ = [
    'Answers',
    'QuestionType',
    'decide',
    'find_answer',
    'normalise_text',
    'question_messages',
    'validate_answers',
]
