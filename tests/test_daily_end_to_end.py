"""The sample day, end to end, over the recorded cassette, offline."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefer.cli import cli
from briefer.models import Day

pytestmark = pytest.mark.usefixtures("no_network")


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def sample_day(sample_project):
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--json", "day.json")
    assert result.exit_code == 0, result.output
    day = Day.model_validate_json((sample_project / "day.json").read_text("utf-8"))
    return sample_project, (sample_project / "day.md").read_text("utf-8"), day, result


def visible_text(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return re.sub(r"<[^>]+>", " ", MarkdownIt("commonmark").enable("table").render(markdown))


def test_replay_is_announced_on_stderr_and_output_goes_to_files(sample_day):
    _, markdown, day, result = sample_day
    assert "replay mode" in result.stderr
    assert result.stdout == ""
    assert markdown.startswith("# Daily situation report: 2024-12-07")
    assert day.usage_by_stage["extraction"].requests == 5 and day.usage_by_stage["reconcile"].requests == 1  # 5 reports, 1 reconcile
    assert day.usage_by_stage["synthesis"].requests in (1, 2)  # the bottom line, and at most one re-ask
    assert day.usage.requests == sum(u.requests for u in day.usage_by_stage.values())
    assert day.bottom_line_by == "model" and 3 <= len(day.takeaways) <= 6


def test_the_sample_days_disputes_and_overtaken_reporting_are_shown(sample_day):
    # The expected list itself is checked in tests/test_days.py; here, that the page shows it.
    _, markdown, day, _ = sample_day
    contested = [m for m in day.matters if m.status == "contested" and m.new_today]
    assert contested
    section = markdown.split("## Disputes", 1)[1].split("## Key developments", 1)[0]
    assert all(f"[{m.id}](day.ledger.md#{m.id.lower()})" in section for m in contested)  # shown, or listed as also disputed
    overtaken = markdown.split("## Earlier reporting overtaken", 1)[1].split("## Sources", 1)[0]
    # Report 003's Hama "stands firm", overtaken, shown with the date the model estimated for the undated report.
    estimated = next(s.published for s in day.sources if s.report_id.startswith("003"))
    assert estimated < day.date and f"({estimated.isoformat()})" in overtaken and "; later:" in overtaken


def test_every_quote_is_verbatim_at_its_offsets_and_every_claim_is_attributed(sample_day):
    project, markdown, day, _ = sample_day
    texts = {s.report_id: Path(project, s.path).read_text("utf-8") for s in day.sources}
    assert day.claims
    for claim in day.claims:
        assert texts[claim.report_id][claim.start : claim.end] == claim.quote
        assert claim.outlet and claim.speaker
    raw = json.loads((project / "day.json").read_text("utf-8"))
    assert all(c["quote"] in texts[c["report_id"]] for c in raw["claims"])


def test_the_ledger_holds_every_claim_and_every_link_of_the_brief_resolves(sample_day):
    project, markdown, day, _ = sample_day
    ledger = (project / "day.ledger.md").read_text("utf-8")
    claims = ledger.split("## Claims", 1)[1].split("## Origins", 1)[0]
    rows = [line for line in claims.splitlines() if line.startswith('| <a id="c')]
    assert len(rows) == len(day.claims)
    for claim, row in zip(day.claims, rows, strict=True):
        assert f"{claim.report_id}, {claim.sentences}, {claim.start}–{claim.end}" in row
    links = re.findall(r"\]\(day\.ledger\.md#([a-z0-9]+)\)", markdown)
    assert links and all(f'<a id="{anchor}"></a>' in ledger for anchor in links)
    internal = re.findall(r"\]\(#([a-z0-9]+)\)", ledger)
    assert all(f'<a id="{anchor}"></a>' in ledger for anchor in internal)


def test_the_brief_is_short_leads_with_the_news_and_shows_each_matter_once(sample_day):
    from briefer.synthesize import rank

    _, markdown, day, _ = sample_day
    words = visible_text(markdown).split()
    assert len(words) <= 1500
    first = day.takeaways[0]
    assert day.bottom_line_by == "model" and " ".join(first.text.split()[:5]) in " ".join(words[:60])
    assert set(first.refs) & {m.id for m in rank(day.matters)[:3]}  # the first sentence is about a top matter
    body = markdown.split("## Disputes", 1)[1].split("## Key figures", 1)[0]
    entries = re.findall(r"· \[(M\d+)\]|\[(M\d+)\]\(day\.ledger\.md#m\d+\)[;.]", body)
    shown = [a or b for a, b in entries]
    assert shown and len(shown) == len(set(shown))


def test_takeaways_cite_existing_ids(sample_day):
    _, _, day, _ = sample_day
    known = {c.id for c in day.claims} | {m.id for m in day.matters}
    assert 3 <= len(day.takeaways) <= 6
    for takeaway in day.takeaways:
        assert takeaway.refs and set(takeaway.refs) <= known


def test_sources_keep_outlets_honest_and_dates_with_their_basis(sample_day):
    _, markdown, day, _ = sample_day
    rows = {s.report_id: s for s in day.sources}
    assert rows["000"].date_source == "text"
    assert rows["003"].date_source == "estimate" and rows["003"].role == "context"
    assert rows["003"].date_basis.startswith("estimated by the model")
    assert rows["004"].wire_credits == ["Xinhua"]


def test_second_run_comes_from_the_cache(sample_project):
    assert run("daily", "--date", "2024-12-07", "--out", "a.md").exit_code == 0
    again = run("daily", "--date", "2024-12-07", "--out", "b.md")
    assert again.exit_code == 0
    assert "7 answers from cache" in again.stderr and "0 model requests this run" in again.stderr
    # same day, same page (each links to its own ledger file)
    assert (sample_project / "a.md").read_text().replace("a.ledger.md", "x") == (sample_project / "b.md").read_text().replace("b.ledger.md", "x")


def test_an_unrecorded_prompt_change_fails_loudly(sample_project):
    prompts = sample_project / "my-prompts"
    prompts.mkdir()
    root = Path(__file__).resolve().parents[1] / "prompts"
    for path in root.glob("*.j2"):
        (prompts / path.name).write_text(path.read_text() + ("\nBe concise." if path.name == "extract.system.j2" else ""))
    (sample_project / "briefer.toml").write_text(f'prompts = "{prompts}"\n')
    result = run("daily", "--date", "2024-12-07", "--no-cache")
    assert result.exit_code == 5
    assert "report 000" in result.stderr and "no recorded answer in cassettes/sample-day.yaml matches this request (nearest recording differs in messages)" in result.stderr


def test_a_report_without_a_recording_is_named_and_the_day_is_partial(sample_project):
    (sample_project / "reports" / "005_new.txt").write_text("date 2024-12-07 A new report about Homs that was never recorded.")
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--no-cache")
    assert result.exit_code == 3
    assert "report 005" in result.stderr and "OPENAI_API_KEY" in result.stderr
    notes = (sample_project / "day.md").read_text().split("## Processing notes", 1)[1]
    assert "report 005" in notes and "failed" in notes


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--date", "2024-12-07", "--reports", "missing"], 4, "reports folder not found: missing"),
        (["--date", "2024-13-01"], 2, "not a date"),
        (["--date", "2023-01-01"], 4, "no reports dated 2023-01-01"),
        (["--date", "0001-01-03"], 4, "no reports dated 0001-01-03"),
    ],
)
def test_bad_arguments_give_one_line_and_a_documented_code(sample_project, args, code, message):
    result = run("daily", *args)
    assert result.exit_code == code
    assert message in result.stderr


def test_the_installed_command_writes_the_sitrep_to_stdout(sample_project):
    proc = subprocess.run(
        [sys.executable, "-m", "briefer", "daily", "--date", "2024-12-07", "--no-cache"],
        capture_output=True, text=True, timeout=120, cwd=sample_project,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# Daily situation report: 2024-12-07")
    assert "replay mode" in proc.stderr and "# Daily" not in proc.stderr


LOADED = re.compile(r"\b(terroris\w*|regime|liberat\w*|takfiri)\b", re.I)
ATTRIBUTED = re.compile(
    r"\b(call(s|ed)?|describ\w+|term\w*|sa(id|ys)|stat(ed|es)|report(s|ed)?|according to|alleg\w+|claim\w*|pledg\w+|den(y|ied|ies)|warn\w*|accus\w+|condemn\w*|vow\w*)\b",
    re.I,
)
# A group's own name ("Levant Liberation Agency") is a name, not the brief adopting a word.
PROPER_NAME = re.compile(r"\b(?:[A-Z][\w'-]+ )+[A-Z][\w'-]+")
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’|(?<![\w])'[^']*'(?![\w])")


def test_the_sitreps_own_voice_is_neutral(sample_day):
    """Loaded terms appear only inside quotes, or in a sentence naming who used them."""
    _, markdown, _, _ = sample_day
    plain = markdown.replace("\\", "")
    offenders = []
    for line in plain.splitlines():
        own = PROPER_NAME.sub(" ", QUOTED.sub(" ", line))
        for sentence in re.split(r"(?<=[.;:])\s+|\s\|\s|\s/\s", own):
            if LOADED.search(sentence) and not ATTRIBUTED.search(sentence):
                offenders.append(sentence.strip())
    assert offenders == []


def test_explain_rebuilds_the_day_from_the_cache(sample_project):
    assert run("daily", "--date", "2024-12-07", "--out", "day.md", "--json", "day.json").exit_code == 0
    day = Day.model_validate_json((sample_project / "day.json").read_text())
    disputed = next(m for m in day.matters if m.status == "contested")
    result = run("explain", "--date", "2024-12-07", disputed.id)
    assert result.exit_code == 0
    assert f"{disputed.id} · {disputed.title}: contested ({disputed.conflict})" in result.stdout
    assert "the rules that produced the label (code):" in result.stdout
    assert "0 model requests this run (7 answers from cache)" in result.stderr


def test_framing_table_shows_opposing_names_for_the_same_actor(sample_day):
    project, _, day, _ = sample_day
    terms = [{term.lower() for _, term in row.terms} for row in day.framing]
    assert any(any("terrorist" in t for t in row) and any(("faction" in t or "rebel" in t or "insurgent" in t or "militant" in t) for t in row) for row in terms)
    ledger = (project / "day.ledger.md").read_text("utf-8")
    assert "## Framing" in ledger and "“terrorist" in ledger


def test_the_markdown_parses_into_the_tables_it_promises(sample_day):
    from markdown_it import MarkdownIt

    project, _, day, _ = sample_day
    html = MarkdownIt("commonmark").enable("table").render((project / "day.ledger.md").read_text("utf-8"))
    ledger = html.split('<h2>Claims</h2>', 1)[1].split("</table>", 1)[0]
    assert ledger.count("<tr>") == len(day.claims) + 1  # header + one row per claim: no report pipe split a row
    assert all(row.count("<td>") == 7 for row in ledger.split("<tr>")[2:])
