import pytest
from click.testing import CliRunner

from briefer.cli import cli
from briefer.explain import UnknownId, explain
from tests.factories import claim, figure
from tests.test_render import make_day


@pytest.fixture
def day():
    return make_day([
        claim(id="C1", report_id="r1", origin="Syrian Observatory for Human Rights", control="opposition", statement="SOHR said factions took Daraa."),
        claim(id="C2", report_id="r2", origin="Syrian army", control="government", statement="The army said it repositioned in Daraa."),
        claim(id="C3", report_id="r1", event_type="displacement", area="Syria (national)", figures=[figure(370000)], origin="United Nations"),
    ])


def test_a_group_explains_its_grouping_and_its_label(day):
    group = next(g for g in day.groups if g.status == "contested")
    text = explain(day, group.id)
    assert f"{group.id} · Control · Daraa: contested (contradiction)" in text
    assert "all claims about control of Daraa" in text
    assert "opposing control of Daraa: government (C2) vs opposition (C1)" in text
    assert "C1 (contradicts)" in text and "says opposition forces hold it" in text


def test_a_claim_shows_its_evidence_and_its_groups(day):
    text = explain(day, "c3")
    assert text.startswith("claim:\n  C3:")
    assert "figure 370,000 people displaced (at least)" in text
    assert "quote: “a verbatim quote of enough length”" in text


def test_unknown_id(day):
    with pytest.raises(UnknownId):
        explain(day, "G999")


def test_cli_explain_reads_the_json_twin(day, tmp_path):
    path = tmp_path / "day.json"
    path.write_text(day.model_dump_json())
    result = CliRunner().invoke(cli, ["explain", "--date", "2024-12-07", "--json", str(path), "C1"])
    assert result.exit_code == 0 and "origin: Syrian Observatory for Human Rights" in result.stdout
    wrong = CliRunner().invoke(cli, ["explain", "--date", "2024-12-07", "--json", str(path), "C99"])
    assert wrong.exit_code == 4 and "no claim or group 'C99'" in wrong.stderr
    other_day = CliRunner().invoke(cli, ["explain", "--date", "2024-12-06", "--json", str(path), "C1"])
    assert other_day.exit_code == 4
