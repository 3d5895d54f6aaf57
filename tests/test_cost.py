import pytest

from briefer.cost import estimate
from briefer.models import Usage

USAGE = Usage(prompt_tokens=1_000_000, completion_tokens=500_000, requests=3)


def test_known_model_uses_the_dated_table():
    cost = estimate(USAGE, "gpt-4.1-mini")
    assert cost.amount == pytest.approx(1.20) and cost.currency == "USD"
    assert "price table of" in cost.basis


def test_config_overrides_the_table():
    cost = estimate(USAGE, "gpt-4.1-mini", {"gpt-4.1-mini": {"input": 1.0, "output": 2.0}})
    assert cost.amount == 2.0 and cost.basis == "your config"


def test_unknown_model_has_no_estimate():
    assert estimate(USAGE, "local-llama") is None
    assert estimate(USAGE, "local-llama", {"local-llama": {"input": "free"}}) is None


def test_cached_prompt_tokens_are_priced_at_the_cached_rate():
    cached = Usage(prompt_tokens=1_000_000, completion_tokens=500_000, requests=3, cached_tokens=600_000)
    # 400k fresh at 0.40 + 600k cached at 0.10 + 500k out at 1.60 (per million)
    assert estimate(cached, "gpt-4.1-mini").amount == pytest.approx(0.16 + 0.06 + 0.80)
    assert estimate(cached, "x", {"x": {"input": 1.0, "output": 1.0}}).amount == pytest.approx(1.5)  # no cached price: full price


def test_the_server_s_cached_token_count_is_read():
    from types import SimpleNamespace

    from briefer.llm import _usage

    reported = SimpleNamespace(prompt_tokens=2000, completion_tokens=100, prompt_tokens_details=SimpleNamespace(cached_tokens=1536))
    assert _usage(reported) == Usage(prompt_tokens=2000, completion_tokens=100, requests=1, cached_tokens=1536)
    assert _usage(SimpleNamespace(prompt_tokens=5, completion_tokens=1, prompt_tokens_details=None)).cached_tokens == 0


def test_a_day_s_cost_is_split_by_stage(sample_project):
    from click.testing import CliRunner

    from briefer.cli import cli
    from briefer.models import Day

    (sample_project / "briefer.toml").write_text('[prices."gpt-4.1-mini"]\ninput = 0.4\noutput = 1.6\n')
    assert CliRunner().invoke(cli, ["daily", "--date", "2024-12-07", "--out", "d.md", "--json", "d.json"]).exit_code == 0
    day = Day.model_validate_json((sample_project / "d.json").read_text())
    assert set(day.cost_by_stage) == {"extraction", "reconcile", "synthesis"}
    assert sum(day.cost_by_stage.values()) == pytest.approx(day.cost.amount, abs=1e-5)
    assert "(extraction " in (sample_project / "d.md").read_text().split("## Processing notes")[1]
