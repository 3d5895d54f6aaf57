"""Issue 12: the edges a user hits at the command line (items 4, 6, 10, 15, 18)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefer.cli import cli

SECRET = "hunter2secret"


def run(*args, env=None):
    return CliRunner(env=env).invoke(cli, list(args))


@pytest.mark.parametrize("flag, target, message", [
    ("--out", "outdir", "is a directory"),
    ("--out", "missing/day.md", "does not exist"),
    ("--json", "missing/day.json", "does not exist"),
])
def test_unwritable_outputs_are_refused_before_any_model_call(sample_project, flag, target, message):
    (sample_project / "outdir").mkdir()
    result = run("daily", "--date", "2024-12-07", flag, target, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.exit_code == 4 and message in result.stderr
    assert "live mode" not in result.stderr  # refused before the model layer was set up


def test_a_read_only_cache_is_refused_before_any_model_call(sample_project):
    cache = sample_project / "ro-cache"
    cache.mkdir()
    cache.chmod(0o500)
    (sample_project / "briefer.toml").write_text(f'cache_dir = "{cache}"\n')
    try:
        if os.access(cache, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        result = run("daily", "--date", "2024-12-07", "--out", "day.md")
        assert result.exit_code == 4 and "not writable" in result.stderr
    finally:
        cache.chmod(0o700)


def test_json_dash_goes_to_stdout(sample_project):
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--json", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.lstrip().startswith("{") and not (sample_project / "-").exists()


def test_credentials_in_the_base_url_never_reach_output(sample_project):
    url = f"http://user:{SECRET}@127.0.0.1:9/v1"
    (sample_project / "briefer.toml").write_text("max_attempts = 1\n")  # nothing listens there: fail fast
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--json", "day.json", "--no-cache", env={"OPENAI_BASE_URL": url, "OPENAI_API_KEY": None})
    assert result.exit_code == 5
    outputs = [result.stdout, result.stderr] + [p.read_text() for p in sample_project.glob("day.*")]
    assert "127.0.0.1:9" in result.stderr and not any(SECRET in text for text in outputs)


def user_copy(project: Path, kind: str, broken: str, text: str) -> None:
    """A user's own copy of briefer's prompts or templates, with one file broken, named in the config."""
    folder = project / f"my-{kind}"
    folder.mkdir()
    for path in (Path(__file__).resolve().parents[1] / kind).glob("*.j2"):
        (folder / path.name).write_text(text if path.name == broken else path.read_text())
    (project / "briefer.toml").write_text(f'{kind} = "{folder}"\n')


def test_a_broken_user_template_is_one_line_before_any_model_call(sample_project):
    user_copy(sample_project, "templates", "daily.md.j2", "{% for x in %}broken")
    result = run("daily", "--date", "2024-12-07", "--out", "day.md")
    assert result.exit_code == 4 and "daily.md.j2, line 1: template syntax error" in result.stderr
    assert "Traceback" not in result.stderr and "replay mode" not in result.stderr


def test_a_broken_user_prompt_is_one_line(sample_project):
    user_copy(sample_project, "prompts", "reconcile.user.j2", "{{ claims | }}")
    result = run("daily", "--date", "2024-12-07", "--out", "day.md")
    assert result.exit_code == 4 and "reconcile.user.j2, line 1: template syntax error" in result.stderr


def test_explain_on_a_file_that_is_not_a_day_is_one_line(tmp_path):
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    result = run("explain", "--date", "2024-12-07", "--json", str(bogus), "C1")
    assert result.exit_code == 4 and "not a briefer day JSON" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupts_have_their_own_exit_codes(tmp_path, sig, code):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "000.txt").write_text("date 2024-12-07 A report about a flood that the slow server never answers.")
    import socket

    listener = socket.socket()  # accepts, never answers: briefer waits on the model
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    env = {**os.environ, "OPENAI_BASE_URL": f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "OPENAI_API_KEY": "k"}
    proc = subprocess.Popen([sys.executable, "-m", "briefer", "daily", "--date", "2024-12-07", "--reports", str(reports), "--no-cache"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while "live mode" not in proc.stderr.readline() and time.monotonic() < deadline:
            pass
        time.sleep(0.5)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        listener.close()
    assert proc.returncode == code, err
    assert "Traceback" not in err


def test_a_live_run_served_from_a_replay_cache_says_where_its_answers_came_from(sample_project):
    assert run("daily", "--date", "2024-12-07", "--out", "replay.md").exit_code == 0
    # Live mode, at a server that would fail every request: every answer must come from the cache.
    result = run("daily", "--date", "2024-12-07", "--out", "live.md", "--json", "live.json",
                 env={"OPENAI_BASE_URL": f"http://u:{SECRET}@127.0.0.1:9/v1", "OPENAI_API_KEY": None})
    assert result.exit_code == 0, result.stderr
    from briefer.models import Day

    day = Day.model_validate_json((sample_project / "live.json").read_text())
    assert day.mode.startswith("live:") and day.run_requests == 0
    assert day.answer_sources == {"replay of cassettes/sample-day.yaml": 7}
    header = (sample_project / "live.md").read_text().split("## Key takeaways")[0]
    assert "**Where the answers came from:** 7 from replay of cassettes/sample-day.yaml" in header
    assert SECRET not in (sample_project / "live.md").read_text()


def test_offline_replays_even_with_a_key_exported(sample_project):
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--offline",
                 env={"OPENAI_API_KEY": "sk-exported", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.exit_code == 0, result.stderr
    assert "replay mode: --offline" in result.stderr and "live mode" not in result.stderr


def test_the_cache_lives_in_the_platform_folder_and_can_be_shown_and_cleared(sample_project, tmp_path):
    assert run("daily", "--date", "2024-12-07", "--out", "day.md").exit_code == 0
    assert not (sample_project / ".briefer-cache").exists()
    shown = run("cache")
    folder = tmp_path / "xdg-cache" / "briefer"
    assert shown.exit_code == 0 and shown.stdout.startswith(f"{folder}: 7 cached answers")
    cleared = run("cache", "--clear")
    assert cleared.exit_code == 0 and "cleared" in cleared.stdout and not folder.exists()
    elsewhere = tmp_path / "elsewhere"
    assert run("daily", "--date", "2024-12-07", "--out", "day.md", "--cache-dir", str(elsewhere)).exit_code == 0
    assert run("cache", "--cache-dir", str(elsewhere)).stdout.startswith(f"{elsewhere}: 7 cached answers")


def test_the_sample_day_runs_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("daily", "--sample", "--date", "2024-12-07", "--out", "day.md", env={"OPENAI_API_KEY": "sk-exported"})
    assert result.exit_code == 0, result.stderr
    assert "replay mode: --offline" in result.stderr
    assert (tmp_path / "day.md").read_text().startswith("# Daily situation report: 2024-12-07")


def test_a_cache_folder_that_is_a_file_is_refused_before_any_model_call(sample_project):
    (sample_project / "not-a-folder").write_text("x")
    (sample_project / "briefer.toml").write_text('cache_dir = "not-a-folder/cache"\n')
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.exit_code == 4 and "cannot create the cache folder" in result.stderr
    assert "model requests this run" not in result.stderr and not (sample_project / "day.md").exists()


def test_the_default_concurrency_serves_a_real_day():
    from briefer.config import load_config

    assert load_config({}, {}).concurrency == 16
