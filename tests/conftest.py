"""Test-suite settings shared by every test module."""

from hypothesis import settings

# Property tests draw the same examples on every run and machine: a red CI is then a real
# regression, never a lucky draw, and nothing is written to a .hypothesis folder.
settings.register_profile("kmipd", derandomize=True, database=None)
settings.load_profile("kmipd")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path_factory, monkeypatch):
    """`kmipd run` keeps extractions in a user cache by default: tests keep theirs apart."""
    monkeypatch.setenv("KMIPD_CACHE", str(tmp_path_factory.mktemp("kmipd-cache")))
