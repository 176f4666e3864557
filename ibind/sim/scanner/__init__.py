"""Scanner category (client: ``scanner_mixin.py``): iserver and HMDS market scanners.

``routes`` serves the scanner parameters and runs the scans over the engine's universe.
"""
