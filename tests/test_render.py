import json
import re

import pytest
from pydantic import ValidationError

from briefer.models import Day, Takeaway
from briefer.render import render_json, render_ledger, render_ledger_wikitext, render_markdown, render_wikitext
from tests.factories import claim, make_day, matter, origin

HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) ![](http://tracker/x.png) {{Delete}} [[Category:X]] | pipe"


@pytest.fixture
def disputed_day():
    claims = [
        claim(id="C1", report_id="r1", speaker="Water authority", statement="The water authority said the dam held.", quote="the dam held through the night"),
        claim(id="C2", report_id="r2", speaker="Residents' committee", statement="Residents said the dam broke.", quote="the dam broke before dawn"),
        claim(id="C3", report_id="r3", speaker="The authority", statement="The authority repeated that the dam held.", quote="the dam held, the authority said"),
    ]
    matters = [matter("M1", [("C1", "O1", "P1"), ("C2", "O2", "P2"), ("C3", "O1", "P1")], question="Did the dam hold?")]
    origins = [origin("O1", "Water authority", "government", ["Water authority", "The authority"]), origin("O2", "Residents' committee", "residents")]
    return make_day(claims, matters, origins)


BRIEF_SECTIONS = ["Bottom line", "Disputes", "Key developments", "Key figures", "Earlier reporting overtaken", "Sources", "Processing notes"]
LEDGER_SECTIONS = ["Matters", "Claims", "Origins", "Framing", "Sources", "Processing notes"]


def test_the_brief_and_the_ledger_have_their_sections_in_both_formats(disputed_day):
    def sections(text, mark):
        return [line.strip("= ").removeprefix("## ") for line in text.splitlines() if line.startswith(mark)]

    assert sections(render_markdown(disputed_day), "## ") == BRIEF_SECTIONS
    assert sections(render_wikitext(disputed_day), "== ") == BRIEF_SECTIONS
    assert sections(render_ledger(disputed_day), "## ") == LEDGER_SECTIONS
    assert sections(render_ledger_wikitext(disputed_day), "== ") == LEDGER_SECTIONS


def test_a_dispute_shows_each_side_once_with_one_quote(disputed_day):
    section = render_markdown(disputed_day, ledger="day.ledger.md").split("## Disputes")[1].split("## Key developments")[0]
    assert "**Did the dam hold?** (contradiction, 2 independent origins) · [M1](day.ledger.md#m1)" in section
    assert "says *answer P1*" in section and "says *answer P2*" in section
    assert "“the dam held through the night” [C1](day.ledger.md#c1)" in section and "C3" not in section  # one quote per origin


def test_takeaways_cite_their_evidence(disputed_day):
    (first, *_) = disputed_day.takeaways
    assert first.refs[0] == "M1" and "C1" in first.refs
    assert "([M1](day.ledger.md#m1)" in render_markdown(disputed_day, ledger="day.ledger.md").split("## Bottom line")[1].split("##")[0]


def test_without_a_ledger_ids_are_plain_text(disputed_day):
    assert "](" not in render_markdown(disputed_day).split("## Sources")[0]


def test_a_long_day_is_cut_to_its_budget_and_a_short_one_is_not(disputed_day):
    from briefer.render import SHAPES, brief_shape, visible_words, word_budget

    assert brief_shape(disputed_day) == SHAPES[0] and visible_words(render_markdown(disputed_day)) <= word_budget(disputed_day)
    assert visible_words("| a | [M1](x.md#m1) **bold** |") == 3


def test_an_uncited_takeaway_cannot_exist():
    with pytest.raises(ValidationError, match="must cite"):
        Takeaway(text="Something happened.", refs=[])


def test_a_takeaway_citing_an_unknown_id_is_refused(disputed_day):
    data = json.loads(render_json(disputed_day))
    data["takeaways"][0]["refs"] = ["C999"]
    with pytest.raises(ValidationError, match="unknown ids"):
        Day.model_validate(data)


def test_report_markup_and_model_text_render_as_literal_text():
    day = make_day([claim(id="C1", statement=HOSTILE, quote=HOSTILE, speaker="x", matter=HOSTILE, position=HOSTILE)])
    markdown = render_markdown(day)
    assert "<script>" not in markdown
    assert not re.search(r"(?<!\\)\]\(javascript:", markdown) and not re.search(r"(?<!\\)!\[", markdown)
    assert "[[Category:X]]" not in markdown and "{{Delete}}" not in markdown
    for line in render_ledger(day).splitlines():
        if line.startswith('| <a id="c1"></a>C1 |'):
            assert line.count(" | ") == 6  # the report's pipe did not add a column
            break
    else:
        raise AssertionError("no ledger row for C1")


def test_json_twin_round_trips(disputed_day):
    assert Day.model_validate_json(render_json(disputed_day)) == disputed_day


def test_empty_sections_say_so():
    markdown = render_markdown(make_day([claim(id="C1", statement="A statement was made.")]))
    assert "No contested matters in the day's reports." in markdown
    assert "No earlier reporting was overtaken." in markdown


def test_a_dispute_shows_the_parties_not_the_outlets_commentary():
    from briefer.render import main_sides

    claims = [
        claim(id="C1", report_id="r1", speaker="Rebel command"),
        claim(id="C2", report_id="r2", speaker="Ministry"), claim(id="C3", report_id="r3", speaker="Agency"),
        *(claim(id=f"C{n}", report_id=f"r{n}", outlet=f"Outlet {n}", speaker=f"Outlet {n}") for n in (4, 5, 6)),
    ]
    members = [("C1", "O1", "P1"), ("C2", "O2", "P2"), ("C3", "O3", "P2"), ("C4", "O4", "P3"), ("C5", "O5", "P3"), ("C6", "O6", "P3")]
    origins = [origin("O1", "Rebel command", "rebels"), origin("O2", "Ministry", "government"), origin("O3", "Agency", "government"),
               *(origin(f"O{n}", f"Outlet {n}", "media") for n in (4, 5, 6))]
    day = make_day(claims, [matter("M1", members)], origins)
    by_id = {c.id: c for c in day.claims}
    chosen = main_sides(day.matters[0], by_id, {o.id: o for o in day.origins})
    assert [side.position for side, _ in chosen] == ["answer P1", "answer P2"]


@pytest.fixture
def two_disputes():
    """Two matters of two positions each, over four reports: rows and list items that must each keep their line."""
    claims = [
        claim(id="C1", report_id="r1", speaker="Water authority", statement="The authority said the dam held.", quote="the dam held through the night"),
        claim(id="C2", report_id="r2", speaker="Residents' committee", statement="Residents said the dam broke.", quote="the dam broke before dawn"),
        claim(id="C3", report_id="r3", speaker="Water authority", statement="The authority said 40 homes flooded.", quote="forty homes were flooded"),
        claim(id="C4", report_id="r4", speaker="Residents' committee", statement="Residents said 300 homes flooded.", quote="three hundred homes flooded"),
    ]
    matters = [
        matter("M1", [("C1", "O1", "P1"), ("C2", "O2", "P2")], question="Did the dam hold?"),
        matter("M2", [("C3", "O1", "P1"), ("C4", "O2", "P2")], question="How many homes flooded?"),
    ]
    return make_day(claims, matters, [origin("O1", "Water authority", "government"), origin("O2", "Residents' committee", "residents")])


def test_every_list_item_row_and_heading_keeps_its_own_line_as_a_reader_parses_it(two_disputes):
    """A template line ending in a block tag loses its newline to trim_blocks: positions ran together, a
    matter's title became part of the list above it, and wiki table rows merged (found in the sample day's pages)."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    for text, sections in ((render_markdown(two_disputes, ledger="day.ledger.md"), BRIEF_SECTIONS), (render_ledger(two_disputes), LEDGER_SECTIONS)):
        tokens = parser.parse(text)
        assert [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"] == sections
    ledger = parser.parse(render_ledger(two_disputes))
    matters = ledger[: next(i for i, t in enumerate(ledger) if t.type == "heading_open" and ledger[i + 1].content == "Claims")]
    items = [matters[i + 2].content for i, t in enumerate(matters) if t.type == "list_item_open"]
    assert [item.split(":")[0] for item in items] == ["P1", "P2", "Why one matter (the model)", "Label (rules)"] * 2
    # Each matter's title is a paragraph of its own, not the tail of the list above it.
    titles = [t.content for i, t in enumerate(matters) if t.type == "inline" and t.level == 1 and "**M" in t.content]
    assert [title.split("**")[1] for title in titles] == ["M1 · Did the dam hold?", "M2 · How many homes flooded?"]
    for wikitext in (render_wikitext(two_disputes), render_ledger_wikitext(two_disputes)):
        lines = wikitext.splitlines()
        assert not [line for line in lines if "|-" in line and line != "|-"]  # a row separator alone on its line
        assert not [line for line in lines if re.search(r"\S\* ", line) and not line.startswith("*")]
    ledger_wiki = render_ledger_wikitext(two_disputes).splitlines()
    assert sum(line.startswith(("* P1:", "* P2:")) for line in ledger_wiki) == 4
    assert render_wikitext(two_disputes).count("\n|-\n| r") == 4  # one row per source
