"""The README keeps `briefer daily --help` as it really is."""

from pathlib import Path

from click.testing import CliRunner

from briefer.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_shows_the_current_daily_help():
    help_text = CliRunner().invoke(cli, ["daily", "--help"], prog_name="briefer", terminal_width=80).output.rstrip()
    assert help_text in README.read_text("utf-8"), "README is stale: paste the output of `briefer daily --help`"


def test_readme_names_the_two_commands():
    text = README.read_text("utf-8")
    assert "briefer daily --date 2024-12-07" in text and "bash scripts/test.sh" in text
    assert "bash scripts/test.sh" in (README.parent / ".ci" / "run").read_text()
