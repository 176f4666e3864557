"""OAuth sessions at their edges: an expired live session token is renewed by tickle(), authentication_status()
and the Tickler alone, and one call that needs a new LST and then a brokerage session succeeds at once."""

import time

import pytest

from ibind import IbkrClient


def oauth_client(sim, creds):
    config = creds.client_config(sim.url, maintain_oauth=False, shutdown_oauth=False)
    return IbkrClient(account_id='DU1234567', use_oauth=True, oauth_config=config, cacert=sim.cacert, pacing=False)


@pytest.mark.parametrize('call', ['tickle', 'authentication_status'])
def test_session_calls_renew_an_expired_lst(oauth_sim, creds, call):
    with oauth_client(oauth_sim, creds) as client:
        oauth_sim.control.advance(25 * 3600)  # past the LST's 24 h lifetime
        getattr(client, call)()
        assert client.recoveries['live_session_token'] == 1


def test_the_tickler_alone_renews_an_expired_lst_and_reopens_the_session(oauth_sim, creds):
    with oauth_client(oauth_sim, creds) as client:
        client.receive_brokerage_accounts()
        tickler = client.start_tickler(interval=0.05)
        time.sleep(0.2)
        oauth_sim.control.advance(25 * 3600)  # the morning after: LST expired and the brokerage session gone
        expired_at = time.time()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
            tickler.last_success and tickler.last_success > expired_at and client.recoveries['brokerage_session'] >= 1
        ):
            time.sleep(0.02)
        client.stop_tickler()
        assert client.recoveries['live_session_token'] == 1
        assert client.recoveries['brokerage_session'] >= 1
        assert tickler.total_failures <= 1, tickler.describe()
        assert oauth_sim.control.state()['session']['authenticated'] is True


def test_a_call_that_needs_a_new_lst_and_then_a_brokerage_session_succeeds_at_once(oauth_sim, creds):
    with oauth_client(oauth_sim, creds) as client:
        client.receive_brokerage_accounts()
        oauth_sim.control.advance(25 * 3600)
        accounts = client.receive_brokerage_accounts().data
        assert 'DU1234567' in accounts['accounts']
        assert client.recoveries == {'live_session_token': 1, 'brokerage_session': 1}
