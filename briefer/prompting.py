"""Prompt templates from prompts/, rendered in a sandbox.

Report text only ever enters as a variable, never as template source, so a
"{{" in an article is printed, not executed.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .assets import asset_dir


@lru_cache(maxsize=4)
def _environment(folder: str):
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


class PromptError(ValueError):
    """A user-edited prompt that cannot be used; the message names it."""


class PromptSet:
    """The prompts of every model call, from the project's prompts/ or a user's copy."""

    NAMES = ("extract.system.j2", "extract.user.j2", "reask.user.j2", "reconcile.system.j2", "reconcile.user.j2", "join.system.j2", "join.user.j2", "synthesize.system.j2", "synthesize.user.j2")

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else asset_dir("prompts")
        missing = [n for n in self.NAMES if not (self.folder / n).is_file()]
        if missing:
            raise FileNotFoundError(f"prompt folder {self.folder} lacks {', '.join(missing)}")
        from jinja2 import TemplateSyntaxError

        for name in self.NAMES:  # a broken prompt fails here, before any model call
            try:
                _environment(str(self.folder)).get_template(name)
            except TemplateSyntaxError as exc:
                raise PromptError(f"{self.folder / name}, line {exc.lineno}: template syntax error: {exc.message}") from exc

    def render(self, name: str, **variables: object) -> str:
        return _environment(str(self.folder)).get_template(name).render(**variables).strip()

    def fingerprint(self, *names: str) -> str:
        """Changes whenever one of ``names`` (default: every prompt) changes:
        part of a stage's cache key, so editing one stage's prompt does not
        throw away the answers of the others."""
        digest = hashlib.sha256()
        for name in names or self.NAMES:
            digest.update(name.encode())
            digest.update((self.folder / name).read_bytes())
        return digest.hexdigest()
