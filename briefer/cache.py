"""A content-addressed cache of the model's answers, on disk.

It holds only what the model said (the answer's JSON, model name, usage),
never anything derived from it: grounding, origins, labels and any story
profile are recomputed on every run, so editing a profile or upgrading
briefer takes effect without asking the model again. One JSON file per key,
written atomically, so a run that dies halfway keeps every answer it got.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from .atomic import write_atomically
from .models import ModelAnswer


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


class AnswerCache(Protocol):
    def get(self, key: str) -> ModelAnswer | None: ...
    def put(self, key: str, answer: ModelAnswer) -> None: ...


class DiskCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.damaged: list[Path] = []  # entries that could not be read: refused, and asked again

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> ModelAnswer | None:
        path = self._path(key)
        try:
            text = path.read_text("utf-8")
        except OSError:
            return None  # absent: a miss
        try:
            return ModelAnswer.model_validate_json(text)
        except ValueError:
            self.damaged.append(path)  # damaged: refused, named in the notes, asked again and rewritten
            return None

    def put(self, key: str, answer: ModelAnswer) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, answer.model_dump_json(), durable=False)  # a lost entry is only a miss


class NoCache:
    def get(self, key: str) -> ModelAnswer | None:
        return None

    def put(self, key: str, answer: ModelAnswer) -> None:
        return None
