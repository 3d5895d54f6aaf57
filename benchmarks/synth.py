"""Synthetic data for the benchmarks: a day of reports, the fake model's
answers to them, and large claim sets for the reconcile stage.

Everything is seeded, so two runs of the harness see the same day. Each report
sentence is drawn from templates (one per event type) with random slots, and
its claim metadata is remembered: the fake model answers with claims that
cite sentences of the report it was sent by number, so grounding passes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from collections import Counter
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

_NUMBERED = re.compile(r"^\[S(\d+)\] (.*)$", re.MULTILINE)  # the extraction prompt's numbered sentences


def matter_of(m: SentenceMeta) -> tuple[str, str]:
    """The matter question and the position a sentence's claim takes, from its metadata:
    one question per (event type, area), so a busy day has a few hundred matters."""
    if m.event_type == "territorial_control":
        return f"Who controls {m.area}?", m.control or "contested"
    if m.figure:
        return f"How many {m.figure['counted']} in {m.area}?", f"{m.figure['qualifier'] or ''} {m.figure['value_text']}".strip()
    return f"What happened in {m.area}: {m.event_type.replace('_', ' ')}?", f"{m.term} involved"


def answer_for(meta: dict[str, SentenceMeta], claims_per_report: int = 10):
    """``answer(body) -> str``: for an extraction request, a valid ``ReportDraft``
    JSON for the report in the request; for the reconcile and join requests,
    ``tests.support.synthetic_model.answer``; for anything else, a ``ReportDraft``
    with no claims.

    The extraction answer cites sentences by number ("S4"), chosen among the
    prompt's numbered sentences the generator knows (so every claim grounds);
    the rest of the draft is filled from their metadata.
    """
    from tests.support import synthetic_model

    def answer(body: dict) -> str:
        if synthetic_model.schema_name(body) in ("ReconcileDraft", "BlockJoinDraft"):
            return synthetic_model.answer(body)
        # an extraction request, or any other (a bare one: a draft with no claims)
        user = next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user" and "<<<REPORT" in m.get("content", "")), "")
        numbered = [(number, text.strip()) for number, text in _NUMBERED.findall(user)]
        known = [(number, text) for number, text in numbered if text in meta][:claims_per_report]
        speakers: list[dict] = []
        terms: dict[str, dict] = {}
        claims = []
        for number, sentence in known:
            m = meta[sentence]
            if not any(s["name"] == m.speaker for s in speakers):
                speakers.append({"name": m.speaker, "org": None, "camp": None})
            terms.setdefault(m.term, {"term": m.term, "actor": m.actor})
            question, position = matter_of(m)
            figures = [{"n": m.figure["value"], "unit": m.figure["unit"], "what": m.figure["counted"], "qual": m.figure["qualifier"],
                        "asof": None}] if m.figure else []
            claims.append({
                "s": sentence, "ev": f"S{number}", "q": None, "sp": next(i for i, s in enumerate(speakers) if s["name"] == m.speaker),
                "via": [], "m": "reported", "mt": question, "pos": position, "f": figures, "d": None,
            })
        return json.dumps({
            "outlet": None, "dateline": None, "pub": DAY.isoformat(), "pub_est": False, "pub_why": "stated in the text", "wire": [],
            "summary": "A synthetic report on the day's fighting, written for the benchmark.",
            "sp": speakers or [{"name": "the report", "org": None, "camp": None}], "terms": list(terms.values()), "c": claims,
        })

    return answer


# ---------------------------------------------------------------- claims for the reconcile stage


def reconcile_day(count: int, *, seed: int = 3):
    """``count`` Claim records (built like tests/factories.py's ``claim()``) and
    their reports' SourceRows, for the reconcile benchmark.

    About count/4 distinct matter questions, count/20 distinct speakers, and
    report ids spread over count/15 reports; statements from the templates.
    Speakers are drawn independently of matters (seeded), as a wide day's are.
    """
    from briefer.models import Claim, Figure, SourceRow

    rng = random.Random(seed)
    questions = max(1, count // 4)
    speakers = max(1, count // 20)
    reports = max(1, count // 15)
    event_types = sorted({t for t, _ in TEMPLATES})
    claims = []
    for index in range(count):
        text, m = _sentence(rng)
        question = index % questions  # every question has about four claims
        area = AREAS[question % len(AREAS)]
        event_type = event_types[(question // len(AREAS)) % len(event_types)]
        matter = f"What happened in {area} ({event_type.replace('_', ' ')}), case {question // (len(AREAS) * len(event_types)) + 1}?"
        report = f"r{index % reports:04d}"
        published = DAY - dt.timedelta(days=rng.choice([0, 0, 0, 1, 2]))
        claims.append(Claim(
            id=f"C{index + 1}", report_id=report, statement=text, quote=text, start=0, end=len(text), sentences="S1",
            speaker=_speaker_name(rng.randrange(speakers)),
            organisation=None, camp=None, via=[], outlet=f"Outlet {index % 37}",
            modality=rng.choice(["reported", "reported", "asserted", "claimed", "denied"]),
            matter=matter, position=rng.choice(["yes", "no", m.control or "unclear", m.term]),
            figures=[Figure(value=m.figure["value"], unit=m.figure["unit"], counted=m.figure["counted"], qualifier=m.figure["qualifier"])] if m.figure else [],
            event_date=None, published=published,
        ))
    per_report = Counter(c.report_id for c in claims)
    sources = [
        SourceRow(report_id=f"r{r:04d}", role="primary", outlet=f"Outlet {r % 37}", published=DAY, date_source="text", date_basis="stated",
                  dateline=None, wire_credits=[], summary="S.", path=f"r{r:04d}.txt", claims=per_report[f"r{r:04d}"], rejected=0)
        for r in range(reports)
    ]
    return claims, sources


def _speaker_name(k: int) -> str:
    """The k-th distinct speaker: the template speakers, then numbered offices of them."""
    base = SPEAKERS[k % len(SPEAKERS)][0]
    return base if k < len(SPEAKERS) else f"{base}, office {k // len(SPEAKERS) + 1}"


# ---------------------------------------------------------------- reports of a given length, and a model whose answers grow with them

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def _vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    """Made-up words, so word sequences rarely repeat across reports (the
    near-duplicate finder then sees distinct reports, as on a real day)."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def numbered_text(chars: int, rng: random.Random, vocabulary: list[str]) -> str:
    """A report of about ``chars`` characters dated DAY: numbered sentences
    ("Sentence 12: ...") of 12-26 words, 3-6 to a paragraph, some with a figure."""
    lines = [f"date {DAY.isoformat()}", ""]
    size = sum(len(line) + 1 for line in lines)
    paragraph: list[str] = []
    number = 0
    while size < chars:
        number += 1
        words = rng.sample(vocabulary, rng.randint(12, 26))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), f"{rng.choice([3, 12, 40, 250, 1200, 15000])}")
        text = f"Sentence {number}: " + " ".join(words) + "."
        paragraph.append(text)
        size += len(text) + 1
        if len(paragraph) >= rng.randint(3, 6):
            lines += [" ".join(paragraph), ""]
            size += 1
            paragraph = []
    if paragraph:
        lines.append(" ".join(paragraph))
    return "\n".join(lines).rstrip() + "\n"


def sized_day(folder: Path, count: int, *, min_chars: int = 1_500, max_chars: int = 12_000, seed: int = 23) -> Day:
    """``count`` reports dated DAY, lengths drawn log-uniformly between min_chars
    and max_chars (many short reports, a long tail, as real days have), seeded."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    folder.mkdir(parents=True, exist_ok=True)
    day = Day(folder, [])
    for index in range(count):
        chars = round(math.exp(rng.uniform(math.log(min_chars), math.log(max_chars))))
        path = folder / f"{index + 1:04d}_report.txt"
        path.write_text(numbered_text(chars, rng, vocabulary), encoding="utf-8")
        day.paths.append(path)
    return day


TOKENS_PER_CHAR = 0.5  # a real lean answer: about 0.5 completion tokens per report character (0.47-0.68 on the recorded sample day)
SENTENCES_PER_CLAIM = 3


def proportional_answer(body: dict, *, tokens_per_char: float = TOKENS_PER_CHAR, per_claim: int = SENTENCES_PER_CLAIM) -> str:
    """A valid ``ReportDraft`` (pretty-printed, as the recorded models answer)
    for the part of a report in an extraction request, about ``tokens_per_char``
    x 4 characters long per character of the part's sentences (the server
    counts ceil(chars / 4) tokens): one claim per ``per_claim`` sentences, each
    citing the first sentence of its group (or the first two), its statement
    made of the group's words to the length wanted. Other requests get
    ``tests.support.synthetic_model.answer``."""
    from tests.support import synthetic_model

    if synthetic_model.schema_name(body) != "ReportDraft":
        return synthetic_model.answer(body)
    user = next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user" and "<<<REPORT" in m.get("content", "")), "")
    numbered = [(int(number), text.strip()) for number, text in _NUMBERED.findall(user)]
    chars = sum(len(text) for _, text in numbered) + max(0, len(numbered) - 1)
    wanted = 4 * tokens_per_char * chars
    groups = [numbered[i : i + per_claim] for i in range(0, len(numbered), per_claim)]
    draft = {
        "outlet": None, "dateline": None, "pub": DAY.isoformat(), "pub_est": False, "pub_why": "stated in the text", "wire": [],
        "summary": " ".join(text for _, text in numbered[:2])[:400] or "An empty report.",
        "sp": [{"name": "the report", "org": None, "camp": None}, {"name": "officials", "org": None, "camp": None}],
        "terms": [], "c": [],
    }
    fixed = len(json.dumps(draft, indent=2))
    room = (wanted - fixed) / max(1, len(groups))
    for index, group in enumerate(groups):
        first, last = group[0][0], group[min(1, len(group) - 1)][0]
        words = " ".join(text for _, text in group).split()
        claim = {"s": "", "ev": f"S{first}" if index % 4 or first == last else f"S{first}-S{last}", "q": None, "sp": index % 2, "via": [],
                 "m": "reported", "mt": f"What does sentence {first} report?", "pos": " ".join(words[2:6]), "f": [], "d": None}
        bare = len(json.dumps(claim, indent=2)) + 6  # the claim's indentation inside "c", and its separator
        length = max(40, int(room - bare))
        text = " ".join(words) or "Nothing."
        claim["s"] = (text * (length // len(text) + 1))[:length].rstrip() + "."
        draft["c"].append(claim)
    return json.dumps(draft, indent=2)


class ProportionalResponder:
    """Answers ``proportional_answer(body)`` after ``tokens / tokens_per_s``
    seconds (0 for no latency), where tokens is the answer's estimate
    (ceil(chars / 4), as the server counts). An answer over the request's
    ``max_completion_tokens`` is cut there and sent with finish_reason
    "length", as a real provider does. Records, per request, the answer's
    tokens, the budget and the latency served."""

    def __init__(self, tokens_per_s: float = 0.0, answer=proportional_answer) -> None:
        import threading

        self.tokens_per_s = tokens_per_s
        self.answer = answer
        self._lock = threading.Lock()
        self.served: list[dict] = []  # {"tokens", "budget", "truncated", "latency_s", "schema"}

    def __call__(self, body: dict, attempt_index: int):
        from tests.support import synthetic_model
        from tests.support.openai_server import Reply, estimate_tokens

        text = self.answer(body)
        tokens = estimate_tokens(text)
        budget = body.get("max_completion_tokens") or body.get("max_tokens")
        truncated = budget is not None and tokens > budget
        if truncated:
            text = text[: 4 * budget]
        latency = estimate_tokens(text) / self.tokens_per_s if self.tokens_per_s else 0.0
        with self._lock:
            self.served.append({"tokens": tokens, "budget": budget, "truncated": truncated, "latency_s": latency,
                                "schema": synthetic_model.schema_name(body)})
        return Reply.content(text, finish_reason="length" if truncated else "stop", delay_s=latency)
