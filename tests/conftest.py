"""Test-suite settings shared by every test module."""

from hypothesis import settings

# Property tests draw the same examples on every run and machine: a red CI is then a real
# regression, never a lucky draw, and nothing is written to a .hypothesis folder.
settings.register_profile("kmipd", derandomize=True, database=None)
settings.load_profile("kmipd")
