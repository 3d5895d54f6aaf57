"""Tests of the local OpenAI-compatible server, driven by the real openai SDK."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pydantic
import pytest
from openai import OpenAI
from pydantic import BaseModel

from tests.support.openai_server import (
    FixedLatencyResponder,
    MailboxResponder,
    OpenAICompatibleServer,
    RateLimitedResponder,
    Reply,
    ScriptedResponder,
    request_key,
)

MODEL_NAME = "briefer-test-fixture"
REPO_ROOT = Path(__file__).resolve().parents[2]


class Summary(BaseModel):
    headline: str
    count: int


MESSAGES = [
    {"role": "system", "content": "Summarise."},
    {"role": "user", "content": "Three reports arrived."},
]
GOOD = '{"headline": "Three reports", "count": 3}'


def client_for(srv: OpenAICompatibleServer, *, timeout: float = 5, max_retries: int = 0) -> OpenAI:
    return OpenAI(base_url=srv.base_url, api_key="test", max_retries=max_retries, timeout=timeout)


def parse(client: OpenAI, messages=MESSAGES):
    return client.chat.completions.parse(model="gpt-4o-mini", messages=messages, response_format=Summary)


def scripted(*replies: Reply, then: Reply | None = None) -> OpenAICompatibleServer:
    return OpenAICompatibleServer(ScriptedResponder(list(replies), then=then), model_name=MODEL_NAME)


def http_get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# --------------------------------------------------------------------------- happy path

def test_parse_gets_parsed_model_usage_and_server_model_name():
    with scripted(Reply.content(GOOD)) as srv:
        completion = parse(client_for(srv))
        requests = srv.requests
    msg = completion.choices[0].message
    assert msg.parsed == Summary(headline="Three reports", count=3)
    assert msg.refusal is None
    assert completion.choices[0].finish_reason == "stop"
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    # The answer names the server's model, never the model the client asked for.
    assert completion.model == MODEL_NAME

    # Usage is the documented ceil(chars / 4) estimate.
    body = requests[0]
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    prompt_chars = "".join(m["content"] for m in MESSAGES) + json.dumps(
        body["response_format"]["json_schema"], separators=(",", ":"), sort_keys=True)
    assert completion.usage.prompt_tokens == math.ceil(len(prompt_chars) / 4)
    assert completion.usage.completion_tokens == math.ceil(len(GOOD) / 4)
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_requests_are_recorded_as_copies_and_counted():
    with scripted(Reply.content(GOOD), Reply.content(GOOD)) as srv:
        client = client_for(srv)
        parse(client)
        parse(client, messages=[{"role": "user", "content": "other"}])
        assert srv.request_count == 2
        first = srv.requests
        first[0]["messages"].clear()
        assert srv.requests[0]["messages"] == MESSAGES
        assert srv.requests[1]["messages"] == [{"role": "user", "content": "other"}]


def test_models_endpoint_and_unknown_path_error_shape():
    with scripted() as srv:
        assert [m.id for m in client_for(srv).models.list()] == [MODEL_NAME]
        status, payload = http_get(srv.base_url + "/models/" + MODEL_NAME)
        assert status == 200 and payload["id"] == MODEL_NAME
        status, payload = http_get(srv.base_url + "/nowhere")
        assert status == 404
        assert set(payload["error"]) >= {"message", "type", "code"}
        assert payload["error"]["type"] == "invalid_request_error"
        assert srv.request_count == 0


def test_invalid_json_request_body_gets_400():
    with scripted() as srv:
        req = urllib.request.Request(srv.base_url + "/chat/completions", data=b"{not json",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 400
        assert json.loads(info.value.read())["error"]["type"] == "invalid_request_error"
        assert srv.request_count == 0


def test_attempt_index_counts_identical_bodies_and_sdk_retry_honours_retry_after_ms():
    seen: list[int] = []

    def responder(body: dict, attempt_index: int) -> Reply:
        seen.append(attempt_index)
        if attempt_index == 0:
            return Reply.error(503, headers={"retry-after-ms": "10"})
        return Reply.content(GOOD)

    with OpenAICompatibleServer(responder, model_name=MODEL_NAME) as srv:
        started = time.monotonic()
        completion = parse(client_for(srv, max_retries=1))
        elapsed = time.monotonic() - started
    assert completion.choices[0].message.parsed.count == 3
    assert seen == [0, 1]
    assert elapsed < 1.0  # retried after ~10 ms, not the SDK's default backoff


# --------------------------------------------------------------------------- faults

def test_refusal_gives_parsed_none_and_refusal_text():
    with scripted(Reply.refusal("I can't help with that.")) as srv:
        completion = parse(client_for(srv))
    msg = completion.choices[0].message
    assert msg.parsed is None
    assert msg.content is None
    assert msg.refusal == "I can't help with that."
    assert completion.usage.completion_tokens == math.ceil(len("I can't help with that.") / 4)


def test_finish_reason_length_raises_length_error():
    with scripted(Reply.content('{"headline": "Thr', finish_reason="length")) as srv:
        with pytest.raises(openai.LengthFinishReasonError):
            parse(client_for(srv))


def test_content_that_does_not_fit_the_schema_raises_validation_error():
    with scripted(Reply.content('{"headline": "x"}')) as srv:
        with pytest.raises(pydantic.ValidationError):
            parse(client_for(srv))


def test_429_with_retry_after_is_rate_limit_error_with_headers():
    with scripted(Reply.rate_limited(0.25)) as srv:
        with pytest.raises(openai.RateLimitError) as info:
            parse(client_for(srv))
    err = info.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "1"
    assert err.response.headers["retry-after-ms"] == "250"
    assert err.code == "rate_limit_exceeded"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_internal_server_error(status):
    with scripted(Reply.error(status, "boom")) as srv:
        with pytest.raises(openai.InternalServerError) as info:
            parse(client_for(srv))
    assert isinstance(info.value, openai.APIStatusError)
    assert info.value.status_code == status
    assert info.value.type == "server_error"


def test_400_is_bad_request_error():
    with scripted(Reply.error(400, "Invalid schema for response_format", error_code="invalid_json_schema")) as srv:
        with pytest.raises(openai.BadRequestError) as info:
            parse(client_for(srv))
    assert info.value.code == "invalid_json_schema"


def test_delay_beyond_client_timeout_is_api_timeout_error():
    with scripted(Reply.content(GOOD, delay_s=1.0), then=Reply.content(GOOD)) as srv:
        client = client_for(srv, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            parse(client)
        assert time.monotonic() - started < 0.9
        # The server survives a client that hung up, and the client recovers.
        assert parse(client).choices[0].message.parsed.count == 3


def test_reset_connection_is_api_connection_error():
    with scripted(Reply.reset(), then=Reply.content(GOOD)) as srv:
        client = client_for(srv)
        with pytest.raises(openai.APIConnectionError) as info:
            parse(client)
        assert not isinstance(info.value, openai.APITimeoutError)
        assert parse(client).choices[0].message.parsed.count == 3


def test_malformed_body_raises_plain_json_decode_error():
    # Surprise worth knowing: openai 3.54 does not wrap this in an OpenAIError;
    # response.json() raises json.JSONDecodeError (a ValueError) straight through.
    with scripted(Reply.malformed()) as srv:
        with pytest.raises(json.JSONDecodeError) as info:
            parse(client_for(srv))
    assert not isinstance(info.value, openai.OpenAIError)


def test_stop_does_not_wait_for_delayed_replies():
    srv = scripted(Reply.content(GOOD, delay_s=30)).start()
    errors: list[BaseException] = []

    def call():
        try:
            parse(client_for(srv, timeout=10))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    while srv.request_count == 0:
        time.sleep(0.01)
    started = time.monotonic()
    srv.stop()
    t.join(5)
    assert time.monotonic() - started < 2
    assert len(errors) == 1 and isinstance(errors[0], openai.APIConnectionError)


def test_scripted_responder_without_then_answers_500_when_exhausted():
    with scripted(Reply.content(GOOD)) as srv:
        client = client_for(srv)
        parse(client)
        with pytest.raises(openai.InternalServerError, match="script exhausted"):
            parse(client)


def test_reply_rejects_inconsistent_fields():
    with pytest.raises(ValueError):
        Reply.error(200)
    with pytest.raises(ValueError):
        Reply.content("x", finish_reason="banana")
    with pytest.raises(ValueError):
        Reply.content("x", delay_s=-1)


# --------------------------------------------------------------------------- mailbox

def wait_for(path_glob, directory: Path, count: int = 1, timeout: float = 5) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(directory.glob(path_glob))
        if len(found) >= count:
            return found
        time.sleep(0.01)
    raise AssertionError(f"{count} x {path_glob} did not appear in {directory}")


def run_in_thread(fn, *args):
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    return t, box


def test_mailbox_agent_answers_pending_request(tmp_path, capsys):
    responder = MailboxResponder(tmp_path, timeout=5, poll_interval=0.02)
    with OpenAICompatibleServer(responder, model_name="helper-agent") as srv:
        t, box = run_in_thread(parse, client_for(srv))
        [pending] = wait_for("*.json", tmp_path / "pending")

        # The agent sees only the request.
        request = json.loads(pending.read_text())
        assert set(request) >= {"model", "messages", "response_format"}
        assert request["messages"] == MESSAGES
        assert request["response_format"]["json_schema"]["name"] == "Summary"
        assert pending.stem == request_key(request)
        (tmp_path / "answers" / pending.name).write_text('{"headline": "Agent wrote this", "count": 7}')

        t.join(5)
    assert "error" not in box, box
    completion = box["value"]
    assert completion.choices[0].message.parsed == Summary(headline="Agent wrote this", count=7)
    assert completion.model == "helper-agent"
    assert not pending.exists()
    assert (tmp_path / "done" / pending.name).exists()
    assert str(pending) in capsys.readouterr().err


def test_mailbox_two_concurrent_requests_answered_independently(tmp_path):
    responder = MailboxResponder(tmp_path, timeout=5, poll_interval=0.02)
    with OpenAICompatibleServer(responder, model_name="helper-agent") as srv:
        client = client_for(srv)
        calls = [run_in_thread(parse, client, [{"role": "user", "content": f"report {n}"}]) for n in (1, 2)]
        pendings = wait_for("*.json", tmp_path / "pending", count=2)
        # Answer in reverse order of file name; each answer depends on its own request.
        for p in reversed(pendings):
            n = int(json.loads(p.read_text())["messages"][0]["content"].split()[-1])
            (tmp_path / "answers" / p.name).write_text(json.dumps({"headline": f"report {n}", "count": n}))
        for t, _ in calls:
            t.join(5)
    results = [box["value"].choices[0].message.parsed for _, box in calls]
    assert results == [Summary(headline="report 1", count=1), Summary(headline="report 2", count=2)]
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == sorted(p.name for p in pendings)


def test_mailbox_refusal_answer(tmp_path):
    responder = MailboxResponder(tmp_path, timeout=5, poll_interval=0.02)
    with OpenAICompatibleServer(responder, model_name="helper-agent") as srv:
        t, box = run_in_thread(parse, client_for(srv))
        [pending] = wait_for("*.json", tmp_path / "pending")
        (tmp_path / "answers" / pending.name).write_text('{"__refusal__": "Not summarising this."}')
        t.join(5)
    msg = box["value"].choices[0].message
    assert msg.parsed is None and msg.refusal == "Not summarising this."


def test_mailbox_waits_for_a_half_written_answer(tmp_path):
    responder = MailboxResponder(tmp_path, timeout=5, poll_interval=0.02, settle_s=2)
    with OpenAICompatibleServer(responder, model_name="helper-agent") as srv:
        t, box = run_in_thread(parse, client_for(srv))
        [pending] = wait_for("*.json", tmp_path / "pending")
        answer = tmp_path / "answers" / pending.name
        answer.write_text('{"headline": "Hal')
        time.sleep(0.2)
        assert t.is_alive()
        answer.write_text('{"headline": "Half then whole", "count": 2}')
        t.join(5)
    assert box["value"].choices[0].message.parsed.headline == "Half then whole"


def test_mailbox_timeout_gives_504_and_keeps_pending(tmp_path):
    responder = MailboxResponder(tmp_path, timeout=0.3, poll_interval=0.02)
    with OpenAICompatibleServer(responder, model_name="helper-agent") as srv:
        with pytest.raises(openai.InternalServerError) as info:
            parse(client_for(srv))
    assert info.value.status_code == 504
    assert len(list((tmp_path / "pending").glob("*.json"))) == 1


# --------------------------------------------------------------------------- latency and rate limits

def test_fixed_latency_serves_16_concurrent_requests_in_parallel():
    latency = 0.3
    responder = FixedLatencyResponder(latency, lambda body: json.dumps(
        {"headline": body["messages"][0]["content"], "count": 1}))
    with OpenAICompatibleServer(responder, model_name="latency-fixture") as srv:
        client = client_for(srv)
        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(
                lambda n: parse(client, [{"role": "user", "content": f"r{n}"}]), range(16)))
        elapsed = time.monotonic() - started
        assert srv.request_count == 16
    assert [r.choices[0].message.parsed.headline for r in results] == [f"r{n}" for n in range(16)]
    assert latency <= elapsed < 3 * latency


def test_rate_limited_responder_answers_429_beyond_the_bucket():
    responder = RateLimitedResponder(ScriptedResponder([], then=Reply.content(GOOD)), per_second=1, burst=2)
    with OpenAICompatibleServer(responder, model_name=MODEL_NAME) as srv:
        client = client_for(srv)
        parse(client)
        parse(client)
        with pytest.raises(openai.RateLimitError) as info:
            parse(client)
    headers = info.value.response.headers
    assert headers["retry-after"] == "1"
    assert 0 < int(headers["retry-after-ms"]) <= 1000
    assert responder.limited == 1


def test_rate_limit_bucket_refills_with_time():
    now = [0.0]
    responder = RateLimitedResponder(lambda body, i: Reply.content("{}"), per_second=4, burst=1,
                                     clock=lambda: now[0])
    assert responder({}, 0).kind == "content"
    limited = responder({}, 0)
    assert limited.status == 429 and limited.headers["retry-after-ms"] == "250"
    now[0] = 0.125
    assert responder({}, 0).headers["retry-after-ms"] == "125"
    now[0] = 0.25
    assert responder({}, 0).kind == "content"


# --------------------------------------------------------------------------- command line

def test_cli_prints_base_url_and_serves(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server", "--mailbox", str(tmp_path / "mb"),
         "--port", "0", "--model-name", "cli-agent"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        status, payload = http_get(base_url + "/models")
        assert status == 200 and payload["data"][0]["id"] == "cli-agent"
        assert (tmp_path / "mb" / "pending").is_dir()
    finally:
        proc.terminate()
        assert proc.wait(5) == 0
        proc.stdout.close()
        proc.stderr.close()


# -- the Files and Batches endpoints (tests/support/batch_desk.py) ------------------


def _batch_lines(*bodies: dict) -> bytes:
    return b"".join(json.dumps({"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions", "body": body}).encode() + b"\n"
                    for n, body in enumerate(bodies))


def _wait_final(client: OpenAI, batch_id: str):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        batch = client.batches.retrieve(batch_id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return batch
        time.sleep(0.02)
    raise AssertionError("the batch never finished")


def test_a_batch_answers_each_line_with_the_servers_responder_and_reports_failures():
    def responder(body, attempt):
        return Reply.error(503) if body["messages"][0]["content"] == "fail" else Reply.content(body["messages"][0]["content"].upper())

    with OpenAICompatibleServer(responder, model_name=MODEL_NAME) as server:
        client = OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        lines = _batch_lines(*({"model": "m", "messages": [{"role": "user", "content": text}]} for text in ("one", "fail", "two")))
        upload = client.files.create(file=("in.jsonl", lines), purpose="batch")
        assert client.files.content(upload.id).content == lines and upload.bytes == len(lines)
        batch = _wait_final(client, client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h").id)
        assert batch.status == "completed" and (batch.request_counts.completed, batch.request_counts.failed) == (2, 1)
        output = [json.loads(line) for line in client.files.content(batch.output_file_id).text.splitlines()]
        errors = [json.loads(line) for line in client.files.content(batch.error_file_id).text.splitlines()]
    assert [(o["custom_id"], o["response"]["body"]["choices"][0]["message"]["content"], o["response"]["body"]["model"]) for o in output] == \
        [("r0", "ONE", MODEL_NAME), ("r2", "TWO", MODEL_NAME)]
    assert errors[0]["custom_id"] == "r1" and errors[0]["response"]["status_code"] == 503
    assert server.request_count == 0 and len(server.batches.lines) == 3  # batch lines are not chat requests


def test_a_bad_input_file_fails_the_batch_and_a_held_batch_can_be_cancelled():
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, lambda body: "x"), model_name=MODEL_NAME) as server:
        client = OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        bad = client.files.create(file=("bad.jsonl", b'{"custom_id": "a", "method": "GET", "url": "/v1/x", "body": {}}\nnot json\n'), purpose="batch")
        failed = _wait_final(client, client.batches.create(input_file_id=bad.id, endpoint="/v1/chat/completions", completion_window="24h").id)
        assert failed.status == "failed" and [e.line for e in failed.errors.data] == [1, 2]
        with pytest.raises(openai.BadRequestError):
            client.batches.create(input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h")
        server.batches.hold.clear()
        good = client.files.create(file=("in.jsonl", _batch_lines({"model": "m", "messages": []})), purpose="batch")
        held = client.batches.create(input_file_id=good.id, endpoint="/v1/chat/completions", completion_window="24h")
        assert client.batches.cancel(held.id).status == "cancelling"
        server.batches.hold.set()
        cancelled = _wait_final(client, held.id)
    assert cancelled.status == "cancelled" and cancelled.output_file_id is None and cancelled.request_counts.failed == 1
