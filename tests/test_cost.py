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
