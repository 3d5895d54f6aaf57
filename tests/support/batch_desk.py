"""The Files and Batches endpoints of the test server (stdlib only).

A provider's Batch API, small but in its real shape:

* ``POST /v1/files`` (multipart: ``purpose``, ``file``) stores a file;
  ``GET /v1/files/<id>`` describes it, ``GET /v1/files/<id>/content`` returns it.
* ``POST /v1/batches`` (``input_file_id``, ``endpoint``, ``completion_window``)
  starts a job over a JSONL file of ``{"custom_id", "method", "url", "body"}``
  lines; ``GET /v1/batches/<id>`` shows its status and counts;
  ``POST /v1/batches/<id>/cancel`` cancels it; ``DELETE /v1/files/<id>`` deletes a file.

Each line's body goes to the server's own responder, as a chat request would,
so a batch answers exactly what the interactive endpoint answers. Successful
lines go to the output file, failed ones to the error file, each as
``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}``.

For tests: ``hold`` (an Event; clear it to keep jobs from progressing, as a
busy provider does), ``expire_after`` (lines answered before the job
expires; the rest go to the error file as ``batch_expired``), and ``lines``
(every line body answered, in order).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from .openai_server import OpenAICompatibleServer

CHAT_ENDPOINT = "/v1/chat/completions"
_FINAL = {"completed", "failed", "expired", "cancelled"}


def _error(message: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


class BatchDesk:
    def __init__(self, server: "OpenAICompatibleServer", *, workers: int = 8) -> None:
        self.server = server
        self.workers = workers
        self.hold = threading.Event()
        self.hold.set()
        self.expire_after: int | None = None
        self.lines: list[dict] = []
        self._files: dict[str, tuple[dict, bytes]] = {}
        self._batches: dict[str, dict] = {}
        self._lock = threading.Lock()

    # -- observation ---------------------------------------------------
    @property
    def batch_ids(self) -> list[str]:
        with self._lock:
            return list(self._batches)

    def batch(self, batch_id: str) -> dict:
        with self._lock:
            return json.loads(json.dumps(self._batches[batch_id]))

    # -- routing ---------------------------------------------------------
    def handles(self, path: str) -> bool:
        return path == "/v1/files" or path.startswith(("/v1/files/", "/v1/batches"))

    def get(self, path: str) -> tuple[int, Any]:
        parts = path.strip("/").split("/")  # ["v1", "files", id, "content"?]
        if parts[1] == "files" and len(parts) in (3, 4):
            with self._lock:
                found = self._files.get(parts[2])
            if found is None:
                return 404, _error(f"No such File object: {parts[2]}", "not_found", "id")
            meta, data = found
            return (200, data) if len(parts) == 4 and parts[3] == "content" else (200, meta)
        if parts[1] == "batches" and len(parts) == 3:
            with self._lock:
                batch = self._batches.get(parts[2])
                return (200, json.loads(json.dumps(batch))) if batch else (404, _error(f"No batch found with id '{parts[2]}'.", "not_found", "id"))
        return 404, _error(f"Invalid URL (GET {path})", "unknown_url")

    def delete(self, path: str) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[1] == "files":
            with self._lock:
                found = self._files.pop(parts[2], None)
            if found is None:
                return 404, _error(f"No such File object: {parts[2]}", "not_found", "id")
            return 200, {"id": parts[2], "object": "file", "deleted": True}
        return 404, _error(f"Invalid URL (DELETE {path})", "unknown_url")

    @property
    def file_ids(self) -> list[str]:
        with self._lock:
            return list(self._files)

    def post(self, path: str, headers: Mapping[str, str], raw: bytes) -> tuple[int, Any]:
        if path == "/v1/files":
            return self._upload(headers, raw)
        if path == "/v1/batches":
            try:
                body = json.loads(raw or b"{}")
            except ValueError as exc:
                return 400, _error(f"We could not parse the JSON body of your request. ({exc})")
            return self._create(body)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1] == "batches" and parts[3] == "cancel":
            with self._lock:
                batch = self._batches.get(parts[2])
                if batch is None:
                    return 404, _error(f"No batch found with id '{parts[2]}'.", "not_found", "id")
                if batch["status"] not in _FINAL:
                    batch["status"] = "cancelling"
                    batch["cancelling_at"] = int(time.time())
                return 200, json.loads(json.dumps(batch))
        return 404, _error(f"Invalid URL (POST {path})", "unknown_url")

    # -- files -----------------------------------------------------------
    def _upload(self, headers: Mapping[str, str], raw: bytes) -> tuple[int, Any]:
        kind = headers.get("Content-Type", "")
        if not kind.startswith("multipart/form-data"):
            return 400, _error("Files are uploaded as multipart/form-data.")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode("latin-1") + raw)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
        if "file" not in fields or "purpose" not in fields:
            return 400, _error("Both 'file' and 'purpose' are required.", param="file")
        purpose = fields["purpose"][1].decode("utf-8")
        return 200, self._store(fields["file"][0] or "upload.jsonl", fields["file"][1], purpose)

    def _store(self, filename: str, data: bytes, purpose: str) -> dict:
        meta = {"id": f"file-local-{uuid.uuid4().hex[:20]}", "object": "file", "bytes": len(data),
                "created_at": int(time.time()), "filename": filename, "purpose": purpose, "status": "processed"}
        with self._lock:
            self._files[meta["id"]] = (meta, data)
        return meta

    # -- batches ---------------------------------------------------------
    def _create(self, body: dict) -> tuple[int, Any]:
        file_id = body.get("input_file_id")
        with self._lock:
            found = self._files.get(file_id or "")
        if found is None:
            return 400, _error(f"Invalid 'input_file_id': '{file_id}'.", "invalid_value", "input_file_id")
        if body.get("endpoint") != CHAT_ENDPOINT:
            return 400, _error("This test server batches /v1/chat/completions only.", "invalid_value", "endpoint")
        if body.get("completion_window") != "24h":
            return 400, _error("completion_window must be '24h'.", "invalid_value", "completion_window")
        now = int(time.time())
        batch = {
            "id": f"batch_local_{uuid.uuid4().hex[:20]}", "object": "batch", "endpoint": CHAT_ENDPOINT, "errors": None,
            "input_file_id": file_id, "completion_window": "24h", "status": "validating", "output_file_id": None,
            "error_file_id": None, "created_at": now, "in_progress_at": None, "expires_at": now + 86_400,
            "finalizing_at": None, "completed_at": None, "failed_at": None, "expired_at": None, "cancelling_at": None,
            "cancelled_at": None, "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"), "model": None, "usage": None,
        }
        with self._lock:
            self._batches[batch["id"]] = batch
        threading.Thread(target=self._run, args=(batch["id"], found[1]), name=f"batch:{batch['id']}", daemon=True).start()
        return 200, json.loads(json.dumps(batch))

    def _set(self, batch_id: str, **fields: Any) -> dict:
        with self._lock:
            self._batches[batch_id].update(fields)
            return self._batches[batch_id]

    def _run(self, batch_id: str, data: bytes) -> None:
        lines, problems = _read_lines(data)
        if problems:
            self._set(batch_id, status="failed", failed_at=int(time.time()), errors={"object": "list", "data": problems})
            return
        with self._lock:
            batch = self._batches[batch_id]
            if batch["status"] == "validating":  # a cancel may already have come in
                batch.update(status="in_progress", in_progress_at=int(time.time()))
            batch["request_counts"] = {"total": len(lines), "completed": 0, "failed": 0}
        answered = {"n": 0}

        def one(line: dict) -> tuple[bool, dict]:
            while not self.hold.wait(0.05):
                if self.server._stopping.is_set():
                    return False, _expired(line)
            with self._lock:
                cancelled = self._batches[batch_id]["status"] == "cancelling"
                expire = self.expire_after is not None and answered["n"] >= self.expire_after
                if not (cancelled or expire):
                    answered["n"] += 1
                    self.lines.append(line["body"])
            if cancelled or expire:
                return False, _expired(line, cancelled=cancelled)
            ok, outcome = self._answer(line)
            with self._lock:
                counts = self._batches[batch_id]["request_counts"]
                counts["completed" if ok else "failed"] += 1
            return ok, outcome

        with ThreadPoolExecutor(self.workers) as pool:
            results = list(pool.map(one, lines))
        output = [json.dumps(r, ensure_ascii=False) for ok, r in results if ok]
        errors = [json.dumps(r, ensure_ascii=False) for ok, r in results if not ok]
        with self._lock:
            batch = self._batches[batch_id]
            batch["request_counts"]["failed"] = len(errors)
            status = batch["status"]
            if status != "cancelling":
                batch.update(status="finalizing", finalizing_at=int(time.time()))
        fields: dict[str, Any] = {}
        if output:
            fields["output_file_id"] = self._store(f"{batch_id}_output.jsonl", "\n".join(output).encode() + b"\n", "batch_output")["id"]
        if errors:
            fields["error_file_id"] = self._store(f"{batch_id}_error.jsonl", "\n".join(errors).encode() + b"\n", "batch_output")["id"]
        now = int(time.time())
        if status == "cancelling":
            fields.update(status="cancelled", cancelled_at=now)
        elif any((r.get("error") or {}).get("code") == "batch_expired" for _, r in results):
            fields.update(status="expired", expired_at=now)
        else:
            fields.update(status="completed", completed_at=now)
        self._set(batch_id, **fields)

    def _answer(self, line: dict) -> tuple[bool, dict]:
        from .openai_server import Reply, _error_body

        body = line["body"]
        try:
            reply = self.server.responder(body, 0)
        except Exception as exc:  # a broken responder fails its line, not the job
            reply = Reply.error(500, f"test server responder failed: {type(exc).__name__}: {exc}")
        request_id = f"req_local_{uuid.uuid4().hex[:16]}"
        record = {"id": f"batch_req_{uuid.uuid4().hex[:20]}", "custom_id": line["custom_id"], "error": None}
        if reply.kind in ("content", "refusal"):
            record["response"] = {"status_code": 200, "request_id": request_id, "body": self.server._completion(body, reply)}
            return True, record
        status = reply.status if reply.kind == "error" else 500
        message = reply.text if reply.kind == "error" else "The server had an error while processing your request."
        record["response"] = {"status_code": status, "request_id": request_id,
                              "body": _error_body(message, "server_error" if status >= 500 else "invalid_request_error", None)}
        return False, record


def _expired(line: dict, *, cancelled: bool = False) -> dict:
    code, message = (("batch_cancelled", "This request was cancelled with its batch.") if cancelled else
                     ("batch_expired", "This request could not be executed before the completion window expired."))
    return {"id": f"batch_req_{uuid.uuid4().hex[:20]}", "custom_id": line["custom_id"], "response": None,
            "error": {"code": code, "message": message}}


def _read_lines(data: bytes) -> tuple[list[dict], list[dict]]:
    """The job's request lines, or the problems that fail it (as a provider validates)."""
    lines: list[dict] = []
    problems: list[dict] = []
    seen: set[str] = set()
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            problems.append({"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.", "line": number, "param": None})
            continue
        if not isinstance(line, dict) or not isinstance(line.get("body"), dict) or not isinstance(line.get("custom_id"), str):
            problems.append({"code": "invalid_request", "message": "Each line needs custom_id, method, url and body.", "line": number, "param": None})
        elif line.get("method") != "POST" or line.get("url") != CHAT_ENDPOINT:
            problems.append({"code": "invalid_url", "message": "method must be POST and url the batch's endpoint.", "line": number, "param": "url"})
        elif line["custom_id"] in seen:
            problems.append({"code": "duplicate_custom_id", "message": "The custom_id for this request is a duplicate.", "line": number, "param": "custom_id"})
        else:
            seen.add(line["custom_id"])
            lines.append(line)
    if not lines and not problems:
        problems.append({"code": "empty_file", "message": "The batch input file is empty.", "line": None, "param": None})
    return lines, problems
