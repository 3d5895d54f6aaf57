import pytest
from click.testing import CliRunner

from briefer.cli import cli
from briefer.explain import UnknownId, explain
from tests.factories import claim, figure, make_day, matter, origin


@pytest.fixture
def day():
    claims = [
        claim(id="C1", report_id="r1", speaker="Port authority", statement="The port authority said the ship lost power."),
        claim(id="C2", report_id="r2", speaker="Pilots' union", statement="The union denied the ship lost power.", modality="denied"),
        claim(id="C3", report_id="r1", speaker="Port authority", figures=[figure(370000, counted="tonnes of cargo", unit="tonnes")]),
    ]
    matters = [
        matter("M1", [("C1", "O1", "P1"), ("C2", "O2", "P1", "denies")], question="Did the ship lose power?"),
        matter("M2", [("C3", "O1", "P1")], question="How much cargo was aboard?"),
    ]
    return make_day(claims, matters, [origin("O1", "Port authority", "authorities", ["Port authority", "port spokesman"]), origin("O2", "Pilots' union", "labour")])


def test_a_matter_explains_grouping_origins_and_the_rule_behind_its_label(day):
    text = explain(day, "M1")
    assert text.startswith("M1 · Did the ship lose power?: contested (denial)")
    assert "why these claims are one matter (the model's reason):" in text
    assert "O1: Port authority [authorities]: named as Port authority; port spokesman" in text
    assert "contested (denial): Pilots' union (O2) denies position P1, which Port authority (O1) supports" in text
    assert "C2 (denies P1: answer P1)" in text


def test_a_claim_shows_its_evidence_and_its_matter(day):
    text = explain(day, "c3")
    assert text.startswith("claim:\n  C3 (supports P1")
    assert "figure 370000 tonnes (tonnes of cargo), at least" in text
    assert "quote: “a verbatim quote of enough length”" in text and "M2 · " in text


def test_unknown_id(day):
    with pytest.raises(UnknownId):
        explain(day, "M999")


def test_cli_explain_reads_the_json_twin(day, tmp_path):
    path = tmp_path / "day.json"
    path.write_text(day.model_dump_json())
    result = CliRunner().invoke(cli, ["explain", "--date", "2024-12-07", "--json", str(path), "C1"])
    assert result.exit_code == 0 and "origin: Port authority (O1)" in result.stdout
    wrong = CliRunner().invoke(cli, ["explain", "--date", "2024-12-07", "--json", str(path), "C99"])
    assert wrong.exit_code == 4 and "no claim or matter 'C99'" in wrong.stderr
    other_day = CliRunner().invoke(cli, ["explain", "--date", "2024-12-06", "--json", str(path), "C1"])
    assert other_day.exit_code == 4
