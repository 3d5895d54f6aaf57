"""Fixtures for the publishing tests: a real MediaWiki (see tests/support)."""
from tests.support.mediawiki import mediawiki  # noqa: F401  (session fixture)
