import datetime as dt
import json
import re

import pytest
from pydantic import ValidationError

from briefer.merge import merge
from briefer.models import ActorMention, Day, SourceRow, Takeaway, Usage
from briefer.render import render_json, render_markdown
from briefer.takeaways import takeaways
from tests.factories import claim

DAY = dt.date(2024, 12, 7)
HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) ![](http://tracker/x.png) {{Delete}} [[Category:X]] | pipe"


def make_day(claims):
    result = merge(claims, DAY)
    by_id = {c.id: c for c in claims}
    sources = [
        SourceRow(report_id=rid, role="primary", outlet="unknown", published=DAY, date_source="text", date_basis="stated",
                  dateline=None, wire_credits=[], summary="S.", path=f"{rid}.txt", claims=1, rejected=0)
        for rid in sorted({c.report_id for c in claims})
    ]
    return Day(
        date=DAY, window_start=DAY - dt.timedelta(days=7), generated_at="2024-12-07 12:00 UTC", model="test-model", mode="test",
        sources=sources, claims=claims, rejected=[], groups=result.groups, figures=result.figures, framing=result.framing,
        takeaways=takeaways(result.groups, by_id, {s.report_id for s in sources}), notes=[], usage=Usage(requests=2),
    )


@pytest.fixture
def disputed_day():
    return make_day([
        claim(id="C1", report_id="r1", speaker="SOHR", origin="Syrian Observatory for Human Rights", control="opposition",
              statement="SOHR said local factions took control of 80% of Daraa province.", quote="Local factions took control of 80% of Deraa province"),
        claim(id="C2", report_id="r2", speaker="Syrian army", origin="Syrian government armed forces", control="government",
              statement="The Syrian army said its forces repositioned in Daraa.", quote="our forces repositioned and redeployed",
              actors=[ActorMention(term="terrorist elements", actor="opposition forces")]),
    ])


def test_sections_in_order(disputed_day):
    markdown = render_markdown(disputed_day)
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Key takeaways", "## Contested claims", "## Developments by area", "## Key figures", "## Framing",
        "## Earlier reporting overtaken", "## Sources", "## Claim ledger", "## Processing notes",
    ]


def test_a_dispute_shows_both_positions_with_speakers_and_quotes(disputed_day):
    section = render_markdown(disputed_day).split("## Contested claims")[1].split("## Developments")[0]
    assert "**Control · Daraa (contradiction)**" in section
    assert "says opposition forces hold Daraa" in section and "says government forces hold Daraa" in section
    assert "“Local factions took control of 80% of Deraa province” [C1]" in section
    assert "Independent origins: 2" in section


def test_takeaways_cite_their_evidence(disputed_day):
    (first, *_) = disputed_day.takeaways
    assert first.refs[0].startswith("G") and "C1" in first.refs
    assert "[G" in render_markdown(disputed_day).split("## Key takeaways")[1].split("##")[0]


def test_an_uncited_takeaway_cannot_exist():
    with pytest.raises(ValidationError, match="must cite"):
        Takeaway(text="Something happened.", refs=[])


def test_a_takeaway_citing_an_unknown_id_is_refused(disputed_day):
    data = json.loads(render_json(disputed_day))
    data["takeaways"][0]["refs"] = ["C999"]
    with pytest.raises(ValidationError, match="unknown ids"):
        Day.model_validate(data)


def test_report_markup_renders_as_literal_text():
    day = make_day([claim(id="C1", statement=HOSTILE, quote=HOSTILE, speaker="x", control=None, event_type="statement")])
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
    day = make_day([claim(id="C1", control=None, event_type="statement", statement="A statement was made.")])
    markdown = render_markdown(day)
    assert "No contested claims in the day's reports." in markdown
    assert "No earlier reporting was overtaken." in markdown
