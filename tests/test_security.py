"""Secrets stay out of every output; outputs are written atomically; oversized
input is refused by name while the rest of the day still renders."""

import os
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from briefer.atomic import write_atomically
from tests.support.cassettes import cassette
from briefer.cli import cli
from tests.support.openai_server import FixedLatencyResponder, OpenAICompatibleServer, Reply, ScriptedResponder
from tests.support.synthetic_model import answer as synthetic_answer

SECRET = "sk-test-THISMUSTNEVERLEAK1234567890"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def live_project(tmp_path, monkeypatch):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "000.txt").write_text("date 2024-12-07 Fighting was reported near Homs on Saturday. More follows.")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


@pytest.mark.integration
def test_the_api_key_never_reaches_outputs_or_logs(live_project, monkeypatch):
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, synthetic_answer), model_name="fixed") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--json", "day.json", "-v")
        seen_auth = server.requests  # the server saw bodies only; the key travels in a header
    assert result.exit_code == 0, result.stderr
    for text in (result.stdout, result.stderr, (live_project / "day.md").read_text(), (live_project / "day.json").read_text()):
        assert SECRET not in text and "sk-test" not in text
    assert all(SECRET not in str(body) for body in seen_auth)


@pytest.mark.integration
def test_an_auth_failure_does_not_echo_the_key(live_project, monkeypatch):
    with OpenAICompatibleServer(ScriptedResponder([], then=Reply.error(401, f"Incorrect API key provided: {SECRET[:8]}...")), model_name="x") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--no-cache")
    assert result.exit_code == 5
    assert "rejected the API key (401)" in result.stderr
    assert SECRET not in result.stderr and SECRET not in result.stdout


@pytest.mark.integration
def test_a_recorded_cassette_holds_no_credentials(tmp_path):
    path = tmp_path / "c.yaml"
    with OpenAICompatibleServer(FixedLatencyResponder(0.0, lambda body: "{}"), model_name="fixed") as server:
        with cassette(path, record=True):
            httpx2.post(
                f"{server.base_url}/chat/completions",
                json={"model": "m", "messages": []},
                headers={"Authorization": f"Bearer {SECRET}", "OpenAI-Organization": "org-abcdefghijklmnop", "OpenAI-Project": "proj_abcdefghijklmn", "Cookie": "session=abc", "api-key": SECRET},
                timeout=5,
            )
    text = path.read_text()
    for needle in (SECRET, "org-abcdefghijklmnop", "proj_abcdefghijklmn", "session=abc", "Authorization", "Cookie"):
        assert needle not in text


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "day.md"
    target.write_text("yesterday's good sitrep")

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "half of today's")
    assert target.read_text() == "yesterday's good sitrep"
    assert [p.name for p in tmp_path.iterdir()] == ["day.md"]  # no temporary file left behind


def test_written_outputs_are_readable_by_others(tmp_path):
    write_atomically(tmp_path / "x.md", "text")
    assert (tmp_path / "x.md").stat().st_mode & 0o044 == 0o044


def test_a_5mb_report_is_refused_by_name_and_the_day_still_renders(sample_project, no_network):
    huge = sample_project / "reports" / "999_huge.txt"
    huge.write_text("date 2024-12-07 " + "word " * 1_050_000)
    result = run("daily", "--date", "2024-12-07", "--out", "day.md")
    assert result.exit_code == 0
    assert "reports/999_huge.txt: skipped: file is 5,250,016 bytes, over the 1,000,000-byte limit" in result.stderr
    notes = Path("day.md").read_text().split("## Processing notes")[1].replace("\\", "")
    assert "999_huge.txt: skipped: file is 5,250,016 bytes" in notes
