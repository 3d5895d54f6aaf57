"""Run one day through the real pipeline, in its own process, and print one JSON line.

    python -m benchmarks.day --reports DIR --cache DIR --base-url URL --concurrency 16

Timed: ``run_daily`` only (not the interpreter's start or imports). Memory:
this process's peak resident set (``ru_maxrss``) at the end, which includes
the interpreter and every import.
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
    args = parser.parse_args(argv)

    from briefer.cache import BriefCache
    from briefer.extract import Extractor
    from briefer.llm import LLMClient, ModelSettings
    from briefer.pipeline import DailyRequest, prep_threads, run_daily
    from briefer.prompting import PromptSet

    options = {"adaptive_throttle": False} if args.no_throttle else {}
    settings = ModelSettings(model="bench", api_key="bench", base_url=args.base_url, timeout_s=60, max_attempts=args.max_attempts,
                             max_in_flight=args.concurrency, **options)
    extractor = Extractor(LLMClient(settings), PromptSet(), BriefCache(args.cache))
    request = DailyRequest(date=dt.date.fromisoformat(args.date), reports_dir=args.reports, concurrency=args.concurrency,
                           prep_threads=prep_threads(args.concurrency))
    started = time.perf_counter()
    run = run_daily(request, extractor)
    wall = time.perf_counter() - started
    day = run.day
    print(json.dumps({
        "wall_s": wall,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reports": len(day.sources),
        "failed": len(run.failed_reports),
        "cached": run.cached,
        "claims": len(day.claims),
        "rejected": len(day.rejected),
        "groups": len(day.groups),
        "requests": day.usage.requests,
        "prompt_tokens": day.usage.prompt_tokens,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
