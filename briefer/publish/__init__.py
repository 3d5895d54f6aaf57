"""Publishing layer: posts a rendered sitrep to a wiki.

Targets are strings so they can come straight from the command line:
``git:URL_OR_PATH`` for git-backed wikis, ``mediawiki:API_URL`` for MediaWiki.
"""
from __future__ import annotations

import re

from briefer.redact import scrub
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Page", "PublishResult", "PublishError", "Publisher", "publisher_for"]


@dataclass(frozen=True)
class Page:
    day: str  # "2024-12-07"
    title: str  # e.g. "Sitrep 2024-12-07"
    markdown: str  # rendered Markdown sitrep (git-backed wikis)
    wikitext: str  # rendered wikitext sitrep (MediaWiki), already escaped
    summary: str  # edit summary / commit message
    # The companion ledger page. The brief links to it through LEDGER_LINK,
    # which each publisher replaces with the ledger's real name there.
    ledger_markdown: str = ""
    ledger_wikitext: str = ""

    def brief_markdown(self, ledger_name: str) -> str:
        return self.markdown.replace(LEDGER_LINK, ledger_name)

    def brief_wikitext(self, ledger_title: str) -> str:
        return self.wikitext.replace(LEDGER_LINK, ledger_title)


# Stands for the ledger's name in a rendered brief. Escaping drops control
# characters from report text, so no report can contain it.
LEDGER_LINK = "\x1fledger\x1f"


@dataclass(frozen=True)
class PublishResult:
    target: str  # e.g. "git:/path" or "mediawiki:http://..."
    location: str  # file path in repo, or page title
    changed: bool  # False when identical content was re-posted
    detail: str  # one human line: commit sha, revision id, or dry-run preview


class PublishError(Exception):
    """One-line failure that names the target; never carries a secret."""

    def __init__(self, message: str) -> None:
        # Multi-line tool output would break the one-line contract; keep the gist.
        super().__init__(scrub(" ".join(message.split())))


class Publisher(Protocol):
    def publish(self, page: Page, *, dry_run: bool = False) -> PublishResult: ...


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_day(target: str, day: str) -> str:
    # The day ends up in file paths and page titles: only accept ISO dates.
    if not _DAY.fullmatch(day):
        raise PublishError(f"{target}: day {day!r} is not YYYY-MM-DD")
    return day


def seconds(target: str, value: str) -> float:
    """A timeout setting; a bad one is a PublishError, not a ValueError."""
    try:
        result = float(value)
    except ValueError:
        result = -1.0
    if not result > 0:
        raise PublishError(f"{target}: timeout {value!r} is not a positive number of seconds")
    return result


def publisher_for(target: str, settings: Mapping[str, str] | None = None) -> Publisher:
    """Returns the publisher for ``git:...`` or ``mediawiki:...``."""
    settings = dict(settings or {})
    kind, sep, where = target.partition(":")
    if not sep or not where:
        raise PublishError(f"{scrub(target)}: unknown target (want git:URL_OR_PATH or mediawiki:API_URL)")
    if kind == "git":
        from briefer.publish.git import GitWikiPublisher

        return GitWikiPublisher(where, settings)
    if kind == "mediawiki":
        from briefer.publish.mediawiki import MediaWikiPublisher

        return MediaWikiPublisher(where, settings)
    raise PublishError(f"{scrub(target)}: unknown target kind {kind!r} (want git: or mediawiki:)")
