"""Every test day, replayed offline over its cassette, against the list of
what a trustworthy sitrep of that day must show (tests/days/*/expected.yaml,
written before the day's answers were recorded).

An anchor is a phrase of one report; the claims it names are those whose
evidence overlaps the phrase.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from briefer.cli import cli
from briefer.ingest import ingest_folder
from briefer.models import Day

ROOT = Path(__file__).resolve().parent.parent
DAYS = sorted(p.parent for p in (ROOT / "tests" / "days").glob("*/expected.yaml"))


def expected_of(folder: Path) -> dict:
    return yaml.safe_load((folder / "expected.yaml").read_text("utf-8"))


def reports_of(folder: Path) -> Path:
    return (folder / expected_of(folder).get("reports", "reports")).resolve()


def cassette_of(folder: Path) -> Path:
    return ROOT / "cassettes" / ("sample-day.yaml" if folder.name.startswith("sample") else f"{folder.name}.yaml")


@lru_cache(maxsize=None)
def replayed(folder: Path) -> Day:
    import os
    import tempfile

    expected = expected_of(folder)
    out = Path(tempfile.mkdtemp(prefix="briefer-day-"))
    old = os.getcwd()
    os.chdir(out)  # a fresh cache for every day
    try:
        result = CliRunner(env={"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "BRIEFER_CONFIG": None, "BRIEFER_MODEL": None}).invoke(cli, [
            "daily", "--date", str(expected["day"]), "--reports", str(reports_of(folder)), "--cassette", str(cassette_of(folder)),
            "--out", "day.md", "--json", "day.json",
        ])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output + result.stderr
    return Day.model_validate_json((out / "day.json").read_text())


class Anchors:
    def __init__(self, folder: Path, day: Day) -> None:
        self.texts = {r.id: r.text for r in ingest_folder(reports_of(folder)).reports}
        self.day = day
        self.matter_of = {m.claim_id: matter for matter in day.matters for m in matter.members}

    def claims(self, anchor: dict) -> list[str]:
        text = self.texts[anchor["report"]]
        at = text.find(anchor["text"])
        assert at >= 0, f"anchor not in report {anchor['report']}: {anchor['text']!r}"
        end = at + len(anchor["text"])
        found = [c.id for c in self.day.claims if c.report_id == anchor["report"] and c.start < end and at < c.end]
        assert found, f"no claim carries report {anchor['report']}: {anchor['text']!r}"
        return found

    def claims_or_none(self, anchor: dict) -> list[str]:
        try:
            return self.claims(anchor)
        except AssertionError:
            return []

    def home(self, anchors: list[dict]) -> tuple[object, dict[str, list[str]]]:
        """The matter holding a claim of every anchor, and the claims found per anchor."""
        found = {a["text"]: self.claims(a) for a in anchors}
        candidates = {self.matter_of[c].id for c in found[anchors[0]["text"]]}
        for claims in found.values():
            candidates &= {self.matter_of[c].id for c in claims}
        where = {text: sorted({self.matter_of[c].id for c in claims}) for text, claims in found.items()}
        assert candidates, f"the anchors do not share a matter: {where}"
        matter = next(m for m in self.day.matters if m.id == sorted(candidates)[0])
        return matter, {text: [c for c in claims if self.matter_of[c].id == matter.id] for text, claims in found.items()}

    def origins(self, matter, claim_ids: list[str]) -> set[str]:
        return {m.origin for m in matter.members if m.claim_id in claim_ids}


def _known_gaps() -> dict[str, str]:
    lines = (ROOT / "tests" / "days" / "KNOWN_GAPS.txt").read_text("utf-8").splitlines()
    return dict(line.split(None, 1) for line in lines if line.strip() and not line.startswith("#"))


KNOWN_GAPS = _known_gaps()
_TESTS = {"disputes": "test_each_expected_dispute_is_one_contested_matter_holding_both_sides", "overtaken": "test_each_expected_overtaken_claim_is_shown_as_overtaken",
          "figures": "test_each_expected_figure_is_in_one_matter_with_its_origins", "relayed": "test_a_statement_relayed_by_several_outlets_is_one_origin"}


def _items(kind: str):
    for folder in DAYS:
        for index, item in enumerate(expected_of(folder).get(kind) or []):
            ident = f"{folder.name}-{kind}-{index + 1}"
            gap = KNOWN_GAPS.get(f"{_TESTS[kind]}[{ident}]")
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(folder, item, id=ident, marks=marks)


@pytest.mark.parametrize("folder", DAYS, ids=[d.name for d in DAYS])
def test_every_claim_sits_in_exactly_one_matter(folder):
    day = replayed(folder)
    placed = [m.claim_id for matter in day.matters for m in matter.members]
    assert sorted(placed) == sorted(c.id for c in day.claims) and len(placed) == len(set(placed))
    assert all(m.origin in {o.id for o in day.origins} for matter in day.matters for m in matter.members)


@pytest.mark.parametrize("folder, dispute", list(_items("disputes")))
def test_each_expected_dispute_is_one_contested_matter_holding_both_sides(folder, dispute):
    anchors = Anchors(folder, replayed(folder))
    matter, found = anchors.home([a for side in dispute["sides"] for a in side["anchors"]])
    assert matter.status == "contested", f"{matter.id} {matter.question}: {matter.status}; {matter.rules}"
    stances = []
    for side in dispute["sides"]:
        members = [m for m in matter.members if any(m.claim_id in found[a["text"]] for a in side["anchors"])]
        stances.append({(m.position, m.stance) for m in members})
    for i, one in enumerate(stances):
        for other in stances[i + 1 :]:
            assert one != other, f"both sides of {dispute['name']!r} take the same stance in {matter.id}"
    claims = [c for side in found.values() for c in side]
    assert len(anchors.origins(matter, claims)) == dispute["origins"]


@pytest.mark.parametrize("folder, item", list(_items("overtaken")))
def test_each_expected_overtaken_claim_is_shown_as_overtaken(folder, item):
    day = replayed(folder)
    anchors = Anchors(folder, day)
    overtaken = {m.claim_id: m.overtaken_by for matter in day.matters for m in matter.members if m.overtaken_by}
    # The statement may be carried by another sentence of the same report ('also').
    claims = [c for anchor in [item["anchor"], *item.get("also", [])] for c in anchors.claims_or_none(anchor)]
    assert claims, f"no claim carries report {item['anchor']['report']}: {item['anchor']['text']!r}"
    assert any(c in overtaken for c in claims), f"none of {claims} is shown as overtaken"
    assert "## Earlier reporting overtaken" in _markdown(folder)


@pytest.mark.parametrize("folder, item", list(_items("figures")))
def test_each_expected_figure_is_in_one_matter_with_its_origins(folder, item):
    day = replayed(folder)
    anchors = Anchors(folder, day)
    matter, found = anchors.home(item["anchors"])
    claims = [c for side in found.values() for c in side]
    assert len(anchors.origins(matter, claims)) == item["origins"]
    rows = [f for f in day.figures if set(f.claim_ids) & set(claims)]
    assert rows, f"no key-figures row for {item['counted']!r}"


@pytest.mark.parametrize("folder, item", list(_items("relayed")))
def test_a_statement_relayed_by_several_outlets_is_one_origin(folder, item):
    # What is checked is the origin count: a relayed claim may sit in the
    # matter its own report stresses (the strikes, or the dead they caused).
    day = replayed(folder)
    anchors = Anchors(folder, day)
    origin_of = {m.claim_id: m.origin for matter in day.matters for m in matter.members}
    per_anchor = [{origin_of[c] for c in anchors.claims(a)} for a in item["anchors"]]
    shared = set.intersection(*per_anchor)
    assert shared, f"the anchors share no origin: {per_anchor}"
    assert len(shared) == item["origins"]


@lru_cache(maxsize=None)
def _markdown(folder: Path) -> str:
    from briefer.render import render_markdown

    return render_markdown(replayed(folder))


def test_known_gaps_name_real_items():
    known = {f"{_TESTS[kind]}[{p.id}]" for kind in _TESTS for p in _items(kind)}
    assert set(KNOWN_GAPS) <= known


def test_there_are_test_days_beyond_the_sample_day():
    assert len(DAYS) >= 3 and all(cassette_of(d).is_file() for d in DAYS)
    assert {expected_of(d)["day"] for d in DAYS} >= {dt.date(2024, 12, 7)}


@pytest.mark.parametrize("folder", DAYS, ids=[d.name for d in DAYS])
def test_the_brief_is_at_most_1500_words_per_ten_reports(folder):
    from briefer.render import render_markdown, visible_words

    day = replayed(folder)
    words = visible_words(render_markdown(day, ledger="day.ledger.md"))
    limit = 1500 if folder.name.startswith("sample") else 150 * len(day.sources)  # the sample day: at most 1,500
    assert words <= limit, (words, limit)
