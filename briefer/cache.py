"""A content-addressed cache of finished report briefs, on disk.

One JSON file per key, written atomically, so a run that dies halfway keeps
every brief it finished and the next run picks up from there.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .atomic import write_atomically
from .models import ReportBrief


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


class BriefCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> ReportBrief | None:
        path = self._path(key)
        try:
            return ReportBrief.model_validate_json(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None  # absent or damaged: treated as a miss and rewritten

    def put(self, key: str, brief: ReportBrief) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, brief.model_dump_json(), durable=False)  # a lost entry is only a miss


class NoCache:
    def get(self, key: str) -> ReportBrief | None:
        return None

    def put(self, key: str, brief: ReportBrief) -> None:
        return None
