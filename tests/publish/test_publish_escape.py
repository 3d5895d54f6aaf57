"""Property tests for briefer.escape, and a check of escape_wikitext against
the real MediaWiki parser."""
from __future__ import annotations

import html
import re

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefer.escape import escape_html, escape_markdown, escape_wikitext
from tests.support.mediawiki import Wiki

# Report-like text with a high share of markup characters.
MARKUP = "{}[]|!<>~_='*#:;-&\\`()+$. \n\t/\"?%@^"
report_text = st.text(alphabet=st.sampled_from(MARKUP) | st.characters(codec="utf-8"), max_size=80)
plain_words = st.from_regex(r"[A-Za-z][A-Za-z0-9]*( [A-Za-z0-9]+)*", fullmatch=True)

HOSTILE = [
    "{{Delete}}", "{{{1}}}", "{{#if:x|y}}", "[[Category:X]]", "[[File:Evil.png|thumb]]",
    "[http://evil.example click]", "~~~~", "~~~~~", "<script>alert(1)</script>", "<ref>x</ref>",
    "</nowiki><nowiki>", "<!-- hidden", "__NOTOC__", "''italic'' '''bold'''", "a || b", "! h !! i",
    "{| class=x", "|}", "|-", "* item", "# item", ": indent", "; term : def", "= H =", "----", " pre",
    "[x](javascript:alert(1))", "![](http://tracker.example/p.gif)", "<http://x.example>", "`code`",
    "# heading", "1. list", "> quote", "a\nb\r\nc", "&lt;b&gt; &amp; &#123;",
]


def normalized(text: str) -> str:
    """What the escapers promise to keep: the text on one line, no control characters."""
    text = re.sub(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+", " ", text)
    return re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", text)


# -- wikitext -------------------------------------------------------------------

WIKI_SPECIAL = set("&<>[]{}|!~_='*#:")


@given(report_text)
def test_wikitext_is_lossless(text: str) -> None:
    assert html.unescape(escape_wikitext(text)) == normalized(text)


@given(report_text)
def test_wikitext_has_no_markup(text: str) -> None:
    out = escape_wikitext(text)
    bare = re.sub(r"&#\d+;", "", out)  # our own entities are the only markup left
    assert not (set(bare) & WIKI_SPECIAL)
    for seq in ("{{", "}}", "[[", "]]", "~~~", "__", "''", "<", "\n", "\r", "://"):
        assert seq not in out
    if out:
        assert out[0] not in " \t;-*#:="


@given(plain_words)
def test_wikitext_keeps_plain_words(text: str) -> None:
    assert escape_wikitext(text) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_wikitext_hostile_examples(text: str) -> None:
    out = escape_wikitext(text)
    assert html.unescape(out) == normalized(text)
    assert not set(re.sub(r"&#\d+;", "", out)) & WIKI_SPECIAL


# -- Markdown -------------------------------------------------------------------

MD_BACKSLASHED = set("\\`*_[]{}|~$")  # escaped wherever they stand
MD_LEADING = set("#+-=!>")  # escaped only at the start of a line


def md_unescape(text: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def md_bare(text: str) -> str:
    """text without its escapes: what a Markdown parser could still read as markup."""
    return re.sub(r"&(amp|lt|gt|#\d+);", "", re.sub(r"\\.", "", text))


@given(report_text)
def test_markdown_is_lossless(text: str) -> None:
    assert md_unescape(escape_markdown(text)) == normalized(text)


@given(report_text)
def test_markdown_has_no_markup(text: str) -> None:
    out = escape_markdown(text)
    bare = md_bare(out)
    assert not (set(bare) & (MD_BACKSLASHED | set("<>&")))
    assert not (out[:1] and out[0] in MD_LEADING)  # no heading, list, quote or rule
    assert "\n" not in out and "\r" not in out
    assert not re.match(r"\d+[.)]", out)  # no ordered list
    assert not out.startswith((" ", "\t"))  # no indented code


@given(plain_words)
def test_markdown_keeps_plain_words(text: str) -> None:
    assert escape_markdown(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
    ("![](http://tracker.example/p.gif)", r"\!\[\](http://tracker.example/p.gif)"),
    ("see ![](http://t.example/p.gif)", r"see !\[\](http://t.example/p.gif)"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("al-Qaryatayn (Homs)", "al-Qaryatayn (Homs)"),
    ("- not a list", r"\- not a list"),
    ("# not a heading", r"\# not a heading"),
    ("2) not a list", r"2\) not a list"),
    ("a | b", r"a \| b"),
    ("1. first", r"1\. first"),
    ("AT&T", "AT&amp;T"),
    ("line one\nline two", "line one line two"),
])
def test_markdown_examples(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


# -- HTML -----------------------------------------------------------------------

@given(st.text(max_size=80))
def test_html_is_lossless_and_inert(text: str) -> None:
    out = escape_html(text)
    assert html.unescape(out) == text
    assert not set(out) & set("<>\"'")
    assert not set(re.sub(r"&(amp|lt|gt|quot|#x27);", "", out)) & {"&"}


# -- against MediaWiki's parser -------------------------------------------------

def parse(wiki: Wiki, wikitext: str) -> dict:
    r = httpx2.post(wiki.api, data={
        "action": "parse", "text": wikitext, "contentmodel": "wikitext", "title": "Escape test",
        "prop": "text|categories|templates|links|images|externallinks",
        "pst": "1",  # signatures ~~~~ are expanded by the pre-save transform
        "disablelimitreport": "1", "format": "json", "formatversion": "2",
    }, timeout=30)
    r.raise_for_status()
    return r.json()["parse"]


def cells(rendered: str) -> list[str]:
    found = re.findall(r"<(td|li|p)>(.*?)</\1>", rendered, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split()) for _, body in found]


# Text as MediaWiki keeps it: NFC-stable characters (it normalises Unicode).
mw_text = st.text(alphabet=st.sampled_from(MARKUP) | st.characters(min_codepoint=0x20, max_codepoint=0x7E)
                  | st.sampled_from("éüßЖж中文حلب"), min_size=1, max_size=60)


@pytest.mark.integration
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mw_text)
def test_mediawiki_renders_escaped_text_literally(mediawiki: Wiki, text: str) -> None:
    esc = escape_wikitext(text)
    # The same text in a table cell, a list item and a paragraph.
    wikitext = f'{{| class="wikitable"\n|-\n| {esc} || x\n|}}\n* {esc}\n\n{esc}\n'
    parsed = parse(mediawiki, wikitext)
    expected = " ".join(normalized(text).split())
    got = cells(parsed["text"])
    assert got == [expected, "x", expected, expected] if expected else True
    for key in ("categories", "templates", "links", "images", "externallinks"):
        assert parsed[key] == [], key


@pytest.mark.integration
@pytest.mark.parametrize("text", HOSTILE)
def test_mediawiki_hostile_examples(mediawiki: Wiki, text: str) -> None:
    test_mediawiki_renders_escaped_text_literally.hypothesis.inner_test(mediawiki, text)  # type: ignore[attr-defined]
