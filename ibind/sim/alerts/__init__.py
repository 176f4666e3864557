"""Alerts: the account's price/time alerts and the mobile trading assistant (MTA) alert.

``state.AlertBook`` holds them and watches the simulated market: an active price alert fires when the
price path crosses its value (sampled between requests, as working orders are), a time alert when the
simulated clock passes its time; each firing is an FYI notification (``ibind.sim.fyi``). ``routes`` serves
``/iserver/account/{accountId}/alert(s)``, ``/iserver/account/alert/{alertId}`` and ``/iserver/account/mta``.
See docs/simulator/alerts_fyi.md.
"""
