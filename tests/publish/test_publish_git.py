"""GitWikiPublisher against real git and local bare repositories."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from briefer.publish import Page, PublishError, publisher_for
from briefer.publish.git import GitWikiPublisher

pytestmark = pytest.mark.integration


def page(day: str = "2024-12-07", body: str = "All quiet.") -> Page:
    return Page(
        day=day,
        title=f"Sitrep {day}",
        markdown=f"# Sitrep {day}\n\n{body}\n",
        wikitext=f"== Sitrep {day} ==\n{body}\n",
        summary=f"Sitrep for {day}",
    )


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No ~/.gitconfig or /etc/gitconfig: tests behave the same on any machine.
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var, value in {
        "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.invalid",
    }.items():
        monkeypatch.setenv(var, value)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "wiki.git"
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", "--bare", str(bare)], check=True)
    return bare


def commits(bare: Path, branch: str = "main") -> int:
    return int(git(bare, "rev-list", "--count", branch).strip())


def show(bare: Path, path: str, branch: str = "main") -> str:
    return git(bare, "show", f"{branch}:{path}")


def test_post_creates_page_and_index(remote: Path) -> None:
    result = publisher_for(f"git:{remote}").publish(page())
    assert result.changed
    assert result.target == f"git:{remote}"
    assert result.location == "sitreps/2024-12-07.md"
    assert result.detail.startswith("commit ")
    assert show(remote, "sitreps/2024-12-07.md") == "# Sitrep 2024-12-07\n\nAll quiet.\n"
    assert "- [2024-12-07](sitreps/2024-12-07.md)" in show(remote, "Sitreps.md")
    assert git(remote, "log", "-1", "--format=%an|%s", "main").strip() == "Test Author|Sitrep for 2024-12-07"


def test_repost_identical_makes_no_commit(remote: Path) -> None:
    pub = publisher_for(f"git:{remote}")
    pub.publish(page())
    again = pub.publish(page())
    assert not again.changed
    assert again.detail.startswith("no change")
    assert commits(remote) == 1


def test_changed_content_makes_one_more_commit(remote: Path) -> None:
    pub = publisher_for(f"git:{remote}")
    pub.publish(page())
    assert pub.publish(page(body="Fighting near Homs.")).changed
    assert commits(remote) == 2
    assert "Homs" in show(remote, "sitreps/2024-12-07.md")


def test_index_lists_days_newest_first(remote: Path) -> None:
    pub = publisher_for(f"git:{remote}")
    for day in ("2024-12-05", "2024-12-07", "2024-12-06"):
        pub.publish(page(day))
    index = show(remote, "Sitreps.md")
    links = [line for line in index.splitlines() if line.startswith("- [")]
    assert links == [
        "- [2024-12-07](sitreps/2024-12-07.md)",
        "- [2024-12-06](sitreps/2024-12-06.md)",
        "- [2024-12-05](sitreps/2024-12-05.md)",
    ]


def test_configurable_paths_and_relative_links(remote: Path) -> None:
    settings = {"page_path": "ops/daily/Sitrep {day}.md", "index_path": "ops/Index.md"}
    result = publisher_for(f"git:{remote}", settings).publish(page())
    assert result.location == "ops/daily/Sitrep 2024-12-07.md"
    assert "- [2024-12-07](daily/Sitrep%202024-12-07.md)" in show(remote, "ops/Index.md")


def test_index_keeps_human_text(remote: Path, tmp_path: Path) -> None:
    pub = publisher_for(f"git:{remote}")
    pub.publish(page("2024-12-06"))
    # Someone adds an introduction above the generated list.
    clone = tmp_path / "human"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    index = (clone / "Sitreps.md").read_text()
    (clone / "Sitreps.md").write_text(index.replace("# Sitreps\n", "# Sitreps\n\nRead me first.\n"))
    git(clone, "commit", "-q", "-am", "intro")
    git(clone, "push", "-q", "origin", "main")
    pub.publish(page("2024-12-07"))
    index = show(remote, "Sitreps.md")
    assert "Read me first." in index
    assert index.index("2024-12-07") < index.index("2024-12-06")


@pytest.fixture
def other(remote: Path, tmp_path: Path) -> Path:
    """A second clone of the wiki, made after a first day was posted: someone else's checkout."""
    publisher_for(f"git:{remote}").publish(page("2024-12-05"))
    clone = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    return clone


def test_race_with_another_pusher_is_rebased(remote: Path, other: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub = publisher_for(f"git:{remote}")
    real_push = GitWikiPublisher._push
    raced = []

    def push_after_someone_else(self: GitWikiPublisher, clone: Path, branch: str) -> tuple[bool, str]:
        if not raced:
            # Another publisher posts 2024-12-06 between our commit and our push.
            raced.append(True)
            (other / "sitreps" / "2024-12-06.md").write_text("# Sitrep 2024-12-06\n")
            idx = (other / "Sitreps.md").read_text()
            (other / "Sitreps.md").write_text(idx.replace("- [2024-12-05]", "- [2024-12-06](sitreps/2024-12-06.md)\n- [2024-12-05]"))
            git(other, "add", "-A")
            git(other, "commit", "-q", "-m", "other sitrep")
            git(other, "push", "-q", "origin", "main")
        return real_push(self, clone, branch)

    monkeypatch.setattr(GitWikiPublisher, "_push", push_after_someone_else)
    result = pub.publish(page("2024-12-07"))
    assert result.changed and raced
    assert commits(remote) == 3
    assert "other sitrep" in git(remote, "log", "--format=%s", "main")
    assert show(remote, "sitreps/2024-12-06.md") == "# Sitrep 2024-12-06\n"
    assert show(remote, "sitreps/2024-12-07.md").startswith("# Sitrep 2024-12-07")
    links = [line for line in show(remote, "Sitreps.md").splitlines() if line.startswith("- [")]
    assert [line[3:13] for line in links] == ["2024-12-07", "2024-12-06", "2024-12-05"]


def test_push_rejected_every_time_gives_up(remote: Path, other: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub = publisher_for(f"git:{remote}")
    real_push = GitWikiPublisher._push
    tries = []

    def always_beaten(self: GitWikiPublisher, clone: Path, branch: str) -> tuple[bool, str]:
        tries.append(1)
        (other / f"note{len(tries)}.md").write_text("x\n")
        git(other, "add", "-A")
        git(other, "commit", "-q", "-m", f"note {len(tries)}")
        git(other, "push", "-q", "origin", "main")
        return real_push(self, clone, branch)

    monkeypatch.setattr(GitWikiPublisher, "_push", always_beaten)
    with pytest.raises(PublishError, match=r"push rejected after 3 tries") as err:
        pub.publish(page("2024-12-07"))
    assert str(err.value).startswith(f"git:{remote}: ")
    assert len(tries) == 3


def test_dry_run_makes_no_commit(remote: Path, tmp_path: Path) -> None:
    settings = {"workdir": str(tmp_path / "cache")}
    pub = publisher_for(f"git:{remote}", settings)
    preview = pub.publish(page(), dry_run=True)
    assert preview.changed
    assert "would change" in preview.detail and "sitreps/2024-12-07.md (+3 -0)" in preview.detail
    assert "Sitreps.md" in preview.detail
    assert git(remote, "for-each-ref").strip() == ""  # still an empty repository

    pub.publish(page())
    preview = pub.publish(page(body="Changed."), dry_run=True)
    assert preview.detail == "would change sitreps/2024-12-07.md (+1 -1)"
    assert commits(remote) == 1
    assert "All quiet." in show(remote, "sitreps/2024-12-07.md")
    assert not pub.publish(page(), dry_run=True).changed
    # The cache clone is left clean for the next run.
    (clone,) = (tmp_path / "cache").iterdir()
    assert git(clone, "status", "--porcelain") == ""


def test_workdir_clone_is_reused_and_refreshed(remote: Path, tmp_path: Path) -> None:
    settings = {"workdir": str(tmp_path / "cache")}
    publisher_for(f"git:{remote}", settings).publish(page("2024-12-05"))
    (clone,) = (tmp_path / "cache").iterdir()
    marker = clone / ".git" / "briefer-test-marker"
    marker.write_text("same clone")
    # Someone else publishes with their own clone meanwhile.
    publisher_for(f"git:{remote}").publish(page("2024-12-06"))
    publisher_for(f"git:{remote}", settings).publish(page("2024-12-07"))
    assert marker.exists()
    assert commits(remote) == 3
    index = show(remote, "Sitreps.md")
    assert all(d in index for d in ("2024-12-05", "2024-12-06", "2024-12-07"))


def test_author_falls_back_to_briefer(remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    publisher_for(f"git:{remote}").publish(page())
    assert git(remote, "log", "-1", "--format=%an", "main").strip() == "briefer"


def test_author_from_git_config(remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Desk Officer\n\temail = desk@example.invalid\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    publisher_for(f"git:{remote}").publish(page())
    assert git(remote, "log", "-1", "--format=%an", "main").strip() == "Desk Officer"


def test_existing_branch_setting(tmp_path: Path) -> None:
    bare = tmp_path / "gh-wiki.git"
    subprocess.run(["git", "-c", "init.defaultBranch=master", "init", "-q", "--bare", str(bare)], check=True)
    publisher_for(f"git:{bare}", {"branch": "wiki"}).publish(page())
    assert "Sitrep 2024-12-07" in show(bare, "sitreps/2024-12-07.md", branch="wiki")


def test_missing_repository(tmp_path: Path) -> None:
    missing = tmp_path / "nope.git"
    with pytest.raises(PublishError) as err:
        publisher_for(f"git:{missing}").publish(page())
    assert str(err.value) == f"git:{missing}: repository not found"


def test_unreachable_remote_scrubs_userinfo() -> None:
    # Port 9 on loopback refuses at once; the user name must not be echoed.
    target = "git:http://someone@127.0.0.1:9/wiki.git"
    with pytest.raises(PublishError) as err:
        publisher_for(target, {"timeout": "30"}).publish(page())
    message = str(err.value)
    assert message.startswith("git:http://127.0.0.1:9/wiki.git: cannot reach the remote")
    assert "someone" not in message and "\n" not in message


def test_password_in_url_is_refused() -> None:
    with pytest.raises(PublishError) as err:
        publisher_for("git:https://bot:s3cret-token@127.0.0.1:9/wiki.git")
    assert "s3cret" not in str(err.value)
    assert "credential helper" in str(err.value)


@pytest.mark.parametrize("day", ["../../etc/passwd", "2024-12-7", "today"])
def test_bad_day_is_refused(remote: Path, day: str) -> None:
    with pytest.raises(PublishError, match="YYYY-MM-DD"):
        publisher_for(f"git:{remote}").publish(page(day))


def test_path_outside_repository_is_refused(remote: Path) -> None:
    with pytest.raises(PublishError, match="outside the repository"):
        publisher_for(f"git:{remote}", {"page_path": "../{day}.md"}).publish(page())


@pytest.mark.parametrize("target", ["ftp:x", "gitx", "", "mediawiki:", "svn:http://x"])
def test_unknown_targets(target: str) -> None:
    with pytest.raises(PublishError, match="unknown target"):
        publisher_for(target)


def test_hanging_remote_times_out() -> None:
    # A server that accepts connections and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/wiki.git"
        started = time.monotonic()
        with pytest.raises(PublishError) as err:
            publisher_for(f"git:{url}", {"timeout": "1"}).publish(page())
        assert str(err.value) == f"git:{url}: git clone timed out after 1s"
        assert time.monotonic() - started < 10


def test_bad_timeout_setting(remote: Path) -> None:
    with pytest.raises(PublishError, match="timeout 'soon' is not a positive number"):
        publisher_for(f"git:{remote}", {"timeout": "soon"})


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_symlink_in_the_wiki_is_refused_and_nothing_is_written_outside(remote: Path, tmp_path: Path, dry_run: bool) -> None:
    publisher_for(f"git:{remote}").publish(page("2024-12-06"))
    outside = tmp_path / "outside"
    outside.mkdir()
    clone = tmp_path / "attacker"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    git(clone, "rm", "-q", "-r", "sitreps")
    (clone / "sitreps").symlink_to(outside, target_is_directory=True)
    git(clone, "add", "sitreps")
    git(clone, "commit", "-q", "-m", "link")
    git(clone, "push", "-q", "origin", "main")
    with pytest.raises(PublishError, match="sitreps in the wiki is a symbolic link"):
        publisher_for(f"git:{remote}").publish(page("2024-12-07"), dry_run=dry_run)
    assert list(outside.iterdir()) == []
