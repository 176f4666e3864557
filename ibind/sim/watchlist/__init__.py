"""Watchlist category (client: ``watchlist_mixin.py``): create, list, read and delete watchlists.

``state`` owns the stored watchlists; ``routes`` serves /iserver/watchlist(s).
"""
