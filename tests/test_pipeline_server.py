"""The day's run against a real local OpenAI-compatible server: requests are
counted at the server, not inferred from the client."""

import datetime as dt
import pytest

from briefer.cache import DiskCache
from briefer.extract import Extractor
from briefer.llm import LLMClient, ModelSettings
from briefer.pipeline import DailyRequest, run_daily
from briefer.prompting import PromptSet
from briefer.reconcile import Reconciler
from tests.support import synthetic_model
from tests.support.openai_server import FixedLatencyResponder, OpenAICompatibleServer, Reply

pytestmark = pytest.mark.integration
DAY = dt.date(2024, 12, 7)


def answer(body: dict) -> str:
    """The synthetic model: one claim per sentence, one matter per question."""
    return synthetic_model.answer(body)


def is_extraction(body: dict) -> bool:
    return synthetic_model.schema_name(body) == "ReportDraft"


@pytest.fixture
def reports(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n:03d}.txt").write_text(f"date 2024-12-07 Fighting was reported in district {n} of Homs on Saturday. More text follows.")
    return folder


def run(server, reports, cache_dir, mode="json_schema"):
    settings = ModelSettings(model="test-model", api_key="k", base_url=server.base_url, timeout_s=5, max_attempts=2, response_mode=mode)
    client = LLMClient(settings)
    return run_daily(DailyRequest(date=DAY, reports_dir=reports, concurrency=3), *stages(client, cache_dir))


def stages(client, cache_dir):
    return Extractor(client, PromptSet(), DiskCache(cache_dir)), Reconciler(client, PromptSet(), DiskCache(cache_dir))


def test_a_second_run_makes_no_model_call(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.01, answer), model_name="fixed") as server:
        first = run(server, reports, tmp_path / "cache")
        assert server.request_count == 5 and first.day.run_requests == 5  # 4 reports, 1 reconcile
        second = run(server, reports, tmp_path / "cache")
        assert server.request_count == 5  # nothing new reached the server
        assert second.cached == 4 and second.day.cached_answers == 5 and second.day.run_requests == 0
        assert second.day.claims == first.day.claims and second.day.matters == first.day.matters


def test_a_crash_halfway_loses_nothing_that_finished(reports, tmp_path):
    failing = {"district 2 "}

    def flaky(body, attempt):
        if is_extraction(body) and any(marker in body["messages"][1]["content"] for marker in failing):
            return Reply.error(503)
        return Reply.content(answer(body))

    with OpenAICompatibleServer(flaky, model_name="flaky") as server:
        first = run(server, reports, tmp_path / "cache")
        assert first.partial and first.failed_reports == ["002"]
        assert "002" in {n.subject.split()[1] for n in first.day.notes if n.stage == "extract"}
        seen = server.request_count
        assert first.day.run_requests == seen  # the failed attempts are counted: they were sent
        failing.clear()
        second = run(server, reports, tmp_path / "cache")
        # only the report that failed is asked again, and the day's claims, now different, are reconciled again
        assert server.request_count == seen + 2
        assert not second.partial and second.cached == 3


def test_json_object_mode_puts_the_schema_in_the_prompt(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer), model_name="old-vllm") as server:
        outcome = run(server, reports, tmp_path / "cache", mode="json_object")
        body = server.requests[0]
    assert body["response_format"] == {"type": "json_object"}
    assert '"ReportDraft"' in body["messages"][0]["content"] or '"pub_est"' in body["messages"][0]["content"]
    assert {c.quote.split(" of Homs")[0] for c in outcome.day.claims if c.quote.startswith("date")} == {f"date 2024-12-07 Fighting was reported in district {n}" for n in range(4)}


def test_cost_and_tokens_are_in_the_day(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer), model_name="fixed") as server:
        day = run(server, reports, tmp_path / "cache").day
    assert day.usage.requests == 5 and day.usage.prompt_tokens > 0  # 4 reports, 1 reconcile
    assert day.usage_by_stage["extraction"].requests == 4 and day.usage_by_stage["reconcile"].requests == 1
    assert all(s.usage.requests == 1 for s in day.sources)
    assert day.cost is None  # "test-model" has no price; the sitrep says so


def test_a_wire_copy_is_flagged_and_told_to_the_model(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    wire = "date 2024-12-07 Fighting was reported in Homs on Saturday as government forces shelled rebel positions near the city. " * 3
    (folder / "000.txt").write_text(wire)
    (folder / "001.txt").write_text(wire + " Follow us for more news.")
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer), model_name="fixed") as server:
        day = run(server, folder, tmp_path / "cache").day
        reconcile = next(b for b in server.requests if not is_extraction(b))
    assert '"r": "001", "outlet": "unknown", "date": "2024-12-07", "copy_of": "000"' in reconcile["messages"][1]["content"]
    assert next(s for s in day.sources if s.report_id == "001").copy_of == "000"
    assert any("near-duplicate of report 000" in n.message for n in day.notes)


def test_an_undated_report_whose_date_cannot_be_estimated_is_listed_not_dropped(reports, tmp_path):
    (reports / "009_undated.txt").write_text("Fighting was reported in a district of Homs. No date anywhere in this text.")
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer), model_name="fixed") as server:
        day = run(server, reports, tmp_path / "cache").day
    assert "009" not in {s.report_id for s in day.sources}
    (note,) = [n for n in day.notes if n.subject == "009"]
    assert "no date could be estimated" in note.message
    assert len(day.sources) == 4


def test_requests_in_flight_never_exceed_the_concurrency(tmp_path):
    import threading
    import time

    from briefer.pipeline import prep_threads

    folder = tmp_path / "reports"
    folder.mkdir()
    for n in range(12):
        (folder / f"{n:03d}.txt").write_text(f"date 2024-12-07 Fighting was reported in district {n} of Homs on Saturday.")
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def counting(body, attempt):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Reply.content(answer(body))

    with OpenAICompatibleServer(counting, model_name="counting") as server:
        settings = ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=5, max_in_flight=3)
        run_daily(DailyRequest(date=DAY, reports_dir=folder, concurrency=3, prep_threads=prep_threads(3)), *stages(LLMClient(settings), tmp_path / "cache"))
    assert state["peak"] == 3  # busy, and never more than --concurrency at the server


def test_output_order_does_not_depend_on_concurrency(reports, tmp_path):
    import random
    import time

    def jittery(body, attempt):
        time.sleep(random.uniform(0, 0.05))  # answers arrive out of order
        return Reply.content(answer(body))

    days = []
    for concurrency in (1, 4):
        with OpenAICompatibleServer(jittery, model_name="jitter") as server:
            settings = ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=5, max_in_flight=concurrency)
            days.append(run_daily(DailyRequest(date=DAY, reports_dir=reports, concurrency=concurrency), *stages(LLMClient(settings), tmp_path / f"cache{concurrency}")).day)
    one, many = days
    assert [c.model_dump() for c in one.claims] == [c.model_dump() for c in many.claims]
    assert [m.model_dump() for m in one.matters] == [m.model_dump() for m in many.matters]


def test_reports_outside_the_window_are_one_note_not_one_each(reports, tmp_path):
    for n in range(30):
        (reports / f"9{n:02d}_old.txt").write_text(f"date 2020-01-{n % 28 + 1:02d} An old report number {n}.")
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer), model_name="fixed") as server:
        day = run(server, reports, tmp_path / "cache").day
    (note,) = [n for n in day.notes if "outside the window" in n.message]
    assert note.subject == "30 reports" and "2020-01-01 to 2020-01-28" in note.message


def test_a_slow_rate_limit_loses_no_report(tmp_path):
    """Issue 12, item 5: 2 requests/s, concurrency 16, 24 reports: every report
    arrives, because 429s slow the client down instead of using up attempts."""
    from tests.support.openai_server import RateLimitedResponder

    folder = tmp_path / "reports"
    folder.mkdir()
    for n in range(24):
        (folder / f"{n:03d}.txt").write_text(f"date 2024-12-07 Report number {n} about the flood in district {n}.")
    limiter = RateLimitedResponder(FixedLatencyResponder(0.0, answer), per_second=2.0)
    with OpenAICompatibleServer(limiter, model_name="limited") as server:
        settings = ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=10, max_attempts=3, max_in_flight=16)
        run = run_daily(DailyRequest(date=DAY, reports_dir=folder, concurrency=16), *stages(LLMClient(settings), tmp_path / "cache"))
    assert run.failed_reports == [] and len(run.day.sources) == 24
    assert limiter.limited > 0  # the limit was really hit


def test_the_longest_reports_are_asked_first(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for n, words in enumerate([5, 60, 20, 200, 1]):
        (folder / f"{n:03d}.txt").write_text("date 2024-12-07 " + " ".join(f"word{i}." for i in range(words)))
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer), model_name="fixed") as server:
        settings = ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=5, max_in_flight=1)
        run_daily(DailyRequest(date=DAY, reports_dir=folder, concurrency=1), *stages(LLMClient(settings), tmp_path / "cache"))
        asked = [b["messages"][1]["content"].split("\n", 1)[0] for b in server.requests if is_extraction(b)]
    assert asked == [f"Report id: {rid}" for rid in ("003", "001", "002", "000", "004")]


def test_work_meanwhile_starts_once_the_first_wave_is_on_the_wire_not_after_an_answer():
    """The main thread's own work (finding wire copies) runs while every worker waits on the model."""
    from concurrent.futures import ThreadPoolExecutor

    from briefer.models import ReportDraft
    from briefer.pipeline import _first_wave_sent

    with OpenAICompatibleServer(FixedLatencyResponder(0.5, answer), model_name="slow") as server:
        client = LLMClient(ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=5, max_in_flight=4))
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(client.complete, [{"role": "user", "content": f"[S1] Item {n}."}], ReportDraft) for n in range(6)]
            _first_wave_sent(futures, client, 4)
            assert client.on_the_wire() == 4 and not any(f.done() for f in futures)
            assert all(f.result().parsed for f in futures)
