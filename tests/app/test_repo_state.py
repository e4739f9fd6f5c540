"""Tests do not depend on what `just demo` leaves in the repository's var/."""

from __future__ import annotations

from tests.conftest import REPO


def test_offline_docs_are_not_read_from_the_repos_var(client, settings) -> None:
    """`just demo` builds var/docs_bundle, which turns every doc link into an offline one;
    Django tests point the docs elsewhere (tests/conftest.py), so their links do not change."""
    assert not settings.INSPECTOR_DOCS_BUNDLE_DIR.is_relative_to(REPO / "var")
