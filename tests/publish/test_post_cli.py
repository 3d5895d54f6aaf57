"""`briefer daily --post` and `briefer post` against real wikis the tests start."""

import datetime as dt
import html
import re
import subprocess

import httpx2
import pytest
from click.testing import CliRunner

from briefer.cli import cli
from tests.factories import claim
from tests.support.mediawiki import Wiki
from tests.factories import make_day
from tests.test_render import HOSTILE

pytestmark = pytest.mark.integration


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(*args: str, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def bare_repo(tmp_path, monkeypatch):
    for key, value in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}.items():
        monkeypatch.setenv(key, value)
    repo = tmp_path / "wiki.git"
    git("init", "--bare", "-b", "main", str(repo))
    return repo


def api(wiki: Wiki, **params):
    response = httpx2.get(wiki.api, params={**params, "format": "json", "formatversion": "2"}, timeout=60)
    response.raise_for_status()
    return response.json()


def test_daily_posts_to_a_git_wiki_once(sample_project, bare_repo):
    first = run("daily", "--date", "2024-12-07", "--out", "day.md", "--post", f"git:{bare_repo}")
    assert first.exit_code == 0, first.stderr
    assert "posted: git:" in first.stderr
    page = git("--git-dir", str(bare_repo), "show", "main:sitreps/2024-12-07.md")
    # The same brief, linking to the ledger beside it in the wiki.
    assert page == (sample_project / "day.md").read_text().replace("(day.ledger.md#", "(2024-12-07.ledger.md#")
    ledger = git("--git-dir", str(bare_repo), "show", "main:sitreps/2024-12-07.ledger.md")
    assert ledger == (sample_project / "day.ledger.md").read_text()
    for anchor in set(re.findall(r"\(2024-12-07\.ledger\.md#([a-z0-9]+)\)", page)):
        assert f'<a id="{anchor}"></a>' in ledger, anchor
    assert "[2024-12-07]" in git("--git-dir", str(bare_repo), "show", "main:Sitreps.md")
    commits = git("--git-dir", str(bare_repo), "rev-list", "--count", "main").strip()
    again = run("daily", "--date", "2024-12-07", "--out", "day.md", "--post", f"git:{bare_repo}")
    assert again.exit_code == 0 and "unchanged" in again.stderr
    assert git("--git-dir", str(bare_repo), "rev-list", "--count", "main").strip() == commits


def test_a_named_target_from_the_config_file(sample_project, bare_repo):
    (sample_project / "briefer.toml").write_text(f'[publish.targets]\nteam = "git:{bare_repo}"\n[publish.git]\npage_path = "days/{{day}}.md"\n')
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--post", "team")
    assert result.exit_code == 0, result.stderr
    assert git("--git-dir", str(bare_repo), "show", "main:days/2024-12-07.md").startswith("# Daily situation report")


def test_a_failed_post_keeps_the_local_file_and_exits_6(sample_project, tmp_path):
    result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--post", f"git:{tmp_path / 'no-such-repo'}")
    assert result.exit_code == 6
    assert (sample_project / "day.md").read_text().startswith("# Daily situation report")
    assert "posting failed" in result.stderr


def test_daily_posts_to_mediawiki_once_with_the_contested_table(sample_project, mediawiki, monkeypatch):
    monkeypatch.setenv("BRIEFER_WIKI_USER", mediawiki.bot_user)
    monkeypatch.setenv("BRIEFER_WIKI_PASSWORD", mediawiki.bot_password)
    target = f"mediawiki:{mediawiki.api}"
    (sample_project / "briefer.toml").write_text('[publish.mediawiki]\npage_title = "CLI Sitrep {day}"\nindex_title = "CLI Sitreps"\n')
    for _ in range(2):
        result = run("daily", "--date", "2024-12-07", "--out", "day.md", "--post", target)
        assert result.exit_code == 0, result.stderr
    revisions = api(mediawiki, action="query", prop="revisions", titles="CLI Sitrep 2024-12-07", rvprop="ids", rvlimit="max")
    assert len(revisions["query"]["pages"][0]["revisions"]) == 1
    parsed = api(mediawiki, action="parse", page="CLI Sitrep 2024-12-07", prop="text|sections")["parse"]
    tables = re.findall(r'<table class="wikitable">(.*?)</table>', parsed["text"], re.S)
    captions = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)).split()) for t in tables]
    assert any(re.search(r"\((contradiction|denial|numeric-discrepancy|framing), \d+ independent origins\) · M\d+", c) for c in captions)
    # The same sections as the Markdown brief, and every link into the ledger subpage resolves.
    markdown_sections = [line[3:] for line in (sample_project / "day.md").read_text().splitlines() if line.startswith("## ")]
    assert [s["line"] for s in parsed["sections"]] == markdown_sections
    ledger = api(mediawiki, action="parse", page="CLI Sitrep 2024-12-07/Ledger", prop="text")["parse"]["text"]
    targets = set(re.findall(r'href="[^"]*CLI_Sitrep_2024-12-07/Ledger#([a-z0-9]+)"', parsed["text"]))
    assert targets and all(f'id="{t}"' in ledger for t in targets)


def test_report_markup_stays_literal_on_the_wiki(tmp_path, mediawiki, monkeypatch):
    monkeypatch.setenv("BRIEFER_WIKI_USER", mediawiki.bot_user)
    monkeypatch.setenv("BRIEFER_WIKI_PASSWORD", mediawiki.bot_password)
    day = make_day([claim(id="C1", statement=HOSTILE, quote=HOSTILE, speaker="{{Delete}} ~~~~")])
    day = day.model_copy(update={"date": dt.date(2024, 12, 9)})
    (tmp_path / "day.json").write_text(day.model_dump_json())
    monkeypatch.chdir(tmp_path)
    result = run("post", "day.json", "--to", f"mediawiki:{mediawiki.api}")
    assert result.exit_code == 0, result.stderr
    for title in ("Sitrep 2024-12-09", "Sitrep 2024-12-09/Ledger"):
        parsed = api(mediawiki, action="parse", page=title, prop="text|categories|templates")["parse"]
        assert parsed["categories"] == [] and parsed["templates"] == [], title
    text = html.unescape(re.sub(r"<[^>]+>", " ", parsed["text"]))  # the ledger holds the whole quote
    assert "{{Delete}}" in text and "[[Category:X]]" in text and "<script>alert(1)</script>" in text and "~~~~" in text


def test_post_refuses_a_file_that_is_not_a_day(tmp_path):
    bad = tmp_path / "day.md"
    bad.write_text("# not json")
    result = run("post", str(bad), "--to", "git:/nowhere")
    assert result.exit_code == 4 and "not a briefer day JSON" in result.stderr


def test_post_dry_run_changes_nothing(sample_project, bare_repo):
    assert run("daily", "--date", "2024-12-07", "--out", "day.md", "--json", "day.json").exit_code == 0
    result = run("post", "day.json", "--to", f"git:{bare_repo}", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would change: git:" in result.stderr
    assert git("--git-dir", str(bare_repo), "branch", "--list").strip() == ""  # still empty: no commit was pushed
