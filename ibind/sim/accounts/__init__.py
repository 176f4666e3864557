"""Accounts category (client: ``accounts_mixin.py``): the account ledger and the account figures.

``ledger`` owns each account's cash, positions and executions (shared by orders and portfolio);
``figures`` derives summaries, ledgers, PnL and allocation from them; ``routes`` serves /iserver/account...,
/portfolio/{accountId}/summary and related endpoints.
"""
