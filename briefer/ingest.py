"""Ingest: a reports folder -> Report records, plus notices for what was skipped.

Formats: .txt, .md (optional YAML front matter), .html/.htm (article text taken
out by trafilatura), .json (an object with the text and feed metadata).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .models import Notice, Report

SUPPORTED = (".txt", ".md", ".html", ".htm", ".json")
DEFAULT_MAX_BYTES = 1_000_000
# "date 2024-12-07" and similar explicit ISO dates near the top of a report
_TEXT_DATE = re.compile(r"\b(?:date|published|posted|updated)[:\s]+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)
_TEXT_KEYS = ("text", "body", "content", "article")
_DATE_KEYS = ("published", "date", "published_at", "pubDate", "datePublished")


class ReportFileError(ValueError):
    """A report file that cannot be used; the message says why in one line."""


@dataclass
class IngestResult:
    reports: list[Report]
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class _Parsed:
    text: str
    meta: dict


def ingest_folder(folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> IngestResult:
    if not folder.is_dir():
        raise FileNotFoundError(f"reports folder not found: {folder}")
    notices: list[Notice] = []
    files = []
    root = folder.resolve()
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            # a link out of the folder would send any file on the machine to the model and the sitrep
            notices.append(Notice(stage="ingest", subject=str(path), message="skipped: a symbolic link to a file outside the reports folder", severity="error"))
        elif path.is_file():
            files.append(path)
    reports: list[Report] = []
    by_hash: dict[str, str] = {}
    taken: set[str] = set()
    ids = _report_ids([p for p in files if p.suffix.lower() in SUPPORTED])
    for path in files:
        if path.suffix.lower() not in SUPPORTED:
            notices.append(Notice(stage="ingest", subject=str(path), message=f"skipped: unsupported file type '{path.suffix or '(none)'}'"))
            continue
        try:
            report, warnings = read_report(path, ids[path], max_bytes=max_bytes)
        except ReportFileError as exc:
            notices.append(Notice(stage="ingest", subject=str(path), message=f"skipped: {exc}", severity="error"))
            continue
        notices.extend(Notice(stage="ingest", subject=str(path), message=w) for w in warnings)
        if report.sha256 not in by_hash and report.id in taken:
            renamed = _unique_id(report.id, taken | set(ids.values()))
            notices.append(Notice(stage="ingest", subject=str(path), message=f"report id {report.id!r} is already taken by another report: this one is {renamed!r}"))
            report = report.model_copy(update={"id": renamed})
        if report.sha256 in by_hash:
            notices.append(
                Notice(stage="ingest", subject=str(path), message=f"skipped: exact duplicate of report {by_hash[report.sha256]}", severity="info")
            )
            continue
        by_hash[report.sha256] = report.id
        taken.add(report.id)
        reports.append(report)
    return IngestResult(reports, notices)


def _report_ids(paths: list[Path]) -> dict[Path, str]:
    """Short ids ("000" of "000_x.txt") where no other file shares the
    prefix, else the stem; the extension too where stems collide. Decided per
    file, so adding a file never renames the others (the cache is keyed on ids)."""
    prefix = {p: p.stem.split("_", 1)[0] for p in paths}
    prefixes = Counter(prefix.values())
    stems = Counter(p.stem for p in paths)
    ids = {}
    for path in paths:
        if prefixes[prefix[path]] == 1:
            ids[path] = prefix[path]
        elif stems[path.stem] == 1:
            ids[path] = path.stem
        else:
            ids[path] = f"{path.stem}{path.suffix.lower().replace('.', '-')}"
    return ids


def _unique_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def read_report(path: Path, report_id: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Report, list[str]]:
    """One file -> Report, with warnings. Raises ReportFileError if unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReportFileError(f"cannot read file ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise ReportFileError("file is empty")
    if len(raw) > max_bytes:
        raise ReportFileError(f"file is {len(raw):,} bytes, over the {max_bytes:,}-byte limit (raise --max-report-bytes or split it)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            raw = raw.decode("utf-16").encode("utf-8")  # a BOM says UTF-16: Windows tools write it
        except UnicodeDecodeError as exc:
            raise ReportFileError("file starts with a UTF-16 byte-order mark but is not UTF-16") from exc
    if b"\x00" in raw[:8192]:
        raise ReportFileError("file looks binary (contains NUL bytes)")
    warnings: list[str] = []
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        decoded = raw.decode("utf-8", errors="replace")
        warnings.append(f"invalid UTF-8 at byte {exc.start}; undecodable bytes replaced with U+FFFD")

    suffix = path.suffix.lower()
    if suffix == ".json":
        parsed = _parse_json(decoded)
    elif suffix == ".md":
        parsed = _parse_front_matter(decoded)
    elif suffix in (".html", ".htm"):
        parsed = _parse_html(decoded)
    else:
        parsed = _Parsed(decoded, {})
    if not parsed.text.strip():
        raise ReportFileError("no article text found")

    published, source, basis = _date_of(parsed, warnings)
    report = Report(
        id=_feed_id(parsed.meta.get("id")) or report_id,
        path=str(path),
        text=parsed.text,
        sha256=hashlib.sha256(parsed.text.encode("utf-8")).hexdigest(),
        outlet=_str_or_none(parsed.meta.get("outlet") or parsed.meta.get("source")),
        title=_str_or_none(parsed.meta.get("title")),
        url=_str_or_none(parsed.meta.get("url") or parsed.meta.get("link")),
        published=published,
        date_source=source,
        date_basis=basis,
    )
    return report, warnings


def _feed_id(value: object) -> str | None:
    """A feed's own id, if it is a short plain token: it names the report in
    the sitrep and the cache, so markup or line breaks are not kept."""
    if value is None:
        return None
    text = str(value).strip()
    return text if re.fullmatch(r"[\w.-]{1,64}", text) else None


def _str_or_none(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _parse_json(text: str) -> _Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"malformed JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    except RecursionError as exc:
        raise ReportFileError("JSON nested too deeply to be a report") from exc
    if not isinstance(data, dict):
        raise ReportFileError("JSON report must be an object with a 'text' field")
    body = next((data[k] for k in _TEXT_KEYS if isinstance(data.get(k), str)), None)
    if body is None:
        raise ReportFileError(f"JSON report has no text field (one of {', '.join(_TEXT_KEYS)})")
    return _Parsed(body, {k: v for k, v in data.items() if k not in _TEXT_KEYS})


def _parse_front_matter(text: str) -> _Parsed:
    if not text.startswith("---"):
        return _Parsed(text, {})
    match = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, re.DOTALL)
    if not match:
        raise ReportFileError("malformed front matter: no closing '---' line")
    import yaml  # lazy: only .md reports need it

    header = match.group(1)
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(header, Loader=yaml.SafeLoader)):
            # aliases let a few bytes expand into gigabytes ("billion laughs")
            raise ReportFileError("front matter uses YAML aliases, which feed metadata never needs")
        meta = yaml.load(header, Loader=_front_matter_loader()) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise ReportFileError(f"malformed front matter YAML ({first})") from exc
    if not isinstance(meta, dict):
        raise ReportFileError("malformed front matter: expected key: value pairs")
    return _Parsed(text[match.end():], meta)


@lru_cache(maxsize=1)
def _front_matter_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe YAML whose dates stay strings: '2024-02-30' is then an
        unparsable date with a warning, not a crash inside the parser."""

    Loader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _parse_html(html: str) -> _Parsed:
    import trafilatura  # lazy: heavy, and only HTML reports need it

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True) or ""
    # Dates only from explicit markup: htmldate's extensive search guesses
    # from copyright lines and the like, which would misplace a report in time.
    meta_doc = trafilatura.extract_metadata(html, date_config={"extensive_search": False, "original_date": True}, extensive=False)
    meta: dict = {}
    if meta_doc is not None:
        meta = {"title": meta_doc.title, "outlet": meta_doc.sitename, "published": meta_doc.date, "url": meta_doc.url}
    return _Parsed(text, {k: v for k, v in meta.items() if v})


def _date_of(parsed: _Parsed, warnings: list[str]) -> tuple[dt.date | None, str, str]:
    for key in _DATE_KEYS:
        value = parsed.meta.get(key)
        if value in (None, ""):
            continue
        parsed_date = _to_date(value)
        if parsed_date is None:
            warnings.append(f"unparsable date {value!r} in metadata field '{key}'; the date will be estimated")
            continue
        return parsed_date, "metadata", f"metadata field '{key}'"
    match = _TEXT_DATE.search(parsed.text[:400])
    if match:
        parsed_date = _to_date(match.group(1))
        if parsed_date is not None:
            return parsed_date, "text", f"stated in the text: {match.group(0).strip()!r}"
        warnings.append(f"unparsable date {match.group(1)!r} in the text; the date will be estimated")
    return None, "none", "no date stated"


def _to_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for candidate in (text, text[:10]):
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            continue
    try:
        from email.utils import parsedate_to_datetime  # RSS pubDate

        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError):
        return None


def window_start(day: dt.date, window_days: int) -> dt.date:
    """The first day of the look-back window (never before the calendar's first day)."""
    try:
        return day - dt.timedelta(days=window_days)
    except OverflowError:
        return dt.date.min


def partition(reports: list[Report], day: dt.date, window_days: int) -> tuple[list[Report], list[Report], list[Report], list[Report]]:
    """(primary, context, undated, outside) for a day and a look-back window."""
    start = window_start(day, window_days)
    primary, context, undated, outside = [], [], [], []
    for report in reports:
        if report.published is None:
            undated.append(report)
        elif report.published == day:
            primary.append(report)
        elif start <= report.published < day:
            context.append(report)
        else:
            outside.append(report)
    return primary, context, undated, outside
