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
    [("colour = 1\n", r"unknown setting\(s\) colour"), ("concurrency = 'many'\n", "whole number"), ("model = \n", "cannot read config"),
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
