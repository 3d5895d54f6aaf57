from pathlib import Path

import pytest

from briefer.config import ConfigError, load_config


def test_flags_beat_environment_beat_file(tmp_path):
    file = tmp_path / "briefer.toml"
    file.write_text('model = "from-file"\nbase_url = "http://file/v1"\nconcurrency = 2\nreports = "feed"\n')
    env = {"OPENAI_BASE_URL": "http://env/v1", "BRIEFER_MODEL": "from-env"}
    config = load_config({"model": "from-flag"}, env, file)
    assert config.model == "from-flag"
    assert config.base_url == "http://env/v1"
    assert config.concurrency == 2 and config.reports == Path("feed")
    assert config.source == str(file)
    assert load_config({}, env, file).model == "from-env"
    assert load_config({}, {}, file).model == "from-file"


def test_no_key_and_no_url_means_replay():
    assert not load_config({}, {}).live
    assert load_config({}, {"OPENAI_API_KEY": "sk-test"}).live
    assert load_config({}, {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}).live


def test_config_file_from_environment_variable(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("window_days = 3\n")
    assert load_config({}, {"BRIEFER_CONFIG": str(file)}).window_days == 3


@pytest.mark.parametrize(
    "content, message",
    [("colour = 1\n", r"unknown setting\(s\) colour"), ("concurrency = 'many'\n", "concurrency: Input should be a valid integer"), ("model = \n", "cannot read config"),
     ('response_mode = "xml"\n', "response_mode")],
)
def test_bad_config_is_named(tmp_path, content, message):
    file = tmp_path / "briefer.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_config({}, {}, file)


def test_api_key_cannot_come_from_the_file(tmp_path):
    file = tmp_path / "briefer.toml"
    file.write_text('api_key = "sk-in-a-file"\n')
    with pytest.raises(ConfigError, match="api_key"):
        load_config({}, {}, file)


def test_missing_explicit_file():
    with pytest.raises(ConfigError, match="config file not found"):
        load_config({}, {}, Path("/nonexistent/briefer.toml"))


# ---- issue 12, item 14: one validated settings model, the flags' ranges, typos caught


@pytest.mark.parametrize(
    "content, message",
    [
        ("cache_dir = true\n", "cache_dir: Input is not a valid path"),
        ("model = [1, 2]\n", "model: Input should be a valid string"),
        ('timeout = "slow"\n', "timeout: Input should be a valid number"),
        ("concurrency = 1000\n", "concurrency: Input should be less than or equal to 64"),
        ("window_days = -5\n", "window_days: Input should be greater than or equal to 0"),
        ("max_report_bytes = 0\n", "max_report_bytes: Input should be greater than or equal to 1"),
        ('[publish.git]\npage_pth = "x/{day}.md"\n', "publish.git.page_pth: Extra inputs are not permitted"),
        ('[publish.mediawiki]\ntimeout = -1\n', "publish.mediawiki.timeout: Input should be greater than 0"),
    ],
)
def test_wrong_types_ranges_and_typos_are_one_line(tmp_path, content, message):
    file = tmp_path / "briefer.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config({}, {}, file)
    assert "\n" not in str(caught.value) and str(file) in str(caught.value)


def test_a_bad_config_file_is_exit_4_without_a_traceback(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from briefer.cli import cli

    (tmp_path / "briefer.toml").write_text("concurrency = 1000\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["daily", "--date", "2024-12-07"])
    assert result.exit_code == 4 and "concurrency" in result.stderr and "Traceback" not in result.stderr


def test_publish_settings_reach_the_publishers_as_strings(tmp_path):
    file = tmp_path / "briefer.toml"
    file.write_text('[publish.targets]\nteam = "git:../wiki.git"\n[publish.git]\npage_path = "days/{day}.md"\ntimeout = 5\n')
    from briefer.cli import _target

    target, settings = _target("team", load_config({}, {}, file))
    assert target == "git:../wiki.git" and settings == {"page_path": "days/{day}.md", "timeout": "5.0"}
