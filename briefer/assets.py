"""Where briefer's editable files live: prompts/, templates/ and data/, and the sample day.

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


SAMPLE_DATE = "2024-12-07"


def sample_day() -> tuple[Path, Path]:
    """(reports folder, cassette) of the sample day: inside the installed
    package (briefer/sample/), or at the root of a source checkout."""
    for reports, cassette in (
        (_PACKAGE / "sample" / "reports", _PACKAGE / "sample" / "sample-day.yaml"),
        (_PACKAGE.parent / "reports", _PACKAGE.parent / "cassettes" / "sample-day.yaml"),
    ):
        if reports.is_dir() and cassette.is_file():
            return reports, cassette
    raise FileNotFoundError(f"briefer is missing its sample day (looked in {_PACKAGE / 'sample'} and {_PACKAGE.parent})")
