"""Replay is a client of its own (briefer/replay.py): it reads the cassette
file itself, matches on the whole request body, and needs no vcrpy."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefer.cli import cli
from briefer.llm import ModelSettings, NoRecording
from briefer.models import ReportDraft
from briefer.replay import CassetteError, replay_transport

ROOT = Path(__file__).resolve().parent.parent


def cassette_with(tmp_path, body: dict, answer: dict) -> Path:
    import yaml

    path = tmp_path / "c.yaml"
    response = {"id": "x", "object": "chat.completion", "created": 1, "model": "recorded-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(answer), "refusal": None}, "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}
    path.write_text(yaml.safe_dump({"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "http://127.0.0.1:1/v1/chat/completions", "body": json.dumps(body), "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {"content-type": ["application/json"]}, "body": {"string": json.dumps(response)}},
    }]}))
    return path


ANSWER = {"outlet": None, "dateline": None, "pub": None, "pub_est": False, "pub_why": "x", "wire": [], "summary": "s", "sp": [], "terms": [], "c": []}



def test_a_recorded_request_is_answered_and_any_other_is_named(tmp_path):
    messages = [{"role": "user", "content": "hello"}]
    # What briefer's client sends for these messages, captured once through the transport itself:
    from briefer.llm import LLMClient as Client

    sent = {}

    import httpx2
    import openai

    def capture(request):
        sent["body"] = json.loads(request.content)
        raise httpx2.ConnectError("stop")

    probe = openai.OpenAI(api_key="k", base_url="https://replay.invalid/v1", max_retries=0, http_client=openai.DefaultHttpxClient(transport=httpx2.MockTransport(capture)))
    with pytest.raises(openai.APIConnectionError):
        probe.chat.completions.parse(model="m", messages=messages, response_format=ReportDraft, max_completion_tokens=100)
    path = cassette_with(tmp_path, sent["body"], ANSWER)

    client = Client(ModelSettings(model="m", base_url="https://replay.invalid/v1", replay=str(path)))
    completion = client.complete(messages, ReportDraft, max_tokens=100)
    assert completion.model == "recorded-model" and completion.parsed.summary == "s"
    with pytest.raises(NoRecording, match="nearest recording differs in messages"):
        client.complete([{"role": "user", "content": "changed"}], ReportDraft, max_tokens=100)
    with pytest.raises(NoRecording, match="max_completion_tokens"):
        client.complete(messages, ReportDraft, max_tokens=200)


def test_a_broken_cassette_is_named(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("interactions: [ {request: 1")
    with pytest.raises(CassetteError, match="bad.yaml: cannot read the cassette"):
        replay_transport(path)
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "000.txt").write_text("date 2024-12-07 a report.")
    result = CliRunner(env={"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None}).invoke(cli, ["daily", "--date", "2024-12-07", "--reports", str(tmp_path / "r"), "--cassette", str(path), "--out", str(tmp_path / "d.md")])
    assert result.exit_code == 4 and "cannot read the cassette" in result.stderr


def test_replaying_the_sample_day_never_imports_vcrpy(tmp_path):
    code = (
        "import sys\n"
        "from briefer.cli import cli\n"
        "try:\n"
        "    cli(['daily', '--sample', '--date', '2024-12-07', '--out', 'day.md'], standalone_mode=False)\n"
        "finally:\n"
        "    print('VCR-LOADED' if any(m == 'vcr' or m.startswith('vcr.') for m in sys.modules) else 'VCR-ABSENT')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "VCR-ABSENT" in proc.stdout and (tmp_path / "day.md").is_file()
