"""Cost estimates from token usage and a dated price table (briefer/data/prices.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import lru_cache

from .assets import asset_dir
from .models import CostEstimate, Usage


@lru_cache(maxsize=1)
def _table() -> dict:
    with (asset_dir("data") / "prices.toml").open("rb") as fh:
        return tomllib.load(fh)


def estimate(usage: Usage, model: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> CostEstimate | None:
    """The cost of ``usage`` at ``model``'s prices, or None if no price is known."""
    table = _table()
    if overrides and model in overrides:
        price, source = overrides[model], "your config"
    elif model in table["models"]:
        price, source = table["models"][model], f"briefer's price table of {table['as_of']}"
    else:
        return None
    try:
        per_input, per_output = float(price["input"]), float(price["output"])
        per_cached = float(price.get("cached_input", per_input))
        # A model without batch prices is priced at its normal ones: never an under-estimate.
        batch_input, batch_output = float(price.get("batch_input", per_input)), float(price.get("batch_output", per_output))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    batch_prompt = min(usage.batch_prompt_tokens, usage.prompt_tokens)
    batch_completion = min(usage.batch_completion_tokens, usage.completion_tokens)
    prompt, completion = usage.prompt_tokens - batch_prompt, usage.completion_tokens - batch_completion
    cached = min(usage.cached_tokens, prompt)
    amount = ((prompt - cached) * per_input + cached * per_cached + completion * per_output
              + batch_prompt * batch_input + batch_completion * batch_output) / 1_000_000
    return CostEstimate(model=model, amount=round(amount, 6), currency=table.get("currency", "USD"), basis=source)
