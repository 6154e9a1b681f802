"""Helpers and pytest plugins shared by the test suite.

Test modules and conftest files import what they share from here, never from one another.
"""
