"""Fixtures for the publishing tests: a real MediaWiki (see tests/support)."""
import pytest

from tests.support.mediawiki import mediawiki  # noqa: F401  (session fixture)


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml on main; repeated so this folder runs alone.
    config.addinivalue_line(
        "markers", "integration: uses a real component (git, MediaWiki, a local HTTP server) started by the test"
    )
