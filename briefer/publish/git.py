"""Publishes sitreps to a git-backed wiki (GitHub/GitLab/Gitea wikis, Gollum,
Wiki.js git storage): one Markdown file per day plus an index page.

Credentials come only from git's own config and credential helpers; a URL
carrying a password is refused so it never lands in a clone's .git/config.

Settings (all optional):
  workdir        cache dir for a reusable clone (default: a fresh temp clone per publish)
  page_path      the day's file, "{day}" is replaced (default "sitreps/{day}.md")
  index_path     the index file (default "Sitreps.md")
  index_heading  heading of a new index file (default "Sitreps")
  branch         branch to publish to (default: the remote's default branch)
  timeout        seconds for each git command (default 120)
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from briefer.publish import Page, PublishError, PublishResult, check_day, scrub, seconds

DEFAULT_PAGE_PATH = "sitreps/{day}.md"
DEFAULT_INDEX_PATH = "Sitreps.md"
PUSH_TRIES = 3
INDEX_MARK = "<!-- briefer:index (generated; edits between these markers are replaced) -->"
INDEX_END = "<!-- briefer:index:end -->"

# Push refusals that mean "someone else pushed first": worth fetch + retry.
_RACE = re.compile(r"non-fast-forward|fetch first|\[rejected\]|failed to update ref|stale info|cannot lock ref")
_UNREACHABLE = re.compile(r"(?i)could not resolve|connection refused|couldn't connect|failed to connect|timed out|network is unreachable|no route to host")
_AUTH = re.compile(r"(?i)authentication failed|could not read username|could not read password|permission denied|\b40[13]\b")
_NOT_FOUND = re.compile(r"(?i)does not exist|not found|no such (file|repository)|not a git repository|\b404\b")
_PASSWORD_IN_URL = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@")


class GitWikiPublisher:
    def __init__(self, remote: str, settings: Mapping[str, str] | None = None) -> None:
        settings = dict(settings or {})
        self.remote = remote
        self.target = "git:" + scrub(remote)
        if _PASSWORD_IN_URL.match(remote):
            raise PublishError(f"{self.target}: credentials in the URL are refused; use a git credential helper")
        self.page_path = settings.get("page_path", DEFAULT_PAGE_PATH)
        self.index_path = settings.get("index_path", DEFAULT_INDEX_PATH)
        self.index_title = settings.get("index_heading", "Sitreps")
        self.branch = settings.get("branch") or None
        self.workdir = settings.get("workdir") or None
        self.timeout = seconds(self.target, settings.get("timeout", "120"))
        if "{day}" not in self.page_path:
            raise PublishError(f"{self.target}: page_path {self.page_path!r} must contain {{day}}")
        self._env = dict(os.environ)
        # Never block on a password prompt: fail instead, and say so.
        self._env["GIT_TERMINAL_PROMPT"] = "0"
        self._env["LC_ALL"] = "C"  # stable messages to classify errors

    # -- public API ---------------------------------------------------------

    def publish(self, page: Page, *, dry_run: bool = False) -> PublishResult:
        check_day(self.target, page.day)
        rel_page = self._safe_path(self.page_path.replace("{day}", page.day))
        rel_index = self._safe_path(self.index_path)
        if rel_page == rel_index:
            raise PublishError(f"{self.target}: page_path and index_path are the same file")
        stem, dot, suffix = posixpath.basename(rel_page).rpartition(".")
        self._rel_ledger = posixpath.join(posixpath.dirname(rel_page), f"{stem}.ledger.{suffix}" if dot else f"{suffix}.ledger")
        if self.workdir:
            Path(self.workdir).mkdir(parents=True, exist_ok=True)
            clone = Path(self.workdir) / ("clone-" + hashlib.sha256(self.remote.encode()).hexdigest()[:16])
            return self._publish_in(clone, page, rel_page, rel_index, dry_run)
        with tempfile.TemporaryDirectory(prefix="briefer-git-") as tmp:
            return self._publish_in(Path(tmp) / "clone", page, rel_page, rel_index, dry_run)

    # -- steps ----------------------------------------------------------------

    def _publish_in(self, clone: Path, page: Page, rel_page: str, rel_index: str, dry_run: bool) -> PublishResult:
        branch = self._sync(clone)
        for attempt in range(1, PUSH_TRIES + 1):
            self._apply(clone, page, rel_page, rel_index)
            self._git(clone, "add", "--", rel_page, rel_index, *([self._rel_ledger] if page.ledger_markdown else []), what="add")
            staged = self._git(clone, "diff", "--cached", "--numstat", "--", what="diff").stdout.strip()
            if not staged:
                head = self._head(clone)
                return PublishResult(self.target, rel_page, False, f"no change (at {head[:12] or 'empty repo'})")
            if dry_run:
                self._discard(clone)
                return PublishResult(self.target, rel_page, True, "would change " + _describe(staged))
            self._commit(clone, page.summary or f"Sitrep {page.day}")
            pushed, err = self._push(clone, branch)
            if pushed:
                sha = self._head(clone)
                return PublishResult(self.target, rel_page, True, f"commit {sha[:12]} pushed to {branch}")
            if not _RACE.search(err) or attempt == PUSH_TRIES:
                if _RACE.search(err):
                    raise PublishError(f"{self.target}: push rejected after {PUSH_TRIES} tries")
                raise self._remote_error("push", err)
            # Someone pushed meanwhile. The index is derived from the files
            # present, so "rebase" by re-applying our page on top of theirs
            # instead of replaying a commit whose index hunk would conflict.
            self._fetch(clone)
            self._git(clone, "reset", "-q", "--hard", f"origin/{branch}", what="reset")
        raise AssertionError("unreachable")

    def _sync(self, clone: Path) -> str:
        """Clones, or refreshes a cached clone to the remote's state. Returns the branch."""
        if (clone / ".git").is_dir():
            url = self._git(clone, "config", "--get", "remote.origin.url", check=False).stdout.strip()
            if url != self.remote:
                raise PublishError(f"{self.target}: cache {clone} is a clone of another remote")
            self._discard(clone)
        else:
            clone.parent.mkdir(parents=True, exist_ok=True)
            proc = self._run(["git", "clone", "-q", "--no-tags", "--", self.remote, str(clone)], None, "clone")
            if proc.returncode != 0:
                raise self._remote_error("clone", proc.stderr)
        branch = self.branch or self._current_branch(clone)
        self._fetch(clone)
        if self._remote_has(clone, branch):
            self._git(clone, "checkout", "-q", "-B", branch, f"origin/{branch}", what="checkout")
            self._git(clone, "reset", "-q", "--hard", f"origin/{branch}", what="reset")
        else:
            # Empty remote (a new wiki) or a new branch: start it from nothing.
            self._git(clone, "checkout", "-q", "--orphan", branch, what="checkout", check=False)
        return branch

    def _no_symlinks(self, clone: Path, rel: str) -> None:
        """A link anywhere on the path could send a write outside the clone: refuse it."""
        current = clone
        for part in Path(rel).parts:
            current = current / part
            if current.is_symlink():
                raise PublishError(f"{self.target}: {posixpath.relpath(current, clone)} in the wiki is a symbolic link; briefer does not write through links")

    def _apply(self, clone: Path, page: Page, rel_page: str, rel_index: str) -> None:
        for rel in (rel_page, rel_index, self._rel_ledger):
            self._no_symlinks(clone, rel)
        page_file = clone / rel_page
        page_file.parent.mkdir(parents=True, exist_ok=True)
        page_file.write_text(_with_newline(page.brief_markdown(posixpath.basename(self._rel_ledger))), encoding="utf-8")
        if page.ledger_markdown:
            (clone / self._rel_ledger).write_text(_with_newline(page.ledger_markdown), encoding="utf-8")
        index_file = clone / rel_index
        index_file.parent.mkdir(parents=True, exist_ok=True)
        old = index_file.read_text(encoding="utf-8") if index_file.exists() else None
        index_file.write_text(self._index(clone, rel_index, page.day, old), encoding="utf-8")

    def _index(self, clone: Path, rel_index: str, day: str, old: str | None) -> str:
        days = {day}
        pattern = re.compile(re.escape(self.page_path).replace(re.escape("{day}"), r"(\d{4}-\d{2}-\d{2})"))
        listed = self._git(clone, "ls-files", "-z", what="ls-files").stdout.split("\0")
        for name in listed:
            m = pattern.fullmatch(name)
            if m and (clone / name).exists():
                days.add(m.group(1))
        base = posixpath.dirname(rel_index)
        lines = [
            f"- [{d}]({quote(posixpath.relpath(self.page_path.replace('{day}', d), base or '.'))})"
            for d in sorted(days, reverse=True)  # ISO dates sort as text
        ]
        block = "\n".join([INDEX_MARK, *lines, INDEX_END])
        if old and INDEX_MARK in old and INDEX_END in old:
            # Keep whatever people wrote around the generated list.
            head, _, rest = old.partition(INDEX_MARK)
            _, _, tail = rest.partition(INDEX_END)
            return head + block + tail
        if old and old.strip():
            return old.rstrip("\n") + "\n\n" + block + "\n"
        return f"# {self.index_title}\n\n{block}\n"

    def _commit(self, clone: Path, message: str) -> None:
        ident: list[str] = []
        # Author comes from git config or GIT_AUTHOR_* env; fall back so a bare
        # machine (CI, cron) can still commit.
        if not self._git(clone, "config", "user.name", check=False).stdout.strip():
            ident += ["-c", "user.name=briefer"]
        if not self._git(clone, "config", "user.email", check=False).stdout.strip():
            ident += ["-c", "user.email=briefer@localhost"]
        proc = self._run(["git", *ident, "commit", "-q", "-m", message], clone, "commit")
        if proc.returncode != 0:
            raise PublishError(f"{self.target}: commit failed: {_last_line(proc.stderr or proc.stdout)}")

    def _push(self, clone: Path, branch: str) -> tuple[bool, str]:
        proc = self._run(["git", "push", "--porcelain", "origin", f"HEAD:refs/heads/{branch}"], clone, "push")
        return proc.returncode == 0, proc.stderr + proc.stdout

    def _fetch(self, clone: Path) -> None:
        proc = self._run(["git", "fetch", "-q", "--no-tags", "origin"], clone, "fetch")
        if proc.returncode != 0:
            raise self._remote_error("fetch", proc.stderr)

    # -- git plumbing ---------------------------------------------------------

    def _discard(self, clone: Path) -> None:
        """Drops local edits so a cache clone matches its last commit again."""
        if self._head(clone):
            self._git(clone, "reset", "-q", "--hard", what="reset")
        else:
            self._git(clone, "rm", "-r", "-q", "-f", "--cached", "--ignore-unmatch", ".", what="reset")
        self._git(clone, "clean", "-q", "-fdx", what="clean")

    def _remote_has(self, clone: Path, branch: str) -> bool:
        return self._git(clone, "rev-parse", "-q", "--verify", f"refs/remotes/origin/{branch}", check=False).returncode == 0

    def _current_branch(self, clone: Path) -> str:
        # After cloning, HEAD names the remote's default branch (even when unborn).
        name = self._git(clone, "symbolic-ref", "--short", "-q", "HEAD", check=False).stdout.strip()
        return name or "master"

    def _head(self, clone: Path) -> str:
        return self._git(clone, "rev-parse", "-q", "--verify", "HEAD", check=False).stdout.strip()

    def _git(self, clone: Path, *args: str, what: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self._run(["git", *args], clone, what or args[0])
        if check and proc.returncode != 0:
            raise PublishError(f"{self.target}: git {what or args[0]} failed: {_last_line(proc.stderr)}")
        return proc

    def _run(self, argv: list[str], cwd: Path | None, what: str) -> subprocess.CompletedProcess[str]:
        try:
            # A session of its own: no controlling terminal, so ssh and
            # credential helpers cannot stop to ask for a password; and on a
            # timeout the whole group (git, ssh, git-remote-https) is killed.
            proc = subprocess.Popen(
                argv, cwd=cwd, env=self._env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL, text=True, start_new_session=True,
            )
        except FileNotFoundError:
            raise PublishError(f"{self.target}: git is not installed") from None
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PublishError(f"{self.target}: git {what} timed out after {self.timeout:g}s") from None
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    def _remote_error(self, what: str, stderr: str) -> PublishError:
        if m := _UNREACHABLE.search(stderr):
            return PublishError(f"{self.target}: cannot reach the remote ({what}: {m.group(0).lower()})")
        if _AUTH.search(stderr):
            return PublishError(f"{self.target}: authentication failed ({what}); configure a git credential helper")
        if _NOT_FOUND.search(stderr):
            return PublishError(f"{self.target}: repository not found")
        return PublishError(f"{self.target}: git {what} failed: {_last_line(stderr)}")

    def _safe_path(self, rel: str) -> str:
        norm = posixpath.normpath(rel)
        if norm.startswith(("/", "../")) or norm in (".", "..") or norm.startswith(".git/") or norm == ".git":
            raise PublishError(f"{self.target}: path {rel!r} is outside the repository")
        return norm


def _describe(numstat: str) -> str:
    parts = []
    for line in numstat.splitlines():
        added, removed, name = line.split("\t", 2)
        parts.append(f"{name} (+{added} -{removed})")
    return ", ".join(parts)


def _last_line(text: str) -> str:
    """The line of git's output that says what went wrong."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for ln in lines:
        if ln.lower().startswith(("fatal:", "error:")):
            return scrub(ln)
    return scrub(lines[-1]) if lines else "no output"


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
