"""Run one day through the real pipeline, in its own process, and print one JSON line.

    python -m benchmarks.day --reports DIR --cache DIR --base-url URL --concurrency 16

Timed: ``run_daily`` only (not the interpreter's start or imports), and within
it the reconcile stage (``Reconciler.reconcile``), so the time up to reconcile
(ingest, extraction, grounding) can be told apart. Memory: this process's peak
resident set (``ru_maxrss``) at the end, which includes the interpreter and
every import.

With ``--batch`` the extraction requests go out as one Batch job (the
server's Files and Batches endpoints) and ``--day-json`` writes the day's JSON
twin, so two runs' sitreps can be compared.

With ``--stop-at-reconcile`` the run ends where the reconcile stage would
start (for extraction-only figures on days too large to reconcile quickly):
the line then has the extraction's time and counts only (``stopped: true``).
CPU: the process's user + system seconds from the start of ``run_daily`` to
the reconcile stage (``extract_cpu_s``), every thread included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.day")
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--date", default="2024-12-07")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-throttle", action="store_true", help="turn the adaptive 429 throttle off (for comparison)")
    parser.add_argument("--max-attempts", type=int, default=5)
    parser.add_argument("--stop-at-reconcile", action="store_true", help="end the run where the reconcile stage would start")
    parser.add_argument("--batch", action="store_true", help="extraction as a Batch job at the server (briefer daily --batch)")
    parser.add_argument("--day-json", type=Path, help="also write the day's JSON twin here")
    args = parser.parse_args(argv)

    from briefer.cache import DiskCache
    from briefer.extract import ExtractionFailed, Extractor
    from briefer.llm import LLMClient, ModelSettings
    from briefer.pipeline import DailyRequest, prep_threads, run_daily
    from briefer.prompting import PromptSet
    from briefer.reconcile import ReconcileOptions, Reconciler

    options = {"adaptive_throttle": False} if args.no_throttle else {}
    settings = ModelSettings(model="bench", api_key="bench", base_url=args.base_url, timeout_s=60, max_attempts=args.max_attempts,
                             max_in_flight=args.concurrency, **options)
    # As the CLI does: one client (one cap on requests in flight) and one cache for both stages.
    client = LLMClient(settings)
    prompts = PromptSet()
    cache = DiskCache(args.cache)
    extractor = Extractor(client, prompts, cache)
    reconciler = Reconciler(client, prompts, cache, ReconcileOptions(concurrency=args.concurrency))
    marks: dict[str, float] = {}
    reconcile = reconciler.reconcile
    failures: list[str] = []
    extract = extractor.extract

    def counted_extract(report, **kw):
        try:
            return extract(report, **kw)
        except ExtractionFailed:
            failures.append(report.id)
            raise

    extractor.extract = counted_extract

    class Stop(Exception):
        pass

    def timed_reconcile(*a, **kw):
        marks["reconcile_start"] = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        marks["extract_cpu_s"] = usage.ru_utime + usage.ru_stime
        if args.stop_at_reconcile:
            claims, sources = a[0], a[1]
            marks["claims"], marks["reports"] = len(claims), len(sources)
            raise Stop
        try:
            return reconcile(*a, **kw)
        finally:
            marks["reconcile_end"] = time.perf_counter()

    reconciler.reconcile = timed_reconcile
    request = DailyRequest(date=dt.date.fromisoformat(args.date), reports_dir=args.reports, concurrency=args.concurrency,
                           prep_threads=prep_threads(args.concurrency))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_started = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    batch = None
    if args.batch:
        from briefer.batch import BatchOptions, BatchRunner

        batch = BatchRunner(client, args.cache / "batches", BatchOptions(poll_s=0.1, first_poll_s=0.1))
    try:
        run = run_daily(request, extractor, reconciler, batch=batch)
    except Stop:
        print(json.dumps({
            "stopped": True,
            "wall_s": marks["reconcile_start"] - started,
            "extract_s": marks["reconcile_start"] - started,
            "extract_cpu_s": marks["extract_cpu_s"] - cpu_started,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "reports": marks["reports"],
            "failed": len(failures),
            "claims": marks["claims"],
        }))
        return 0
    ended = time.perf_counter()
    day = run.day
    if args.day_json:
        from briefer.render import render_json

        args.day_json.write_text(render_json(day), encoding="utf-8")
    by_stage = day.usage_by_stage
    print(json.dumps({
        "wall_s": ended - started,
        "extract_s": marks.get("reconcile_start", ended) - started,  # ingest, extraction and grounding: up to the reconcile stage
        "reconcile_s": marks.get("reconcile_end", ended) - marks.get("reconcile_start", ended),
        "extract_cpu_s": marks["extract_cpu_s"] - cpu_started if "extract_cpu_s" in marks else None,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reports": len(day.sources),
        "failed": len(run.failed_reports),
        "cached": run.cached,
        "cached_answers": day.cached_answers,
        "claims": len(day.claims),
        "rejected": len(day.rejected),
        "matters": len(day.matters),
        "reconcile_errors": sum(1 for n in day.notes if n.stage == "reconcile" and n.severity == "error"),
        "requests": day.usage.requests,
        "run_requests": day.run_requests,
        "prompt_tokens": day.usage.prompt_tokens,
        "extraction_requests": by_stage["extraction"].requests if "extraction" in by_stage else None,
        "reconcile_requests": by_stage["reconcile"].requests if "reconcile" in by_stage else None,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
