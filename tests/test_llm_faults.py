"""The prompt layer against a real local server that misbehaves on purpose.

Each case asserts the number of attempts the server saw, a time bound, and
the outcome. Waits are short: Retry-After of at most 0.3 s, timeouts of 0.5 s.
"""

import datetime as dt
import json
import time

import pytest

from briefer.cache import NoCache
from briefer.extract import ExtractionFailed, Extractor
from briefer.llm import LLMClient, ModelCallError, ModelSettings
from briefer.models import Report, ReportDraft
from briefer.prompting import PromptSet
from tests.support.openai_server import OpenAICompatibleServer, Reply, ScriptedResponder

pytestmark = pytest.mark.integration

TEXT = "date 2024-12-07 Local factions took control of 80% of Deraa province, activists said on Saturday."
REPORT = Report(id="r1", path="r1.txt", text=TEXT, sha256="s", published=dt.date(2024, 12, 7), date_source="text", date_basis="stated")


def brief_json(evidence: str = "S1") -> str:
    return json.dumps({
        "outlet": None, "dateline": None, "pub": "2024-12-07", "pub_est": False, "pub_why": "stated",
        "wire": [], "summary": "Opposition factions were reported to control most of the province.",
        "sp": [{"name": "activists", "org": None, "camp": None}], "terms": [{"term": "Local factions", "actor": "armed groups"}],
        "c": [{
            "s": "Activists said local factions took control of 80% of the province.", "ev": evidence, "q": None, "sp": 0,
            "via": [], "m": "reported", "mt": "Who controls the province?", "pos": "local factions",
            "f": [{"n": 80, "unit": "percent", "what": "share of the province controlled", "qual": None, "asof": "Saturday"}],
            "d": "2024-12-07",
        }],
    })


def extract_with(replies, *, timeout=5.0, max_attempts=4, max_retry_seconds=10.0):
    server = OpenAICompatibleServer(ScriptedResponder(replies), model_name="scripted-test-server")
    with server:
        settings = ModelSettings(model="test", api_key="k", base_url=server.base_url, timeout_s=timeout, max_attempts=max_attempts,
                                 max_retry_seconds=max_retry_seconds, max_output_tokens=1000)
        extractor = Extractor(LLMClient(settings), PromptSet(), NoCache())
        started = time.monotonic()
        try:
            brief, _ = extractor.extract(REPORT)
            outcome = brief
        except ExtractionFailed as exc:
            outcome = exc
        elapsed = time.monotonic() - started
    return outcome, server.request_count, elapsed, server.requests


def test_429_honours_retry_after_then_succeeds():
    outcome, attempts, elapsed, _ = extract_with([Reply.rate_limited(0.3), Reply.content(brief_json())])
    assert attempts == 2 and len(outcome.claims) == 1
    assert 0.25 <= elapsed < 3


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(status):
    outcome, attempts, elapsed, _ = extract_with([Reply.error(status), Reply.error(status), Reply.content(brief_json())])
    assert attempts == 3 and outcome.attempts == 3 and len(outcome.claims) == 1
    assert elapsed < 5


def test_a_timeout_is_retried_within_the_time_bound():
    outcome, attempts, elapsed, _ = extract_with([Reply.content(brief_json(), delay_s=2.0), Reply.content(brief_json())], timeout=0.5)
    assert attempts == 2 and len(outcome.claims) == 1
    assert 0.5 <= elapsed < 2.5


def test_a_reset_connection_is_retried():
    outcome, attempts, _, _ = extract_with([Reply.reset(), Reply.content(brief_json())])
    assert attempts == 2 and len(outcome.claims) == 1


def test_a_malformed_body_is_retried_as_a_transport_glitch():
    outcome, attempts, _, requests = extract_with([Reply.malformed(), Reply.content(brief_json())])
    assert attempts == 2 and len(outcome.claims) == 1
    assert requests[0] == requests[1]  # the same request again, not a re-ask


def test_json_that_violates_the_schema_is_reasked_with_the_errors():
    bad = json.loads(brief_json())
    bad["c"][0]["m"] = "rumoured"
    outcome, attempts, _, requests = extract_with([Reply.content(json.dumps(bad)), Reply.content(brief_json())])
    assert attempts == 2 and outcome.reasks == 1 and len(outcome.claims) == 1
    assert "c.0.m" in requests[1]["messages"][-1]["content"]
    assert len(requests[0]["messages"]) == 2  # the first request was not mutated


def test_evidence_outside_the_report_is_reasked_then_rejected_and_listed():
    invented = brief_json("S7")
    outcome, attempts, _, requests = extract_with([Reply.content(invented), Reply.content(invented)])
    assert attempts == 2 and outcome.claims == []
    (rejected,) = outcome.rejected
    assert "outside S1-S1" in rejected.reason
    assert requests[1]["messages"][-2]["role"] == "assistant"


def test_a_refusal_is_reported_as_such_without_retrying():
    outcome, attempts, _, _ = extract_with([Reply.refusal("I can't help with that.")])
    assert isinstance(outcome, ExtractionFailed) and attempts == 1
    assert "the model refused: I can't help with that." in str(outcome)


def test_truncation_retries_with_a_larger_budget():
    outcome, attempts, _, requests = extract_with([Reply.content('{"outlet": nu', finish_reason="length"), Reply.content(brief_json())])
    assert attempts == 2 and len(outcome.claims) == 1
    assert [r["max_completion_tokens"] for r in requests] == [2048, 4096]  # sized from the report, then doubled


def test_truncation_that_persists_fails_with_advice():
    cut = Reply.content('{"outlet": nu', finish_reason="length")
    outcome, attempts, _, requests = extract_with([cut, cut, cut, cut])
    assert isinstance(outcome, ExtractionFailed) and attempts == 4
    assert requests[-1]["max_completion_tokens"] == 16_384 and "even at the largest output budget" in str(outcome)


@pytest.mark.parametrize("status, message", [(400, "rejected the request (400)"), (401, "rejected the API key (401)"), (404, "not found (404)")])
def test_client_errors_fail_fast_with_an_actionable_message(status, message):
    outcome, attempts, _, _ = extract_with([Reply.error(status)])
    assert attempts == 1 and isinstance(outcome, ExtractionFailed)
    assert message in str(outcome)


def test_retries_are_bounded_by_attempts():
    outcome, attempts, elapsed, _ = extract_with([Reply.error(503)] * 10, max_attempts=3)
    assert attempts == 3 and isinstance(outcome, ExtractionFailed)
    assert "HTTP 503" in str(outcome) and elapsed < 5


def test_retries_are_bounded_by_total_time():
    outcome, attempts, elapsed, _ = extract_with([Reply.rate_limited(0.3)] * 20, max_attempts=50, max_retry_seconds=1.0)
    assert isinstance(outcome, ExtractionFailed)
    assert 2 <= attempts <= 6 and elapsed < 2.5


def test_the_sdk_does_not_retry_on_its_own():
    client = LLMClient(ModelSettings(model="m", api_key="k", base_url="http://127.0.0.1:9/v1"))
    assert client._client.max_retries == 0
    with pytest.raises(ModelCallError, match="cannot reach the model server"):
        LLMClient(ModelSettings(model="m", api_key="k", base_url="http://127.0.0.1:9/v1", max_attempts=1)).complete([{"role": "user", "content": "x"}], ReportDraft)


def test_rate_limits_do_not_use_up_the_attempts_meant_for_errors():
    replies = [Reply.rate_limited(0.01)] * 3 + [Reply.error(503), Reply.content(brief_json())]
    outcome, attempts, _, _ = extract_with(replies, max_attempts=2, max_retry_seconds=30.0)
    assert attempts == 5 and not isinstance(outcome, ExtractionFailed) and len(outcome.claims) == 1


def test_an_outage_of_several_failures_is_ridden_out_with_the_defaults():
    """Issue 12, item 5: retries are bounded by time (minutes), not by a few quick attempts."""
    waits = []
    server = OpenAICompatibleServer(ScriptedResponder([Reply.error(503)] * 8 + [Reply.content(brief_json())]), model_name="outage")
    with server:
        client = LLMClient(ModelSettings(model="test", api_key="k", base_url=server.base_url), sleep=waits.append)
        completion = client.complete([{"role": "user", "content": "x"}], ReportDraft, max_tokens=100)
    assert server.request_count == 9 and completion.parsed.c
    assert ModelSettings(model="m").max_retry_seconds >= 120  # a few minutes by default


def test_a_server_that_never_answered_fails_in_a_few_tries_not_minutes():
    """A mistyped OPENAI_BASE_URL (nothing listening) is named after 4 tries, however many the defaults allow."""
    import socket

    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # a port with nothing on it: connection refused
    waits = []
    client = LLMClient(ModelSettings(model="m", api_key="k", base_url=f"http://127.0.0.1:{port}/v1"), sleep=waits.append)
    with pytest.raises(ModelCallError, match="cannot reach the model server"):
        client.complete([{"role": "user", "content": "x"}], ReportDraft, max_tokens=100)
    assert len(waits) == 3 and ModelSettings(model="m").max_attempts > 4


def test_a_server_that_has_answered_gets_every_retry_when_its_connections_drop():
    """Once the server has answered, dropped connections are an outage to ride out, not a wrong address."""
    replies = [Reply.content(brief_json())] + [Reply.reset()] * 6 + [Reply.content(brief_json())]
    with OpenAICompatibleServer(ScriptedResponder(replies), model_name="flaky") as server:
        client = LLMClient(ModelSettings(model="test", api_key="k", base_url=server.base_url), sleep=lambda s: None)
        client.complete([{"role": "user", "content": "x"}], ReportDraft, max_tokens=100)
        completion = client.complete([{"role": "user", "content": "y"}], ReportDraft, max_tokens=100)
    assert server.request_count == 8 and completion.parsed.c
