"""The batch path (briefer daily --batch) against the local server's Files and
Batches endpoints: the same sitrep as the live path, no report lost to a
failed or expired line, and an interrupted run resumes its job."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from briefer.batch import BatchOptions, BatchRunner, body_key
from briefer.cache import DiskCache
from briefer.cost import estimate
from briefer.extract import Extractor
from briefer.llm import AttemptLog, LLMClient, ModelSettings
from briefer.models import ReportDraft, Usage
from briefer.pipeline import DailyRequest, run_daily
from briefer.prompting import PromptSet
from briefer.reconcile import Reconciler
from tests.support import synthetic_model
from tests.support.openai_server import FixedLatencyResponder, OpenAICompatibleServer, Reply

pytestmark = pytest.mark.integration
DAY = dt.date(2024, 12, 7)
# What differs between two runs of one day by construction: when, how, and at what cost.
RUN_FIELDS = {"generated_at": True, "mode": True, "usage": True, "usage_by_stage": True, "cost": True, "cost_by_stage": True, "run_requests": True,
              "cached_answers": True, "answer_sources": True, "notes": True, "sources": {"__all__": {"usage"}}}
TOPICS = ["flood barrier", "grain convoy", "power outage", "border crossing", "hospital ward", "bridge repair"]


@pytest.fixture
def reports(tmp_path):
    """Twelve reports on six topics; one long enough to go out in parts."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for n in range(12):
        topic = TOPICS[n % len(TOPICS)]
        sentences = [f"The {topic} in district {n} drew {n + 3} observers on Saturday.", f"Officials said the {topic} work would take {n + 2} days."]
        if n == 5:
            sentences += [f"Witness {k} described the {topic} at length, adding details of hour {k}." for k in range(400)]
        (folder / f"{n:03d}.txt").write_text("date 2024-12-07 " + " ".join(sentences))
    return folder


def client_for(server, **extra) -> LLMClient:
    return LLMClient(ModelSettings(model="test-model", api_key="k", base_url=server.base_url, timeout_s=10, max_attempts=2, **extra))


def run(client, reports, cache_dir, batch: BatchRunner | None = None):
    cache = DiskCache(cache_dir)
    return run_daily(DailyRequest(date=DAY, reports_dir=reports, concurrency=4), Extractor(client, PromptSet(), cache),
                     Reconciler(client, PromptSet(), cache), batch=batch)


def runner(client, cache_dir) -> BatchRunner:
    return BatchRunner(client, cache_dir / "batches", BatchOptions(poll_s=0.05, first_poll_s=0.05))


def extraction_requests(server) -> int:
    return sum(synthetic_model.schema_name(b) == "ReportDraft" for b in server.requests)


@pytest.mark.parametrize("mode", ["json_schema", "json_object"])
def test_a_batch_line_is_the_body_the_live_client_sends(mode):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        client = client_for(server, response_mode=mode)
        messages = [{"role": "system", "content": 'x "title": "ReportDraft"'}, {"role": "user", "content": "[S1] One sentence."}]
        client.complete(messages, ReportDraft, max_tokens=2048)
        assert server.requests[0] == client.request_body(messages, ReportDraft, 2048)


def test_the_batch_path_gives_the_live_path_sitrep_without_live_extraction(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        live = run(client_for(server), reports, tmp_path / "live")
        live_extractions = extraction_requests(server)
        client = client_for(server)
        batched = run(client, reports, tmp_path / "batch", batch=runner(client, tmp_path / "batch"))
        assert extraction_requests(server) == live_extractions  # the batch run asked none live
        assert len(server.batches.batch_ids) == 1 and len(server.batches.lines) == live_extractions > 12  # report 5 went in parts
    assert batched.failed_reports == [] and len(batched.day.sources) == 12
    assert batched.day.model_dump(exclude=RUN_FIELDS) == live.day.model_dump(exclude=RUN_FIELDS)
    assert batched.day.usage_by_stage["extraction"].batch_completion_tokens == live.day.usage_by_stage["extraction"].completion_tokens
    assert any(n.subject == "batch" and f"{live_extractions} of {live_extractions} extraction requests answered" in n.message for n in batched.day.notes)
    assert not list((tmp_path / "batch" / "batches").glob("*.state"))  # the job's id is dropped once its answers are cached
    assert server.batches.file_ids == []  # and its input and output files are deleted at the provider


def test_failed_and_expired_lines_are_asked_live_and_no_report_is_lost(reports, tmp_path):
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def first_try_fails_for_two(body, attempt):
        key = body_key(body)
        with lock:
            seen[key] = seen.get(key, 0) + 1
            tries = seen[key]
        text = body["messages"][-1]["content"]
        if tries == 1 and ("district 1 " in text or "district 2 " in text):
            return Reply.error(500)
        return Reply.content(synthetic_model.answer(body))

    with OpenAICompatibleServer(first_try_fails_for_two, model_name="fixed") as server:
        server.batches.workers = 1  # lines in order, so the expiry cuts a known tail
        server.batches.expire_after = 10
        client = client_for(server)
        day_run = run(client, reports, tmp_path / "cache", batch=runner(client, tmp_path / "cache"))
        lines = len(server.batches.lines)
        # Lines go in the order of their request keys, so which of the two failing reports ran before the expiry depends on the keys.
        failed = sum(("district 1 " in b["messages"][-1]["content"] or "district 2 " in b["messages"][-1]["content"]) for b in server.batches.lines)
        status = server.batches.batch(server.batches.batch_ids[0])["status"]
        live = extraction_requests(server)
    assert status == "expired" and lines == 10
    assert day_run.failed_reports == [] and len(day_run.day.sources) == 12
    note = next(n for n in day_run.day.notes if n.subject == "batch")
    # 14 requests (report 5 in 3 parts): 10 ran before the job expired, `failed` of them failed; all others went live.
    assert 1 <= failed <= 2 and note.severity == "warning" and note.message.startswith(f"{10 - failed} of 14 extraction requests answered")
    assert f"the other {4 + failed} were asked live (Simulated HTTP 500 from the test server ×{failed}, batch_expired ×4)" in note.message
    assert live == 6  # the 4 + failed asked live, plus one retry for each failing report that first met its 500 live


def test_a_job_the_server_cannot_take_is_one_line_naming_the_batch(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        client = client_for(server)
        server.batches.handles = lambda path: False  # a server without the Batch API: 404
        from briefer.batch import BatchJobError

        with pytest.raises(BatchJobError, match="batch: .*404.*without --batch, briefer asks live"):
            run(client, reports, tmp_path / "cache", batch=runner(client, tmp_path / "cache"))


def test_batch_tokens_are_priced_at_the_batch_price():
    live = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000, requests=1)
    batched = live.model_copy(update={"batch_prompt_tokens": 1_000_000, "batch_completion_tokens": 1_000_000})
    assert estimate(live, "gpt-4.1-mini").amount == pytest.approx(2.0)
    assert estimate(batched, "gpt-4.1-mini").amount == pytest.approx(1.0)
    no_batch_price = {"m": {"input": 1.0, "output": 2.0}}
    assert estimate(batched, "m", no_batch_price).amount == estimate(live, "m", no_batch_price).amount  # never under-estimated


def test_a_batch_answer_is_checked_like_a_live_one():
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        client = client_for(server)
        cut = {"id": "x", "object": "chat.completion", "created": 0, "model": "fixed", "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
               "choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": '{"outlet": nu'}}]}
        from briefer.llm import Truncated

        log = AttemptLog()
        with pytest.raises(Truncated):
            client.completion_from_body(cut, ReportDraft, 512, log, batch=True)
        assert log.attempts == 1 and log.usage.batch_completion_tokens == 7


def test_the_cli_refuses_batch_without_a_live_endpoint_or_a_cache(tmp_path):
    from click.testing import CliRunner

    from briefer.cli import cli

    (tmp_path / "reports").mkdir()
    env = {"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "BRIEFER_CONFIG": None}
    replay = CliRunner().invoke(cli, ["daily", "--date", "2024-12-07", "--reports", str(tmp_path / "reports"), "--batch"], env=env)
    assert replay.exit_code == 2 and "--batch needs a live endpoint" in replay.output
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
    uncached = CliRunner().invoke(cli, ["daily", "--date", "2024-12-07", "--reports", str(tmp_path / "reports"), "--batch", "--no-cache"], env=env)
    assert uncached.exit_code == 2 and "drop --no-cache" in uncached.output


def test_an_interrupted_batch_run_resumes_its_job_and_pays_nothing_twice(reports, tmp_path):
    (tmp_path / "briefer.toml").write_text(f'batch_poll = 0.1\ncache_dir = "{tmp_path / "cache"}"\n')
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k"}
        command = [sys.executable, "-m", "briefer", "daily", "--date", "2024-12-07", "--reports", str(reports), "--batch", "--out", "day.md", "--json", "day.json"]
        server.batches.hold.clear()  # the provider is busy: the job waits
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not server.batches.batch_ids and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        assert proc.returncode == 130, err
        assert "keep running at the provider; run the same command again" in err and "Traceback" not in err
        assert not (tmp_path / "day.md").exists()
        shown = subprocess.run([sys.executable, "-m", "briefer", "cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert "1 batch job submitted and not yet collected (briefer daily --batch collects them)" in shown.stdout

        server.batches.hold.set()
        again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert "batch: resuming 1 saved job" in again.stderr
        assert len(server.batches.batch_ids) == 1 and extraction_requests(server) == 0  # one job, nothing sent twice or live
    day = json.loads((tmp_path / "day.json").read_text())
    assert len(day["sources"]) == 12 and day["usage_by_stage"]["extraction"]["batch_prompt_tokens"] > 0
    assert "2024-12-07" in (tmp_path / "day.md").read_text().splitlines()[0]


def test_a_saved_job_serves_the_requests_still_missing_and_no_new_job_is_made(tmp_path):
    """A run stopped after its job finished but before every answer was cached
    finds the saved job next time, for whatever is still missing."""
    from briefer.pipeline import SilentProgress

    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        client = client_for(server)
        bodies = {}
        for n in range(5):
            body = client.request_body([{"role": "system", "content": 'x "title": "ReportDraft"'}, {"role": "user", "content": f"[S1] Item {n}."}], ReportDraft, 1024)
            bodies[body_key(body)] = body
        first = runner(client, tmp_path).collect(bodies, SilentProgress())
        assert len(first.answers) == 5 and len(server.batches.batch_ids) == 1
        still_missing = dict(list(bodies.items())[3:])
        again = runner(client, tmp_path).collect(still_missing, SilentProgress())
        assert set(again.answers) == set(still_missing) and len(server.batches.batch_ids) == 1
        other_model = LLMClient(ModelSettings(model="another-model", api_key="k", base_url=server.base_url, timeout_s=10, max_attempts=2))
        other = runner(other_model, tmp_path).collect({body_key(b): b for b in [{**still_missing[k], "model": "another-model"} for k in still_missing]}, SilentProgress())
        assert len(other.answers) == 2 and len(server.batches.batch_ids) == 2  # another model's requests: a job of their own
        runner(client, tmp_path).forget(again)
        left = [json.loads(p.read_text()) for p in (tmp_path / "batches").glob("*.state")]
        assert [saved["job"] for saved in left] == [server.batches.batch_ids[1]]
        assert not any(server.base_url in p.read_text() for p in (tmp_path / "batches").glob("*.state"))  # a URL may hold credentials


def test_a_saved_job_the_provider_has_forgotten_is_sent_again(tmp_path):
    from briefer.pipeline import SilentProgress

    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        client = client_for(server)
        body = client.request_body([{"role": "system", "content": 'x "title": "ReportDraft"'}, {"role": "user", "content": "[S1] One."}], ReportDraft, 1024)
        first = runner(client, tmp_path).collect({body_key(body): body}, SilentProgress())
        server.batches._batches.clear()  # the provider no longer knows the job
        notes = []

        class Notes(SilentProgress):
            def note(self, message):
                notes.append(message)

        again = runner(client, tmp_path).collect({body_key(body): body}, Notes())
    assert len(again.answers) == 1 and again.jobs != first.jobs
    assert any("unknown to the provider; its requests are sent again" in n for n in notes)


def test_the_cli_names_a_server_without_batch_endpoints_in_one_line_and_cache_clear_says_jobs_are_dropped(reports, tmp_path):
    from click.testing import CliRunner

    from briefer.cli import cli

    cache = tmp_path / "cache"
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_model.answer), model_name="fixed") as server:
        server.batches.handles = lambda path: False  # no Files or Batches endpoints: 404
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k", "BRIEFER_CONFIG": None}
        result = CliRunner().invoke(cli, ["daily", "--date", "2024-12-07", "--reports", str(reports), "--batch", "--cache-dir", str(cache)], env=env)
    assert result.exit_code == 5 and "without --batch, briefer asks live" in result.output and "Traceback" not in result.output
    (cache / "batches").mkdir(parents=True)
    (cache / "batches" / "x.state").write_text('{"job": "batch_x", "model": "m", "endpoint": "e", "ids": []}')
    shown = CliRunner().invoke(cli, ["cache", "--cache-dir", str(cache)], env={"BRIEFER_CONFIG": None})
    assert "1 batch job submitted and not yet collected" in shown.output
    cleared = CliRunner().invoke(cli, ["cache", "--clear", "--cache-dir", str(cache)], env={"BRIEFER_CONFIG": None})
    assert "1 saved batch job id dropped (the jobs keep running at the provider" in cleared.output and not cache.exists()
