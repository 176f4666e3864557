"""Market data category (client: ``marketdata_mixin.py``): snapshots, history, regulatory snapshots.

``state`` owns the subscribed feeds (the "first call primes the feed" behaviour); ``fields`` computes the
snapshot field values; ``routes`` serves the endpoints.
"""
