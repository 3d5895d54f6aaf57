"""Batch: a day's extraction requests as provider Batch jobs (``briefer daily --batch``).

Providers answer a Batch job within a day at about half the price. briefer
uploads the first request of every report part the cache does not hold as
one JSONL file (split into jobs at the provider's limits), saves the job ids
in the cache folder *before* waiting, and polls with progress. An
interrupted run finds the saved ids and waits on the same jobs, so nothing
is sent or paid for twice.

A batch answer is trusted no more than a live one. The extractor asks
through a PrefetchedClient, which serves a job's answer to the request it
holds, checked by the same code as a live answer
(``LLMClient.completion_from_body``), and sends anything else on the wire: a
re-ask with the problems, a larger budget after a cut-off answer, a line the
job failed or never ran. So grounding, cache and merge are the interactive
path's own, and a failed line costs one live request, never a report.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_atomically
from .cache import cache_key
from .llm import AttemptLog, Completion, LLMClient, MalformedResponse, ModelCallError
from .models import Notice, Report, ReportDraft

if TYPE_CHECKING:
    from .extract import Extractor
    from .pipeline import Progress

ENDPOINT = "/v1/chat/completions"
_FINAL = {"completed", "failed", "expired", "cancelled"}


class BatchJobError(ModelCallError):
    """The provider would not take or describe a job; the message says which and why."""


@dataclass(frozen=True)
class BatchOptions:
    poll_s: float = 30.0  # the longest wait between status checks
    first_poll_s: float = 1.0  # the first wait; doubled up to poll_s, so small jobs end fast
    max_lines: int = 50_000  # a job's limits at OpenAI: 50,000 requests, 200 MB
    max_bytes: int = 190_000_000


def body_key(body: dict[str, Any]) -> str:
    """One request's identity: its body, as canonical JSON."""
    return cache_key("batch request", json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def custom_id(key: str) -> str:
    """A request's id within a job: enough of its key to be unique."""
    return key[:32]


@dataclass(frozen=True)
class SavedJob:
    id: str
    ids: frozenset[str]  # the custom ids of its requests
    path: Path


@dataclass
class Collected:
    """What the day's jobs answered: response bodies by request key."""

    answers: dict[str, dict[str, Any]]
    notes: list[Notice]
    jobs: list[str]
    states: list[Path] = field(default_factory=list)  # the saved jobs' files, dropped once the answers are cached
    files: list[str] = field(default_factory=list)  # the jobs' input, output and error files at the provider


class PrefetchedClient:
    """An LLMClient that serves each batch answer once, to the request it
    answers, and sends every other request on the wire."""

    def __init__(self, client: LLMClient, answers: dict[str, dict[str, Any]], jobs: list[str]) -> None:
        self._client = client
        self._answers = dict(answers)
        self._lock = threading.Lock()
        base = client.settings.provenance or "live"
        self.settings = dataclasses.replace(client.settings, provenance=f"{base}, batch {', '.join(jobs)}" if jobs else base)

    def complete(self, messages, response_model, *, max_tokens: int | None = None, log: AttemptLog | None = None) -> Completion:
        log = log if log is not None else AttemptLog()
        budget = max_tokens or self._client.settings.max_output_tokens
        key = body_key(self._client.request_body(messages, response_model, budget))
        with self._lock:
            answer = self._answers.pop(key, None)
        if answer is not None:
            try:
                return self._client.completion_from_body(answer, response_model, budget, log, batch=True)
            except MalformedResponse:
                pass  # a garbled line: ask live instead
        return self._client.complete(messages, response_model, max_tokens=budget, log=log)


class BatchRunner:
    def __init__(self, client: LLMClient, state_dir: Path, options: BatchOptions = BatchOptions(), *, sleep=time.sleep) -> None:
        self.client = client
        self.state_dir = Path(state_dir)
        self.options = options
        self._sleep = sleep

    def prefetch(self, extractor: Extractor, reports: list[Report], progress: Progress) -> tuple[Extractor, Collected]:
        """An extractor that takes its first answers from the day's batch jobs."""
        from .extract import Extractor

        bodies: dict[str, dict[str, Any]] = {}
        for report in reports:
            for messages, budget in extractor.first_requests(report):
                body = self.client.request_body(messages, ReportDraft, budget)
                bodies[body_key(body)] = body
        collected = self.collect(bodies, progress)
        client = PrefetchedClient(self.client, collected.answers, collected.jobs)
        return Extractor(client, extractor.prompts, extractor.cache, extractor.options), collected  # type: ignore[arg-type]

    def collect(self, bodies: dict[str, dict[str, Any]], progress: Progress) -> Collected:
        """Wait on the saved jobs that hold any of these requests, submit the
        rest as new jobs, and read the answers."""
        if not bodies:
            return Collected({}, [], [])
        wanted = {custom_id(key): key for key in bodies}
        saved = [job for job in self._saved() if job.ids & wanted.keys() and self._known(job, progress)]
        if saved:
            progress.note(f"batch: resuming {len(saved)} saved job{'s' if len(saved) != 1 else ''} ({', '.join(j.id for j in saved)})")
        covered = set().union(*(job.ids for job in saved)) & wanted.keys()
        fresh = sorted(wanted.keys() - covered)
        jobs = [job.id for job in saved]
        states = [job.path for job in saved]
        try:
            for number, lines in enumerate(self._chunks([(cid, bodies[wanted[cid]]) for cid in fresh])):
                job = self._submit([line for _, line in lines], number)
                states.append(self._save(job, [cid for cid, _ in lines]))  # saved before waiting: a resume finds it
                jobs.append(job)
                progress.note(f"batch: job {job} submitted ({len(lines)} requests); its id is saved, so an interrupted run resumes it")
            finished = self._wait(jobs, len(bodies), progress)
            answers, failures = {}, []
            for batch in finished:
                found, failed = self._results(batch, wanted)
                answers.update(found)
                failures.extend(failed)
        except KeyboardInterrupt:
            if jobs:
                progress.note(f"batch: job{'s' if len(jobs) != 1 else ''} {', '.join(jobs)} keep running at the provider; run the same command again to collect the answers")
            raise
        except ModelCallError as exc:
            held = f"; the ids of the jobs submitted are saved in {self.state_dir}, so the same command resumes them" if jobs else ""
            raise BatchJobError(f"batch: {exc} (does the server offer the Files and Batches endpoints? without --batch, briefer asks live){held}") from exc
        notes = self._notes(finished, len(bodies), answers, failures)
        files = [f for b in finished for f in (b.input_file_id, b.output_file_id, b.error_file_id) if f]
        return Collected(answers, notes, jobs, states, files)

    def forget(self, collected: Collected) -> None:
        """Drop the saved jobs this run used, once their answers are in the cache,
        and delete their files at the provider (they count against its storage;
        a file that cannot be deleted is left to expire there)."""
        for path in collected.states:
            path.unlink(missing_ok=True)
        for file_id in collected.files:
            try:
                self.client.sdk.files.delete(file_id)
            except Exception:  # noqa: BLE001 - tidying only: the day's answers are already cached
                continue

    # -- the provider's endpoints -------------------------------------------
    def _chunks(self, lines: list[tuple[str, dict[str, Any]]]) -> list[list[tuple[str, bytes]]]:
        """Jobs' input lines, split at the provider's limits on lines and bytes."""
        chunks: list[list[tuple[str, bytes]]] = [[]]
        size = 0
        for cid, body in lines:
            line = json.dumps({"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": body}, ensure_ascii=False).encode() + b"\n"
            if chunks[-1] and (len(chunks[-1]) >= self.options.max_lines or size + len(line) > self.options.max_bytes):
                chunks.append([])
                size = 0
            chunks[-1].append((cid, line))
            size += len(line)
        return [chunk for chunk in chunks if chunk]

    def _submit(self, lines: list[bytes], number: int) -> str:
        sdk = self.client.sdk
        upload = self.client.with_retries(lambda: sdk.files.create(file=(f"briefer-{number + 1}.jsonl", b"".join(lines)), purpose="batch"))
        batch = self.client.with_retries(lambda: sdk.batches.create(
            input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h", metadata={"made_by": "briefer", "requests": str(len(lines))},
        ))
        return batch.id

    def _wait(self, jobs: list[str], total: int, progress: Progress) -> list[Any]:
        sdk = self.client.sdk
        pause = min(self.options.first_poll_s, self.options.poll_s)
        started = time.monotonic()
        last_status = ""
        while True:
            batches = [self.client.with_retries(sdk.batches.retrieve, job) for job in jobs]
            done = sum((b.request_counts.completed + b.request_counts.failed) if b.request_counts else 0 for b in batches)
            status = ", ".join(sorted({b.status for b in batches}))
            minutes = (time.monotonic() - started) / 60
            progress.advance(min(done, total), total, f"batch: {status}, {done}/{total} requests answered ({minutes:.0f} min)")
            if status != last_status:
                progress.note(f"batch: {status} ({done}/{total} requests answered)")
                last_status = status
            if all(b.status in _FINAL for b in batches):
                return batches
            self._sleep(pause)
            pause = min(self.options.poll_s, pause * 2)

    def _results(self, batch: Any, custom: dict[str, str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
        answers: dict[str, dict[str, Any]] = {}
        failures: list[str] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = self.client.with_retries(self.client.sdk.files.content, file_id)
            for text in content.text.splitlines():
                try:
                    line = json.loads(text)
                    key = custom[line["custom_id"]]
                except (ValueError, KeyError, TypeError):
                    continue  # not one of ours, or not JSON: the request goes live
                response = line.get("response") or {}
                if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
                    answers[key] = response["body"]
                else:
                    error = line.get("error") or (response.get("body") or {}).get("error") or {}
                    failures.append(str(error.get("code") or error.get("message") or f"HTTP {response.get('status_code')}"))
        if batch.status == "failed" and batch.errors and batch.errors.data:
            first = batch.errors.data[0]
            failures.append(f"job refused: {first.message}")
        return answers, failures

    @staticmethod
    def _notes(batches: list[Any], total: int, answers: dict, failures: list[str]) -> list[Notice]:
        ids = ", ".join(b.id for b in batches)
        statuses = ", ".join(sorted({b.status for b in batches}))
        message = f"{len(answers)} of {total} extraction requests answered by batch job(s) {ids} ({statuses})"
        missing = total - len(answers)
        if missing:
            reasons = ", ".join(f"{reason} ×{failures.count(reason)}" for reason in sorted(set(failures))) or "no line returned"
            message += f"; the other {missing} were asked live ({reasons})"
        return [Notice(stage="extract", subject="batch", severity="warning" if missing else "info", message=message)]

    # -- the saved jobs ---------------------------------------------------------
    def _known(self, job: SavedJob, progress: Progress) -> bool:
        """Whether the provider still knows a saved job; one it has forgotten
        (expired files, another account) is dropped and its requests sent again."""
        import openai

        try:
            self.client.with_retries(self.client.sdk.batches.retrieve, job.id)
        except ModelCallError as exc:
            if not isinstance(exc.__cause__, openai.NotFoundError):
                raise BatchJobError(f"batch: {exc} (checking saved job {job.id})") from exc
            progress.note(f"batch: saved job {job.id} is unknown to the provider; its requests are sent again")
            job.path.unlink(missing_ok=True)
            return False
        return True

    def _saved(self) -> list[SavedJob]:
        """Jobs saved for this model at this endpoint (a damaged file is skipped: its requests go out again)."""
        s = self.client.settings
        jobs = []
        for path in sorted(self.state_dir.glob("*.state")) if self.state_dir.is_dir() else []:
            try:
                saved = json.loads(path.read_text("utf-8"))
                if saved["model"] == s.model and saved["endpoint"] == _endpoint_id(s.base_url):
                    jobs.append(SavedJob(str(saved["job"]), frozenset(map(str, saved["ids"])), path))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return jobs

    def _save(self, job: str, ids: list[str]) -> Path:
        s = self.client.settings
        # Named by a digest: the id is the server's text, and must not choose a path.
        path = self.state_dir / f"{hashlib.sha256(job.encode()).hexdigest()[:32]}.state"
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = {"job": job, "model": s.model, "endpoint": _endpoint_id(s.base_url), "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "ids": ids}
        write_atomically(path, json.dumps(saved))
        return path


def _endpoint_id(base_url: str | None) -> str:
    """Which server a job lives on, without keeping its URL (it may hold credentials)."""
    return hashlib.sha256((base_url or "").encode()).hexdigest()[:16]
