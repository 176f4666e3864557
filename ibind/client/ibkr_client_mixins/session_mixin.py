"""SessionMixin: the session category of the IBKR Client Portal Web API."""

from __future__ import annotations


class SessionMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#session"""
