"""MediaWikiPublisher against a real MediaWiki (tests/support/mediawiki.py)."""
from __future__ import annotations

import html
import re
import socket
from typing import Any

import httpx2
import pytest

from briefer.escape import escape_wikitext
from briefer.publish import Page, PublishError, publisher_for
from briefer.publish.mediawiki import MediaWikiPublisher
from tests.support.mediawiki import Wiki, free_port

pytestmark = pytest.mark.integration

HOSTILE = (
    "{{Delete}} [[Category:X]] <script>alert(1)</script> ~~~~ [[File:Evil.png]] "
    "[http://evil.example click] http://bare.example __NOTOC__ {{{1}}} {{#if:1|yes|no}} "
    "<nowiki>x</nowiki> <!-- c --> ''bold'' &lt; a || b !! c |} {|"
)


@pytest.fixture
def wiki(mediawiki: Wiki, monkeypatch: pytest.MonkeyPatch) -> Wiki:
    monkeypatch.setenv("BRIEFER_WIKI_USER", mediawiki.bot_user)
    monkeypatch.setenv("BRIEFER_WIKI_PASSWORD", mediawiki.bot_password)
    return mediawiki


@pytest.fixture
def names(request: pytest.FixtureRequest) -> dict[str, str]:
    # One wiki serves the whole session: each test gets its own page names.
    stem = re.sub(r"[\W_]+", " ", request.node.name).strip().title()
    return {"page_title": f"{stem} {{day}}", "index_title": f"{stem} Index"}


def api(wiki: Wiki, **params: Any) -> dict[str, Any]:
    r = httpx2.get(wiki.api, params={**params, "format": "json", "formatversion": "2"}, timeout=30)
    r.raise_for_status()
    return r.json()


def page_text(wiki: Wiki, title: str) -> str | None:
    info = api(wiki, action="query", prop="revisions", titles=title, rvprop="content", rvslots="main")
    p = info["query"]["pages"][0]
    return None if p.get("missing") else p["revisions"][0]["slots"]["main"]["content"]


def revisions(wiki: Wiki, title: str) -> int:
    info = api(wiki, action="query", prop="revisions", titles=title, rvprop="ids", rvlimit="max")
    return len(info["query"]["pages"][0].get("revisions", []))


def sample(day: str, claim: str = "Rebels say they entered Hama; the army denies it.") -> Page:
    wikitext = "\n".join([
        f"== Situation on {day} ==",
        f"Overview: {escape_wikitext('Fighting continued near Homs.')}<ref>{escape_wikitext('Report 001')}</ref>",
        "",
        "=== Contested claims ===",
        '{| class="wikitable"',
        "! Claim !! Sources",
        "|-",
        f"| {escape_wikitext(claim)} || {escape_wikitext('SANA; Reuters')}",
        "|}",
        "",
        "== References ==",
        "<references />",
    ])
    return Page(day=day, title=f"Sitrep {day}", markdown=f"# Sitrep {day}\n", wikitext=wikitext,
                summary=f"Sitrep for {day}")


def visible_text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_post_twice_makes_one_revision(wiki: Wiki, names: dict[str, str]) -> None:
    pub = publisher_for(f"mediawiki:{wiki.api}", names)
    first = pub.publish(sample("2024-12-07"))
    assert first.changed and first.detail.startswith("revision ")
    assert first.location == names["page_title"].format(day="2024-12-07")
    second = pub.publish(sample("2024-12-07"))
    assert not second.changed
    assert second.detail.startswith("no change")
    assert revisions(wiki, first.location) == 1
    assert revisions(wiki, names["index_title"]) == 1


def test_page_title_defaults_to_page_title_field(wiki: Wiki) -> None:
    result = publisher_for(f"mediawiki:{wiki.api}", {"index_title": "Default Title Index"}).publish(
        sample("2023-01-02")
    )
    assert result.location == "Sitrep 2023-01-02"
    assert page_text(wiki, "Sitrep 2023-01-02") is not None


def test_rendered_page_has_wikitable_with_claims(wiki: Wiki, names: dict[str, str]) -> None:
    title = publisher_for(f"mediawiki:{wiki.api}", names).publish(sample("2024-12-07")).location
    parsed = api(wiki, action="parse", page=title, prop="text")["parse"]["text"]
    tables = re.findall(r'<table class="wikitable">(.*?)</table>', parsed, re.S)
    assert len(tables) == 1
    assert "Rebels say they entered Hama; the army denies it." in visible_text(tables[0])
    assert 'class="references"' in parsed  # Cite rendered the <ref>


def test_report_markup_renders_as_literal_text(wiki: Wiki, names: dict[str, str]) -> None:
    hostile_page = sample("2024-12-07", claim=HOSTILE)
    wikitext = hostile_page.wikitext.replace(
        "<references />", f"* {escape_wikitext(HOSTILE)}\n{escape_wikitext(HOSTILE)}<ref>{escape_wikitext(HOSTILE)}</ref>\n<references />"
    )
    title = publisher_for(f"mediawiki:{wiki.api}", names).publish(
        Page(hostile_page.day, hostile_page.title, "", wikitext, "hostile")
    ).location
    parsed = api(
        wiki, action="parse", page=title,
        prop="text|categories|templates|links|images|externallinks",
    )["parse"]
    expected = " ".join(HOSTILE.split())
    text = visible_text(parsed["text"])
    # table cell, list item, paragraph and footnote
    assert text.count(expected) == 4
    assert "<script" not in parsed["text"]
    assert parsed["categories"] == []
    assert parsed["templates"] == []
    assert parsed["links"] == []
    assert parsed["images"] == []
    assert parsed["externallinks"] == []
    stored = page_text(wiki, title) or ""
    assert "Admin" not in stored  # ~~~~ was not turned into a signature
    tables = re.findall(r'<table class="wikitable">(.*?)</table>', parsed["text"], re.S)
    assert len(tables) == 1 and len(re.findall(r"<td", tables[0])) == 2  # the || in text made no cell


def test_index_lists_days_newest_first(wiki: Wiki, names: dict[str, str]) -> None:
    pub = publisher_for(f"mediawiki:{wiki.api}", names)
    for day in ("2024-12-05", "2024-12-07", "2024-12-06"):
        pub.publish(sample(day))
    index = page_text(wiki, names["index_title"]) or ""
    days = re.findall(r"^\* \[\[[^|\]]+\|(\d{4}-\d{2}-\d{2})\]\]$", index, re.M)
    assert days == ["2024-12-07", "2024-12-06", "2024-12-05"]
    links = api(wiki, action="parse", page=names["index_title"], prop="links")["parse"]["links"]
    assert {link["title"] for link in links} == {names["page_title"].format(day=d) for d in days}


def test_index_keeps_text_people_wrote(wiki: Wiki, names: dict[str, str]) -> None:
    pub = publisher_for(f"mediawiki:{wiki.api}", names)
    other = MediaWikiPublisher(wiki.api, {"user_env": "OTHER_USER", "password_env": "OTHER_PASSWORD"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OTHER_USER", wiki.other_user)
        mp.setenv("OTHER_PASSWORD", wiki.other_password)
        other._ensure_login()
        other._save(names["index_title"], lambda old: "Daily reports, newest first.", "intro")
    pub.publish(sample("2024-12-07"))
    index = page_text(wiki, names["index_title"]) or ""
    assert index.startswith("Daily reports, newest first.\n\n<!-- briefer:index")
    assert "|2024-12-07]]" in index


def test_dry_run_previews_without_editing(wiki: Wiki, names: dict[str, str]) -> None:
    pub = publisher_for(f"mediawiki:{wiki.api}", names)
    preview = pub.publish(sample("2024-12-07"), dry_run=True)
    title = names["page_title"].format(day="2024-12-07")
    assert preview.changed
    assert preview.detail == f"would create {title!r} (12 lines); would create {names['index_title']!r} (3 lines)"
    assert page_text(wiki, title) is None

    pub.publish(sample("2024-12-07"))
    changed = pub.publish(sample("2024-12-07", claim="Hama has fallen."), dry_run=True)
    assert changed.detail == f"would update {title!r} (+1 -1 lines)"
    same = pub.publish(sample("2024-12-07"), dry_run=True)
    assert (same.changed, same.detail) == (False, "no change")
    assert revisions(wiki, title) == 1


def test_bad_password(wiki: Wiki, names: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFER_WIKI_PASSWORD", "wrong-" + wiki.bot_password[6:])
    with pytest.raises(PublishError) as err:
        publisher_for(f"mediawiki:{wiki.api}", names).publish(sample("2024-12-07"))
    message = str(err.value)
    assert message.startswith(f"mediawiki:{wiki.api}: login as Admin@briefer failed")
    assert wiki.bot_password[6:] not in message and "\n" not in message


def test_missing_credentials(wiki: Wiki, names: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRIEFER_WIKI_PASSWORD")
    with pytest.raises(PublishError, match="set BRIEFER_WIKI_USER and BRIEFER_WIKI_PASSWORD"):
        publisher_for(f"mediawiki:{wiki.api}", names).publish(sample("2024-12-07"))


def test_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFER_WIKI_USER", "Admin@briefer")
    monkeypatch.setenv("BRIEFER_WIKI_PASSWORD", "x" * 32)
    url = f"http://127.0.0.1:{free_port()}/api.php"
    with pytest.raises(PublishError) as err:
        publisher_for(f"mediawiki:{url}", {"timeout": "5"}).publish(sample("2024-12-07"))
    assert str(err.value) == f"mediawiki:{url}: cannot reach server (ConnectError)"


@pytest.mark.parametrize(("path", "problem"), [
    ("index.php", "HTTP 404 from the API; is this the api.php URL?"),
    ("opensearch_desc.php", "answer is not JSON; is this the api.php URL?"),
])
def test_not_an_api_url(wiki: Wiki, path: str, problem: str) -> None:
    url = wiki.api.replace("api.php", path)
    with pytest.raises(PublishError) as err:
        publisher_for(f"mediawiki:{url}").publish(sample("2024-12-07"))
    assert str(err.value) == f"mediawiki:{url}: {problem}"


def test_rejected_edit(wiki: Wiki) -> None:
    # The bot password has no editinterface grant: MediaWiki refuses the edit.
    settings = {"page_title": "MediaWiki:Sitrep {day}", "index_title": "Rejected Edit Index"}
    with pytest.raises(PublishError) as err:
        publisher_for(f"mediawiki:{wiki.api}", settings).publish(sample("2024-12-07"))
    assert re.fullmatch(
        rf"mediawiki:{re.escape(wiki.api)}: edit of 'MediaWiki:Sitrep 2024-12-07' rejected: [\w-]+: .+",
        str(err.value),
    )


def test_stale_token_is_refreshed(wiki: Wiki, names: dict[str, str]) -> None:
    pub = publisher_for(f"mediawiki:{wiki.api}", names)
    assert isinstance(pub, MediaWikiPublisher)
    pub.publish(sample("2024-12-07"))
    pub._csrf = "0123456789abcdef0123456789abcdef+\\"  # a token from an old session
    result = pub.publish(sample("2024-12-07", claim="Hama has fallen."))
    assert result.changed
    assert revisions(wiki, result.location) == 2


def test_edit_conflict_is_reapplied(wiki: Wiki, names: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two publishers post different days at once; both days end in the index."""
    pub = publisher_for(f"mediawiki:{wiki.api}", names)
    assert isinstance(pub, MediaWikiPublisher)
    pub.publish(sample("2024-12-05"))

    monkeypatch.setenv("OTHER_USER", wiki.other_user)
    monkeypatch.setenv("OTHER_PASSWORD", wiki.other_password)
    other = MediaWikiPublisher(wiki.api, {**names, "user_env": "OTHER_USER", "password_env": "OTHER_PASSWORD"})
    real_read = pub._read
    index_reads = []

    def read_then_other_edits(title: str):  # type: ignore[no-untyped-def]
        current = real_read(title)
        if title == names["index_title"]:
            index_reads.append(title)
            if len(index_reads) == 1:
                other.publish(sample("2024-12-06"))  # lands between our read and our edit
        return current

    monkeypatch.setattr(pub, "_read", read_then_other_edits)
    result = pub.publish(sample("2024-12-07"))
    assert result.changed
    assert len(index_reads) == 2  # conflict detected, index re-read and re-applied
    index = page_text(wiki, names["index_title"]) or ""
    assert re.findall(r"\|(\d{4}-\d{2}-\d{2})\]\]", index) == ["2024-12-07", "2024-12-06", "2024-12-05"]
    history = api(wiki, action="query", prop="revisions", titles=names["index_title"], rvprop="user", rvlimit="max")
    users = [r["user"] for r in history["query"]["pages"][0]["revisions"]]
    assert users == ["Admin", "Other", "Admin"]


def test_dry_run_without_credentials_reads_anonymously(wiki: Wiki, names: dict[str, str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    publisher_for(f"mediawiki:{wiki.api}", names).publish(sample("2024-12-07"))
    monkeypatch.delenv("BRIEFER_WIKI_USER")
    monkeypatch.delenv("BRIEFER_WIKI_PASSWORD")
    preview = publisher_for(f"mediawiki:{wiki.api}", names).publish(sample("2024-12-08"), dry_run=True)
    assert preview.detail.endswith(f"would update {names['index_title']!r} (+1 -0 lines)")


def test_silent_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFER_WIKI_USER", "Admin@briefer")
    monkeypatch.setenv("BRIEFER_WIKI_PASSWORD", "x" * 32)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api.php"
        with pytest.raises(PublishError) as err:
            publisher_for(f"mediawiki:{url}", {"timeout": "1"}).publish(sample("2024-12-07"))
    assert str(err.value) == f"mediawiki:{url}: no answer within 1s"
