"""Lever's API over HTTP: the Data API client, OAuth, errors, pacing and environments.

No Flask and no database here: this package could be published on its own.
"""
