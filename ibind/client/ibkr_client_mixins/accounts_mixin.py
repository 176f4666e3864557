"""AccountsMixin: the accounts category of the IBKR Client Portal Web API."""

from __future__ import annotations


class AccountsMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#accounts"""
