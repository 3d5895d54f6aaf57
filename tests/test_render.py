import json
import re

import pytest
from pydantic import ValidationError

from briefer.models import Day, Takeaway
from briefer.render import render_json, render_markdown
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


def test_sections_in_order(disputed_day):
    headings = [line for line in render_markdown(disputed_day).splitlines() if line.startswith("## ")]
    assert headings == [
        "## Key takeaways", "## Disputes", "## Developments", "## Key figures", "## Earlier reporting overtaken",
        "## Origins", "## Framing", "## Sources", "## Claim ledger", "## Processing notes",
    ]


def test_a_dispute_shows_each_side_once_per_origin_with_quotes(disputed_day):
    section = render_markdown(disputed_day).split("## Disputes")[1].split("## Developments")[0]
    assert "**Did the dam hold? (contradiction)** · M1" in section
    assert "says: answer P1" in section and "says: answer P2" in section
    assert "“the dam held through the night” [C1]" in section and "[C3]" not in section  # one quote per origin
    assert "Independent origins: 2" in section


def test_takeaways_cite_their_evidence(disputed_day):
    (first, *_) = disputed_day.takeaways
    assert first.refs[0] == "M1" and "C1" in first.refs
    assert "[M1" in render_markdown(disputed_day).split("## Key takeaways")[1].split("##")[0]


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
    for line in markdown.splitlines():
        if line.startswith("| C1 |"):
            assert line.count(" | ") == 6  # the report's pipe did not add a column


def test_json_twin_round_trips(disputed_day):
    assert Day.model_validate_json(render_json(disputed_day)) == disputed_day


def test_empty_sections_say_so():
    markdown = render_markdown(make_day([claim(id="C1", statement="A statement was made.")]))
    assert "No contested matters in the day's reports." in markdown
    assert "No earlier reporting was overtaken." in markdown
