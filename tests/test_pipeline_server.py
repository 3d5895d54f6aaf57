"""The day's run against a real local OpenAI-compatible server: requests are
counted at the server, not inferred from the client."""

import datetime as dt
import json
import re

import pytest

from briefer.cache import BriefCache
from briefer.extract import Extractor
from briefer.llm import LLMClient, ModelSettings
from briefer.pipeline import DailyRequest, run_daily
from briefer.prompting import PromptSet
from tests.support.requests import report_text_of
from tests.support.openai_server import FixedLatencyResponder, OpenAICompatibleServer, Reply

pytestmark = pytest.mark.integration
DAY = dt.date(2024, 12, 7)


def report_text(body: dict) -> str:
    return report_text_of(body["messages"])


def answer_quoting_first_sentence(body: dict) -> str:
    text = report_text(body)
    sentence = re.split(r"(?<=\.)\s", text.strip())[0]
    return json.dumps({
        "outlet": None, "dateline": None, "published": None, "published_is_estimate": False, "published_basis": "stated",
        "wire_credits": [], "summary": "A report.",
        "claims": [{"statement": "Fighting was reported.", "quote": sentence, "speaker": "residents", "speaker_type": "anonymous", "via": [],
                    "modality": "reported", "event_type": "clash", "locations": ["Homs"], "actors": [], "control": None, "figures": [],
                    "event_date": None, "disputes_claim": None}],
    })


@pytest.fixture
def reports(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n:03d}.txt").write_text(f"date 2024-12-07 Fighting was reported in district {n} of Homs on Saturday. More text follows.")
    return folder


def run(server, reports, cache_dir, mode="json_schema"):
    settings = ModelSettings(model="test-model", api_key="k", base_url=server.base_url, timeout_s=5, max_attempts=2, response_mode=mode)
    extractor = Extractor(LLMClient(settings), PromptSet(), BriefCache(cache_dir))
    return run_daily(DailyRequest(date=DAY, reports_dir=reports, concurrency=3), extractor)


def test_a_second_run_makes_no_model_call(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.01, answer_quoting_first_sentence), model_name="fixed") as server:
        first = run(server, reports, tmp_path / "cache")
        assert server.request_count == 4 and first.day.run_requests == 4
        second = run(server, reports, tmp_path / "cache")
        assert server.request_count == 4  # nothing new reached the server
        assert second.cached == 4 and second.day.run_requests == 0
        assert second.day.claims == first.day.claims


def test_a_crash_halfway_loses_nothing_that_finished(reports, tmp_path):
    failing = {"district 2 "}

    def flaky(body, attempt):
        if any(marker in report_text(body) for marker in failing):
            return Reply.error(503)
        return Reply.content(answer_quoting_first_sentence(body))

    with OpenAICompatibleServer(flaky, model_name="flaky") as server:
        first = run(server, reports, tmp_path / "cache")
        assert first.partial and first.failed_reports == ["002"]
        assert "002" in {n.subject.split()[1] for n in first.day.notes if n.stage == "extract"}
        seen = server.request_count
        failing.clear()
        second = run(server, reports, tmp_path / "cache")
        assert server.request_count == seen + 1  # only the report that failed is asked again
        assert not second.partial and second.cached == 3


def test_json_object_mode_puts_the_schema_in_the_prompt(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer_quoting_first_sentence), model_name="old-vllm") as server:
        outcome = run(server, reports, tmp_path / "cache", mode="json_object")
        body = server.requests[0]
    assert body["response_format"] == {"type": "json_object"}
    assert '"BriefDraft"' in body["messages"][0]["content"] or '"claims"' in body["messages"][0]["content"]
    assert len(outcome.day.claims) == 4 and all(c.quote.startswith("date 2024-12-07 Fighting") for c in outcome.day.claims)


def test_cost_and_tokens_are_in_the_day(reports, tmp_path):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer_quoting_first_sentence), model_name="fixed") as server:
        day = run(server, reports, tmp_path / "cache").day
    assert day.usage.requests == 4 and day.usage.prompt_tokens > 0
    assert all(s.usage.requests == 1 for s in day.sources)
    assert day.cost is None  # "test-model" has no price; the sitrep says so


def test_a_wire_copy_is_flagged_and_not_an_independent_origin(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    wire = "date 2024-12-07 Fighting was reported in Homs on Saturday as government forces shelled rebel positions near the city. " * 3
    (folder / "000.txt").write_text(wire)
    (folder / "001.txt").write_text(wire + " Follow us for more news.")

    def own_voice(body):
        answer = json.loads(answer_quoting_first_sentence(body))
        answer["claims"][0]["speaker"] = "the report (unattributed)"
        return json.dumps(answer)

    with OpenAICompatibleServer(FixedLatencyResponder(0.0, own_voice), model_name="fixed") as server:
        day = run(server, folder, tmp_path / "cache").day
    assert {c.origin for c in day.claims} == {"unknown (report 000)"}
    assert len(day.groups) == 1 and day.groups[0].independent_origins == 1
    assert any("near-duplicate of report 000" in n.message for n in day.notes)


def test_an_undated_report_whose_date_cannot_be_estimated_is_listed_not_dropped(reports, tmp_path):
    (reports / "009_undated.txt").write_text("Fighting was reported in a district of Homs. No date anywhere in this text.")
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, answer_quoting_first_sentence), model_name="fixed") as server:
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
        return Reply.content(answer_quoting_first_sentence(body))

    with OpenAICompatibleServer(counting, model_name="counting") as server:
        settings = ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=5, max_in_flight=3)
        extractor = Extractor(LLMClient(settings), PromptSet(), BriefCache(tmp_path / "cache"))
        run_daily(DailyRequest(date=DAY, reports_dir=folder, concurrency=3, prep_threads=prep_threads(3)), extractor)
    assert state["peak"] == 3  # busy, and never more than --concurrency at the server


def test_output_order_does_not_depend_on_concurrency(reports, tmp_path):
    import random
    import time

    def jittery(body, attempt):
        time.sleep(random.uniform(0, 0.05))  # answers arrive out of order
        return Reply.content(answer_quoting_first_sentence(body))

    days = []
    for concurrency in (1, 4):
        with OpenAICompatibleServer(jittery, model_name="jitter") as server:
            settings = ModelSettings(model="m", api_key="k", base_url=server.base_url, timeout_s=5, max_in_flight=concurrency)
            extractor = Extractor(LLMClient(settings), PromptSet(), BriefCache(tmp_path / f"cache{concurrency}"))
            days.append(run_daily(DailyRequest(date=DAY, reports_dir=reports, concurrency=concurrency), extractor).day)
    one, many = days
    assert [c.model_dump() for c in one.claims] == [c.model_dump() for c in many.claims]
    assert [g.model_dump() for g in one.groups] == [g.model_dump() for g in many.groups]
