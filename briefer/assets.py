"""Where briefer's editable files live: prompts/, templates/ and data/.

In a wheel, prompts/ and templates/ are installed inside the package; in a
source checkout they sit at the project root, where users edit them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"briefer is missing its {name}/ folder (looked in {_PACKAGE} and {_PACKAGE.parent})")
