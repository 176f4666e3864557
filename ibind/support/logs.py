"""Logging for ibind: silent unless asked, and never a secret in a log record.

Every module gets its logger from ``project_logger``; each such logger carries a redaction filter,
so a record is scrubbed when it is created, before any handler (the user's, pytest's, ours) sees it.
A library must not configure logging on its own: ``ibind`` only has a NullHandler until the user
calls ``ibind_logs_initialize``.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
import re
from typing import List, Optional, Tuple

from ibind import var

ROOT_LOGGER_NAME = 'ibind'
REDACTED = '[REDACTED]'

_SENSITIVE_KEY = (
    r'[\w.-]*(?:authorization|cookie|token|secret|signature|password|passwd|private[_-]?key|'
    r'encryption[_-]?key|signature[_-]?key|api[_-]?key|prepend|jsessionid|x-sess-uuid)[\w.-]*|\bsession'
)


@functools.cache
def _patterns() -> Tuple[re.Pattern[str], ...]:
    """The redaction patterns, compiled on first use (compiling them at import would slow every import)."""
    return (
        re.compile(r'-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----', re.DOTALL),
        re.compile(r'-----BEGIN [A-Z0-9 ]+-----.*', re.DOTALL),
        re.compile(r'(?P<key>\b(?:authorization|cookie|set-cookie)\s*:\s*)(?P<value>[^\r\n]+)', re.IGNORECASE),
        re.compile(
            r'(?P<key>' + _SENSITIVE_KEY + r')(?P<sep>[\'"]?\s*[:=]\s*)'
            r'(?P<value>\'[^\']*\'|"[^"]*"|(?!\[REDACTED)[^\s,;&\'"}\])]+)',
            re.IGNORECASE,
        ),
        re.compile(r'\b(Bearer|OAuth)\s+(?=[A-Za-z0-9._~+/=-]{16,})[A-Za-z0-9._~+/=-]+'),
    )


def _mask_value(match: re.Match) -> str:
    value = match.group('value')
    if value[:1] in ('"', "'"):
        masked = value[0] + REDACTED + value[0]
    else:
        masked = REDACTED
    return match.group('key') + match.group('sep') + masked


def redact(text: str) -> str:
    """Replace secret values in ``text``: key material, tokens, signatures, cookies, Authorization headers."""
    if not text:
        return text
    pem_block, pem_open, header_line, key_value, bearer = _patterns()
    text = pem_block.sub('[REDACTED PEM]', text)
    text = pem_open.sub('[REDACTED PEM]', text)
    text = header_line.sub(lambda m: m.group('key') + REDACTED, text)
    text = key_value.sub(_mask_value, text)
    text = bearer.sub(lambda m: m.group(1) + ' ' + REDACTED, text)
    return text


class RedactionFilter(logging.Filter):
    """Scrubs the fully formatted message (and any exception text) of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break the caller
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_REDACTION_FILTER = RedactionFilter()
logging.getLogger(ROOT_LOGGER_NAME).addHandler(logging.NullHandler())


def project_logger(name: str) -> logging.Logger:
    """The logger for an ibind module (``ibind.<...>``), with the redaction filter attached once."""
    if name != ROOT_LOGGER_NAME and not name.startswith(ROOT_LOGGER_NAME + '.'):
        name = f'{ROOT_LOGGER_NAME}.{name}'
    logger = logging.getLogger(name)
    if _REDACTION_FILTER not in logger.filters:
        logger.addFilter(_REDACTION_FILTER)
    return logger


class _DailyFileHandler(logging.FileHandler):
    """Appends to ``<dir>/ibind__YYYY-MM-DD.txt``, switching file when the date changes."""

    def __init__(self, directory: str):
        self._directory = directory
        self._date = self._today()
        os.makedirs(directory, exist_ok=True)
        super().__init__(self._path(), encoding='utf-8', delay=True)

    @staticmethod
    def _today() -> str:
        return datetime.date.today().isoformat()

    def _path(self) -> str:
        return os.path.join(self._directory, f'ibind__{self._date}.txt')

    def emit(self, record: logging.LogRecord) -> None:
        today = self._today()
        if today != self._date:
            self.close()
            self._date = today
            self.baseFilename = os.path.abspath(self._path())
        super().emit(record)


_OWN_HANDLER_FLAG = '_ibind_handler'


def ibind_logs_initialize(
    log_to_console: bool = var.IBIND_LOG_TO_CONSOLE,
    log_to_file: bool = var.IBIND_LOG_TO_FILE,
    log_level: str = var.IBIND_LOG_LEVEL,
    log_format: str = var.IBIND_LOG_FORMAT,
    logs_dir: Optional[str] = var.IBIND_LOGS_DIR,
) -> logging.Logger:
    """Opt in to ibind's log output: to the console, and/or to a daily file in ``logs_dir``.

    Calling it again replaces the handlers it added before (it never touches other handlers or the
    root logger). Returns the ``ibind`` logger.
    """
    level = logging.getLevelName(str(log_level).upper())
    if not isinstance(level, int):
        raise ValueError(f"'log_level' must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {log_level!r}")
    logger = project_logger(ROOT_LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, _OWN_HANDLER_FLAG, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level)
    formatter = logging.Formatter(log_format)
    handlers: List[logging.Handler] = []
    if log_to_console:
        handlers.append(logging.StreamHandler())
    if log_to_file:
        if not logs_dir:
            raise ValueError("'logs_dir' is required when log_to_file is True")
        handlers.append(_DailyFileHandler(logs_dir))
    for handler in handlers:
        setattr(handler, _OWN_HANDLER_FLAG, True)
        handler.setFormatter(formatter)
        handler.addFilter(_REDACTION_FILTER)
        logger.addHandler(handler)
    return logger
