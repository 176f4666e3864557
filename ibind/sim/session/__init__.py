"""Session category (client: ``session_mixin.py`` and ``session_lifecycle.py``): auth status, tickle, logout.

``state`` owns the login and brokerage-session levels, their expiry and competing sessions; ``routes`` serves
the endpoints.
"""
