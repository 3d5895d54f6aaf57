"""Settings: flags, then environment (OPENAI_API_KEY, OPENAI_BASE_URL), then a
config file, then defaults.

Config file: --config PATH, else $BRIEFER_CONFIG, else ./briefer.toml, else
~/.config/briefer/config.toml. Keys are the long flag names with underscores,
plus a [publish] table; the API key is read from the environment only.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

DEFAULT_MODEL = "gpt-4.1-mini"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    model: str = DEFAULT_MODEL
    api_key: str | None = None
    base_url: str | None = None
    reports: Path = Path("reports")
    cassette: Path = Path("cassettes/sample-day.yaml")
    cache_dir: Path | None = Path(".briefer-cache")
    concurrency: int = 4
    window_days: int = 7
    timeout: float = 120.0
    max_attempts: int = 5
    max_report_bytes: int = 1_000_000
    response_mode: str = "json_schema"
    prompts: Path | None = None
    templates: Path | None = None
    profile: Path | None = None  # an optional story profile (aliases and camps)
    publish: Mapping[str, Any] = field(default_factory=dict)
    prices: Mapping[str, Any] = field(default_factory=dict)
    source: str = "defaults"

    offline: bool = False  # replay cassettes even when a key or server is set

    @property
    def live(self) -> bool:
        """Live when a key or a server is configured (and not --offline); otherwise replay cassettes."""
        return not self.offline and bool(self.api_key or self.base_url)


_PATHS = {"reports", "cassette", "cache_dir", "prompts", "templates", "profile"}
_INTS = {"concurrency", "window_days", "max_attempts", "max_report_bytes"}


def config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    if env.get("BRIEFER_CONFIG"):
        path = Path(env["BRIEFER_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"config file not found: {path} (from BRIEFER_CONFIG)")
        return path
    for candidate in (Path("briefer.toml"), Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "briefer" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(flags: Mapping[str, Any], env: Mapping[str, str] | None = None, explicit_file: Path | None = None) -> Config:
    env = os.environ if env is None else env
    path = config_file(explicit_file, env)
    from_file: dict[str, Any] = {}
    if path is not None:
        try:
            from_file = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        known = {f.name for f in fields(Config)} - {"api_key", "source"}
        unknown = sorted(set(from_file) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    from_env = {"api_key": env.get("OPENAI_API_KEY") or None, "base_url": env.get("OPENAI_BASE_URL") or None}
    if env.get("BRIEFER_MODEL"):
        from_env["model"] = env["BRIEFER_MODEL"]
    values: dict[str, Any] = {}
    for layer in (from_file, from_env, {k: v for k, v in flags.items() if v is not None}):
        values.update({k: v for k, v in layer.items() if v is not None})
    for key in _PATHS & values.keys():
        values[key] = Path(values[key]) if values[key] not in ("", False) else None
    for key in _INTS & values.keys():
        try:
            values[key] = int(values[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key} must be a whole number, not {values[key]!r}") from exc
    if values.get("response_mode", "json_schema") not in ("json_schema", "json_object"):
        raise ConfigError("response_mode must be 'json_schema' or 'json_object'")
    if int(values.get("concurrency", 4)) < 1:
        raise ConfigError("concurrency must be at least 1")
    values["source"] = str(path) if path else "defaults"
    return Config(**values)
