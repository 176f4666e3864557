"""Configuration parsing: every IBIND_* value typed, every malformed value named."""

import os
import subprocess
import sys

import pytest

from ibind import var


def test_defaults_when_nothing_is_set():
    settings = var.parse({})
    assert settings['IBIND_CACERT'] is False
    assert settings['IBIND_USE_SESSION'] is True
    assert settings['IBIND_TICKLER_INTERVAL'] == 60.0
    assert settings['IBIND_REST_URL'] is None
    assert settings['IBIND_OAUTH1A_REALM'] == 'limited_poa'


@pytest.mark.parametrize(
    'raw, expected',
    [('False', False), ('false', False), ('0', False), ('', False), ('/tmp/ca.pem', '/tmp/ca.pem'), ('True', True)],
)
def test_cacert_strings(raw, expected):
    assert var.parse({'IBIND_CACERT': raw})['IBIND_CACERT'] == expected


def test_seconds_accept_floats():
    assert var.parse({'IBIND_TICKLER_INTERVAL': '0.25'})['IBIND_TICKLER_INTERVAL'] == 0.25


@pytest.mark.parametrize(
    'name, value',
    [
        ('IBIND_TICKLER_INTERVAL', 'abc'),
        ('IBIND_TIMEOUT', '-1'),
        ('IBIND_MAX_RETRIES', '2.5'),
        ('IBIND_USE_OAUTH', 'maybe'),
        ('IBIND_LOG_LEVEL', 'LOUD'),
    ],
)
def test_malformed_values_name_the_variable(name, value):
    with pytest.raises(ValueError) as info:
        var.parse({name: value})
    assert name in str(info.value) and repr(value) in str(info.value)


def test_malformed_environment_fails_import_with_the_variable_named():
    env = dict(os.environ, IBIND_TICKLER_INTERVAL='abc')
    proc = subprocess.run([sys.executable, '-c', 'import ibind'], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'IBIND_TICKLER_INTERVAL' in proc.stderr


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / 'custom.env'
    env_file.write_text('IBIND_ACCOUNT_ID=DU7654321\nIBIND_TIMEOUT=3.5\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('IBIND_')}
    env.update(IBIND_ENV_FILE=str(env_file), IBIND_TIMEOUT='4')
    code = 'from ibind import var; print(var.IBIND_ACCOUNT_ID, var.IBIND_TIMEOUT)'
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.stdout.split() == ['DU7654321', '4.0'], proc.stderr


def test_dot_env_in_working_directory_is_read(tmp_path):
    (tmp_path / '.env').write_text('IBIND_ACCOUNT_ID=DU1111111\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('IBIND_')}
    code = 'import os; from ibind import var; print(var.IBIND_ACCOUNT_ID, "IBIND_ACCOUNT_ID" in os.environ)'
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.stdout.split() == ['DU1111111', 'False'], proc.stderr


def test_env_example_lists_every_variable():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, '.env.example')) as file:
        listed = {line.split('=')[0].lstrip('# ').strip() for line in file if 'IBIND_' in line.split('=')[0]}
    assert set(var.parse({})) | {'IBIND_ENV_FILE'} <= listed
