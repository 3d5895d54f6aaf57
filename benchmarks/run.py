"""briefer's benchmarks, in one command:

    python -m benchmarks.run             # run, print the table, append a JSON line to benchmarks/results.jsonl
    python -m benchmarks.run --compare   # the same, with the change against the last line of the results file

Every figure is taken within this run, against a local OpenAI-compatible
server (tests/support/openai_server.py) that answers after a fixed latency or
one proportional to the answer, or from the recorded cassettes.
See benchmarks/README.md for what each figure means and its target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import heapq
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
LEAN_OLD_COMMIT = "e8260cd"  # the last commit whose sample-day cassette has the old schema's answers
LEAN_SCHEMAS = {"old": "BriefDraft", "new": "ReportDraft"}  # the extraction schema's name, old and new
LEAN_TARGET = 0.60
TRUNCATION_SIZES = (2_000, 4_000, 6_000, 8_000, 11_000, 14_000, 17_000, 24_000, 33_000, 50_000)
LATENCY_IDEAL_S = 50.0  # each run's token rate is set so its provider-bound ideal takes about this long (a run: about a minute)
REAL_TOKENS_PER_S = 80.0  # what a real model streams, for the speed-up shown
LATENCY_CHARS = (1_500, 12_000)
LATENCY_RUNS = ((200, 16), (200, 64), (2_000, 64))  # (reports, concurrency)
LATENCY_TARGETS = {200: 1.10, 2_000: 1.25}


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


def _extraction_answers(cassette_text: str, schema: str) -> dict:
    """Completion tokens and claims of a cassette's extraction answers (requests
    whose response_format json_schema is named ``schema``)."""
    doc = yaml.safe_load(cassette_text) or {}
    totals = {"requests": 0, "claims": 0, "completion_tokens": 0, "chars": 0, "compact_chars": 0, "claim_chars": 0, "skipped": 0}
    for interaction in doc.get("interactions", []):
        body = interaction["request"]["body"]
        request = json.loads(body) if isinstance(body, (str, bytes)) else body
        name = ((request or {}).get("response_format") or {}).get("json_schema", {}).get("name")
        if name != schema:
            totals["skipped"] += 1
            continue
        response = interaction["response"]["body"]
        completion = json.loads(response["string"] if isinstance(response, dict) else response)
        content = completion["choices"][0]["message"]["content"]
        answer = json.loads(content)
        drafts = answer if isinstance(answer, list) else [answer]  # the new schema's cached form is a list of part drafts
        claims = [claim for draft in drafts for claim in draft.get("c", draft.get("claims", []))]
        totals["requests"] += 1
        totals["claims"] += len(claims)
        totals["completion_tokens"] += completion["usage"]["completion_tokens"]
        totals["chars"] += len(content)
        totals["compact_chars"] += len(json.dumps(answer, separators=(",", ":"), ensure_ascii=False))
        totals["claim_chars"] += sum(len(json.dumps(c, separators=(",", ":"), ensure_ascii=False)) for c in claims)
    return totals


def bench_lean() -> dict:
    """Completion tokens per claim on the sample day's recorded answers: the old
    schema's (from git history) against the new one's (the current cassette)."""
    say(f"lean: the sample day's answers, old schema (git {LEAN_OLD_COMMIT}) vs new ...")
    try:
        proc = subprocess.run(["git", "-C", str(ROOT), "show", f"{LEAN_OLD_COMMIT}:cassettes/sample-day.yaml"],
                              capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        say(f"  skipped: git is not available ({exc})")
        return {"lean_skipped": f"git not available: {exc}"}
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        say(f"  skipped: git show {LEAN_OLD_COMMIT} failed: {reason}")
        return {"lean_skipped": f"git show {LEAN_OLD_COMMIT}:cassettes/sample-day.yaml failed: {reason}"}
    sides = {"old": _extraction_answers(proc.stdout, LEAN_SCHEMAS["old"]),
             "new": _extraction_answers(SAMPLE_DAY[3].read_text("utf-8"), LEAN_SCHEMAS["new"])}
    figures: dict = {}
    for side, t in sides.items():
        if not t["claims"]:
            say(f"  skipped: no {LEAN_SCHEMAS[side]} answers with claims in the {side} cassette")
            return {"lean_skipped": f"no {LEAN_SCHEMAS[side]} claims in the {side} cassette"}
        figures.update({
            f"lean_{side}_requests": t["requests"], f"lean_{side}_claims": t["claims"], f"lean_{side}_completion_tokens": t["completion_tokens"],
            f"lean_{side}_tokens_per_claim": t["completion_tokens"] / t["claims"],
            f"lean_{side}_compact_chars_per_claim": t["compact_chars"] / t["claims"],
            f"lean_{side}_claim_chars_per_claim": t["claim_chars"] / t["claims"],
            f"lean_{side}_rest_chars_per_claim": (t["compact_chars"] - t["claim_chars"]) / t["claims"],
            f"lean_{side}_whitespace_share": 1 - t["compact_chars"] / t["chars"],
        })
    for key in ("tokens_per_claim", "compact_chars_per_claim", "claim_chars_per_claim", "rest_chars_per_claim"):
        figures[f"lean_ratio_{key}"] = figures[f"lean_new_{key}"] / figures[f"lean_old_{key}"]
    figures["lean_ratio"] = figures.pop("lean_ratio_tokens_per_claim")
    return figures


def _report(report_id: str, text: str):
    from briefer.models import Report

    return Report(id=report_id, path=f"{report_id}.txt", text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), published=synth.DAY,
                  date_source="text", date_basis="stated in the text")


def bench_truncation() -> dict:
    """Reports of 2,000-50,000 characters through the real Extractor, against
    answers that grow with the part (about 0.5 tokens per character) and are
    cut at the request's output budget, as a provider cuts them."""
    import random

    from briefer.cache import NoCache
    from briefer.extract import (
        ExtractionFailed,
        ExtractOptions,
        Extractor,
        output_budget,
    )
    from briefer.llm import LLMClient, ModelSettings
    from briefer.prompting import PromptSet

    say(f"truncation: {len(TRUNCATION_SIZES)} reports of {TRUNCATION_SIZES[0]:,}-{TRUNCATION_SIZES[-1]:,} characters, answers ~{synth.TOKENS_PER_CHAR} tokens/char ...")
    rng = random.Random(5)
    vocabulary = synth._vocabulary(rng)
    responder = synth.ProportionalResponder()
    figures: dict = {"truncation_sizes": list(TRUNCATION_SIZES), "truncation_failed": 0, "truncation_claims": 0, "truncation_rejected": 0}
    with OpenAICompatibleServer(responder, model_name="briefer-benchmark-proportional") as server:
        extractor = Extractor(LLMClient(ModelSettings(model="bench", api_key="bench", base_url=server.base_url)), PromptSet(), NoCache())
        for size in TRUNCATION_SIZES:
            text = synth.numbered_text(size, rng, vocabulary)
            before = len(responder.served)
            try:
                brief, _ = extractor.extract(_report(f"r{size}", text))
                figures["truncation_claims"] += len(brief.claims)
                figures["truncation_rejected"] += len(brief.rejected)
            except ExtractionFailed as exc:
                say(f"  {size} characters: failed: {exc}")
                figures["truncation_failed"] += 1
            served = responder.served[before:]
            first = [s for s in served if not s["truncated"]] or served
            figures.update({
                f"truncation_{size}_chars": len(text), f"truncation_{size}_requests": len(served),
                f"truncation_{size}_truncated": sum(s["truncated"] for s in served),
                f"truncation_{size}_ratio": max(s["tokens"] / s["budget"] for s in served),
                f"truncation_{size}_tokens_per_char": sum(s["tokens"] for s in first) / len(text),
            })
    served = responder.served
    figures.update({
        "truncation_requests": len(served), "truncation_truncated": sum(s["truncated"] for s in served),
        "truncation_max_ratio": max(s["tokens"] / s["budget"] for s in served),
        "truncation_tokens_per_char": sum(figures[f"truncation_{n}_tokens_per_char"] * figures[f"truncation_{n}_chars"] for n in TRUNCATION_SIZES)
        / sum(figures[f"truncation_{n}_chars"] for n in TRUNCATION_SIZES),
    })
    # The answer rate the budget allows at its tightest, over part lengths 1,000 to the part limit:
    # an answer above it at that length is cut once and asked again at twice the budget.
    limit = ExtractOptions().part_chars
    tightest = min(range(1_000, limit + 1), key=lambda c: output_budget(c) / c)
    figures.update({"truncation_budget_min_tokens_per_char": output_budget(tightest) / tightest, "truncation_budget_tightest_chars": tightest})
    figures.update(_recorded_rate())
    return figures


def _recorded_rate() -> dict:
    """The largest completion tokens per report character among the sample day's recorded extraction answers."""
    import re

    try:
        doc = yaml.safe_load(SAMPLE_DAY[3].read_text("utf-8")) or {}
    except OSError:
        return {}
    rates = []
    for interaction in doc.get("interactions", []):
        request = json.loads(interaction["request"]["body"])
        if ((request.get("response_format") or {}).get("json_schema") or {}).get("name") != LEAN_SCHEMAS["new"]:
            continue
        user = request["messages"][-1]["content"]
        chars = sum(len(t) + 1 for t in re.findall(r"^\[S\d+\] (.*)$", user, re.MULTILINE))
        completion = json.loads(interaction["response"]["body"]["string"])
        if chars:
            rates.append(completion["usage"]["completion_tokens"] / chars)
    return {"truncation_recorded_max_tokens_per_char": max(rates)} if rates else {}


def bench_latency(tmp: Path) -> dict:
    """Extraction wall time against the provider-bound ideal, with latency
    proportional to each answer's output tokens.

    A real model's ~80 tokens/s would make a 2,000-report day take hours, so
    each run's rate is scaled so that its ideal takes about LATENCY_IDEAL_S:
    tokens/s = the day's expected output tokens / (concurrency x LATENCY_IDEAL_S),
    the slowest rate (the nearest to a real model) that keeps a run to about a
    minute. A faster rate makes the latencies short next to briefer's own CPU
    work per request (~15 ms on a 2-core machine, which a real model's latency
    hides), and the ratio then measures the machine's CPU, not the overlap.
    """
    import resource

    figures: dict = {"latency_ideal_target_s": LATENCY_IDEAL_S, "latency_runs": []}
    days: dict[int, synth.Day] = {}
    for reports, concurrency in LATENCY_RUNS:
        if reports not in days:
            days[reports] = synth.sized_day(tmp / f"latency-{reports}", reports, min_chars=LATENCY_CHARS[0], max_chars=LATENCY_CHARS[1])
            sizes = [p.stat().st_size for p in days[reports].paths]
            figures[f"latency_{reports}_mean_chars"] = sum(sizes) / len(sizes)
        expected_tokens = synth.TOKENS_PER_CHAR * sum(p.stat().st_size for p in days[reports].paths)
        rate = expected_tokens / (concurrency * LATENCY_IDEAL_S)
        label = f"latency_{reports}_c{concurrency}"
        say(f"latency: {reports} reports ({LATENCY_CHARS[0]:,}-{LATENCY_CHARS[1]:,} characters), {rate:.0f} tokens/s, --concurrency {concurrency} ...")
        responder = synth.ProportionalResponder(rate)
        with OpenAICompatibleServer(responder, model_name="briefer-benchmark-proportional-latency") as server:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            out = run_day(days[reports].folder, tmp / f"cache-{label}", server.base_url, concurrency, "--stop-at-reconcile")
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        served = [s for s in responder.served if s["schema"] == "ReportDraft"]
        latencies = [s["latency_s"] for s in served]
        ideal = max(max(latencies), sum(latencies) / concurrency)
        # The same requests, longest first, each started the moment a slot frees
        # (what briefer's order aims at, with no overhead): list scheduling's own cost.
        slots = [0.0] * concurrency
        for latency in sorted(latencies, reverse=True):
            heapq.heappush(slots, heapq.heappop(slots) + latency)
        longest_first = max(slots)
        figures["latency_runs"].append(label)
        figures.update({
            f"{label}_tokens_per_s": rate, f"{label}_speedup_vs_real": rate / REAL_TOKENS_PER_S,
            f"{label}_wall_s": out["extract_s"], f"{label}_ideal_s": ideal, f"{label}_ratio": out["extract_s"] / ideal,
            f"{label}_longest_first_s": longest_first, f"{label}_vs_longest_first": out["extract_s"] / longest_first,
            f"{label}_longest_s": max(latencies), f"{label}_sum_s": sum(latencies), f"{label}_requests": len(served),
            f"{label}_truncated": sum(s["truncated"] for s in served), f"{label}_failed": out["failed"], f"{label}_claims": out["claims"],
            f"{label}_client_cpu_s": out["extract_cpu_s"], f"{label}_client_cpu_ms_per_request": 1000 * out["extract_cpu_s"] / len(served),
            f"{label}_client_cpu_share": out["extract_cpu_s"] / ideal,
            f"{label}_server_cpu_s": (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu.ru_utime + cpu.ru_stime),
        })
        if out["failed"]:
            say(f"  {out['failed']} reports failed")
    return figures


BATCH_FAIL_EVERY = 20  # one batch line in 20 fails (HTTP 500) on its first try
BATCH_EXPIRE_AFTER = 190  # the job expires after 190 of the day's 200 lines


class FirstTryFails:
    """Answers with ``answer``, except that the first try of one request body in
    ``every`` (chosen by its hash, so the same ones in every run) gets HTTP 500."""

    def __init__(self, answer, every: int) -> None:
        import threading

        self.answer, self.every = answer, every
        self.seen: set[str] = set()
        self._lock = threading.Lock()

    def unlucky(self, body: dict) -> bool:
        return int(hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(), 16) % self.every == 0

    def __call__(self, body: dict, attempt_index: int):
        from tests.support.openai_server import Reply

        key = json.dumps(body, sort_keys=True)
        with self._lock:
            first = key not in self.seen
            self.seen.add(key)
        if first and self.unlucky(body):
            return Reply.error(500)
        return Reply.content(self.answer(body))

    def failed_in_batch(self, lines: list[dict]) -> int:
        return sum(self.unlucky(body) for body in lines)


BATCH_RUN_FIELDS = ("generated_at", "mode", "usage", "usage_by_stage", "cost", "cost_by_stage", "run_requests", "cached_answers", "answer_sources", "notes")


def same_sitrep(live_json: Path, batch_json: Path) -> bool:
    """The two days render the same brief and ledger once the run's own
    figures (when, how, what it cost: RUN_FIELDS and each source's usage)
    are taken from the live day."""
    from briefer.models import Day
    from briefer.render import render_ledger, render_markdown

    live = Day.model_validate_json(live_json.read_text("utf-8"))
    batch = Day.model_validate_json(batch_json.read_text("utf-8"))
    if [s.report_id for s in live.sources] != [s.report_id for s in batch.sources]:
        return False
    aligned = batch.model_copy(update={
        **{name: getattr(live, name) for name in BATCH_RUN_FIELDS},
        "sources": [b.model_copy(update={"usage": lv.usage}) for lv, b in zip(live.sources, batch.sources, strict=True)],
    })
    return render_markdown(aligned) == render_markdown(live) and render_ledger(aligned) == render_ledger(live)


def bench_batch(tmp: Path, day: synth.Day) -> dict:
    """The batch path: the same day live and as a Batch job, through the full pipeline."""
    from briefer.cost import estimate
    from briefer.models import Day
    from tests.support import synthetic_model

    responder = FirstTryFails(synth.answer_for(day.meta), every=BATCH_FAIL_EVERY)
    with OpenAICompatibleServer(responder, model_name="briefer-benchmark-batch") as server:
        say(f"batch: {DAY_REPORTS} reports live, then as a Batch job that fails 1 line in {BATCH_FAIL_EVERY} and expires after {BATCH_EXPIRE_AFTER} ...")
        live = run_day(day.folder, tmp / "cache-batch-live", server.base_url, CONCURRENCY, "--day-json", str(tmp / "live.json"))
        before = server.request_count
        responder.seen.clear()  # the batch run meets the same first-try failures
        server.batches.expire_after = BATCH_EXPIRE_AFTER
        batch = run_day(day.folder, tmp / "cache-batch", server.base_url, CONCURRENCY, "--batch", "--day-json", str(tmp / "batch.json"))
        failed_lines = responder.failed_in_batch(server.batches.lines)
        live_asked = [b for b in server.requests[before:] if synthetic_model.schema_name(b) == "ReportDraft"]
        jobs, lines = len(server.batches.batch_ids), len(server.batches.lines)
    usage = {side: Day.model_validate_json((tmp / f"{side}.json").read_text("utf-8")).usage_by_stage["extraction"] for side in ("live", "batch")}
    priced = {side: estimate(u, "gpt-4.1-mini") for side, u in usage.items()}
    return {
        "batch_reports": batch["reports"], "batch_live_reports": live["reports"],
        "batch_lost": DAY_REPORTS - batch["reports"] + batch["failed"],
        "batch_same_sitrep": int(same_sitrep(tmp / "live.json", tmp / "batch.json")),
        "batch_jobs": jobs, "batch_lines": lines, "batch_failed_lines": failed_lines, "batch_expired_lines": DAY_REPORTS - lines,
        "batch_live_extraction_requests": len(live_asked),
        "batch_extraction_requests_live_path": live["extraction_requests"],
        "batch_extraction_cost_ratio": priced["batch"].amount / priced["live"].amount,
        "batch_wall_s": batch["wall_s"], "batch_live_wall_s": live["wall_s"],
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
    ("batch_reports", "12 batch: a 200-report day as a Batch job", "{:.0f} reports", "", None),
    ("batch_lost", "  reports lost", "{:.0f}", "0", lambda v: v == 0),
    ("batch_same_sitrep", "  same brief and ledger as the live path", "{:.0f}", "1 (yes)", lambda v: v == 1),
    ("batch_jobs", "  jobs submitted", "{:.0f}", "", None),
    ("batch_lines", "  lines the job ran before it expired", "{:.0f}", "", None),
    ("batch_failed_lines", "  of which failed (HTTP 500)", "{:.0f}", "", None),
    ("batch_expired_lines", "  lines expired, never run", "{:.0f}", "", None),
    ("batch_live_extraction_requests", "  asked live instead, by the batch run", "{:.0f}", "", None),
    ("batch_extraction_requests_live_path", "  extraction requests, live path", "{:.0f}", "", None),
    ("batch_extraction_cost_ratio", "  extraction cost, batch / live (gpt-4.1-mini)", "{:.2f}", "", None),
    ("lean_old_tokens_per_claim", "9 lean: completion tokens / claim, old", "{:.1f} tok", "", None),
    ("lean_new_tokens_per_claim", "  new", "{:.1f} tok", "", None),
    ("lean_ratio", "  new / old", "{:.3f}", "<= 0.60", lambda v: v <= LEAN_TARGET),
    ("lean_old_claims", "  claims, old (5 answers)", "{:.0f}", "", None),
    ("lean_new_claims", "  claims, new (5 answers)", "{:.0f}", "", None),
    ("lean_ratio_compact_chars_per_claim", "  new / old: compact JSON chars / claim", "{:.3f}", "", None),
    ("lean_ratio_claim_chars_per_claim", "  new / old: the claims' own JSON", "{:.3f}", "", None),
    ("lean_old_rest_chars_per_claim", "  rest of the answer / claim, old", "{:.0f} chars", "", None),
    ("lean_new_rest_chars_per_claim", "  rest of the answer / claim, new", "{:.0f} chars", "", None),
    ("lean_new_whitespace_share", "  whitespace share of the new answers", "{:.0%}", "", None),
    ("truncation_requests", "10 truncation: requests, 2k-50k char reports", "{:.0f}", "", None),
    ("truncation_truncated", "  truncated attempts", "{:.0f}", "0", lambda v: v == 0),
    ("truncation_max_ratio", "  largest answer / budget", "{:.3f}", "< 1", lambda v: v < 1),
    ("truncation_tokens_per_char", "  answers' tokens / report char", "{:.3f}", "", None),
    ("truncation_recorded_max_tokens_per_char", "  recorded sample day: largest tok/char", "{:.3f}", "", None),
    ("truncation_budget_min_tokens_per_char", "  budget / part chars at its tightest", "{:.3f}", "", None),
    ("truncation_failed", "  reports failed", "{:.0f}", "0", lambda v: v == 0),
    ("truncation_rejected", "  claims rejected", "{:.0f}", "0", lambda v: v == 0),
    "truncation",  # rows per size, see truncation_rows()
    "latency",  # rows per run, see latency_rows()
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


def truncation_rows(figures: dict) -> list[tuple]:
    rows = []
    for n in figures.get("truncation_sizes", []):
        if f"truncation_{n}_ratio" in figures:
            label = f"  {figures[f'truncation_{n}_chars']:,} chars, {figures[f'truncation_{n}_requests']} req, answer/budget"
            rows.append((f"truncation_{n}_ratio", label, "{:.3f}", "", None))
    return rows


def latency_rows(figures: dict) -> list[tuple]:
    rows: list[tuple] = []
    if figures.get("latency_runs"):
        rows.append((None, "11 latency ~ output tokens: extraction wall / ideal", "", "", None))
    for label in figures.get("latency_runs", []):
        reports, concurrency = label.removeprefix("latency_").split("_c")
        target = LATENCY_TARGETS.get(int(reports))
        rows += [
            (f"{label}_ratio", f"  {int(reports):,} reports, --concurrency {concurrency}", "{:.3f}", f"<= {target:.2f}" if target else "",
             (lambda v, t=target: v <= t) if target else None),
            (f"{label}_tokens_per_s", "    model speed (scaled)", "{:.0f} tok/s", "", None),
            (f"{label}_wall_s", "    extraction wall", "{:.2f} s", "", None),
            (f"{label}_ideal_s", "    ideal max(longest, sum / conc.)", "{:.2f} s", "", None),
            (f"{label}_longest_first_s", "    longest-first schedule, no overhead", "{:.2f} s", "", None),
            (f"{label}_vs_longest_first", "    wall / longest-first schedule", "{:.3f}", "", None),
            (f"{label}_client_cpu_s", "    CPU, briefer's process", "{:.2f} s", "", None),
            (f"{label}_client_cpu_ms_per_request", "      per request", "{:.1f} ms", "", None),
            (f"{label}_client_cpu_share", "      / ideal", "{:.2f}", "", None),
            (f"{label}_server_cpu_s", "    CPU, the server", "{:.2f} s", "", None),
            (f"{label}_truncated", "    truncated answers", "{:.0f}", "0", lambda v: v == 0),
            (f"{label}_failed", "    reports failed", "{:.0f}", "0", lambda v: v == 0),
        ]
    return rows


def table(figures: dict, previous: dict | None) -> str:
    lines = []
    header = f"{'figure':<44} {'value':>14} {'target':>10}  {'':<4}" + ("  change vs last" if previous else "")
    lines += [header, "-" * len(header)]
    rows = []
    for row in ROWS:
        expand = {"reconcile": reconcile_rows, "ratio": lambda: ratio_rows(figures), "truncation": lambda: truncation_rows(figures),
                  "latency": lambda: latency_rows(figures)}
        rows += expand[row]() if isinstance(row, str) else [row]
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
    if figures.get("lean_skipped"):
        lines.append(f"  (lean skipped: {figures['lean_skipped']})")
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


CASES = ["day", "reconcile", "ratio", "startup", "size", "rate", "lean", "truncation", "latency", "batch"]


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
        day = synth.make_day(tmp / "reports", DAY_REPORTS) if {"day", "rate", "batch"} & set(cases) else None
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
        if "lean" in cases:
            figures.update(bench_lean())
        if "truncation" in cases:
            figures.update(bench_truncation())
        if "latency" in cases:
            figures.update(bench_latency(tmp))
        if "batch" in cases:
            figures.update(bench_batch(tmp, day))
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
