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

import yaml

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
RECONCILE_SIZES = (500, 1000, 2000)
RECONCILE_REPEAT = 5
SAMPLE_DAY = ("sample", "2024-12-07", ROOT / "reports", ROOT / "cassettes" / "sample-day.yaml")
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
    # The overlap is the extraction's: up to the reconcile stage (which follows,
    # with requests of its own, and is timed apart).
    seq_per_report = seq["extract_s"] / SEQUENTIAL_REPORTS
    return {
        "day_reports": DAY_REPORTS, "day_claims": cold["claims"], "day_matters": cold["matters"], "latency_s": LATENCY_S, "concurrency": CONCURRENCY,
        "cold_wall_s": cold["wall_s"], "cold_extract_s": cold["extract_s"], "cold_reconcile_s": cold["reconcile_s"],
        "cold_ideal_s": ideal, "overlap_ratio": cold["extract_s"] / ideal,
        "cold_model_calls": cold_requests, "cold_extraction_calls": cold["extraction_requests"], "cold_reconcile_calls": cold["reconcile_requests"],
        "cold_rejected_claims": cold["rejected"], "cold_reconcile_errors": cold["reconcile_errors"],
        "sequential_reports": SEQUENTIAL_REPORTS, "sequential_wall_s": seq["wall_s"], "sequential_extract_s": seq["extract_s"],
        "sequential_model_calls": seq_requests,
        "sequential_s_per_report": seq_per_report, "speedup_vs_sequential": seq_per_report * DAY_REPORTS / cold["extract_s"],
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
        wall = out["extract_s"]  # the reports' extraction; the reconcile requests that follow are not reports
        result.update({
            f"{label}_wall_s": out["wall_s"], f"{label}_extract_s": wall, f"{label}_done": done, f"{label}_failed": out["failed"],
            f"{label}_429s": limiter.limited, f"{label}_requests": requests,
            f"{label}_achieved_per_s": done / wall,
            # without the bucket's initial burst and the last answer's latency:
            f"{label}_sustained_per_s": max(0.0, done - burst) / max(1e-9, wall - LATENCY_S),
        })
    result["rate_vs_limit"] = result["rate_achieved_per_s"] / RATE_PER_S
    result["rate_ideal_wall_s"] = (RATE_REPORTS - RATE_PER_S) / RATE_PER_S + LATENCY_S
    return result


def bench_reconcile() -> dict:
    """The reconcile stage on synthetic claim sets, against the synthetic model (benchmarks/_reconcile.py)."""
    say(f"reconcile: {', '.join(f'{n:,}' for n in RECONCILE_SIZES)} synthetic claims, synthetic model, no latency (best of {RECONCILE_REPEAT}) ...")
    proc = subprocess.run([sys.executable, "-m", "benchmarks._reconcile", *map(str, RECONCILE_SIZES), "--repeat", str(RECONCILE_REPEAT)],
                          capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"reconcile benchmark failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    figures: dict = {"reconcile_block_claims": out["block_claims"], "reconcile_block_chars": out["block_chars"],
                     "reconcile_join_matters": out["join_matters"]}
    for n in RECONCILE_SIZES:
        row = out[str(n)]
        figures.update({
            f"reconcile_{n}_s": row["seconds"], f"reconcile_{n}_requests": row["requests"],
            f"reconcile_{n}_prompt_tokens": row["prompt_tokens"], f"reconcile_{n}_completion_tokens": row["completion_tokens"],
            f"reconcile_{n}_tokens": row["tokens"], f"reconcile_{n}_blocks": row["blocks"], f"reconcile_{n}_largest_block": row["largest_block"],
            f"reconcile_{n}_join_requests": row["join_requests"], f"reconcile_{n}_largest_prompt_chars": row["largest_prompt_chars"],
            f"reconcile_{n}_largest_block_prompt_chars": row["largest_block_prompt_chars"],
            f"reconcile_{n}_largest_join_prompt_chars": row["largest_join_prompt_chars"],
            f"reconcile_{n}_matters": row["matters"], f"reconcile_{n}_matters_in": row["matters_in"],
            f"reconcile_{n}_origins": row["origins"], f"reconcile_{n}_speakers_in": row["speakers_in"],
            f"reconcile_{n}_errors": len(row["errors"]), f"reconcile_{n}_usage_short_runs": len(row["usage_short_of_server"]),
        })
        if row["varied_between_runs"]:
            say(f"warning: reconcile of {n} claims: {', '.join(row['varied_between_runs'])} varied between runs (were the prompts edited meanwhile?)")
    large, small = RECONCILE_SIZES[-1], RECONCILE_SIZES[-2]
    figures.update({
        "reconcile_time_ratio": figures[f"reconcile_{large}_s"] / figures[f"reconcile_{small}_s"],
        "reconcile_token_ratio": figures[f"reconcile_{large}_tokens"] / figures[f"reconcile_{small}_tokens"],
        "reconcile_largest_prompt_ratio": figures[f"reconcile_{large}_largest_prompt_chars"] / figures[f"reconcile_{small}_largest_prompt_chars"],
        "reconcile_largest_block_prompt_ratio": figures[f"reconcile_{large}_largest_block_prompt_chars"] / figures[f"reconcile_{small}_largest_block_prompt_chars"],
        "reconcile_largest_join_prompt_ratio": figures[f"reconcile_{large}_largest_join_prompt_chars"] / max(1, figures[f"reconcile_{small}_largest_join_prompt_chars"]),
        "reconcile_errors": sum(figures[f"reconcile_{n}_errors"] for n in RECONCILE_SIZES),
        "reconcile_usage_short_runs": sum(figures[f"reconcile_{n}_usage_short_runs"] for n in RECONCILE_SIZES),
    })
    return figures


def recorded_days() -> tuple[list[tuple[str, str, Path, Path]], list[str]]:
    """(name, date, reports, cassette) of every recorded day, and the names of days with no cassette yet.

    The sample day first; then each tests/days/<name>/ with an expected.yaml (its
    ``day:``, its ``reports:`` folder or reports/, and cassettes/<name>.yaml, or
    the sample's cassette for a sample-* folder, as tests/test_days.py does)."""
    days = [SAMPLE_DAY]
    missing: list[str] = []
    for expected in sorted((ROOT / "tests" / "days").glob("*/expected.yaml")):
        folder = expected.parent
        spec = yaml.safe_load(expected.read_text("utf-8")) or {}
        reports = (folder / spec.get("reports", "reports")).resolve()
        cassette = ROOT / "cassettes" / ("sample-day.yaml" if folder.name.startswith("sample") else f"{folder.name}.yaml")
        day = (folder.name, str(spec["day"]), reports, cassette)
        if any(d[1:] == day[1:] for d in days):
            continue  # the same day as one already listed (tests/days/sample-* is the sample day)
        if not cassette.is_file():
            missing.append(folder.name)
            continue
        days.append(day)
    return days, missing


def bench_ratio(tmp: Path) -> dict:
    """Reconcile tokens against extraction tokens on every recorded day, replayed offline with the CLI."""
    days, missing = recorded_days()
    env = {k: v for k, v in ENV.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    figures: dict = {"ratio_days": [], "ratio_missing_cassettes": missing, "ratio_failed_days": []}
    for name, date, reports, cassette in days:
        say(f"reconcile vs extraction: {name} ({date}), replaying {cassette.relative_to(ROOT)} ...")
        work = tmp / f"ratio-{name}"
        work.mkdir(parents=True)  # a fresh directory, so a fresh cache (./.briefer-cache)
        command = [sys.executable, "-m", "briefer", "daily", "--date", date, "--reports", str(reports), "--cassette", str(cassette),
                   "--out", str(work / "x.md"), "--json", str(work / "x.json")]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=work, env=env, timeout=600)
        if proc.returncode != 0:
            say(f"  failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
            figures["ratio_failed_days"].append(name)
            continue
        stages = json.loads((work / "x.json").read_text("utf-8"))["usage_by_stage"]
        tokens = {stage: stages[stage]["prompt_tokens"] + stages[stage]["completion_tokens"] for stage in ("extraction", "reconcile")}
        figures["ratio_days"].append(name)
        figures.update({
            f"ratio_{name}": tokens["reconcile"] / tokens["extraction"],
            f"ratio_{name}_extraction_tokens": tokens["extraction"], f"ratio_{name}_reconcile_tokens": tokens["reconcile"],
            f"ratio_{name}_extraction_requests": stages["extraction"]["requests"], f"ratio_{name}_reconcile_requests": stages["reconcile"]["requests"],
        })
    if figures["ratio_days"]:
        figures["ratio_max"] = max(figures[f"ratio_{name}"] for name in figures["ratio_days"])
    return figures


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
    ("cold_extract_s", "  of which up to reconcile (extraction)", "{:.2f} s", "", None),
    ("cold_reconcile_s", "  of which reconcile", "{:.2f} s", "", None),
    ("cold_ideal_s", "  ideal ceil(200/16) x 0.5 s", "{:.2f} s", "", None),
    ("overlap_ratio", "  extraction / ideal", "{:.3f}", "<= 1.10", lambda v: v <= 1.10),
    ("cold_model_calls", "  model calls at the server", "{:.0f}", "", None),
    ("cold_reconcile_calls", "  of which reconcile", "{:.0f}", "", None),
    ("sequential_wall_s", "  sequential (--concurrency 1), 20 reports", "{:.2f} s", "", None),
    ("speedup_vs_sequential", "  speed-up per report vs sequential", "{:.1f}x", "", None),
    ("warm_wall_s", "2 warm re-run wall time", "{:.3f} s", "", None),
    ("warm_model_calls", "  model calls at the server", "{:.0f}", "0", lambda v: v == 0),
    ("warm_speedup", "  cold / warm", "{:.1f}x", ">= 20x", lambda v: v >= 20),
    "reconcile",  # rows per size, see reconcile_rows()
    ("reconcile_time_ratio", "  2000 / 1000 claims: time", "{:.2f}", "<= 2.3", lambda v: v <= 2.3),
    ("reconcile_token_ratio", "  2000 / 1000 claims: tokens", "{:.2f}", "<= 2.3", lambda v: v <= 2.3),
    ("reconcile_largest_prompt_ratio", "  2000 / 1000 claims: largest prompt", "{:.2f}", "<= 1.10", lambda v: v <= 1.10),
    ("reconcile_largest_block_prompt_ratio", "    of a block request", "{:.2f}", "", None),
    ("reconcile_largest_join_prompt_ratio", "    of a join request", "{:.2f}", "", None),
    ("reconcile_errors", "  blocks that fell back (model answer unusable)", "{:.0f}", "0", lambda v: v == 0),
    ("reconcile_usage_short_runs", "  runs whose usage missed requests", "{:.0f}", "0", lambda v: v == 0),
    "ratio",  # rows per day, see ratio_rows()
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


def reconcile_rows() -> list[tuple]:
    rows = []
    for i, n in enumerate(RECONCILE_SIZES):
        rows += [
            (f"reconcile_{n}_s", ("3 reconcile" if i == 0 else "  reconcile") + f" {n} claims: time", "{:.3f} s", "", None),
            (f"reconcile_{n}_requests", "    requests (blocks + joins)", "{:.0f}", "", None),
            (f"reconcile_{n}_blocks", "    blocks", "{:.0f}", "", None),
            (f"reconcile_{n}_prompt_tokens", "    prompt tokens", "{:.0f} tok", "", None),
            (f"reconcile_{n}_completion_tokens", "    completion tokens", "{:.0f} tok", "", None),
            (f"reconcile_{n}_largest_prompt_chars", "    largest prompt", "{:.0f} chars", "", None),
        ]
    return rows


def ratio_rows(figures: dict) -> list[tuple]:
    rows: list[tuple] = [(None, "8 reconcile / extraction tokens, per day", "", "", None)] if figures.get("ratio_days") else []
    for name in figures.get("ratio_days", []):
        rows += [
            (f"ratio_{name}", f"  {name}", "{:.2f}", "<= 1.33", lambda v: v <= 1.33),
            (f"ratio_{name}_reconcile_tokens", "    reconcile tokens", "{:.0f} tok", "", None),
            (f"ratio_{name}_extraction_tokens", "    extraction tokens", "{:.0f} tok", "", None),
        ]
    return rows


def table(figures: dict, previous: dict | None) -> str:
    lines = []
    header = f"{'figure':<44} {'value':>14} {'target':>10}  {'':<4}" + ("  change vs last" if previous else "")
    lines += [header, "-" * len(header)]
    rows = []
    for row in ROWS:
        rows += reconcile_rows() if row == "reconcile" else ratio_rows(figures) if row == "ratio" else [row]
    for key, label, fmt, target, check in rows:
        if key is None:
            lines.append(label)
            continue
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
    for key, label in (("ratio_missing_cassettes", "no cassette yet, not replayed"), ("ratio_failed_days", "replay failed")):
        if figures.get(key):
            lines.append(f"  ({label}: {', '.join(figures[key])})")
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


CASES = ["day", "reconcile", "ratio", "startup", "size", "rate"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", action="store_true", help="show the change against the last line of the results file")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"JSON-lines file to append to (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--no-save", action="store_true", help="do not append this run to the results file")
    parser.add_argument("--only", nargs="+", choices=CASES, help="run only these cases")
    args = parser.parse_args(argv)
    cases = args.only or CASES

    previous = last_line(args.results) if args.compare else None
    started = time.perf_counter()
    figures: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="briefer-bench-"))
    try:
        day = synth.make_day(tmp / "reports", DAY_REPORTS) if {"day", "rate"} & set(cases) else None
        if "day" in cases:
            figures.update(bench_day(tmp, day))
        if "reconcile" in cases:
            figures.update(bench_reconcile())
        if "ratio" in cases:
            figures.update(bench_ratio(tmp))
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
