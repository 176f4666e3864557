"""Redaction: no secret reaches a log record, whichever ibind logger it comes from."""

import logging
import subprocess
import sys

import pytest

from ibind.support.logs import ibind_logs_initialize, project_logger, redact

SECRETS = ['Zx9SECRETsig0000AAAA==', 'tok_0123456789abcdef', 'lstVALUE+/abc==', 'cookieSECRET123']


@pytest.mark.parametrize(
    'text',
    [
        'headers={\'Authorization\': \'OAuth realm="limited_poa", oauth_signature="Zx9SECRETsig0000AAAA=="\'}',
        'Authorization: OAuth oauth_token="tok_0123456789abcdef", oauth_signature="Zx9SECRETsig0000AAAA=="',
        "{'access_token_secret': 'tok_0123456789abcdef', 'live_session_token': 'lstVALUE+/abc=='}",
        '{"live_session_token": "lstVALUE+/abc=="}',
        'Cookie: api=cookieSECRET123; x=1',
        "{'session': 'cookieSECRET123'}",
        'url?oauth_token=tok_0123456789abcdef&x=1',
    ],
)
def test_redact_removes_secret_values(text):
    cleaned = redact(text)
    assert not any(secret in cleaned for secret in SECRETS), cleaned
    assert '[REDACTED]' in cleaned


def test_redact_removes_pem_blocks_and_keeps_harmless_text():
    pem = '-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkq\n-----END PRIVATE KEY-----'
    assert 'MIIEvAIBADANBgkq' not in redact(f'key={pem}')
    assert (
        redact('GET /v1/api/iserver/accounts params={"conids": "265598"}')
        == 'GET /v1/api/iserver/accounts params={"conids": "265598"}'
    )


def test_every_ibind_logger_redacts_before_handlers_see_the_record(caplog):
    caplog.set_level(logging.DEBUG, logger='ibind')
    project_logger('ibind.some.module').debug('token=%s', 'tok_0123456789abcdef')
    assert caplog.records and all('tok_0123456789abcdef' not in r.getMessage() for r in caplog.records)


def test_logs_initialize_replaces_its_own_handlers_only(tmp_path):
    logger = logging.getLogger('ibind')
    foreign = logging.NullHandler()
    logger.addHandler(foreign)
    try:
        ibind_logs_initialize(log_to_console=True, log_to_file=True, logs_dir=str(tmp_path), log_level='DEBUG')
        ibind_logs_initialize(log_to_console=True, log_to_file=False, log_level='INFO')
        own = [h for h in logger.handlers if getattr(h, '_ibind_handler', False)]
        assert len(own) == 1 and foreign in logger.handlers
    finally:
        for handler in [h for h in logger.handlers if getattr(h, '_ibind_handler', False)] + [foreign]:
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    with pytest.raises(ValueError, match="'log_level'"):
        ibind_logs_initialize(log_level='LOUD')


def test_library_is_silent_by_default():
    """In a clean interpreter, using ibind adds no handler anywhere but its NullHandler, and prints nothing."""
    code = (
        'import logging; from ibind import IbkrClient; from ibind.support.logs import project_logger; '
        'IbkrClient(url="http://127.0.0.1:9/v1/api/", pacing=False).close(); '
        'project_logger("ibind.x").warning("should not be printed"); '
        'print(logging.getLogger().handlers, [type(h).__name__ for h in logging.getLogger("ibind").handlers])'
    )
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[] ['NullHandler']", proc.stdout + proc.stderr
    assert 'should not be printed' not in proc.stderr


def _websockets_teardown_error(logger: logging.Logger, error: BaseException) -> None:
    """What websockets' sync reader thread logs when bytes arrive as its close timeout closes the socket."""
    try:
        raise error
    except BaseException:
        logger.error('unexpected internal error', exc_info=True)


def test_the_websockets_teardown_race_is_a_debug_line_and_other_errors_stay_errors():
    import ibind.base.ws_client  # noqa: F401  # attaches the filter to the protocol logger

    logger = logging.getLogger('ibind.ws.protocol')
    records = []
    handler = logging.Handler()  # level NOTSET: it takes whatever the logger lets through
    handler.emit = records.append
    logger.addHandler(handler)
    previous = logger.level
    try:
        logger.setLevel(logging.INFO)
        _websockets_teardown_error(logger, EOFError('stream ended'))
        assert records == []
        _websockets_teardown_error(logger, ValueError('a real bug'))
        assert [r.levelname for r in records] == ['ERROR']
        records.clear()
        logger.setLevel(logging.DEBUG)
        _websockets_teardown_error(logger, EOFError('stream ended'))
        assert [(r.levelname, 'while closing' in r.getMessage()) for r in records] == [('DEBUG', True)]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
