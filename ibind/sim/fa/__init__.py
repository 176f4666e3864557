"""Financial Advisor tools: allocation groups and presets (``/iserver/account/allocation/...``) and model
portfolios (``/fa/model/...``, ``/fa/fa-preset/...``).

Both work on the advisor structure of ``financial_advisor=True`` (a master account over sub-accounts, see
docs/simulator/portfolio_accounts.md); without it the routes answer the gateway's 400 for a non-advisor.
``state.FaState`` (``gw.fa``) splits a quantity across a group's sub-accounts by the group's method (orders
placed for a group fill that way) and invests model targets into sub-accounts by booking fills in them.
See docs/simulator/fa.md.
"""
