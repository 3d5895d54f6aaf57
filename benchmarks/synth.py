"""Synthetic data for the benchmarks: a day of reports, the fake model's
answers to them, and large claim sets for the merger.

Everything is seeded, so two runs of the harness see the same day. Each report
sentence is drawn from templates (one per event type) with random slots, and
its claim metadata is remembered: the fake model answers with claims whose
quotes are sentences copied from the report it was sent, so grounding passes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

DAY = dt.date(2024, 12, 7)

AREAS = [
    "Daraa", "Suwayda", "Quneitra", "Damascus", "Homs", "Hama", "Aleppo", "Idlib", "Deir ez-Zor", "Latakia",
    "Tartus", "Raqqa", "Hasakah", "Syria (national)", "Syria–Jordan border", "Syria–Lebanon border",
    "Syria–Iraq border", "Doha (Qatar)", "Qamishli", "Palmyra",
]  # 20 areas; the last two are not in the gazetteer, as real reports also name such places
PLACES = {area: [f"{area} {suffix}" for suffix in ("city", "countryside", "province")] for area in AREAS}
SPEAKERS = [
    ("the Syrian Observatory for Human Rights", "monitor_ngo"), ("the Syrian army", "military"),
    ("SANA", "media"), ("opposition factions", "armed_group"), ("the Russian defense ministry", "government"),
    ("the United Nations", "international_org"), ("local activists", "anonymous"), ("a military source", "military"),
    ("the Iranian foreign ministry", "government"), ("OCHA", "international_org"), ("Hayat Tahrir al-Sham", "armed_group"),
    ("residents", "anonymous"),
]
TERMS = [("terrorist groups", "opposition forces"), ("opposition fighters", "opposition forces"), ("rebels", "opposition forces"),
         ("government forces", "Syrian government forces"), ("regime forces", "Syrian government forces"),
         ("the Syrian army", "Syrian government forces"), ("Kurdish-led forces", "Kurdish-led forces")]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FILLER = (
    "The situation could not be independently verified. Roads into the area were closed for most of the day. "
    "Prices of bread and fuel rose sharply in local markets. Communications were cut for several hours. "
    "Aid groups said they were preparing for a further deterioration. Schools in the district stayed shut. "
    "Witnesses described long queues at checkpoints on the main highway. Hospitals reported shortages of medicine."
).split(". ")

# (event type, template). Slots: speaker, term, term2, place, area, n, weekday, counted.
TEMPLATES = [
    ("territorial_control", "{speaker} said {term} had taken control of {place} on {weekday} after a day of fighting"),
    ("territorial_control", "{speaker} said {term} were still holding positions in {place} and had repelled an attack"),
    ("clash", "Heavy clashes broke out between {term} and {term2} near {place}, {speaker} said on {weekday}"),
    ("clash", "Fighting between {term} and {term2} continued on the outskirts of {place} overnight, according to {speaker}"),
    ("strike", "{speaker} said air strikes hit {place} on {weekday}, targeting positions held by {term}"),
    ("strike", "Drones struck a convoy belonging to {term} near {place}, {speaker} reported"),
    ("casualties", "At least {n} {counted} were killed in {place} since {weekday}, according to {speaker}"),
    ("casualties", "{speaker} put the death toll in {place} at {n} {counted} since the offensive began"),
    ("displacement", "Some {n} people have been displaced from {place} since {weekday}, {speaker} said"),
    ("displacement", "{speaker} said more than {n} families had fled {place} towards safer areas"),
    ("statement", "{speaker} said in a statement that {term} would be held responsible for the escalation in {place}"),
    ("diplomacy", "Foreign ministers met to discuss the situation in {place}, {speaker} said on {weekday}"),
    ("border_crossing", "{speaker} said the crossing near {place} was closed to traffic on {weekday}"),
    ("leadership", "{speaker} said a senior commander of {term} had been replaced after the losses in {place}"),
    ("humanitarian", "{speaker} said aid convoys could not reach {place} because of the fighting between {term} and {term2}"),
    ("other", "{speaker} said power and water supplies to {place} had been cut since {weekday}"),
]
COUNTED = {"casualties": ["civilians", "fighters", "soldiers"], "displacement": ["people"]}


@dataclass
class SentenceMeta:
    event_type: str
    speaker: str
    speaker_type: str
    place: str
    area: str
    term: str
    actor: str
    control: str | None
    figure: dict | None


@dataclass
class Day:
    """The generated day: report files, and the metadata the fake model answers from."""

    folder: Path
    paths: list[Path]
    meta: dict[str, SentenceMeta] = field(default_factory=dict)


def _sentence(rng: random.Random) -> tuple[str, SentenceMeta]:
    event_type, template = rng.choice(TEMPLATES)
    speaker, speaker_type = rng.choice(SPEAKERS)
    (term, actor), (term2, _) = rng.sample(TERMS, 2)
    area = rng.choice(AREAS)
    place = rng.choice(PLACES[area])
    n = rng.choice([3, 5, 7, 12, 15, 20, 25, 40, 60, 100, 250, 1200, 3000, 15000])
    counted = rng.choice(COUNTED.get(event_type, ["people"]))
    text = template.format(speaker=speaker, term=term, term2=term2, place=place, area=area, n=n,
                           weekday=rng.choice(WEEKDAYS), counted=counted)
    text = text[0].upper() + text[1:] + "."
    control = None
    if event_type == "territorial_control":
        control = "opposition" if actor == "opposition forces" else "government" if "government" in actor else "contested"
    figure = None
    if event_type in COUNTED:
        figure = {"value": float(n), "value_text": str(n), "unit": "people", "counted": f"{counted} killed" if event_type == "casualties" else "people displaced",
                  "qualifier": "at least" if "least" in text or "more than" in text else None, "as_of": None}
    return text, SentenceMeta(event_type, speaker, speaker_type, place, area, term, actor, control, figure)


def make_day(folder: Path, count: int = 200, *, seed: int = 7, min_words: int = 300, max_words: int = 1000) -> Day:
    """``count`` distinct .txt reports dated DAY, each of min_words..max_words words."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    day = Day(folder, [])
    for index in range(count):
        target = rng.randint(min_words, max_words)
        lines = [f"date {DAY.isoformat()}", "", f"Situation update no. {index + 1} from the {rng.choice(AREAS)} front", ""]
        words = 0
        paragraph: list[str] = []
        while words < target:
            if rng.random() < 0.25:
                text = rng.choice(FILLER).rstrip(".") + "."
            else:
                text, meta = _sentence(rng)
                day.meta.setdefault(text, meta)
            paragraph.append(text)
            words += len(text.split())
            if len(paragraph) >= rng.randint(3, 6):
                lines.append(" ".join(paragraph))
                lines.append("")
                paragraph = []
        if paragraph:
            lines.append(" ".join(paragraph))
        path = folder / f"{index + 1:03d}_report.txt"
        path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
        day.paths.append(path)
    return day


def article(words: int = 1000, *, seed: int = 11, meta: dict[str, SentenceMeta] | None = None) -> str:
    """One report text of about ``words`` words, for the request-size figure
    (its sentences' metadata goes into ``meta`` if given)."""
    rng = random.Random(seed)
    parts: list[str] = []
    count = 0
    while count < words:
        text, sentence_meta = _sentence(rng)
        if meta is not None:
            meta.setdefault(text, sentence_meta)
        parts.append(text)
        count += len(text.split())
    return f"date {DAY.isoformat()}\n\n" + " ".join(parts)


# ---------------------------------------------------------------- the fake model

_REPORT = re.compile(r"<<<REPORT[^\n]*\n(.*)\nREPORT[^\n]*>>>", re.DOTALL)  # with or without a per-report code
_SENTENCE = re.compile(r"[^.\n]+\.")


def answer_for(meta: dict[str, SentenceMeta], claims_per_report: int = 10):
    """``answer(body) -> str``: a valid BriefDraft JSON for the report in the request.

    Quotes are whole sentences of the report (so they ground), chosen among
    those the generator knows; the rest of the brief is filled from their metadata.
    """

    def answer(body: dict) -> str:
        user = next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user" and "<<<REPORT" in m.get("content", "")), "")
        match = _REPORT.search(user)
        text = match.group(1) if match else ""
        sentences = [s.strip() for s in _SENTENCE.findall(text)]
        known = [s for s in dict.fromkeys(sentences) if s in meta][:claims_per_report]
        claims = []
        for sentence in known:
            m = meta[sentence]
            claims.append({
                "statement": sentence, "quote": sentence[:-1], "speaker": m.speaker, "speaker_type": m.speaker_type, "via": [],
                "modality": "reported", "event_type": m.event_type, "locations": [m.place, m.area],
                "actors": [{"term": m.term, "actor": m.actor}], "control": m.control,
                "figures": [m.figure] if m.figure else [], "event_date": None, "disputes_claim": None,
            })
        return json.dumps({
            "outlet": None, "dateline": None, "published": DAY.isoformat(), "published_is_estimate": False,
            "published_basis": "stated in the text", "wire_credits": [],
            "summary": "A synthetic report on the day's fighting, written for the benchmark.", "claims": claims,
        })

    return answer


# ---------------------------------------------------------------- claims for the merger


def claims(count: int, *, seed: int = 3):
    """``count`` Claim records over 20 areas x 11 event types, statements from the templates."""
    from briefer.models import ActorMention, Claim, Figure

    rng = random.Random(seed)
    event_types = sorted({t for t, _ in TEMPLATES})
    result = []
    for index in range(count):
        text, m = _sentence(rng)
        # spread evenly over the 20 x 11 blocks, as a busy day would be
        event_type = event_types[index % len(event_types)] if rng.random() < 0.5 else m.event_type
        report = f"r{index // 10:05d}"
        published = DAY - dt.timedelta(days=rng.choice([0, 0, 0, 1, 2]))
        result.append(Claim(
            id=f"C{index + 1}", report_id=report, statement=text, quote=text, start=0, end=len(text),
            speaker=m.speaker, speaker_type=m.speaker_type, origin=m.speaker, via=[], outlet=f"Outlet {index % 37}",
            modality=rng.choice(["reported", "reported", "asserted", "claimed", "denied"]), event_type=event_type,
            locations=[m.area], area=m.area, actors=[ActorMention(term=m.term, actor=m.actor)],
            control=(m.control or rng.choice(["government", "opposition"])) if event_type == "territorial_control" else None,
            figures=[Figure(**m.figure)] if m.figure else [], event_date=None, published=published,
            disputes=f"C{index}" if index % 10 and rng.random() < 0.02 else None,
        ))
    return result
