"""The day's run: ingest -> extract (with grounding) -> reconcile -> label -> Day.

Rendering and publishing happen after, at the CLI edge.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol, TypeVar

from . import __version__
from .batch import BatchRunner
from .extract import ExtractionFailed, Extractor
from .ingest import DEFAULT_MAX_BYTES, ingest_folder, partition, window_start
from .llm import NoRecording
from .cost import estimate
from .dedupe import near_duplicates
from .figures import checked_figures, figure_rows
from .framing import framing_rows
from .label import label_all
from .models import Claim, Day, Notice, Report, ReportBrief, SourceRow, Usage
from .profile import StoryProfile, apply_profile, fold
from .reconcile import Reconciler
from .synthesize import Synthesis, Synthesizer
from .takeaways import takeaways
from .workers import worker_pool

T = TypeVar("T")


class Progress(Protocol):
    def note(self, message: str) -> None:
        """A warning or error about one input: always worth showing."""

    def advance(self, done: int, total: int, message: str) -> None:
        """One more report finished."""


class SilentProgress:
    def note(self, message: str) -> None:
        pass

    def advance(self, done: int, total: int, message: str) -> None:
        pass


class NoReportsForDay(ValueError):
    """Nothing to report on; ``failed`` says whether model failures are why."""

    def __init__(self, message: str, *, failed: bool = False) -> None:
        super().__init__(message)
        self.failed = failed


@dataclass(frozen=True)
class DailyRequest:
    date: dt.date
    reports_dir: Path
    window_days: int = 7
    concurrency: int = 4  # model requests in flight at once
    # Threads beyond `concurrency` that prepare the next request and ground the
    # last answer while others wait on the model; only useful when the client
    # caps requests in flight itself (ModelSettings.max_in_flight).
    prep_threads: int = 0
    refresh: bool = False
    max_report_bytes: int = DEFAULT_MAX_BYTES
    mode: str = "live"
    priced_model: str = ""  # the model asked for: what a provider bills
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def prep_threads(concurrency: int) -> int:
    """Extra threads for a client that caps requests in flight at ``concurrency``."""
    return 0 if concurrency <= 1 else max(1, concurrency // 2)


@dataclass
class DayRun:
    day: Day
    failed_reports: list[str] = field(default_factory=list)
    cached: int = 0

    @property
    def partial(self) -> bool:
        return bool(self.failed_reports)


def run_daily(
    request: DailyRequest, extractor: Extractor, reconciler: Reconciler, progress: Progress = SilentProgress(), *,
    profile: StoryProfile | None = None, synthesizer: Synthesizer | None = None, now: dt.datetime | None = None,
    batch: BatchRunner | None = None,
) -> DayRun:
    ingested = ingest_folder(request.reports_dir, max_bytes=request.max_report_bytes)
    notices = list(ingested.notices)
    for notice in notices:
        progress.note(f"warning: {notice.line()}")
    primary, context, undated, outside = partition(ingested.reports, request.date, request.window_days)
    if outside:  # one line however many: a busy archive folder must not bury the notes
        dates = sorted(r.published for r in outside if r.published)
        notices.append(Notice(
            stage="ingest", subject=f"{len(outside)} report{'s' if len(outside) != 1 else ''}", severity="info",
            message=f"not used: published outside the window ({dates[0]} to {dates[-1]})" + (f": {', '.join(r.id for r in outside)}" if len(outside) <= 5 else ""),
        ))
    wanted = sorted(primary + context + undated, key=lambda r: r.id)
    if not primary and not undated:
        raise NoReportsForDay(f"no reports dated {request.date} in {request.reports_dir} ({len(ingested.reports)} readable reports in all)")

    # Finding wire copies needs only the texts: done while the model works.
    briefs, failed, cached, all_copies, failed_attempts = _extract_all(
        wanted, extractor, request, progress, notices, meanwhile=lambda: near_duplicates(wanted), batch=batch,
    )
    start = window_start(request.date, request.window_days)
    roles: dict[str, str] = {}
    for report in wanted:
        brief = briefs.get(report.id)
        if brief is None:
            continue
        published = brief.published
        if published == request.date:
            roles[report.id] = "primary"
        elif published is not None and start <= published < request.date:
            roles[report.id] = "context"
        else:
            when = f"estimated {published}" if published else "no date could be estimated"
            notices.append(Notice(stage="extract", subject=report.id, message=f"not used: {when}, outside the window", severity="info"))
    if "primary" not in roles.values():
        if failed:
            raise NoReportsForDay(f"no report could be placed on {request.date}: {len(failed)} of {len(wanted)} failed", failed=True)
        raise NoReportsForDay(
            f"no reports dated {request.date} in {request.reports_dir} ({len(undated)} undated report(s) were estimated to other dates)"
        )

    used = [briefs[r.id] for r in wanted if r.id in roles]
    copies = {copy: (original, score) for copy, (original, score) in all_copies.items() if copy in roles and original in roles}
    for copy_id, (original_id, score) in sorted(copies.items()):
        notices.append(Notice(
            stage="reconcile", subject=f"report {copy_id}", severity="info",
            message=f"near-duplicate of report {original_id} ({score:.0%} of word sequences shared): told to the model as a copy, so its voice is not an independent origin",
        ))
    report_of = {r.id: r for r in wanted}
    sources = [_source_row(report_of[b.report_id], b, roles[b.report_id], copies.get(b.report_id, (None,))[0]) for b in used]
    claims, figure_notes = checked_figures(_numbered_claims(used))
    notices.extend(figure_notes)

    reconciled = reconciler.reconcile(claims, sources, refresh=request.refresh)
    notices.extend(reconciled.notes)
    for note in reconciled.notes:
        if note.severity == "error":
            progress.note(f"warning: {note.line()}")
    origins, matters = apply_profile(profile, reconciled.origins, reconciled.matters)
    by_id = {c.id: c for c in claims}
    primary_ids = {rid for rid, role in roles.items() if role == "primary"}
    matters, label_notes = label_all(matters, by_id, origins, primary_ids)
    notices.extend(label_notes)
    origin_of = {o.id: o for o in origins}

    extraction_usage = sum((b.usage for b in briefs.values()), Usage())
    usage = extraction_usage + reconciled.usage
    # Every request this run made, the failed ones too: they were sent, and may be billed.
    run_requests = sum(b.attempts for rid, b in briefs.items() if rid not in cached) + failed_attempts + reconciled.run_requests
    models = sorted({b.model for b in briefs.values() if b.model} | {m for m in reconciled.models if m})
    day = Day(
        date=request.date,
        window_start=start,
        generated_at=(now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        model=", ".join(models) or "none",
        mode=request.mode,
        sources=sources,
        claims=claims,
        rejected=[r for b in used for r in b.rejected],
        origins=origins,
        matters=matters,
        figures=figure_rows(matters, by_id, origin_of),
        framing=framing_rows(used),
        takeaways=takeaways(matters, by_id, origin_of),
        notes=notices,
        usage=usage,
        usage_by_stage={"extraction": extraction_usage, "reconcile": reconciled.usage},
        cost=estimate(usage, request.priced_model, request.prices),
        run_requests=run_requests,
        cached_answers=len(cached) + reconciled.cached_answers,
        answer_sources=dict(sorted((Counter(b.source or "unknown (cached before briefer recorded sources)" for b in used) + reconciled.sources).items())),
        profile=profile.name if profile else None,
        briefer_version=__version__,
    )
    for path in sorted(set(getattr(extractor.cache, "damaged", []))):
        day.notes.append(Notice(stage="extract", subject=str(path), severity="warning",
                                message="cache entry damaged: refused, and the model was asked again"))
    if synthesizer is not None:
        day = _with_bottom_line(day, synthesizer.synthesize(day, loaded_terms(used), refresh=request.refresh))
    day = day.model_copy(update={
        "cost": estimate(day.usage, request.priced_model, request.prices),
        "cost_by_stage": {stage: cost.amount for stage, u in day.usage_by_stage.items()
                          if (cost := estimate(u, request.priced_model, request.prices)) is not None},
    })
    return DayRun(day=day, failed_reports=failed, cached=len(cached))


def loaded_terms(briefs: list[ReportBrief]) -> list[str]:
    """The day's own words for actors that share no word with their neutral name."""
    found = []
    for brief in briefs:
        for term in brief.terms:
            words = set(fold(term.term).split())
            if words and not words & set(fold(term.actor).split()):
                found.append(term.term)
    return sorted(set(found))


def _with_bottom_line(day: Day, synthesis: Synthesis) -> Day:
    """The model's checked bottom line in place of code's own, when any sentence passed."""
    stages = {**day.usage_by_stage, "synthesis": synthesis.usage}
    sources = dict(day.answer_sources)
    if synthesis.source or synthesis.cached:
        label = synthesis.source or "unknown (cached before briefer recorded sources)"
        sources[label] = sources.get(label, 0) + 1
    models = sorted({*day.model.split(", "), synthesis.model} - {"", "none"}) if synthesis.model else None
    update = {
        "notes": [*day.notes, *synthesis.notes], "usage": day.usage + synthesis.usage, "usage_by_stage": stages,
        "run_requests": day.run_requests + synthesis.run_requests, "cached_answers": day.cached_answers + int(synthesis.cached),
        "answer_sources": dict(sorted(sources.items())),
    }
    if models:
        update["model"] = ", ".join(models)
    if synthesis.lines:
        update.update(takeaways=synthesis.lines, bottom_line_by="model")
    return day.model_copy(update=update)


def _extract_all(
    reports: list[Report], extractor: Extractor, request: DailyRequest, progress: Progress, notices: list[Notice], meanwhile: Callable[[], T],
    batch: BatchRunner | None = None,
) -> tuple[dict[str, ReportBrief], list[str], set[str], T, int]:
    """Every report's brief, concurrently. ``meanwhile`` runs in this thread
    once the first wave of requests is on the wire, when the workers are all
    waiting on the model (run at the start, it would slow that wave; run
    later, the grounding of answers). With a ``batch`` runner, the misses'
    first requests go out as Batch jobs first."""
    briefs: dict[str, ReportBrief] = {}
    failed: list[str] = []
    failed_attempts = 0
    cached: set[str] = set()
    done = 0
    # Cache hits first, in this thread: threads only pay off while waiting on the model.
    misses = []
    for report in reports:
        brief = None if request.refresh else extractor.cached(report)
        if brief is None:
            misses.append(report)
            continue
        briefs[report.id] = brief
        cached.add(report.id)
        done += 1
        progress.advance(done, len(reports), f"report {report.id}: {len(brief.claims)} claims, {len(brief.rejected)} rejected (cache)")

    collected = None
    if batch is not None and misses:
        extractor, collected = batch.prefetch(extractor, misses, progress)
        notices.extend(collected.notes)

    def one(report: Report):
        try:
            return report, *extractor.extract(report, refresh=True), None
        except ExtractionFailed as exc:
            return report, None, False, exc

    first = done + 1
    with worker_pool(request.concurrency + request.prep_threads) as pool:
        # Longest first: report length predicts latency, so the slowest requests
        # start first and the day does not wait on one long report at the end.
        misses.sort(key=lambda r: (-len(r.text), r.id))
        futures = [pool.submit(one, report) for report in misses]
        if futures:
            _first_wave_sent(futures, extractor.client, min(request.concurrency, len(futures)))
        side_result = meanwhile()
        # Results in input order, so notes and ids never depend on timing.
        for done, future in enumerate(futures, start=first):
            report, brief, from_cache, error = future.result()
            if error is not None:
                reason = error.reason
                if isinstance(error.__cause__, NoRecording):
                    reason = f"{reason}; with no API key set, only recorded reports can be processed (set OPENAI_API_KEY or OPENAI_BASE_URL)"
                failed.append(report.id)
                failed_attempts += error.attempts
                tried = f" after {error.attempts} request{'s' if error.attempts != 1 else ''}" if error.attempts else ""
                notices.append(Notice(stage="extract", subject=f"report {report.id} ({report.path})", message=f"failed{tried}: {reason}", severity="error"))
                progress.note(f"error: report {report.id} ({report.path}): {reason}")
                continue
            briefs[report.id] = brief
            if from_cache:
                cached.add(report.id)
            source = "cache" if from_cache else f"{brief.attempts} request{'s' if brief.attempts != 1 else ''}"
            progress.advance(done, len(reports), f"report {report.id}: {len(brief.claims)} claims, {len(brief.rejected)} rejected ({source})")
    if collected is not None:
        batch.forget(collected)  # every answer is in the cache now
    return briefs, failed, cached, side_result, failed_attempts


def _first_wave_sent(futures: list, client, wave: int, timeout_s: float = 2.0) -> None:
    """Return once the first ``wave`` requests are on the wire (or an answer is
    in): the workers then only wait, and work done in this thread meanwhile
    delays nothing. A client that does not count its requests on the wire
    (replay) is waited on until its first answer."""
    on_the_wire = getattr(client, "on_the_wire", None)
    if on_the_wire is None or on_the_wire() is None:
        wait(futures, timeout=timeout_s, return_when=FIRST_COMPLETED)
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and on_the_wire() < wave and not any(f.done() for f in futures[:wave]):
        time.sleep(0.005)


def _numbered_claims(briefs: list[ReportBrief]) -> list[Claim]:
    """Day-wide ids C1..Cn in report order."""
    claims: list[Claim] = []
    for brief in briefs:
        for claim in brief.claims:
            claims.append(claim.model_copy(update={"id": f"C{len(claims) + 1}"}))
    return claims


def _source_row(report: Report, brief: ReportBrief, role: str, copy_of: str | None) -> SourceRow:
    return SourceRow(
        report_id=brief.report_id,
        role=role,
        outlet=brief.outlet or "unknown",
        published=brief.published,
        date_source=brief.date_source,
        date_basis=brief.date_basis,
        dateline=brief.dateline,
        wire_credits=brief.wire_credits,
        summary=brief.summary,
        path=report.path,
        claims=len(brief.claims),
        rejected=len(brief.rejected),
        copy_of=copy_of,
        usage=brief.usage,
    )
