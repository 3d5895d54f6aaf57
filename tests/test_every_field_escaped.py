"""Issue 12, item 7: every field that reaches output is escaped, in both targets.

A day whose every string came from a hostile report or model: ids stay
plain, everything else carries markup that would act if it were not escaped.
"""

import re

from pydantic import BaseModel

from briefer.models import FramingRow, Notice, RejectedClaim, Takeaway
from briefer.render import render_ledger, render_ledger_wikitext, render_markdown, render_wikitext
from tests.factories import claim, figure, make_day, matter, origin

EVIL = "<script>x()</script>{{T}}[[Category:Z]]~~~~[l](javascript:x)![i](http://t/p.png)|"
# Fields that are ids, dates, enums or numbers, or briefer's own words: not report text.
KEEP = {"id", "claim_id", "origin", "position", "stance", "modality", "status", "conflict", "role", "date_source",
        "sentences", "path", "severity", "stage", "matter_id", "frames", "overtaken_by", "refs", "bottom_line_by", "briefer_version", "generated_at"}


def poison(value, name=""):
    if isinstance(value, BaseModel):
        return value.model_copy(update={k: poison(getattr(value, k), k) for k in type(value).model_fields})
    if isinstance(value, str):
        return value if name in KEEP else f"{value} {EVIL}"
    if isinstance(value, list):
        return [poison(v, name) for v in value]
    if isinstance(value, tuple):
        return tuple(poison(v, name) for v in value)
    if isinstance(value, dict):
        return {(k if name != "answer_sources" else f"{k} {EVIL}"): poison(v, name) for k, v in value.items()}
    return value


def hostile_day():
    claims = [
        claim(id="C1", report_id="r1", speaker="A", via=["Wire"], figures=[figure(41, "people", as_of="today")]),
        claim(id="C2", report_id="r2", speaker="B", published=None),
    ]
    matters = [matter("M1", [("C1", "O1", "P1"), ("C2", "O2", "P2", "supports", "C1")], frames={"P2": None})]
    day = make_day(claims, matters, [origin("O1", "A", "camp a"), origin("O2", "B", "camp b")])
    day = day.model_copy(update={
        "framing": [FramingRow(actor="actor", terms=[("outlet", "term"), ("other", "word")])],
        "notes": [Notice(stage="ingest", subject="file.txt", message="skipped")],
        "rejected": [RejectedClaim(report_id="r1", statement="s", quote="q", speaker="sp", reason="why")],
        "takeaways": [Takeaway(text="the bottom line", refs=["M1"])],
        "answer_sources": {"replay of x": 2}, "profile": "profile", "mode": "replay of x", "model": "model",
    })
    return poison(day)


def test_no_field_injects_markup_into_the_markdown_pages():
    from markdown_it import MarkdownIt

    day = hostile_day()
    assert EVIL in day.claims[0].quote and EVIL in day.matters[0].question  # the poison reached the model
    for page in (render_markdown(day, ledger="day.ledger.md"), render_ledger(day)):
        html = MarkdownIt("commonmark").enable("table").render(page)
        assert "<script" not in html and "<img" not in html and 'href="javascript:' not in html
        assert "http://t/p.png" not in re.findall(r'(?:src|href)="([^"]*)"', html).__str__()
        for table in re.findall(r"<table>.*?</table>", html, re.S):
            rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
            widths = {row.count("<th") + row.count("<td") for row in rows}
            assert len(widths) == 1, widths  # a report's pipe never adds a column


def test_no_field_injects_markup_into_the_wiki_pages():
    day = hostile_day()
    for page in (render_wikitext(day, ledger="Sitrep/Ledger"), render_ledger_wikitext(day)):
        ours = re.sub(r"\[\[(Sitrep/Ledger)?#[a-z0-9]+\|[\w ]+\]\]", " ", page)
        for raw in ("<script>", "{{T}}", "[[Category:Z]]", "~~~~", "[["):
            assert raw not in ours, raw
