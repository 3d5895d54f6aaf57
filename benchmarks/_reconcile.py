"""Run the reconcile stage on synthetic claim sets, in a fresh process; print one JSON line.

    python -m benchmarks._reconcile 500 1000 2000 [--repeat 3] [--ms-per-1k-chars 0]

For each size N: ``synth.reconcile_day(N)`` (N claims, about N/4 matter
questions, N/20 speakers, N/15 reports), then ``Reconciler(...).reconcile``
against a local OpenAI-compatible server answering with the deterministic
stand-in model (tests/support/synthetic_model.py) after a latency proportional
to the answer's length (``--ms-per-1k-chars``, 0 for none). A fresh cache and
a fresh server per size, so every request reaches the server.

Per N: wall seconds of ``reconcile``, best of ``--repeat`` runs (the server
runs in this process, so its work is in the time too), requests counted at the server, prompt and
completion tokens as the server estimates them (``ceil(chars / 4)``), whether
``Reconciled.usage`` adds up to the same (``usage_short_of_server``), blocks and join requests, and the largest prompt in characters (all
message contents of one request).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support.openai_server import Reply, _prompt_text, estimate_tokens


class LengthLatencyResponder:
    """Answers ``answer(body)`` after ``ms_per_1k_chars`` per 1,000 characters of the answer
    (a model that takes longer to write a longer answer), and keeps the server's
    token estimate of every request it answered."""

    def __init__(self, answer, ms_per_1k_chars: float) -> None:
        self.answer = answer
        self.ms_per_1k_chars = ms_per_1k_chars
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict, attempt_index: int) -> Reply:
        text = self.answer(body)
        with self._lock:
            self.prompt_tokens += estimate_tokens(_prompt_text(body))
            self.completion_tokens += estimate_tokens(text)
        return Reply.content(text, delay_s=len(text) / 1000 * self.ms_per_1k_chars / 1000)


def prompt_chars(body: dict) -> int:
    return sum(len(m["content"]) for m in body["messages"] if isinstance(m.get("content"), str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._reconcile")
    parser.add_argument("sizes", nargs="*", type=int, default=[500, 1000, 2000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the time is the best of them (default 3)")
    parser.add_argument("--ms-per-1k-chars", type=float, default=0.0, help="answer latency per 1,000 answer characters (default 0)")
    args = parser.parse_args(argv)

    from benchmarks import synth
    from briefer.cache import DiskCache
    from briefer.llm import LLMClient, ModelSettings
    from briefer.prompting import PromptSet
    from briefer.reconcile import ReconcileOptions, Reconciler, blocks_of
    from tests.support import synthetic_model
    from tests.support.openai_server import OpenAICompatibleServer

    options = ReconcileOptions()
    result: dict = {"ms_per_1k_chars": args.ms_per_1k_chars, "block_claims": options.block_claims, "block_chars": options.block_chars,
                    "join_matters": options.join_matters, "concurrency": options.concurrency}
    for size in args.sizes:
        claims, sources = synth.reconcile_day(size)
        blocks = blocks_of(claims, options)
        runs = []
        for _ in range(args.repeat):  # a fresh cache and server each time: every request reaches the server
            tmp = Path(tempfile.mkdtemp(prefix="briefer-reconcile-bench-"))
            try:
                responder = LengthLatencyResponder(synthetic_model.answer, args.ms_per_1k_chars)
                with OpenAICompatibleServer(responder, model_name="briefer-benchmark-synthetic") as server:
                    settings = ModelSettings(model="bench", api_key="bench", base_url=server.base_url, timeout_s=120, max_attempts=2,
                                             max_in_flight=options.concurrency)
                    reconciler = Reconciler(LLMClient(settings), PromptSet(), DiskCache(tmp / "cache"), options)
                    started = time.perf_counter()
                    out = reconciler.reconcile(claims, sources)
                    wall = time.perf_counter() - started
                    runs.append({"seconds": wall, "out": out, "bodies": server.requests, "requests": server.request_count,
                                 "prompt_tokens": responder.prompt_tokens, "completion_tokens": responder.completion_tokens})
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        first = runs[0]
        out, bodies, requests = first["out"], first["bodies"], first["requests"]
        # The same claims and prompts give the same requests every time; tokens are counted at the server.
        varied = [k for k in ("requests", "prompt_tokens", "completion_tokens") if len({r[k] for r in runs}) > 1]
        # Reconciled.usage should add up to what the server saw; a run where it does not lost a count.
        usage_short = [(r["prompt_tokens"] - r["out"].usage.prompt_tokens, r["completion_tokens"] - r["out"].usage.completion_tokens,
                        r["requests"] - r["out"].usage.requests) for r in runs]
        kinds = [synthetic_model.schema_name(b) for b in bodies]
        sizes = [prompt_chars(b) for b in bodies]
        placed = sum(len(m.members) for m in out.matters)
        result[str(size)] = {
            "seconds": min(r["seconds"] for r in runs), "seconds_all": [r["seconds"] for r in runs],
            "requests": requests, "run_requests": out.run_requests,
            "prompt_tokens": first["prompt_tokens"], "completion_tokens": first["completion_tokens"],
            "tokens": first["prompt_tokens"] + first["completion_tokens"],
            "varied_between_runs": varied,
            "usage_short_of_server": [short for short in usage_short if any(short)],
            "blocks": len(blocks), "largest_block": max(len(b) for b in blocks),
            "block_requests": kinds.count("ReconcileDraft"), "join_requests": kinds.count("BlockJoinDraft"),
            "largest_prompt_chars": max(sizes), "largest_block_prompt_chars": max((s for s, k in zip(sizes, kinds) if k == "ReconcileDraft"), default=0),
            "largest_join_prompt_chars": max((s for s, k in zip(sizes, kinds) if k == "BlockJoinDraft"), default=0),
            "matters_in": len({c.matter for c in claims}), "speakers_in": len({c.speaker for c in claims}), "reports_in": len(sources),
            "matters": len(out.matters), "origins": len(out.origins), "claims_placed": placed,
            "errors": [n.line() for n in out.notes if n.severity == "error"],
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
