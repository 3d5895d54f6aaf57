"""Record a cassette: run briefer's real pipeline and keep the HTTP exchanges.

Two sources of answers:

- default: a local OpenAI-compatible server (tests/support/openai_server.py)
  whose MailboxResponder writes each request, exactly as sent, to
  MAILBOX/pending/<key>.json and waits for MAILBOX/answers/<key>.json. A
  helper AI agent that is given only that request file writes the answer.
  The responses name that agent as the model (--model-name).
- --live: whatever OPENAI_API_KEY / OPENAI_BASE_URL point at.

    python -m tests.support.record                      # helper-agent mailbox
    python -m tests.support.record --live               # a live endpoint

The cassette is written fresh (the old one is replaced only on success), with
credential headers filtered, by tests/support/cassettes.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

from briefer.cache import NoCache
from tests.support.cassettes import cassette
from briefer.config import DEFAULT_MODEL
from briefer.extract import Extractor
from briefer.llm import LLMClient, ModelSettings
from briefer.pipeline import DailyRequest, run_daily
from briefer.profile import StoryProfile
from briefer.prompting import PromptSet
from briefer.reconcile import Reconciler
from briefer.synthesize import Synthesizer

from .openai_server import MailboxResponder, OpenAICompatibleServer

class PrintProgress:
    def note(self, message: str) -> None:
        print(message, file=sys.stderr)

    def advance(self, done: int, total: int, message: str) -> None:
        print(f"[{done}/{total}] {message}", file=sys.stderr)


HELPER_MODEL_NAME = "claude-helper-agent (Anthropic Claude, answering as a subagent via briefer's test server)"


def record(args: argparse.Namespace) -> int:
    target = Path(args.cassette)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="briefer-record-")) / target.name
    request = DailyRequest(date=dt.date.fromisoformat(args.date), reports_dir=Path(args.reports), window_days=args.window_days, concurrency=args.concurrency, refresh=True, mode="recording")

    def run(base_url: str | None, api_key: str | None) -> int:
        settings = ModelSettings(model=args.model, api_key=api_key, base_url=base_url, timeout_s=args.timeout, max_attempts=1)
        client = LLMClient(settings)
        profile = StoryProfile.load(Path(args.profile)) if args.profile else None
        with cassette(scratch, record=True):
            outcome = run_daily(request, Extractor(client, PromptSet(), NoCache()), Reconciler(client, PromptSet(), NoCache()), PrintProgress(),
                                profile=profile, synthesizer=Synthesizer(client, PromptSet(), NoCache()))
        print(f"recorded {outcome.day.usage.requests} exchanges; failed reports: {outcome.failed_reports or 'none'}", file=sys.stderr)
        return 3 if outcome.partial else 0

    if args.live:
        key, base = os.environ.get("OPENAI_API_KEY"), os.environ.get("OPENAI_BASE_URL")
        if not (key or base):
            print("record --live needs OPENAI_API_KEY and/or OPENAI_BASE_URL", file=sys.stderr)
            return 2
        status = run(base, key)
    else:
        mailbox = Path(args.mailbox)
        mailbox.mkdir(parents=True, exist_ok=True)
        responder = MailboxResponder(mailbox, timeout=args.timeout - 60)
        with OpenAICompatibleServer(responder, model_name=args.model_name, port=args.port) as server:
            print(f"mailbox server at {server.base_url}; pending requests appear in {mailbox / 'pending'}", file=sys.stderr)
            status = run(server.base_url, "recording-no-key")
    if status == 0 or args.keep_partial:
        shutil.move(str(scratch), target)
        print(f"wrote {target}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--date", default="2024-12-07")
    parser.add_argument("--reports", default="reports")
    parser.add_argument("--cassette", default="cassettes/sample-day.yaml")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model name requested (replay matches on it)")
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--live", action="store_true", help="record against OPENAI_API_KEY / OPENAI_BASE_URL")
    parser.add_argument("--mailbox", default=str(Path(tempfile.gettempdir()) / "briefer-mailbox"))
    parser.add_argument("--model-name", default=HELPER_MODEL_NAME, help="the answering model's honest name, in responses")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--keep-partial", action="store_true")
    parser.add_argument("--profile", help="an optional story profile (it changes no request)")
    return record(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
