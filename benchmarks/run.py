"""briefer's benchmarks, in one command:

    python -m benchmarks.run             # run, print the table, append a JSON line to benchmarks/results.jsonl
    python -m benchmarks.run --compare   # the same, with the change against the last line of the results file

Every figure is taken within this run, against a local OpenAI-compatible
server (tests/support/openai_server.py) that answers after a fixed latency.
See benchmarks/README.md for what each figure means and its target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import synth  # noqa: E402
from tests.support.openai_server import (  # noqa: E402
    FixedLatencyResponder,
    OpenAICompatibleServer,
    RateLimitedResponder,
)

RESULTS = ROOT / "benchmarks" / "results.jsonl"
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFER_"))}
ENV["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

DAY_REPORTS = 200
LATENCY_S = 0.5
CONCURRENCY = 16
SEQUENTIAL_REPORTS = 20
RATE_PER_S = 10.0
RATE_REPORTS = 100
MERGE_SIZES = (10_000, 40_000)
STARTUP_RUNS = 10


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_day(reports: Path, cache: Path, base_url: str, concurrency: int, *extra: str) -> dict:
    """One day through run_daily in a fresh process (benchmarks/day.py)."""
    command = [sys.executable, "-m", "benchmarks.day", "--reports", str(reports), "--cache", str(cache),
               "--base-url", base_url, "--concurrency", str(concurrency), "--date", synth.DAY.isoformat(), *extra]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark day failed ({' '.join(command)}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def subset(day: synth.Day, folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in day.paths[:count]:
        shutil.copy(path, folder / path.name)
    return folder


# ---------------------------------------------------------------- the cases


def bench_day(tmp: Path, day: synth.Day) -> dict:
    """1 overlap, 2 warm re-run, 6 memory, and the sequential baseline."""
    server = OpenAICompatibleServer(FixedLatencyResponder(LATENCY_S, synth.answer_for(day.meta)), model_name="briefer-benchmark-fixed-latency")
    with server:
        say(f"cold day: {DAY_REPORTS} reports, {LATENCY_S} s latency, --concurrency {CONCURRENCY} ...")
        before = server.request_count
        cold = run_day(day.folder, tmp / "cache", server.base_url, CONCURRENCY)
        cold_requests = server.request_count - before

        say("warm re-run: the same day, everything cached ...")
        before = server.request_count
        warm = run_day(day.folder, tmp / "cache", server.base_url, CONCURRENCY)
        warm_requests = server.request_count - before

        say(f"sequential baseline: {SEQUENTIAL_REPORTS} of the reports, --concurrency 1 ...")
        before = server.request_count
        seq = run_day(subset(day, tmp / "subset", SEQUENTIAL_REPORTS), tmp / "cache-seq", server.base_url, 1)
        seq_requests = server.request_count - before
    if cold["failed"] or seq["failed"] or warm["failed"]:
        raise SystemExit(f"reports failed in the fixed-latency day: {cold}, {warm}, {seq}")
    ideal = math.ceil(DAY_REPORTS / CONCURRENCY) * LATENCY_S
    seq_per_report = seq["wall_s"] / SEQUENTIAL_REPORTS
    return {
        "day_reports": DAY_REPORTS, "day_claims": cold["claims"], "day_groups": cold["groups"], "latency_s": LATENCY_S, "concurrency": CONCURRENCY,
        "cold_wall_s": cold["wall_s"], "cold_ideal_s": ideal, "overlap_ratio": cold["wall_s"] / ideal,
        "cold_model_calls": cold_requests, "cold_rejected_claims": cold["rejected"],
        "sequential_reports": SEQUENTIAL_REPORTS, "sequential_wall_s": seq["wall_s"], "sequential_model_calls": seq_requests,
        "sequential_s_per_report": seq_per_report, "speedup_vs_sequential": seq_per_report * DAY_REPORTS / cold["wall_s"],
        "warm_wall_s": warm["wall_s"], "warm_model_calls": warm_requests, "warm_cached": warm["cached"],
        "warm_speedup": cold["wall_s"] / warm["wall_s"],
        "peak_rss_mb": cold["maxrss_mb"], "warm_peak_rss_mb": warm["maxrss_mb"],
    }


def bench_rate_limit(tmp: Path, day: synth.Day) -> dict:
    """Adaptive throttling against a server that allows RATE_PER_S requests per second."""
    folder = subset(day, tmp / "rate", RATE_REPORTS)
    result: dict = {"rate_limit_per_s": RATE_PER_S, "rate_reports": RATE_REPORTS}
    for label, extra in (("rate", ()), ("rate_unthrottled", ("--no-throttle",))):
        say(f"rate-limited server ({RATE_PER_S:g}/s), {RATE_REPORTS} reports, --concurrency {CONCURRENCY}" + (", throttle off" if extra else "") + " ...")
        limiter = RateLimitedResponder(FixedLatencyResponder(LATENCY_S, synth.answer_for(day.meta)), per_second=RATE_PER_S)
        with OpenAICompatibleServer(limiter, model_name="briefer-benchmark-rate-limited") as server:
            out = run_day(folder, tmp / f"cache-{label}", server.base_url, CONCURRENCY, *extra)
            requests = server.request_count
        done = RATE_REPORTS - out["failed"]
        burst = limiter.capacity
        result.update({
            f"{label}_wall_s": out["wall_s"], f"{label}_done": done, f"{label}_failed": out["failed"],
            f"{label}_429s": limiter.limited, f"{label}_requests": requests,
            f"{label}_achieved_per_s": done / out["wall_s"],
            # without the bucket's initial burst and the last answer's latency:
            f"{label}_sustained_per_s": max(0.0, done - burst) / max(1e-9, out["wall_s"] - LATENCY_S),
        })
    result["rate_vs_limit"] = result["rate_achieved_per_s"] / RATE_PER_S
    result["rate_ideal_wall_s"] = (RATE_REPORTS - RATE_PER_S) / RATE_PER_S + LATENCY_S
    return result


def bench_merge() -> dict:
    say(f"merger: {' and '.join(f'{n:,}' for n in MERGE_SIZES)} synthetic claims (best of 3) ...")
    proc = subprocess.run([sys.executable, "-m", "benchmarks._merge", *map(str, MERGE_SIZES)], capture_output=True, text=True,
                          cwd=ROOT, env=ENV, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"merge benchmark failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    small, large = (out[str(n)] for n in MERGE_SIZES)
    return {
        "merge_10k_s": small["seconds"], "merge_40k_s": large["seconds"], "merge_ratio": large["seconds"] / small["seconds"],
        "merge_40k_blocks": large["blocks"], "merge_40k_largest_block": large["largest_block"],
    }


def best_of(command: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=ROOT, env=ENV, check=True, timeout=60)
        best = min(best, time.perf_counter() - started)
    return best


def bench_startup() -> dict:
    say(f"start-up: briefer --help and python -c pass, best of {STARTUP_RUNS} ...")
    python = best_of([sys.executable, "-c", "pass"], STARTUP_RUNS)
    help_ = best_of([sys.executable, "-m", "briefer", "--help"], STARTUP_RUNS)
    return {"startup_help_s": help_, "startup_python_s": python, "startup_over_python_s": help_ - python}


def bench_request_size() -> dict:
    """Prompt overhead for a 1,000-word article, in characters and in the server's tokens."""
    import openai

    from briefer.cache import NoCache
    from briefer.extract import Extractor
    from briefer.llm import LLMClient, ModelSettings
    from briefer.models import Report
    from briefer.prompting import PromptSet

    say("request size: one 1,000-word article ...")
    meta: dict = {}
    text = synth.article(1000, meta=meta)
    report = Report(id="001", path="001.txt", text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), published=synth.DAY,
                    date_source="text", date_basis="stated in the text")
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synth.answer_for(meta)), model_name="briefer-benchmark-size") as server:
        settings = ModelSettings(model="bench", api_key="bench", base_url=server.base_url)
        brief, _ = Extractor(LLMClient(settings), PromptSet(), NoCache()).extract(report)
        body = server.requests[-1]
        bare = openai.OpenAI(api_key="bench", base_url=server.base_url, max_retries=0).chat.completions.create(
            model="bench", messages=[{"role": "user", "content": text}])
    messages = "".join(m["content"] for m in body["messages"])
    schema = json.dumps(body["response_format"]["json_schema"], separators=(",", ":"), sort_keys=True)
    instructions = len(messages) - len(text)
    overhead_tokens = brief.usage.prompt_tokens - bare.usage.prompt_tokens
    return {
        "article_words": len(text.split()), "article_chars": len(text), "instructions_chars": instructions, "schema_chars": len(schema),
        "overhead_chars": instructions + len(schema), "overhead_ratio_chars": (instructions + len(schema)) / len(text),
        "prompt_tokens": brief.usage.prompt_tokens, "article_tokens": bare.usage.prompt_tokens, "overhead_tokens": overhead_tokens,
        "overhead_ratio_tokens": overhead_tokens / bare.usage.prompt_tokens,
    }


# ---------------------------------------------------------------- report

# (key, label, format, target text, check)
ROWS = [
    ("cold_wall_s", "1 overlap: cold day wall time", "{:.2f} s", "", None),
    ("cold_ideal_s", "  ideal ceil(200/16) x 0.5 s", "{:.2f} s", "", None),
    ("overlap_ratio", "  wall / ideal", "{:.3f}", "<= 1.10", lambda v: v <= 1.10),
    ("cold_model_calls", "  model calls at the server", "{:.0f}", "", None),
    ("sequential_wall_s", "  sequential (--concurrency 1), 20 reports", "{:.2f} s", "", None),
    ("speedup_vs_sequential", "  speed-up per report vs sequential", "{:.1f}x", "", None),
    ("warm_wall_s", "2 warm re-run wall time", "{:.3f} s", "", None),
    ("warm_model_calls", "  model calls at the server", "{:.0f}", "0", lambda v: v == 0),
    ("warm_speedup", "  cold / warm", "{:.1f}x", ">= 20x", lambda v: v >= 20),
    ("merge_10k_s", "3 merge 10k claims", "{:.3f} s", "", None),
    ("merge_40k_s", "  merge 40k claims", "{:.3f} s", "<= 2 s", lambda v: v <= 2.0),
    ("merge_ratio", "  40k / 10k time", "{:.2f}", "<= 5", lambda v: v <= 5.0),
    ("startup_help_s", "4 briefer --help (best of 10)", "{:.3f} s", "<= 0.3 s", lambda v: v <= 0.3),
    ("startup_python_s", "  python -c pass (baseline)", "{:.3f} s", "", None),
    ("article_chars", "5 article (1,000 words)", "{:.0f} chars", "", None),
    ("instructions_chars", "  instructions (system + user wrapper)", "{:.0f} chars", "", None),
    ("schema_chars", "  response schema", "{:.0f} chars", "", None),
    ("overhead_ratio_chars", "  overhead / article, characters", "{:.2f}", "<= 1.5", lambda v: v <= 1.5),
    ("overhead_tokens", "  overhead, server tokens", "{:.0f} tok", "", None),
    ("overhead_ratio_tokens", "  overhead / article, server tokens", "{:.2f}", "<= 1.5", lambda v: v <= 1.5),
    ("peak_rss_mb", "6 peak RSS, 200-report day (ru_maxrss)", "{:.0f} MB", "<= 400 MB", lambda v: v <= 400),
    ("rate_achieved_per_s", "7 rate-limited (10/s): achieved", "{:.2f}/s", "near 10/s", None),
    ("rate_vs_limit", "  achieved / limit", "{:.2f}", ">= 0.90", lambda v: v >= 0.90),
    ("rate_sustained_per_s", "  sustained (after the burst)", "{:.2f}/s", "", None),
    ("rate_failed", "  reports failed", "{:.0f}", "0", lambda v: v == 0),
    ("rate_429s", "  429 answers", "{:.0f}", "", None),
    ("rate_unthrottled_achieved_per_s", "  throttle off: achieved", "{:.2f}/s", "", None),
    ("rate_unthrottled_failed", "  throttle off: reports failed", "{:.0f}", "", None),
    ("rate_unthrottled_429s", "  throttle off: 429 answers", "{:.0f}", "", None),
]


def table(figures: dict, previous: dict | None) -> str:
    lines = []
    header = f"{'figure':<44} {'value':>14} {'target':>10}  {'':<4}" + ("  change vs last" if previous else "")
    lines += [header, "-" * len(header)]
    for key, label, fmt, target, check in ROWS:
        if key not in figures:
            continue
        value = figures[key]
        verdict = "" if check is None else ("ok" if check(value) else "MISS")
        line = f"{label:<44} {fmt.format(value):>14} {target:>10}  {verdict:<4}"
        if previous and isinstance(previous.get(key), (int, float)):
            old = previous[key]
            change = f"{(value - old) / old:+.0%}" if old else ("0" if value == old else "new")
            line += f"  {fmt.format(old)} -> {change}"
        lines.append(line)
    return "\n".join(lines)


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "briefer", "prompts", "benchmarks", ":!benchmarks/results.jsonl"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def last_line(path: Path) -> dict | None:
    try:
        lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    except OSError:
        return None
    return json.loads(lines[-1]) if lines else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", action="store_true", help="show the change against the last line of the results file")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"JSON-lines file to append to (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--no-save", action="store_true", help="do not append this run to the results file")
    parser.add_argument("--only", nargs="+", choices=["day", "merge", "startup", "size", "rate"], help="run only these cases")
    args = parser.parse_args(argv)
    cases = args.only or ["day", "merge", "startup", "size", "rate"]

    previous = last_line(args.results) if args.compare else None
    started = time.perf_counter()
    figures: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="briefer-bench-"))
    try:
        day = synth.make_day(tmp / "reports", DAY_REPORTS)
        if "day" in cases:
            figures.update(bench_day(tmp, day))
        if "merge" in cases:
            figures.update(bench_merge())
        if "startup" in cases:
            figures.update(bench_startup())
        if "size" in cases:
            figures.update(bench_request_size())
        if "rate" in cases:
            figures.update(bench_rate_limit(tmp, day))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    record = {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "commit": git_commit(),
        "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cpus", "cases": cases,
        "benchmark_s": round(time.perf_counter() - started, 1), **figures,
    }
    print(table(figures, previous))
    print(f"\n(benchmark took {record['benchmark_s']} s; commit {record['commit']}; memory is the day process's ru_maxrss)")
    line = json.dumps(record, sort_keys=False)
    if not args.no_save:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        with args.results.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        print(f"appended to {args.results}")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
