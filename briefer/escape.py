"""Escaping of text that came from news reports, per output format.

Report text is untrusted: it can carry wiki markup, Markdown or HTML that
would change the page (templates, categories, signatures, scripts, tracking
images). Each function turns it into one line of literal text, safe inside a
paragraph, a list item or a table cell of its format.
"""
from __future__ import annotations

import html
import re

__all__ = ["escape_wikitext", "escape_markdown", "escape_html"]

# Line breaks of any kind would end a list item or table cell: they become one space.
_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
# Other control characters are invalid in XML/HTML output; drop them.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

# Encoded everywhere: these form templates {{ }}, parser functions, params {{{ }}},
# links [[ ]] and [http ...], tags and comments < >, table cells | ! {| |},
# signatures ~~~, magic words __X__, bold/italic '', headings =, lists * # :,
# entities & (so "&lt;" in a report stays literal), and free links (http:).
# Numeric entities rather than <nowiki>, which the input itself could close.
_WIKI_ALWAYS = frozenset("&<>[]{}|!~_='*#:")
# Only markup at the start of a line: definition lists ; and rules ----.
_WIKI_LEADING = frozenset(";-")


def _one_line(text: str) -> str:
    return _CONTROLS.sub("", _BREAKS.sub(" ", text))


def _entity(ch: str) -> str:
    return f"&#{ord(ch)};"


def escape_wikitext(text: str) -> str:
    """Literal text for a wikitext paragraph, list item or table cell."""
    line = _one_line(text)
    out = "".join(_entity(c) if c in _WIKI_ALWAYS else c for c in line)
    # A leading space makes a <pre> block; ; and - start lists and rules.
    if line and (line[0] in _WIKI_LEADING or line[0].isspace()):
        out = _entity(line[0]) + out[1:]
    return out


# Escaped wherever they stand: emphasis * _, links and images [ ] (with
# brackets escaped, "(...)" and "!" can no longer form a link or an image),
# code `, tables |, strikethrough ~, math $, braces { } for the templates some
# wiki engines add, and the backslash itself. Other punctuation ("-", "(",
# ".") only means something at the start of a line, so it is left readable.
_MD_BACKSLASH = frozenset("\\`*_[]{}|~$")
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}  # raw HTML and autolinks <...>
# At the start of a line: headings #, lists - + *, quotes >, setext =, and
# ordered lists "1." / "1)".
_MD_LEADING = re.compile(r"^([#+=!-])|^(\d+)([.)])")


def escape_markdown(text: str) -> str:
    """Literal text for a GitHub-flavoured Markdown paragraph or table cell."""
    line = _one_line(text)
    parts = []
    for c in line:
        if c in _MD_ENTITY:
            parts.append(_MD_ENTITY[c])
        elif c in _MD_BACKSLASH:
            parts.append("\\" + c)
        else:
            parts.append(c)
    out = "".join(parts)
    out = _MD_LEADING.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), out)
    # Leading spaces make an indented code block.
    if line and line[0].isspace():
        out = _entity(line[0]) + out[1:]
    return out


def escape_html(text: str) -> str:
    """Literal text for HTML element content or a quoted attribute value."""
    return html.escape(text, quote=True)
