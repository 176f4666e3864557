"""AccountsMixin and PortfolioMixin against the simulator: what each method brings back, and what it refuses.

The simulator starts with a known portfolio (``initial_positions``) on a frozen clock, so the content of
every answer can be checked: quantities, prices, cash, and that views of the same books agree.
"""

import pytest

from ibind import IbkrClient
from ibind.sim import GatewaySimulator
from ibind.support.errors import ExternalBrokerError

from sim_http import control

ACCOUNT = 'DU1234567'
AAPL, IBM = 265598, 8314
STARTING_CASH = 1_000_000.0
POSITIONS = {
    ACCOUNT: [
        {'conid': AAPL, 'quantity': 100, 'avg_price': 180.0},
        {'conid': AAPL, 'quantity': -40, 'avg_price': 190.0},
        {'conid': IBM, 'quantity': -10, 'avg_price': 150.0},
    ]
}
CASH = STARTING_CASH - 100 * 180.0 + 40 * 190.0 + 10 * 150.0


def _client(simulator, **options):
    options.setdefault('account_id', ACCOUNT)
    return IbkrClient(url=simulator.url, cacert=False, pacing=False, **options)


@pytest.fixture
def pf_sim():
    with GatewaySimulator(port=0, initial_positions=POSITIONS, frozen_clock=True) as simulator:
        yield simulator


@pytest.fixture
def pf(pf_sim):
    """A client of a simulator holding POSITIONS, after the documented portfolio_accounts() call."""
    with _client(pf_sim) as ibkr:
        ibkr.portfolio_accounts()
        yield ibkr


def requests_received(simulator):
    return control(simulator, 'GET', 'state')['counters']['total']


# ----------------------------------------------------------------- accounts


def test_receive_brokerage_accounts(client):
    data = client.receive_brokerage_accounts().data
    assert data['accounts'] == [ACCOUNT] and data['selectedAccount'] == ACCOUNT
    assert data['aliases'] == {ACCOUNT: ACCOUNT} and data['isPaper'] is True


def test_switch_account_changes_the_selected_account():
    with GatewaySimulator(port=0, accounts=['DU1111111', 'DU2222222']) as simulator, _client(simulator) as ibkr:
        result = ibkr.switch_account('DU2222222')
        assert result.data == {'set': True, 'acctId': 'DU2222222'}
        assert result.request['json'] == {'acctId': 'DU2222222'}
        assert ibkr.receive_brokerage_accounts().data['selectedAccount'] == 'DU2222222'
        assert list(ibkr.account_profit_and_loss().data['upnl']) == ['DU2222222.Core']
        with pytest.raises(ExternalBrokerError) as failure:
            ibkr.switch_account('DU0000000')
        assert failure.value.status_code == 400


def test_account_profit_and_loss(pf):
    row = pf.account_profit_and_loss().data['upnl'][f'{ACCOUNT}.Core']
    ledger = pf.get_ledger().data['BASE']
    assert row['rowType'] == 1
    assert row['nl'] == pytest.approx(ledger['netliquidationvalue'], abs=0.01)
    assert row['upl'] == pytest.approx(ledger['unrealizedpnl'], abs=0.01)
    assert row['mv'] == pytest.approx(ledger['stockmarketvalue'], abs=0.01)


def test_account_summary(pf):
    default = pf.account_summary().data
    explicit = pf.account_summary(ACCOUNT).data
    assert default == explicit
    assert default['totalCashValue'] == pytest.approx(CASH)
    assert default['netLiquidationValue'] == pytest.approx(
        pf.get_ledger().data['BASE']['netliquidationvalue'], abs=0.01
    )
    assert default['cashBalances'][-1] == {'currency': 'Total (in USD)', 'balance': CASH, 'settledCash': CASH}
    assert pf.account_summary().request['url'].endswith(f'/iserver/account/{ACCOUNT}/summary')


def test_signatures_and_owners(client):
    data = client.signatures_and_owners().data
    assert data['accountId'] == ACCOUNT
    assert data['users'][0]['roleId'] == 'OWNER' and data['users'][0]['userName'] == 'simuser1'
    assert data['applicant']['signatures'] == [data['users'][0]['entity']['entityName']]
    assert client.signatures_and_owners(ACCOUNT).data == data


def test_dynamic_accounts():
    with (
        GatewaySimulator(port=0, dynamic_accounts=True, accounts=['DU1111111', 'DU2222222']) as simulator,
        _client(simulator, account_id=None) as ibkr,
    ):
        found = ibkr.search_dynamic_account('DU2').data
        assert found == {
            'matchedAccounts': [{'accountId': 'DU2222222', 'alias': 'DU2222222', 'allocationId': '1'}],
            'pattern': 'DU2',
        }
        assert ibkr.set_dynamic_account('DU2222222').data == {'set': 'true', 'acctId': 'DU2222222'}
        assert ibkr.receive_brokerage_accounts().data['accounts'] == ['DU2222222']


def test_dynamic_accounts_without_dynacct_raise_the_documented_503(sim):
    with _client(sim, max_retries=0) as ibkr:
        for call in (lambda: ibkr.search_dynamic_account('DU'), lambda: ibkr.set_dynamic_account(ACCOUNT)):
            with pytest.raises(ExternalBrokerError, match='Details currently unavailable') as failure:
                call()
            assert failure.value.status_code == 503


# ----------------------------------------------------------------- portfolio accounts


def test_portfolio_accounts_and_subaccounts(pf):
    (account,) = pf.portfolio_accounts().data
    assert account['accountId'] == ACCOUNT and account['currency'] == 'USD' and account['faclient'] is False
    (sub,) = pf.portfolio_subaccounts().data
    assert sub['accountId'] == ACCOUNT
    page0 = pf.large_portfolio_subaccounts().data
    assert page0['metadata'] == {'total': 1, 'pageSize': 20, 'pageNum': 0}
    assert [a['id'] for a in page0['subaccounts']] == [ACCOUNT]
    page1 = pf.large_portfolio_subaccounts(page=1)
    assert page1.data['subaccounts'] == [] and page1.request['params'] == {'page': 1}


def test_financial_advisor_subaccounts():
    with GatewaySimulator(port=0, financial_advisor=True) as simulator, _client(simulator) as ibkr:
        (master,) = ibkr.portfolio_accounts().data
        assert master['id'] == 'DF1234567'
        subs = [a['id'] for a in ibkr.portfolio_subaccounts().data]
        assert subs == ['DU1234567', 'DU1234568', 'DU1234569']
        assert ibkr.portfolio_account_information('DU1234569').data['faclient'] is True


def test_portfolio_account_information(pf):
    data = pf.portfolio_account_information().data
    assert data['accountId'] == ACCOUNT and data['type'] == 'DEMO' and data['clearingStatus'] == 'O'
    assert pf.portfolio_account_information(ACCOUNT).data == data


def test_portfolio_allocation(pf):
    single = pf.portfolio_account_allocation().data
    assert single['assetClass']['long']['CASH'] == pytest.approx(CASH)
    rows = pf.positions2().data
    assert single['assetClass']['long']['STK'] == pytest.approx(
        sum(r['marketValue'] for r in rows if r['position'] > 0), abs=0.01
    )
    assert single['assetClass']['short']['STK'] == pytest.approx(
        sum(r['marketValue'] for r in rows if r['position'] < 0), abs=0.01
    )
    consolidated = pf.portfolio_account_allocations(ACCOUNT)
    assert consolidated.request['json'] == {'acctIds': [ACCOUNT]}
    assert consolidated.data == single
    assert pf.portfolio_account_allocations([ACCOUNT]).data == single


# ----------------------------------------------------------------- positions


def test_positions(pf):
    result = pf.positions()
    aapl, ibm = result.data
    assert (aapl['conid'], aapl['position'], aapl['avgPrice'], aapl['realizedPnl']) == (AAPL, 60.0, 180.0, 400.0)
    assert (ibm['conid'], ibm['position'], ibm['avgPrice']) == (IBM, -10.0, 150.0)
    assert aapl['mktValue'] == pytest.approx(60 * aapl['mktPrice'], abs=0.01)
    assert result.request['url'].endswith(f'/portfolio/{ACCOUNT}/positions/0')
    sorted_rows = pf.positions(ACCOUNT, page=0, sort='position', direction='a', period='1D', model='MyModel')
    assert [r['position'] for r in sorted_rows.data] == [-10.0, 60.0]
    assert sorted_rows.request['params'] == {'sort': 'position', 'direction': 'a', 'period': '1D', 'model': 'MyModel'}
    assert pf.positions(page=1).data == []
    assert pf.positions(page='0').data == result.data


def test_positions2(pf):
    rows = pf.positions2(sort='position', direction='d').data
    assert [(r['conid'], r['position']) for r in rows] == [(str(AAPL), 60.0), (str(IBM), -10.0)]
    assert rows[0]['description'] == 'AAPL' and rows[0]['secType'] == 'STK'
    assert pf.positions2(ACCOUNT).data == rows  # opened AAPL first, then IBM
    ascending = pf.positions2(sort='position', direction='a')
    assert ascending.data == list(reversed(rows))
    assert ascending.request['params'] == {'sort': 'position', 'direction': 'a'}


def test_positions_by_conid(pf):
    (first,) = pf.positions_by_conid(ACCOUNT, str(AAPL)).data
    assert first['position'] == 60.0 and 'ticker' not in first  # IBKR's first answer: position only
    (second,) = pf.positions_by_conid(None, AAPL).data  # None: the client's account
    assert second['ticker'] == 'AAPL' and second['name'] == 'APPLE INC'
    assert pf.positions_by_conid(ACCOUNT, 272093).data == []  # no MSFT position


def test_position_and_contract_info(pf):
    (row,) = pf.position_and_contract_info(str(IBM)).data
    assert (row['acctId'], row['conid'], row['position']) == (ACCOUNT, IBM, -10.0)
    assert pf.position_and_contract_info(272093).data == []


def test_invalidate_backend_portfolio_cache(pf, pf_sim):
    cached = pf.positions().data
    control(pf_sim, 'POST', 'clock', {'advance': 6 * 3600})
    assert pf.positions().data == cached  # IBKR caches this view
    fresh = pf.invalidate_backend_portfolio_cache()
    assert fresh.request['json'] == {}
    assert [r['mktPrice'] for r in fresh.data] == [r['marketPrice'] for r in pf.positions2().data]
    assert [r['mktPrice'] for r in fresh.data] != [r['mktPrice'] for r in cached]
    assert pf.positions().data == fresh.data


def test_portfolio_before_portfolio_accounts_is_queried_for_the_caller(pf_sim):
    with _client(pf_sim) as ibkr:
        assert len(ibkr.positions().data) == 2  # refused at first; the client queried /portfolio/accounts
    by_route = control(pf_sim, 'GET', 'state')['counters']['by_route']
    assert by_route['GET /portfolio/{accountId}/positions/{pageId}']['statuses'] == {'400': 1, '200': 1}
    assert by_route['GET /portfolio/accounts']['count'] == 1


def test_portfolio_before_portfolio_accounts_is_refused_without_auto_recovery(pf_sim):
    with IbkrClient(url=pf_sim.url, account_id=ACCOUNT, pacing=False, auto_recover=False) as ibkr:
        with pytest.raises(ExternalBrokerError, match='/portfolio/accounts') as failure:
            ibkr.positions()
        assert failure.value.status_code == 400
        ibkr.portfolio_accounts()
        assert len(ibkr.positions().data) == 2


# ----------------------------------------------------------------- balances


def test_portfolio_summary(pf):
    summary = pf.portfolio_summary().data
    assert summary['accountcode']['value'] == ACCOUNT
    assert summary['totalcashvalue']['amount'] == pytest.approx(CASH)
    nav = CASH + sum(r['marketValue'] for r in pf.positions2().data)
    assert summary['netliquidation']['amount'] == pytest.approx(nav, abs=0.02)
    assert summary['netliquidation-s']['amount'] + summary['netliquidation-c']['amount'] == pytest.approx(
        summary['netliquidation']['amount'], abs=0.02
    )
    assert pf.portfolio_summary(ACCOUNT).data == summary


def test_get_ledger(pf):
    ledger = pf.get_ledger().data
    assert set(ledger) == {'USD', 'BASE'}
    assert ledger['USD']['cashbalance'] == pytest.approx(CASH) and ledger['USD']['acctcode'] == ACCOUNT
    assert ledger['BASE']['realizedpnl'] == pytest.approx(400.0)
    assert ledger['BASE']['stockmarketvalue'] == pytest.approx(
        sum(r['mktValue'] for r in pf.positions().data), abs=0.02
    )


# ----------------------------------------------------------------- PortfolioAnalyst


def test_account_performance(pf):
    result = pf.account_performance(ACCOUNT, '7D')
    assert result.request['json'] == {'acctIds': [ACCOUNT], 'period': '7D'}
    data = result.data
    navs = data['nav']['data'][0]['navs']
    assert data['nd'] == 7 == len(navs) and data['included'] == [ACCOUNT]
    assert navs[-1] == pytest.approx(pf.get_ledger().data['BASE']['netliquidationvalue'], abs=0.01)
    assert data['nav']['data'][0]['startNAV']['val'] == STARTING_CASH
    assert pf.account_performance([ACCOUNT], 'YTD').data['nav']['dates'][0].endswith('0101')


def test_transaction_history(pf):
    result = pf.transaction_history(ACCOUNT, str(AAPL), 'usd', days='5')
    assert result.request['json'] == {'acctIds': [ACCOUNT], 'conids': [AAPL], 'currency': 'USD', 'days': 5}
    data = result.data
    assert [(t['type'], t['qty'], t['pr']) for t in data['transactions']] == [('Buy', 100, 180.0), ('Sell', -40, 190.0)]
    assert data['rpnl']['amt'] == '400.0000' and data['nd'] == 6
    default_days = pf.transaction_history([ACCOUNT], [IBM], 'USD')
    assert 'days' not in default_days.request['json'] and default_days.data['nd'] == 91
    assert [(t['type'], t['qty']) for t in default_days.data['transactions']] == [('Sell', -10)]


# ----------------------------------------------------------------- arguments checked before anything is sent

ACCOUNT_DEFAULTED = [
    lambda c: c.account_summary(),
    lambda c: c.signatures_and_owners(),
    lambda c: c.portfolio_account_information(),
    lambda c: c.portfolio_account_allocation(),
    lambda c: c.positions(),
    lambda c: c.positions2(),
    lambda c: c.positions_by_conid(None, AAPL),
    lambda c: c.invalidate_backend_portfolio_cache(),
    lambda c: c.portfolio_summary(),
    lambda c: c.get_ledger(),
]


@pytest.mark.parametrize('call', ACCOUNT_DEFAULTED)
def test_account_id_is_required_when_the_client_has_none(sim, call):
    with _client(sim, account_id=None) as ibkr:
        before = requests_received(sim)
        with pytest.raises(ValueError, match="'account_id'"):
            call(ibkr)
        assert requests_received(sim) == before


@pytest.mark.parametrize('call', ACCOUNT_DEFAULTED)
def test_account_id_defaults_to_the_clients(pf, call):
    result = call(pf)
    assert ACCOUNT in result.request['url']


BAD_ARGUMENTS = [
    (lambda c: c.positions(page=-1), ValueError, "'page'"),
    (lambda c: c.positions(page='first'), TypeError, "'page'"),
    (lambda c: c.positions(page=True), TypeError, "'page'"),
    (lambda c: c.positions(page=1.5), TypeError, "'page'"),
    (lambda c: c.positions(direction='up'), ValueError, "'direction'"),
    (lambda c: c.positions2(direction='A'), ValueError, "'direction'"),
    (lambda c: c.positions(period='2D'), ValueError, "'period'"),
    (lambda c: c.positions(sort=5), TypeError, "'sort'"),
    (lambda c: c.positions2(model=''), ValueError, "'model'"),
    (lambda c: c.positions(account_id=''), ValueError, "'account_id'"),
    (lambda c: c.positions_by_conid(ACCOUNT, 'AAPL'), ValueError, "'conid'"),
    (lambda c: c.positions_by_conid(ACCOUNT, None), ValueError, "'conid'"),
    (lambda c: c.position_and_contract_info(-5), ValueError, "'conid'"),
    (lambda c: c.position_and_contract_info(2.5), ValueError, "'conid'"),
    (lambda c: c.large_portfolio_subaccounts(page=-1), ValueError, "'page'"),
    (lambda c: c.portfolio_account_allocations([]), ValueError, "'account_ids'"),
    (lambda c: c.portfolio_account_allocations(['']), ValueError, "'account_ids'"),
    (lambda c: c.portfolio_account_allocations(None), ValueError, "'account_ids'"),
    (lambda c: c.portfolio_account_allocations([7]), TypeError, "'account_ids'"),
    (lambda c: c.account_performance(ACCOUNT, '2W'), ValueError, "'period'"),
    (lambda c: c.account_performance(ACCOUNT, '1d'), ValueError, "'period'"),
    (lambda c: c.account_performance([], '1D'), ValueError, "'account_ids'"),
    (lambda c: c.transaction_history(ACCOUNT, [AAPL, IBM], 'USD'), ValueError, "'conids'"),
    (lambda c: c.transaction_history(ACCOUNT, [], 'USD'), ValueError, "'conids'"),
    (lambda c: c.transaction_history(ACCOUNT, 'apple', 'USD'), ValueError, "'conids'"),
    (lambda c: c.transaction_history(ACCOUNT, AAPL, 'US'), ValueError, "'currency'"),
    (lambda c: c.transaction_history(ACCOUNT, AAPL, None), ValueError, "'currency'"),
    (lambda c: c.transaction_history(ACCOUNT, AAPL, 840), TypeError, "'currency'"),
    (lambda c: c.transaction_history(ACCOUNT, AAPL, 'USD', days=0), ValueError, "'days'"),
    (lambda c: c.transaction_history(ACCOUNT, AAPL, 'USD', days='ninety'), TypeError, "'days'"),
    (lambda c: c.transaction_history(None, AAPL, 'USD'), ValueError, "'account_ids'"),
    (lambda c: c.search_dynamic_account(''), ValueError, "'search_pattern'"),
    (lambda c: c.search_dynamic_account(None), ValueError, "'search_pattern'"),
    (lambda c: c.set_dynamic_account(1234567), TypeError, "'account_id'"),
    (lambda c: c.switch_account(''), ValueError, "'account_id'"),
    (lambda c: c.switch_account(None), ValueError, "'account_id'"),
]


@pytest.mark.parametrize('call, error, argument', BAD_ARGUMENTS)
def test_bad_arguments_are_refused_before_sending(client, sim, call, error, argument):
    before = requests_received(sim)
    with pytest.raises(error, match=argument):
        call(client)
    assert requests_received(sim) == before


def test_account_ids_cannot_change_the_route(pf, pf_sim):
    with pytest.raises(ValueError, match="'account_id'"):  # refused before anything is sent
        pf.portfolio_account_information('../../iserver/accounts')
    by_route = control(pf_sim, 'GET', 'state')['counters']['by_route']
    assert 'GET /portfolio/{accountId}/meta' not in by_route and 'GET /iserver/accounts' not in by_route
