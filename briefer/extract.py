"""Extract: Report -> ReportBrief, through the prompt layer.

The report goes out as numbered sentences; the model answers with a lean
ReportDraft whose claims cite sentences ("S4-S5") rather than copying quotes.
Code expands each reference to the verbatim text and its offsets, so a
claim's evidence is exact by construction; an optional shorter span is
checked against the cited sentences. A draft with bad references is re-asked
once with the problems listed; what still fails is rejected and recorded,
never dropped silently and never rendered as fact.

The cache keeps the model's answer only. The brief is rebuilt from it on
every run (cheap), so grounding and everything after it always reflect the
current code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from .asking import AnswerRejected, ask, system_message
from .cache import AnswerCache, cache_key
from .ground import QuoteNotFound, TermFinder
from .llm import AttemptLog, LLMClient, ModelCallError, Truncated
from .models import ActorTerm, Claim, ClaimDraft, Figure, ModelAnswer, RejectedClaim, Report, ReportBrief, ReportDraft
from .prompting import PromptSet
from .workers import worker_pool
from .sentences import BadReference, Sentences

UNKNOWN_OUTLET = "unknown"
_DRAFTS = TypeAdapter(list[ReportDraft])


class ExtractionFailed(ModelCallError):
    def __init__(self, report_id: str, reason: str, attempts: int = 0) -> None:
        super().__init__(f"report {report_id}: {reason}")
        self.report_id = report_id
        self.reason = reason
        self.attempts = attempts  # requests made (and paid for) before giving up


@dataclass(frozen=True)
class ExtractOptions:
    max_reasks: int = 1
    part_chars: int = 16_000  # longer reports go out in parts of whole sentences
    # Output budget from the part's length: the lean answer needs about
    # 0.5 tokens per report character, plus a fixed part; the margin keeps any
    # report clear of a cut-off answer, and the cap bounds a runaway one.
    budget_base: int = 1_536
    budget_per_char: float = 0.6
    budget_cap: int = 16_384


def output_budget(chars: int, options: ExtractOptions = ExtractOptions()) -> int:
    """Tokens to allow an answer for a part of ``chars`` characters (multiple of 512)."""
    wanted = options.budget_base + options.budget_per_char * chars
    return min(options.budget_cap, 512 * math.ceil(wanted / 512))


def parts_of(sentences: Sentences, limit: int) -> list[tuple[int, int]]:
    """[(first, last)] sentence numbers of parts of at most ``limit`` characters."""
    parts: list[tuple[int, int]] = []
    first, size = 1, 0
    for s in sentences.items:
        length = s.end - s.start + 8
        if size and size + length > limit:
            parts.append((first, s.number - 1))
            first, size = s.number, 0
        size += length
    if sentences.items:
        parts.append((first, len(sentences)))
    return parts


class Extractor:
    def __init__(self, client: LLMClient, prompts: PromptSet, cache: AnswerCache, options: ExtractOptions = ExtractOptions()) -> None:
        self.client = client
        self.prompts = prompts
        self.cache = cache
        self.options = options
        self._schema = json.dumps(ReportDraft.model_json_schema(), sort_keys=True)  # also warms the schema cache
        self._prompt_fingerprint = prompts.fingerprint("extract.system.j2", "extract.user.j2", "reask.user.j2")

    def key_for(self, report: Report) -> str:
        s = self.client.settings
        return cache_key(
            "extract", s.model, s.response_mode, repr(self.options), self._prompt_fingerprint, self._schema,
            report.sha256, report.id, report.published.isoformat() if report.published else "", report.outlet or "", report.title or "",
        )

    def system_prompt(self) -> str:
        return system_message(self.client, self.prompts, "extract.system.j2", ReportDraft)

    def messages_for(self, report: Report, sentences: Sentences, part: tuple[int, int], parts: int) -> list[dict[str, str]]:
        numbered = sentences.numbered(*part)
        user = self.prompts.render(
            "extract.user.j2", report=report, part=part, parts=parts, sentences=numbered, fence=fence_for(numbered),
        )
        # The static system prompt comes first and is identical for every report, so providers can cache it.
        return [{"role": "system", "content": self.system_prompt()}, {"role": "user", "content": user}]

    def cached(self, report: Report) -> ReportBrief | None:
        answer = self.cache.get(self.key_for(report))
        if answer is None:
            return None
        try:
            return brief_from_answer(report, answer)
        except ValueError:
            return None  # a damaged entry is a miss

    def extract(self, report: Report, *, refresh: bool = False) -> tuple[ReportBrief, bool]:
        """The report's brief, and whether its answer came from the cache."""
        if not refresh:
            brief = self.cached(report)
            if brief is not None:
                return brief, True
        answer = self._ask(report)
        self.cache.put(self.key_for(report), answer)
        return brief_from_answer(report, answer), False

    def first_requests(self, report: Report) -> list[tuple[list[dict[str, str]], int]]:
        """(messages, output budget) of each part's first request: what a batch job sends."""
        sentences = Sentences.of(report.text)
        return [(messages, budget) for _, messages, budget in self._plan(report, sentences)]

    def _plan(self, report: Report, sentences: Sentences) -> list[tuple[tuple[int, int], list[dict[str, str]], int]]:
        parts = parts_of(sentences, self.options.part_chars)
        planned = []
        for part in parts:
            chars = sentences.items[part[1] - 1].end - sentences.items[part[0] - 1].start
            planned.append((part, self.messages_for(report, sentences, part, len(parts)), output_budget(chars, self.options)))
        return planned

    def _ask(self, report: Report) -> ModelAnswer:
        log = AttemptLog()
        sentences = Sentences.of(report.text)
        if not len(sentences):
            raise ExtractionFailed(report.id, "no sentences found in the text")
        planned = self._plan(report, sentences)

        def one(request: tuple[tuple[int, int], list[dict[str, str]], int]):
            part, messages, budget = request
            return ask(
                self.client, self.prompts, messages, ReportDraft, check=lambda d: evidence_problems(d, sentences, part),
                max_tokens=budget, max_budget=self.options.budget_cap,
                log=log, max_reasks=self.options.max_reasks, strict=False,
            )

        try:
            if len(planned) == 1:
                answers = [one(planned[0])]
            else:  # parts of one report go out together
                with worker_pool(min(4, len(planned))) as pool:
                    answers = list(pool.map(one, planned))
        except AnswerRejected as exc:
            raise ExtractionFailed(report.id, f"answer invalid against the schema after re-asking: {exc}", log.attempts) from exc
        except Truncated as exc:
            raise ExtractionFailed(report.id, f"{exc}, even at the largest output budget", log.attempts) from exc
        except ModelCallError as exc:
            raise ExtractionFailed(report.id, str(exc), log.attempts) from exc
        content = _DRAFTS.dump_json([a.parsed for a in answers]).decode()
        return ModelAnswer(
            content=content, model=answers[-1].model, usage=log.usage, attempts=log.attempts, reasks=sum(a.reasks for a in answers),
            source=self.client.settings.provenance,
        )


def fence_for(text: str) -> str:
    """A marker code derived from the text itself: deterministic (so replays
    match) yet not something the text can contain to close its own fence."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def evidence_problems(draft: ReportDraft, sentences: Sentences, part: tuple[int, int] | None = None) -> list[str]:
    """What is wrong with a draft's evidence and speaker references."""
    problems = []
    for index, claim in enumerate(draft.c):
        try:
            sentences.resolve(claim.ev, claim.q)
        except (BadReference, QuoteNotFound) as exc:
            problems.append(f"c[{index}] ev {claim.ev!r}" + (f" q {claim.q!r}" if claim.q else "") + f": {exc}")
        if not 0 <= claim.sp < len(draft.sp):
            problems.append(f"c[{index}].sp {claim.sp} is not an index into sp (0-{len(draft.sp) - 1})")
    return problems


def brief_from_answer(report: Report, answer: ModelAnswer) -> ReportBrief:
    """Rebuild a report's brief from the model's cached answer (pure)."""
    try:
        drafts = _DRAFTS.validate_json(answer.content)
    except ValidationError as exc:
        raise ValueError(f"cached answer for report {report.id} does not fit the schema") from exc
    brief = build_brief(report, drafts, model=answer.model, attempts=answer.attempts, reasks=answer.reasks, usage=answer.usage)
    return brief.model_copy(update={"source": answer.source})


def build_brief(report: Report, drafts: list[ReportDraft], *, model: str, attempts: int, reasks: int, usage) -> ReportBrief:
    """Ground the drafts of a report's parts and turn them into its ReportBrief."""
    sentences = Sentences.of(report.text)
    first = drafts[0]
    outlet = report.outlet or first.outlet or None
    published, date_source, basis = _publication_date(report, first)
    claims: list[Claim] = []
    rejected: list[RejectedClaim] = []
    terms: dict[tuple[str, str], ActorTerm] = {}
    seen: set[tuple[int, int, str]] = set()
    uses = TermFinder(report.text)
    for draft in drafts:
        for term in draft.terms:
            if uses(term.term):  # a term the report does not use is not its framing
                terms.setdefault((term.term.strip(), term.actor.strip()), ActorTerm(term=term.term.strip(), actor=term.actor.strip()))
        for draft_claim in draft.c:
            speaker = draft.sp[draft_claim.sp] if 0 <= draft_claim.sp < len(draft.sp) else None
            speaker_name = (speaker.name.strip() if speaker else "") or "the report"
            try:
                span = sentences.resolve(draft_claim.ev, draft_claim.q)
            except (BadReference, QuoteNotFound) as exc:
                rejected.append(RejectedClaim(report_id=report.id, statement=draft_claim.s, quote=draft_claim.q or draft_claim.ev, speaker=speaker_name, reason=str(exc)))
                continue
            identity = (span.start, span.end, draft_claim.s)
            if identity in seen:
                continue
            seen.add(identity)
            claims.append(_claim(report, draft_claim, speaker, speaker_name, len(claims), span.start, span.end, outlet or UNKNOWN_OUTLET, published))
    return ReportBrief(
        report_id=report.id,
        outlet=outlet,
        dateline=first.dateline,
        published=published,
        date_source=date_source,
        date_basis=basis,
        wire_credits=list(dict.fromkeys(w for d in drafts for w in d.wire)),
        summary=" ".join(d.summary for d in drafts),
        claims=claims,
        terms=list(terms.values()),
        rejected=rejected,
        model=model,
        attempts=attempts,
        reasks=reasks,
        usage=usage,
    )


def _publication_date(report: Report, draft: ReportDraft) -> tuple[dt.date | None, str, str]:
    if report.published is not None:
        return report.published, report.date_source, report.date_basis
    if draft.pub:
        try:
            estimate = dt.date.fromisoformat(draft.pub)
        except ValueError:
            return None, "none", f"the model's date {draft.pub!r} is not YYYY-MM-DD"
        return estimate, "estimate", f"estimated by the model: {draft.pub_why}"
    return None, "none", "no date stated and none could be estimated"


def _claim(report: Report, draft: ClaimDraft, speaker, speaker_name: str, index: int, start: int, end: int, outlet: str, published) -> Claim:
    own_voice = speaker_name.lower() in ("the report", "report", outlet.lower())
    return Claim(
        id=f"{report.id}-{index}",
        report_id=report.id,
        statement=draft.s.strip(),
        quote=report.text[start:end],
        start=start,
        end=end,
        sentences=draft.ev.strip(),
        speaker=(outlet if outlet != UNKNOWN_OUTLET else f"report {report.id}") if own_voice else speaker_name,
        organisation=(speaker.org or None) if speaker else None,
        camp=(speaker.camp or None) if speaker else None,
        via=[v.strip() for v in draft.via if v.strip()],
        outlet=outlet,
        modality=draft.m,
        matter=draft.mt.strip(),
        position=draft.pos.strip(),
        figures=[Figure(value=f.n, unit=f.unit, counted=f.what, qualifier=f.qual, as_of=f.asof) for f in draft.f],
        event_date=draft.d,
        published=published,
    )
