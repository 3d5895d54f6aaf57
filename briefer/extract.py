"""Extract: Report -> ReportBrief, through the prompt layer.

The model drafts a brief; every quote is grounded in the report; a brief with
invalid fields or ungrounded quotes is re-asked with the problems listed (on a
copy of the messages). What still fails is rejected and recorded, never
dropped silently and never rendered as fact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from .cache import cache_key
from .chunks import split_text
from .ground import NormalisedText, QuoteNotFound, contains, locate
from .llm import AttemptLog, InvalidAnswer, LLMClient, ModelCallError, Truncated, schema_prompt
from .models import ActorMention, BriefDraft, Claim, ClaimDraft, Figure, RejectedClaim, Report, ReportBrief
from .places import gazetteer, origin_table
from .prompting import PromptSet

UNKNOWN_OUTLET = "unknown"


class Cache(Protocol):
    def get(self, key: str) -> ReportBrief | None: ...
    def put(self, key: str, brief: ReportBrief) -> None: ...


class ExtractionFailed(ModelCallError):
    def __init__(self, report_id: str, reason: str) -> None:
        super().__init__(f"report {report_id}: {reason}")
        self.report_id = report_id
        self.reason = reason


@dataclass(frozen=True)
class ExtractOptions:
    max_reasks: int = 1
    max_budget_factor: int = 4  # a cut-off answer is retried with 2x, then 4x the output budget
    chunk_chars: int = 24_000  # longer reports are split (about 6k tokens a chunk)
    overlap_chars: int = 1_500


class Extractor:
    def __init__(self, client: LLMClient, prompts: PromptSet, cache: Cache, options: ExtractOptions = ExtractOptions()) -> None:
        self.client = client
        self.prompts = prompts
        self.cache = cache
        self.options = options
        self._schema = json.dumps(BriefDraft.model_json_schema(), sort_keys=True)  # also warms the schema cache
        self._prompt_fingerprint = prompts.fingerprint()

    def key_for(self, report: Report) -> str:
        s = self.client.settings
        return cache_key(
            s.model, s.response_mode, str(s.max_output_tokens), repr(self.options),
            self._prompt_fingerprint, self._schema, report.sha256, report.id,
            report.published.isoformat() if report.published else "", report.outlet or "", report.title or "",
        )

    def messages_for(self, report: Report, part: tuple[int, int] | None = None) -> list[dict[str, str]]:
        system = self.prompts.render("extract.system.j2")
        if self.client.settings.response_mode == "json_object":
            system += "\n\nAnswer with one JSON object that validates against this JSON schema:\n" + schema_prompt(BriefDraft)
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": self.prompts.render("extract.user.j2", report=report, part=part, fence=fence_for(report.text))},
        ]

    def cached(self, report: Report) -> ReportBrief | None:
        return self.cache.get(self.key_for(report))

    def extract(self, report: Report, *, refresh: bool = False) -> tuple[ReportBrief, bool]:
        """The report's brief, and whether it came from the cache."""
        key = self.key_for(report)
        if not refresh:
            cached = self.cache.get(key)
            if cached is not None:
                return cached, True
        brief = self._extract_live(report)
        self.cache.put(key, brief)
        return brief, False

    def _extract_live(self, report: Report) -> ReportBrief:
        log = AttemptLog()
        chunks = split_text(report.text, self.options.chunk_chars, self.options.overlap_chars)
        if len(chunks) == 1:
            draft, model, reasks, whole = self._draft(report, None, log)
            return build_brief(report, draft, whole, model=model, attempts=log.attempts, reasks=reasks, usage=log.usage)
        drafts = [self._draft(report.model_copy(update={"text": text}), (number, len(chunks)), log) for number, (_, text) in enumerate(chunks, start=1)]
        combined = _combine([d for d, _, _, _ in drafts])
        return build_brief(
            report, combined, NormalisedText.of(report.text), model=drafts[-1][1],
            attempts=log.attempts, reasks=sum(r for _, _, r, _ in drafts), usage=log.usage, dedupe=True,
        )

    def _draft(self, report: Report, part: tuple[int, int] | None, log: AttemptLog) -> tuple[BriefDraft, str, int, NormalisedText]:
        """One grounded-as-far-as-possible draft for a report or one of its
        chunks, and the normalised text it was grounded in."""
        messages = self.messages_for(report, part)
        normalised: NormalisedText | None = None  # made after the first answer: keeps CPU off the request path
        reasks = 0
        model = ""
        budget = self.client.settings.max_output_tokens
        while True:
            try:
                completion = self.client.complete(messages, BriefDraft, max_tokens=budget, log=log)
            except Truncated as exc:
                if budget * 2 > self.client.settings.max_output_tokens * self.options.max_budget_factor:
                    raise ExtractionFailed(report.id, f"{exc}, even after raising the budget; split the report") from exc
                budget *= 2
                continue
            except InvalidAnswer as exc:
                model = exc.model or model
                if reasks >= self.options.max_reasks:
                    raise ExtractionFailed(report.id, f"answer invalid against the schema after {reasks} re-ask(s): {exc}") from exc
                reasks += 1
                messages = [*messages, {"role": "user", "content": self.prompts.render("reask.user.j2", problems=exc.problems)}]
                continue
            except ModelCallError as exc:
                raise ExtractionFailed(report.id, str(exc)) from exc
            model = completion.model or model
            draft = completion.parsed
            normalised = normalised or NormalisedText.of(report.text)
            problems = _grounding_problems(draft, normalised)
            if problems and reasks < self.options.max_reasks:
                reasks += 1
                messages = [
                    *messages,
                    {"role": "assistant", "content": draft.model_dump_json()},
                    {"role": "user", "content": self.prompts.render("reask.user.j2", problems=problems)},
                ]
                continue
            return draft, model, reasks, normalised


def _combine(drafts: list[BriefDraft]) -> BriefDraft:
    """One draft from a chunked report's drafts: the first chunk's metadata, every claim."""
    claims = []
    for draft in drafts:
        base = len(claims)
        for claim in draft.claims:
            link = claim.disputes_claim
            claims.append(claim.model_copy(update={"disputes_claim": None if link is None else link + base}))
    first = drafts[0]
    credits = list(dict.fromkeys(c for d in drafts for c in d.wire_credits))
    return first.model_copy(update={"claims": claims, "wire_credits": credits})


def fence_for(text: str) -> str:
    """A marker code derived from the text itself: deterministic (so replays
    match) yet not something the text can contain to close its own fence."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _grounding_problems(draft: BriefDraft, normalised: NormalisedText) -> list[str]:
    problems = []
    for index, claim in enumerate(draft.claims):
        try:
            locate(claim.quote, normalised)
        except QuoteNotFound as exc:
            problems.append(f"claims[{index}].quote {claim.quote!r}: {exc}")
    return problems


def build_brief(report: Report, draft: BriefDraft, normalised: NormalisedText, *, model: str, attempts: int, reasks: int, usage, dedupe: bool = False) -> ReportBrief:
    """Ground a draft and turn it into the pipeline's ReportBrief (pure).

    With ``dedupe`` (chunked reports), a claim on the same span with the same
    modality and event type as an earlier one, from the overlap, is dropped.
    """
    seen: set[tuple[int, int, str, str]] = set()
    outlet = report.outlet or draft.outlet or None
    published, date_source, basis = _publication_date(report, draft)
    claims: list[Claim] = []
    rejected: list[RejectedClaim] = []
    for index, draft_claim in enumerate(draft.claims):
        try:
            span = locate(draft_claim.quote, normalised)
        except QuoteNotFound as exc:
            rejected.append(
                RejectedClaim(report_id=report.id, statement=draft_claim.statement, quote=draft_claim.quote, speaker=draft_claim.speaker, reason=str(exc))
            )
            continue
        identity = (span.start, span.end, draft_claim.modality, draft_claim.event_type)
        if dedupe and identity in seen:
            continue
        seen.add(identity)
        claims.append(_claim(report, draft_claim, index, len(draft.claims), span.start, span.end, outlet or UNKNOWN_OUTLET, published, normalised))
    return ReportBrief(
        report_id=report.id,
        outlet=outlet,
        dateline=draft.dateline,
        published=published,
        date_source=date_source,
        date_basis=basis,
        wire_credits=draft.wire_credits,
        summary=draft.summary,
        claims=claims,
        rejected=rejected,
        model=model,
        attempts=attempts,
        reasks=reasks,
        usage=usage,
    )


def _publication_date(report: Report, draft: BriefDraft) -> tuple[dt.date | None, str, str]:
    if report.published is not None:
        return report.published, report.date_source, report.date_basis
    if draft.published:
        try:
            estimate = dt.date.fromisoformat(draft.published)
        except ValueError:
            return None, "none", f"the model's date {draft.published!r} is not YYYY-MM-DD"
        return estimate, "estimate", f"estimated by the model: {draft.published_basis}"
    return None, "none", "no date stated and none could be estimated"


def _claim(report: Report, draft: ClaimDraft, index: int, total: int, start: int, end: int, outlet: str, published, normalised: NormalisedText) -> Claim:
    places = gazetteer().normalise(draft.locations)
    origins = origin_table()
    speaker = draft.speaker.strip() or "the report (unattributed)"
    unattributed = speaker.lower().startswith("the report") or speaker == outlet
    origin = f"{outlet} (report {report.id})" if unattributed and outlet == UNKNOWN_OUTLET else origins.origin_of(speaker)
    return Claim(
        id=f"{report.id}-{index}",
        report_id=report.id,
        statement=draft.statement.strip(),
        quote=report.text[start:end],
        start=start,
        end=end,
        speaker=speaker,
        speaker_type=draft.speaker_type,
        origin=origin,
        via=[v.strip() for v in draft.via if v.strip()],
        outlet=outlet,
        modality=draft.modality,
        event_type=draft.event_type,
        locations=places,
        area=next((p for p in places if gazetteer().known(p)), places[0] if places else "Unspecified"),
        actors=[ActorMention(term=a.term.strip(), actor=a.actor.strip()) for a in draft.actors if contains(a.term, normalised)],
        control=draft.control if draft.event_type == "territorial_control" else None,
        figures=[Figure(**f.model_dump()) for f in draft.figures],
        event_date=draft.event_date,
        published=published,
        disputes=f"{report.id}-{draft.disputes_claim}" if _valid_index(draft.disputes_claim, index, total) else None,
    )


def _valid_index(target: int | None, own: int, total: int) -> bool:
    return target is not None and 0 <= target < total and target != own
