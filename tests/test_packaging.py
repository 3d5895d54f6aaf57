"""The wheel carries everything a user needs: prompts, templates, and the
sample day with its cassette, so the sample runs from any folder."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no package index?): {proc.stderr.strip().splitlines()[-1:]}")
    (path,) = out.glob("*.whl")
    return path


def test_the_distribution_has_its_own_name(wheel):
    assert wheel.name.startswith("briefer_sitrep-")


def test_the_wheel_ships_prompts_templates_and_the_sample_day(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"briefer/prompts/reconcile.system.j2", "briefer/templates/daily.md.j2", "briefer/sample/sample-day.yaml"} <= names
    assert sum(n.startswith("briefer/sample/reports/") for n in names) == 5


def test_the_installed_sample_runs_from_any_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "briefer", "daily", "--sample", "--date", "2024-12-07", "--out", "day.md"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert str(site) in proc.stderr  # replayed from the installed package, not from this checkout
    assert (work / "day.md").read_text().startswith("# Daily situation report: 2024-12-07")
