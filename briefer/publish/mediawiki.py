"""Publishes sitreps to a MediaWiki through its action API: one page per day
plus an index page listing the days, newest first.

Logs in with a bot password (Special:BotPasswords) read from the environment;
action=login with a login token is the supported path for those.

Settings (all optional):
  user_env, password_env  environment variables holding the bot user name
                          ("Admin@briefer") and bot password
                          (default BRIEFER_WIKI_USER, BRIEFER_WIKI_PASSWORD)
  page_title    title pattern, "{day}" is replaced (default: Page.title)
  index_title   the index page (default "Sitreps")
  timeout       seconds for each HTTP request (default 30)
"""
from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from briefer.publish import Page, PublishError, PublishResult, check_day, scrub, seconds

EDIT_TRIES = 3  # edit conflicts: re-read and re-apply this many times
TOKEN_TRIES = 2  # badtoken / lost session: refresh this many times
USER_AGENT = "briefer/0.1 (daily sitrep publisher)"
INDEX_MARK = "<!-- briefer:index (generated; edits between these markers are replaced) -->"
INDEX_END = "<!-- briefer:index:end -->"
_INDEX_LINE = re.compile(r"^\* \[\[([^\[\]|{}<>#]+)\|(\d{4}-\d{2}-\d{2})\]\]\s*$", re.M)
_BAD_TITLE = re.compile(r"[\[\]{}<>|#\n]")
# Errors that mean "someone edited (or created) the page since we read it".
_CONFLICT = {"editconflict", "articleexists", "missingtitle", "pagedeleted"}


@dataclass
class _Current:
    exists: bool
    text: str
    timestamp: str | None  # last revision's timestamp
    start: str  # server time when read -> starttimestamp
    revid: int | None  # -> baserevid


class MediaWikiPublisher:
    def __init__(self, api_url: str, settings: Mapping[str, str] | None = None) -> None:
        settings = dict(settings or {})
        self.api = api_url
        self.target = "mediawiki:" + scrub(api_url)
        self.user_env = settings.get("user_env", "BRIEFER_WIKI_USER")
        self.password_env = settings.get("password_env", "BRIEFER_WIKI_PASSWORD")
        self.page_title = settings.get("page_title") or None  # e.g. "Sitrep {day}"
        self.index_title = settings.get("index_title", "Sitreps")
        self.timeout = seconds(self.target, settings.get("timeout", "30"))
        self._client: httpx2.Client | None = None
        self._csrf: str | None = None
        self._user: str | None = None

    # -- public API ---------------------------------------------------------

    def publish(self, page: Page, *, dry_run: bool = False) -> PublishResult:
        check_day(self.target, page.day)
        title = self.page_title.replace("{day}", page.day) if self.page_title else page.title
        for t in (title, self.index_title):
            if not t.strip() or _BAD_TITLE.search(t):
                raise PublishError(f"{self.target}: invalid page title {t!r}")
        if dry_run:
            return self._preview(page, title)
        self._ensure_login()
        ledger = f"{title}/Ledger"
        ledger_changed = False
        if page.ledger_wikitext:  # first, so the brief's links never point at a missing page
            ledger_changed, _ = self._save(ledger, lambda _old: page.ledger_wikitext, f"{page.summary or f'Sitrep {page.day}'}: ledger")
        changed, revid = self._save(title, lambda _old: page.brief_wikitext(ledger), page.summary or f"Sitrep {page.day}")
        changed = changed or ledger_changed
        idx_changed, idx_revid = self._save(
            self.index_title, lambda old: index_text(old, page.day, title), f"Sitreps index: {page.day}"
        )
        what = f"revision {revid}" if changed else f"no change (revision {revid})"
        if idx_changed:
            what += f"; index revision {idx_revid}"
        return PublishResult(self.target, title, changed or idx_changed, what)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> MediaWikiPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- steps ----------------------------------------------------------------

    def _preview(self, page: Page, title: str) -> PublishResult:
        # Reading may need a login on a private wiki; previewing without
        # credentials still works on a public one.
        if self._credentials(required=False):
            self._ensure_login()
        parts = []
        cur = self._read(title)
        parts.append(_change(title, cur, page.brief_wikitext(f"{title}/Ledger")))
        if page.ledger_wikitext:
            ledger = f"{title}/Ledger"
            parts.append(_change(ledger, self._read(ledger), page.ledger_wikitext))
        idx = self._read(self.index_title)
        parts.append(_change(self.index_title, idx, index_text(idx.text, page.day, title)))
        changes = [p for p in parts if p]
        detail = "; ".join(changes) if changes else "no change"
        return PublishResult(self.target, title, bool(changes), detail)

    def _save(self, title: str, make_text: Callable[[str], str], summary: str) -> tuple[bool, int | None]:
        """Edits title with make_text(current text); returns (changed, revision id)."""
        conflicts = token_refreshes = 0
        while True:
            cur = self._read(title)
            params: dict[str, Any] = {
                "action": "edit",
                "title": title,
                "text": make_text(cur.text),
                "summary": summary,
                "bot": "1",
                "assert": "user",  # fail rather than edit anonymously if the session died
                "starttimestamp": cur.start,
                "token": self._csrf_token(),
            }
            if cur.exists:
                # baserevid, not basetimestamp: given a basetimestamp, MediaWiki
                # 1.39 treats an edit by someone else within the same second as
                # "no edits by others since" and silently overwrites it
                # (EditPage's self-conflict check compares rev_timestamp > base).
                # With baserevid alone any newer revision is a conflict.
                params["baserevid"] = cur.revid
                params["nocreate"] = "1"
            else:
                params["createonly"] = "1"  # someone creating it meanwhile is a conflict too
            data = self._call("POST", params)
            error = data.get("error")
            if error:
                code = error.get("code", "")
                if code in _CONFLICT and conflicts < EDIT_TRIES - 1:
                    conflicts += 1
                    continue
                if code in ("badtoken", "assertuserfailed", "assertbotfailed") and token_refreshes < TOKEN_TRIES:
                    token_refreshes += 1
                    self._csrf = None
                    if code != "badtoken":
                        self._user = None
                        self._ensure_login()
                    continue
                if code in _CONFLICT:
                    raise PublishError(f"{self.target}: edit conflict on {title!r} persisted after {EDIT_TRIES} tries")
                raise PublishError(f"{self.target}: edit of {title!r} rejected: {code}: {_info(error)}")
            edit = data.get("edit") or {}
            if edit.get("result") != "Success":
                # Captcha, AbuseFilter, SpamBlacklist... answer with a Failure result.
                reason = edit.get("code") or edit.get("info") or ", ".join(k for k in edit if k != "result")
                raise PublishError(f"{self.target}: edit of {title!r} rejected: {reason or edit.get('result')}")
            if edit.get("nochange"):
                return False, edit.get("oldrevid") or cur.revid
            return True, edit.get("newrevid")

    def _read(self, title: str) -> _Current:
        data = self._call("GET", {
            "action": "query", "prop": "revisions", "titles": title,
            "rvprop": "content|timestamp|ids", "rvslots": "main", "curtimestamp": "1",
        })
        if "error" in data:
            raise PublishError(f"{self.target}: cannot read {title!r}: {data['error'].get('code')}")
        try:
            info = data["query"]["pages"][0]
            start = data["curtimestamp"]
        except (KeyError, IndexError, TypeError):
            raise PublishError(f"{self.target}: unexpected answer reading {title!r}") from None
        if info.get("invalid"):
            raise PublishError(f"{self.target}: invalid page title {title!r}: {info.get('invalidreason', '')}")
        if info.get("missing") or not info.get("revisions"):
            return _Current(False, "", None, start, None)
        rev = info["revisions"][0]
        return _Current(True, rev["slots"]["main"].get("content", ""), rev["timestamp"], start, rev.get("revid"))

    # -- session ----------------------------------------------------------------

    def _credentials(self, required: bool = True) -> tuple[str, str] | None:
        user, password = os.environ.get(self.user_env), os.environ.get(self.password_env)
        if user and password:
            return user, password
        if required:
            raise PublishError(
                f"{self.target}: set {self.user_env} and {self.password_env} (a bot password from Special:BotPasswords)"
            )
        return None

    def _ensure_login(self) -> None:
        if self._user is not None:
            return
        user, password = self._credentials()  # type: ignore[misc]
        data = self._call("GET", {"action": "query", "meta": "tokens", "type": "login"})
        try:
            token = data["query"]["tokens"]["logintoken"]
        except (KeyError, TypeError):
            raise PublishError(f"{self.target}: no login token; is this a MediaWiki api.php URL?") from None
        data = self._call("POST", {"action": "login", "lgname": user, "lgpassword": password, "lgtoken": token})
        login = data.get("login") or {}
        if login.get("result") != "Success":
            reason = _info(login.get("reason")) or _info(data.get("error")) or login.get("result") or "no reason given"
            raise PublishError(f"{self.target}: login as {user} failed: {reason}")
        self._user = user
        self._csrf = None

    def _csrf_token(self) -> str:
        if self._csrf is None:
            data = self._call("GET", {"action": "query", "meta": "tokens", "type": "csrf"})
            try:
                self._csrf = data["query"]["tokens"]["csrftoken"]
            except (KeyError, TypeError):
                raise PublishError(f"{self.target}: could not get an edit token") from None
        return self._csrf

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx2.Client(timeout=self.timeout, headers={"User-Agent": USER_AGENT})
        params = {**params, "format": "json", "formatversion": "2", "errorformat": "plaintext"}
        try:
            if method == "GET":
                resp = self._client.get(self.api, params=params)
            else:
                resp = self._client.post(self.api, data=params)
        except httpx2.TimeoutException:
            raise PublishError(f"{self.target}: no answer within {self.timeout:g}s") from None
        except httpx2.HTTPError as exc:
            raise PublishError(f"{self.target}: cannot reach server ({type(exc).__name__})") from None
        if resp.status_code != 200:
            raise PublishError(f"{self.target}: HTTP {resp.status_code} from the API; is this the api.php URL?")
        try:
            data = resp.json()
        except ValueError:
            raise PublishError(f"{self.target}: answer is not JSON; is this the api.php URL?") from None
        if not isinstance(data, dict):
            raise PublishError(f"{self.target}: unexpected answer from the API")
        # errorformat=plaintext puts errors in a list; keep the first as "error".
        if "errors" in data and data["errors"]:
            data["error"] = data["errors"][0]
        return data


def index_text(old: str, day: str, title: str) -> str:
    """The index page with day -> title added; days newest first.

    Existing generated entries are kept (the index is the only record of
    earlier days); text outside the markers belongs to people and is kept.
    """
    head, block, tail = "", old, ""
    if INDEX_MARK in old and INDEX_END in old:
        head, _, rest = old.partition(INDEX_MARK)
        block, _, tail = rest.partition(INDEX_END)
    elif old.strip():
        head, block = old.rstrip("\n") + "\n\n", ""
    entries = {m.group(2): m.group(1) for m in _INDEX_LINE.finditer(block)}
    entries[day] = title
    lines = [f"* [[{entries[d]}|{d}]]" for d in sorted(entries, reverse=True)]  # ISO dates sort as text
    return head + "\n".join([INDEX_MARK, *lines, INDEX_END]) + tail


def _change(title: str, cur: _Current, new: str) -> str:
    # MediaWiki strips trailing whitespace on save; compare the same way.
    if not cur.exists:
        return f"would create {title!r} ({len(new.rstrip().splitlines())} lines)"
    if cur.text.rstrip() == new.rstrip():
        return ""
    diff = list(difflib.unified_diff(cur.text.rstrip().splitlines(), new.rstrip().splitlines(), lineterm="", n=0))
    added = sum(1 for ln in diff if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff if ln.startswith("-") and not ln.startswith("---"))
    return f"would update {title!r} (+{added} -{removed} lines)"


def _info(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("text") or error.get("info") or error.get("code") or "")
    return str(error or "")
