"""Settings: flags, then environment (OPENAI_API_KEY, OPENAI_BASE_URL), then a
config file, then defaults.

Config file: --config PATH, else $BRIEFER_CONFIG, else ./briefer.toml, else
~/.config/briefer/config.toml. Keys are the long flag names with underscores,
plus a [publish] table; the API key is read from the environment only.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_MODEL = "gpt-4.1-mini"


class ConfigError(ValueError):
    pass


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitWikiSettings(_Section):
    page_path: str | None = None
    index_path: str | None = None
    index_heading: str | None = None
    branch: str | None = None
    workdir: str | None = None
    timeout: float | None = Field(default=None, gt=0)


class MediaWikiSettings(_Section):
    user_env: str | None = None
    password_env: str | None = None
    page_title: str | None = None
    index_title: str | None = None
    timeout: float | None = Field(default=None, gt=0)


class PublishSettings(_Section):
    targets: dict[str, str] = {}
    git: GitWikiSettings = GitWikiSettings()
    mediawiki: MediaWikiSettings = MediaWikiSettings()

    def get(self, key: str, default: Any = None) -> Any:
        """The section as the publishers read it: settings given, as strings."""
        value = getattr(self, key, default)
        if isinstance(value, _Section):
            return {k: str(v) for k, v in value.model_dump(exclude_none=True).items()}
        return value


class Config(BaseModel):
    """Every setting, validated once, with the same ranges as the flags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(default=DEFAULT_MODEL, min_length=1)
    api_key: str | None = None
    base_url: str | None = None
    reports: Path = Path("reports")
    cassette: Path = Path("cassettes/sample-day.yaml")
    cache_dir: Path | None = Field(default_factory=lambda: default_cache_dir())
    # 16 requests in flight: a 200-report day takes about 7.5 minutes at real
    # model latencies instead of 28 at 4; the adaptive throttle backs off on
    # 429s, so a tier with a lower rate limit loses nothing, only speed.
    concurrency: int = Field(default=16, ge=1, le=64)
    window_days: int = Field(default=7, ge=0, le=60)
    timeout: float = Field(default=120.0, gt=0, le=3600)
    max_attempts: int = Field(default=12, ge=1, le=50)  # failures other than rate limits; time bounds retries first
    max_report_bytes: int = Field(default=1_000_000, ge=1)
    response_mode: Literal["json_schema", "json_object"] = "json_schema"
    prompts: Path | None = None
    templates: Path | None = None
    profile: Path | None = None  # an optional story profile (aliases and camps)
    publish: PublishSettings = PublishSettings()
    prices: dict[str, dict[str, float | str]] = {}
    offline: bool = False  # replay cassettes even when a key or server is set
    batch: bool = False  # extraction as provider Batch jobs (briefer/batch.py)
    batch_poll: float = Field(default=30.0, gt=0, le=3600)  # longest wait between a job's status checks, seconds
    source: str = "defaults"

    @property
    def live(self) -> bool:
        """Live when a key or a server is configured (and not --offline); otherwise replay cassettes."""
        return not self.offline and bool(self.api_key or self.base_url)


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("briefer"))


_NOT_IN_FILE = {"api_key", "source", "offline"}
_PATHS = {"reports", "cassette", "cache_dir", "prompts", "templates", "profile"}


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
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        unknown = sorted(set(from_file) - set(Config.model_fields) | (set(from_file) & _NOT_IN_FILE))
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}" + (" (the API key comes from OPENAI_API_KEY only)" if "api_key" in unknown else ""))
    from_env: dict[str, Any] = {"api_key": env.get("OPENAI_API_KEY") or None, "base_url": env.get("OPENAI_BASE_URL") or None}
    if env.get("BRIEFER_MODEL"):
        from_env["model"] = env["BRIEFER_MODEL"]
    values: dict[str, Any] = {}
    for layer in (from_file, from_env, {k: v for k, v in flags.items() if v is not None}):
        values.update({k: v for k, v in layer.items() if v is not None})
    for key in _PATHS & values.keys():
        if values[key] in ("", False):
            values[key] = None  # cache_dir = "" turns the cache off
    values["source"] = str(path) if path else "defaults"
    try:
        return Config.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"{path or 'settings'}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "(settings)"
    given = error.get("input")
    shown = f" (got {given!r})" if not isinstance(given, (dict, list)) else ""
    more = f"; and {exc.error_count() - 1} more problem(s)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{shown}{more}"
