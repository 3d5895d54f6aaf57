"""A small OpenAI-compatible chat-completions server for tests (stdlib only).

It listens on loopback in a daemon thread and answers the two endpoints the
openai SDK needs for ``client.chat.completions.parse(...)``:

* ``POST /v1/chat/completions``: the JSON body is parsed, recorded, and handed
  to a *responder* ``responder(body: dict, attempt_index: int) -> Reply``.
  ``attempt_index`` is the number of earlier requests this server received with
  an identical body (canonical JSON), i.e. 0 for a first attempt, 1 for the
  first retry of the same request, and so on.
* ``GET /v1/models`` (and ``GET /v1/models/<name>``): lists ``model_name``.
* The Files and Batches endpoints (``tests/support/batch_desk.py``): a batch's
  lines are answered by the same responder.

Anything else gets a 404 in OpenAI's error shape
``{"error": {"message", "type", "param", "code"}}``.

Uses: recording cassettes (``MailboxResponder``: a helper agent writes the
answers by hand), fault injection for the retry layer (``ScriptedResponder``
with ``Reply.error`` / ``Reply.reset`` / ``Reply.malformed`` / delays), and
benchmarks (``FixedLatencyResponder``, ``RateLimitedResponder``).

Honesty rules:

* ``model`` in every answer is the ``model_name`` given to the server, i.e. the
  name of whoever really produced the answer. The ``model`` field of the
  request is never echoed back, so a recording never claims an OpenAI model
  answered.
* ``usage`` is an ESTIMATE. The server has no tokenizer; it counts
  ``ceil(chars / 4)``:

  - ``prompt_tokens``: characters of all message contents concatenated (text
    parts of list-form contents included), plus the compact JSON
    (``json.dumps(schema, separators=(",", ":"), sort_keys=True)``) of the
    ``response_format`` schema when there is one (for ``json_schema`` formats,
    the ``json_schema`` object; otherwise the whole ``response_format``);
  - ``completion_tokens``: characters of the answer text (the content, or the
    refusal text for a refusal);
  - ``total_tokens``: their sum.

Command line for recording sessions (runs in the foreground until killed)::

    python -m tests.support.openai_server --mailbox DIR --port 8765 --model-name "NAME"
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import http.server
import json
import math
import os
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping
from urllib.parse import urlsplit

__all__ = [
    "Reply",
    "Responder",
    "OpenAICompatibleServer",
    "MailboxResponder",
    "ScriptedResponder",
    "FixedLatencyResponder",
    "RateLimitedResponder",
    "canonical_json",
    "request_key",
    "estimate_tokens",
    "main",
]

ReplyKind = Literal["content", "refusal", "error", "reset", "malformed"]

_DEFAULT_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", None),
    404: ("invalid_request_error", None),
    408: ("timeout", None),
    409: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", None),
    504: ("server_error", None),
}


@dataclass(frozen=True)
class Reply:
    """What the server does for one chat-completions request.

    Prefer the constructors: ``Reply.content``, ``Reply.refusal``,
    ``Reply.error``, ``Reply.rate_limited``, ``Reply.reset``,
    ``Reply.malformed``. Every kind accepts ``delay_s``: seconds to wait
    before answering (use it to trigger client timeouts or to model latency).

    Fields:
      kind          "content" | "refusal" | "error" | "reset" | "malformed"
      text          content / refusal text / error message / raw malformed body
      finish_reason "stop" or "length" (content only)
      status        HTTP status (errors; 200 otherwise)
      headers       extra response headers (e.g. {"Retry-After": "1"})
      error_type    OpenAI error "type" (errors; default chosen from status)
      error_code    OpenAI error "code" (errors; default chosen from status)
    """

    kind: ReplyKind = "content"
    text: str = ""
    finish_reason: str = "stop"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    error_type: str | None = None
    error_code: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("content", "refusal", "error", "reset", "malformed"):
            raise ValueError(f"unknown Reply kind {self.kind!r}")
        if self.delay_s < 0 or not math.isfinite(self.delay_s):
            raise ValueError("delay_s must be a finite number >= 0")
        if self.kind == "error" and not 400 <= self.status <= 599:
            raise ValueError("an error Reply needs a 4xx/5xx status")
        if self.kind != "error" and self.status != 200:
            raise ValueError("only error Replies carry a non-200 status")
        if self.kind == "content" and self.finish_reason not in ("stop", "length", "content_filter"):
            raise ValueError(f"unsupported finish_reason {self.finish_reason!r}")

    # -- constructors -------------------------------------------------
    @classmethod
    def content(cls, text: str, *, finish_reason: str = "stop", delay_s: float = 0.0,
                headers: Mapping[str, str] | None = None) -> "Reply":
        """A normal assistant message whose content is ``text``."""
        return cls("content", text, finish_reason=finish_reason, delay_s=delay_s,
                   headers=dict(headers or {}))

    @classmethod
    def refusal(cls, text: str, *, delay_s: float = 0.0) -> "Reply":
        """message.content = null, message.refusal = text, finish_reason "stop"."""
        return cls("refusal", text, delay_s=delay_s)

    @classmethod
    def error(cls, status: int, message: str | None = None, *,
              headers: Mapping[str, str] | None = None, delay_s: float = 0.0,
              error_type: str | None = None, error_code: str | None = None) -> "Reply":
        """An HTTP error with an OpenAI-shaped JSON error body."""
        return cls("error", message or f"Simulated HTTP {status} from the test server",
                   status=status, headers=dict(headers or {}), delay_s=delay_s,
                   error_type=error_type, error_code=error_code)

    @classmethod
    def rate_limited(cls, retry_after_s: float | None = 1.0, *, delay_s: float = 0.0) -> "Reply":
        """429 with ``Retry-After`` (whole seconds, rounded up) and
        ``retry-after-ms`` (exact, milliseconds); ``None`` sends neither."""
        headers: dict[str, str] = {}
        if retry_after_s is not None:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
            headers["retry-after-ms"] = str(max(0, math.ceil(round(retry_after_s * 1000, 6))))
        return cls.error(429, "Rate limit reached (simulated by the test server).",
                         headers=headers, delay_s=delay_s)

    @classmethod
    def reset(cls, *, delay_s: float = 0.0) -> "Reply":
        """Close the connection abruptly (TCP RST via SO_LINGER 0), no response."""
        return cls("reset", delay_s=delay_s)

    @classmethod
    def malformed(cls, body: str = '{"id": "chatcmpl-truncated", "choices": [', *,
                  delay_s: float = 0.0) -> "Reply":
        """Status 200, Content-Type application/json, body that is not valid JSON."""
        return cls("malformed", body, delay_s=delay_s)


Responder = Callable[[dict, int], Reply]


# ---------------------------------------------------------------------------
# helpers

def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the basis of request keys."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(body: Mapping[str, Any]) -> str:
    """First 16 hex digits of sha256(canonical JSON of the request body)."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()[:16]


def estimate_tokens(text: str) -> int:
    """ceil(chars / 4): a tokenizer-free estimate, see the module docstring."""
    return math.ceil(len(text) / 4)


def _message_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, Mapping):
                if isinstance(part.get("text"), str):
                    parts.append(part["text"])
                elif isinstance(part.get("refusal"), str):
                    parts.append(part["refusal"])
            elif isinstance(part, str):
                parts.append(part)
        return "".join(parts)
    return str(content)


def _prompt_text(body: Mapping[str, Any]) -> str:
    messages = body.get("messages") or []
    text = "".join(_message_text(m.get("content")) for m in messages if isinstance(m, Mapping))
    fmt = body.get("response_format")
    if isinstance(fmt, Mapping):
        schema = fmt.get("json_schema") if fmt.get("type") == "json_schema" else fmt
        if schema is not None:
            text += json.dumps(schema, separators=(",", ":"), sort_keys=True)
    return text


def _error_body(message: str, err_type: str, code: str | None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": err_type, "param": param, "code": code}}


# ---------------------------------------------------------------------------
# server

class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True          # handler threads never block interpreter exit
    block_on_close = False         # stop() does not wait for slow handlers
    request_queue_size = 128       # listen() backlog; the default 5 is too small
    allow_reuse_address = True

    owner: "OpenAICompatibleServer"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        try:
            super().shutdown_request(request)
        except OSError:
            pass

    def close_all_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or self.owner._stopping.is_set():
            return  # the client went away (e.g. its timeout fired): not our bug
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    server_version = "briefer-test-openai-server/1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY,
        # Nagle + delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.owner.verbose:
            super().log_message(format, *args)

    # -- plumbing -----------------------------------------------------
    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send_raw(status, data, headers)

    def _send_raw(self, status: int, data: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_local_{uuid.uuid4().hex[:16]}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_desk(self, status: int, payload: Any) -> None:
        """A Files/Batches answer: JSON, or a file's raw bytes."""
        if isinstance(payload, bytes):
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        else:
            self._send_json(status, payload)

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked()
            return b""
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _path(self) -> str:
        path = urlsplit(self.path).path
        return path.rstrip("/") or "/"

    def _not_found(self) -> None:
        self._send_json(404, _error_body(
            f"Invalid URL ({self.command} {urlsplit(self.path).path})",
            "invalid_request_error", "unknown_url"))

    def _reset_connection(self) -> None:
        """Abort the TCP connection: SO_LINGER(on, 0) + close sends RST."""
        self.close_connection = True
        conn = self.connection
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()  # drop makefile()'s reference so close() really closes the fd
        except OSError:
            pass
        try:
            conn.close()
        except OSError:
            pass

    # -- endpoints ----------------------------------------------------
    def do_GET(self) -> None:
        owner = self.server.owner
        path = self._path()
        if owner.batches.handles(path):
            self._send_desk(*owner.batches.get(path))
        elif path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [owner._model_object()]})
        elif path.startswith("/v1/models/"):
            name = path[len("/v1/models/"):]
            if name == owner.model_name:
                self._send_json(200, owner._model_object())
            else:
                self._send_json(404, _error_body(
                    f"The model '{name}' does not exist", "invalid_request_error",
                    "model_not_found", "model"))
        else:
            self._not_found()

    def do_DELETE(self) -> None:
        self._read_body()
        owner = self.server.owner
        if owner.batches.handles(self._path()):
            self._send_desk(*owner.batches.delete(self._path()))
        else:
            self._not_found()

    def do_POST(self) -> None:
        arrived = time.monotonic()
        raw = self._read_body()
        owner = self.server.owner
        if owner.batches.handles(self._path()):
            self._send_desk(*owner.batches.post(self._path(), self.headers, raw or b""))
            return
        if self._path() != "/v1/chat/completions":
            self._not_found()
            return
        try:
            body = json.loads(raw or b"")
            if not isinstance(body, dict):
                raise ValueError("the request body must be a JSON object")
        except ValueError as exc:
            self._send_json(400, _error_body(
                f"We could not parse the JSON body of your request. ({exc})",
                "invalid_request_error", None))
            return
        attempt_index = owner._record(body, raw or b"")
        try:
            reply = owner.responder(body, attempt_index)
        except Exception as exc:  # a broken responder must not hang the client
            reply = Reply.error(500, f"test server responder failed: {type(exc).__name__}: {exc}")
        if not isinstance(reply, Reply):
            reply = Reply.error(500, f"test server responder returned {type(reply).__name__}, not Reply")
        # delay_s counts from the request's arrival, so the server's own work
        # (parsing, recording, answering) is part of the latency, not added to it.
        answer = self._prepare(body, reply)  # before the wait, so it is part of the latency
        remaining = reply.delay_s - (time.monotonic() - arrived)
        if reply.delay_s and remaining > 0 and owner._stopping.wait(remaining):
            self._reset_connection()  # server stopping: do not keep the client waiting
            return
        if answer is None:
            self._reset_connection()
        else:
            self._send_raw(*answer)

    def _prepare(self, body: dict, reply: Reply) -> tuple[int, bytes, Mapping[str, str]] | None:
        """(status, body bytes, headers) to send, or None to reset the connection."""
        owner = self.server.owner
        if reply.kind == "reset":
            return None
        if reply.kind == "malformed":
            return 200, reply.text.encode("utf-8"), reply.headers
        if reply.kind == "error":
            default_type, default_code = _DEFAULT_ERROR_TYPES.get(
                reply.status, ("server_error" if reply.status >= 500 else "invalid_request_error", None))
            payload = _error_body(reply.text, reply.error_type or default_type, reply.error_code or default_code)
            return reply.status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), reply.headers
        return 200, json.dumps(owner._completion(body, reply), ensure_ascii=False).encode("utf-8"), reply.headers


class OpenAICompatibleServer:
    """Loopback OpenAI-compatible server; a context manager.

    Example (not a doctest)::

        with OpenAICompatibleServer(ScriptedResponder([Reply.content('{"a": 1}')]),
                                    model_name="test-fixture") as srv:
            client = OpenAI(base_url=srv.base_url, api_key="test", max_retries=0)

    ``model_name`` is required and is what every answer reports as its model:
    name whoever (or whatever) really writes the answers.
    """

    def __init__(self, responder: Responder, *, host: str = "127.0.0.1", port: int = 0,
                 model_name: str, verbose: bool = False) -> None:
        if not model_name or not isinstance(model_name, str):
            raise ValueError("model_name must be a non-empty string")
        self.responder = responder
        self.host = host
        self.port = port
        self.model_name = model_name
        self.verbose = verbose
        self._created = int(time.time())
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._seen: dict[str, int] = {}
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        from .batch_desk import BatchDesk

        self.batches = BatchDesk(self)  # the Files and Batches endpoints

    # -- lifecycle ----------------------------------------------------
    def start(self) -> "OpenAICompatibleServer":
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"openai-test-server:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        close = getattr(self.responder, "close", None)
        if callable(close):
            close()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_all_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "OpenAICompatibleServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- observation --------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[dict]:
        """Deep copies of the JSON bodies received on /v1/chat/completions."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    # -- internals ----------------------------------------------------
    def _record(self, body: dict, raw: bytes) -> int:
        # Identical requests from one client are identical bytes; hashing the
        # bytes is cheaper than canonical JSON. The parsed body is freshly
        # made per request, and `requests` hands out copies.
        key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            self._requests.append(body)
            attempt = self._seen.get(key, 0)
            self._seen[key] = attempt + 1
        return attempt

    def _model_object(self) -> dict:
        return {"id": self.model_name, "object": "model", "created": self._created,
                "owned_by": "briefer-test-server"}

    def _completion(self, body: dict, reply: Reply) -> dict:
        if reply.kind == "refusal":
            message = {"role": "assistant", "content": None, "refusal": reply.text}
            finish_reason = "stop"
        else:
            message = {"role": "assistant", "content": reply.text, "refusal": None}
            finish_reason = reply.finish_reason
        prompt_tokens = estimate_tokens(_prompt_text(body))
        completion_tokens = estimate_tokens(reply.text)
        return {
            "id": f"chatcmpl-local-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason,
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
            "system_fingerprint": None,
        }


# ---------------------------------------------------------------------------
# responders

class ScriptedResponder:
    """Returns ``replies`` in order, one per request (in arrival order, across
    all bodies); afterwards ``then`` for every request, or a 500 error saying
    the script ran out when ``then`` is None."""

    def __init__(self, replies: list[Reply], then: Reply | None = None) -> None:
        self._replies = list(replies)
        self._then = then
        self._lock = threading.Lock()
        self._next = 0

    @property
    def used(self) -> int:
        with self._lock:
            return self._next

    def __call__(self, body: dict, attempt_index: int) -> Reply:
        with self._lock:
            i = self._next
            self._next += 1
        if i < len(self._replies):
            return self._replies[i]
        if self._then is not None:
            return self._then
        return Reply.error(500, f"ScriptedResponder: script exhausted (request #{i + 1}, "
                                f"{len(self._replies)} scripted replies)")


class FixedLatencyResponder:
    """Answers ``answer(body)`` after ``latency_s`` seconds (benchmarks).

    The wait happens in the request's own handler thread, so concurrent
    requests overlap instead of queueing."""

    def __init__(self, latency_s: float, answer: Callable[[dict], str]) -> None:
        if latency_s < 0:
            raise ValueError("latency_s must be >= 0")
        self.latency_s = latency_s
        self.answer = answer

    def __call__(self, body: dict, attempt_index: int) -> Reply:
        return Reply.content(self.answer(body), delay_s=self.latency_s)


class RateLimitedResponder:
    """Token bucket in front of ``inner``: ``per_second`` refill, capacity
    ``burst`` (default ``max(1, per_second)``), starting full. A request that
    finds less than one token gets 429 with ``Retry-After`` (whole seconds,
    rounded up) and ``retry-after-ms`` (exact time until a token is free)."""

    def __init__(self, inner: Responder, per_second: float, *, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be > 0")
        self.inner = inner
        self.per_second = per_second
        self.capacity = float(burst if burst is not None else max(1.0, per_second))
        if self.capacity < 1:
            raise ValueError("burst must be >= 1")
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()
        self._lock = threading.Lock()
        self.limited = 0

    def __call__(self, body: dict, attempt_index: int) -> Reply:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.per_second)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                allowed = True
            else:
                wait = (1 - self._tokens) / self.per_second
                self.limited += 1
                allowed = False
        if allowed:
            return self.inner(body, attempt_index)
        return Reply.rate_limited(wait)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


class MailboxResponder:
    """Answers written by a helper agent who sees only the request.

    For each request: ``key = request_key(body)``; the body, exactly as
    received, is written atomically to ``DIR/pending/<key>.json`` and one line
    naming it goes to stderr. The responder then polls for
    ``DIR/answers/<key>.json``, written by the agent, whose text IS the
    assistant message content (a JSON document as text). If that file holds
    exactly ``{"__refusal__": "text"}`` the answer is a refusal instead.

    On success the pending file moves to ``DIR/done/<key>.json`` and the
    answer, exactly as served, is kept in ``DIR/served/<key>.json``: a retry
    or a repeat of the identical request gets that same answer at once, even
    if the agent edits its answer file later. If nothing usable arrives within ``timeout``
    seconds the request gets a 504 error and the pending file stays.

    An answer file that does not parse as JSON is treated as half-written and
    re-read until it parses, or until it has not changed for ``settle_s``
    seconds, in which case it is sent as it is (the agent's real answer).

    Requests are independent: several can wait at once (one handler thread
    each). Set the client's timeout above ``timeout``.
    """

    def __init__(self, directory: str | os.PathLike[str], timeout: float = 900, *,
                 poll_interval: float = 0.1, settle_s: float = 2.0) -> None:
        self.directory = Path(directory)
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.settle_s = settle_s
        self.pending_dir = self.directory / "pending"
        self.answers_dir = self.directory / "answers"
        self.done_dir = self.directory / "done"
        self.served_dir = self.directory / "served"
        for d in (self.pending_dir, self.answers_dir, self.done_dir, self.served_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._closed = threading.Event()

    def close(self) -> None:
        """Stop waiting (called by OpenAICompatibleServer.stop())."""
        self._closed.set()

    def __call__(self, body: dict, attempt_index: int) -> Reply:
        key = request_key(body)
        pending = self.pending_dir / f"{key}.json"
        answer = self.answers_dir / f"{key}.json"
        served = self.served_dir / f"{key}.json"
        if served.is_file():
            # The answer exactly as it was first served: an agent that edits its
            # answer file afterwards cannot make two recordings disagree.
            reply = self._to_reply(served.read_text(encoding="utf-8"))
            if reply is not None:
                return reply
        tmp = self.pending_dir / f".{key}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, pending)
        print(f"[mailbox] pending request {pending} (attempt {attempt_index}); "
              f"write the answer to {answer}", file=sys.stderr, flush=True)

        deadline = time.monotonic() + self.timeout
        last_seen: tuple[str, float] | None = None
        while True:
            text = self._read(answer)
            if text is not None:
                reply = self._to_reply(text)
                if reply is not None:
                    self._finish(pending, key)
                    served.write_text(text, encoding="utf-8")
                    return reply
                now = time.monotonic()
                if last_seen is None or last_seen[0] != text:
                    last_seen = (text, now)
                elif now - last_seen[1] >= self.settle_s:
                    self._finish(pending, key)
                    served.write_text(text, encoding="utf-8")
                    return Reply.content(text)
            if time.monotonic() >= deadline or self._closed.is_set():
                return Reply.error(504, f"mailbox: no answer at {answer} within {self.timeout} s",
                                   error_type="timeout")
            self._closed.wait(self.poll_interval)

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    @staticmethod
    def _to_reply(text: str) -> Reply | None:
        """Reply for a complete answer file; None while it does not parse."""
        try:
            doc = json.loads(text)
        except ValueError:
            return None
        if isinstance(doc, dict) and set(doc) == {"__refusal__"} and isinstance(doc["__refusal__"], str):
            return Reply.refusal(doc["__refusal__"])
        return Reply.content(text.strip())

    def _finish(self, pending: Path, key: str) -> None:
        try:
            os.replace(pending, self.done_dir / f"{key}.json")
        except FileNotFoundError:
            pass  # an identical concurrent request already moved it


# ---------------------------------------------------------------------------
# command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.openai_server",
        description="Run the OpenAI-compatible test server in the foreground, "
                    "answering from a mailbox directory written by a helper agent.")
    parser.add_argument("--mailbox", required=True, metavar="DIR",
                        help="directory with pending/, answers/, done/ (created if missing)")
    parser.add_argument("--model-name", required=True,
                        help="reported as `model` in every answer: who really writes the answers")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds to wait for each answer file (default 900)")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)

    responder = MailboxResponder(args.mailbox, timeout=args.timeout)
    server = OpenAICompatibleServer(responder, host=args.host, port=args.port,
                                    model_name=args.model_name, verbose=args.verbose)
    stop = threading.Event()
    # Handle SIGINT explicitly too: a process started in the background by a
    # non-interactive shell inherits SIGINT as ignored, so Ctrl-C/kill -INT
    # would otherwise do nothing.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    print(server.base_url, flush=True)
    print(f"[mailbox] serving model_name={args.model_name!r}, mailbox {Path(args.mailbox).resolve()}; "
          f"Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
