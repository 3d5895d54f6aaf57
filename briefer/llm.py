"""The OpenAI-compatible client: the I/O edge between briefer and a model.

Tenacity owns retries (the SDK's own are off, so attempts never multiply):
exponential backoff with jitter, Retry-After honoured, only transient
failures retried, bounded by attempts and by total time. One adaptive
throttle per client (briefer/throttle.py) is shared by all its threads: a 429
lowers the number of requests in flight for everyone and pauses new ones for
the Retry-After, so throughput stays near the server's limit.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .models import Usage
from .redact import scrub
from .throttle import AdaptiveThrottle

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


class ModelCallError(RuntimeError):
    """A model call failed for good; the message is one line a user can act on."""


class NoRecording(ModelCallError):
    """Replay mode met a request that no cassette holds."""


class Refused(ModelCallError):
    pass


class Truncated(ModelCallError):
    pass


class MalformedResponse(RuntimeError):
    """The HTTP body was not the JSON the API promises: a transport glitch, retried."""


class InvalidAnswer(ValueError):
    """The answer did not validate against the schema."""

    def __init__(self, problems: list[str], usage: Usage, model: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.usage = usage
        self.model = model


@dataclass(frozen=True)
class ModelSettings:
    model: str
    api_key: str | None = None
    base_url: str | None = None
    timeout_s: float = 120.0
    max_attempts: int = 12  # failures that are not rate limits: with backoff, about three minutes of outage
    max_retry_seconds: float = 300.0  # retries end by time: a rate limit or an outage of a few minutes loses nothing
    max_output_tokens: int = 8000
    response_mode: str = "json_schema"  # or "json_object" for servers without structured outputs
    adaptive_throttle: bool = True  # slow every thread down on 429 (see briefer/throttle.py)
    max_in_flight: int | None = None  # requests on the wire at once, across threads
    provenance: str = ""  # stamped on every answer this client gets: "live at URL", "replay of CASSETTE"
    replay: str | None = None  # a cassette to answer from instead of the network (briefer/replay.py)


@dataclass
class Completion(Generic[T]):
    parsed: T
    model: str
    usage: Usage
    attempts: int


@dataclass
class AttemptLog:
    """What each transport attempt cost, including failed ones."""

    usage: Usage = field(default_factory=Usage)
    attempts: int = 0


def _retry_after_seconds(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue
    return None


def _is_transient(exc: BaseException) -> bool:
    import openai

    if _no_recording_cause(exc) is not None:
        return False
    if isinstance(exc, MalformedResponse):
        return True
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


class _BackoffWithRetryAfter:
    """Exponential backoff with full jitter, unless the server said how long."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial = initial
        self.maximum = maximum

    def __call__(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        told = _retry_after_seconds(exc) if exc else None
        if told is not None:
            return min(told, self.maximum)
        ceiling = min(self.maximum, self.initial * 2 ** (retry_state.attempt_number - 1))
        return random.uniform(0, ceiling)


class _FailuresOrTime:
    """Stop after ``attempts`` failures that were not rate limits, or after
    ``seconds``. A 429 is the server pacing us, not the request failing: it
    must not use up the attempts meant for errors. A server that has never
    answered this client at all (``reached()`` false: a mistyped URL, a port
    with nothing on it) gets only ``unreached_attempts`` tries, so the mistake
    is named in seconds rather than after minutes of retries."""

    def __init__(self, attempts: int, seconds: float, *, reached: Callable[[], bool] = lambda: True, unreached_attempts: int = 4) -> None:
        self.attempts = attempts
        self.seconds = seconds
        self.reached = reached
        self.unreached_attempts = unreached_attempts
        self.failures = 0

    def __call__(self, retry_state: Any) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if not _is_rate_limit(exc):
            self.failures += 1
        elapsed = retry_state.seconds_since_start or 0.0
        never_answered = _is_unreachable(exc) and not self.reached()
        return self.failures >= (min(self.attempts, self.unreached_attempts) if never_answered else self.attempts) or elapsed >= self.seconds


def _is_unreachable(exc: BaseException | None) -> bool:
    """No connection at all (refused, unknown host); a timeout is a slow server, not a wrong one."""
    import openai

    return isinstance(exc, openai.APIConnectionError) and not isinstance(exc, openai.APITimeoutError)


def _is_rate_limit(exc: BaseException | None) -> bool:
    import openai

    return isinstance(exc, openai.APIStatusError) and exc.status_code == 429


def _fatal_message(exc: BaseException, settings: ModelSettings) -> str:
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return "the model server rejected the API key (401): check OPENAI_API_KEY"
    if isinstance(exc, openai.PermissionDeniedError):
        return "the API key may not use this model or endpoint (403)"
    if isinstance(exc, openai.NotFoundError):
        return f"model {settings.model!r} or endpoint not found (404): check --model and OPENAI_BASE_URL"
    if isinstance(exc, openai.BadRequestError):
        detail = str(getattr(exc, "message", exc)).splitlines()[0][:200]
        return f"the server rejected the request (400), e.g. the response schema: {detail}"
    if isinstance(exc, openai.APIStatusError):
        return f"the model server answered HTTP {exc.status_code} after retries"
    if isinstance(exc, openai.APITimeoutError):
        return f"the model server timed out (after {settings.timeout_s:g} s per attempt) and retries ran out"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach the model server at {scrub(settings.base_url) if settings.base_url else 'the default endpoint'}"
    if isinstance(exc, MalformedResponse):
        return "the model server kept answering with malformed JSON"
    return f"model call failed: {type(exc).__name__}: {exc}"


def _no_recording_cause(exc: BaseException) -> NoRecording | None:
    """The replay transport's NoRecording, however the SDK wrapped it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NoRecording):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@lru_cache(maxsize=1)
def _capped_transport_class():
    import httpx2

    class _CappedTransport(httpx2.HTTPTransport):
        """At most ``limit`` requests waiting on the server at once."""

        def __init__(self, limit: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._slots = threading.BoundedSemaphore(limit)
            self._count = threading.Lock()
            self.on_the_wire = 0

        def handle_request(self, request):  # type: ignore[override]
            with self._slots:
                with self._count:
                    self.on_the_wire += 1
                try:
                    return super().handle_request(request)
                finally:
                    with self._count:
                        self.on_the_wire -= 1

    return _CappedTransport


def capped_transport(limit: int, **kwargs: Any):
    """An httpx2 transport that holds at most ``limit`` requests on the wire
    (the class is made on first use: httpx2 is heavy to import)."""
    return _capped_transport_class()(limit, **kwargs)


class LLMClient:
    """Structured completions from an OpenAI-compatible server."""

    def __init__(self, settings: ModelSettings, *, sleep: Any = None) -> None:
        import openai

        self.settings = settings
        http_client = None
        self._transport = None
        if settings.replay:
            from .replay import replay_transport

            http_client = openai.DefaultHttpxClient(transport=replay_transport(settings.replay), timeout=settings.timeout_s)
        elif settings.max_in_flight:
            # The cap sits at the transport, around the wire only: threads beyond
            # it build the next request or ground the last answer meanwhile. The
            # SDK's own client class keeps its connection limits and redirects.
            self._transport = capped_transport(settings.max_in_flight)
            http_client = openai.DefaultHttpxClient(transport=self._transport, timeout=settings.timeout_s)
        self._client = openai.OpenAI(
            api_key=settings.api_key or "no-key-replay",
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout_s,
            http_client=http_client,
        )
        # Resolve the SDK's lazily imported resources now, once, rather than
        # under the import lock in every thread of the first wave of requests.
        _ = self._client.chat.completions.with_raw_response
        self._sleep = sleep
        self.throttle = AdaptiveThrottle() if settings.adaptive_throttle else None
        self.reached = False  # has the server ever answered (even with an error)? see _FailuresOrTime
        self._formats: dict[type, dict[str, Any]] = {}

    def on_the_wire(self) -> int | None:
        """Requests now waiting on the server (None: this client does not count them)."""
        return self._transport.on_the_wire if self._transport is not None else None

    @property
    def sdk(self):
        """The openai client, for the endpoints beyond chat (files, batches: briefer/batch.py)."""
        return self._client

    def complete(self, messages: list[dict[str, str]], response_model: type[T], *, max_tokens: int | None = None, log: AttemptLog | None = None) -> Completion[T]:
        """One structured answer, retrying transient failures.

        Raises InvalidAnswer (caller may re-ask), Refused, Truncated, NoRecording or ModelCallError.
        """
        log = log if log is not None else AttemptLog()
        return self.with_retries(self._attempt, messages, response_model, max_tokens or self.settings.max_output_tokens, log)

    def request_body(self, messages: list[dict[str, str]], response_model: type[BaseModel], max_tokens: int | None = None) -> dict[str, Any]:
        """The JSON body ``complete`` sends for these arguments (a batch job's line
        body; tests/test_batch.py checks it against the wire)."""
        return {"messages": messages, "model": self.settings.model, "max_completion_tokens": max_tokens or self.settings.max_output_tokens,
                **self._format_fields(response_model)}

    def _format_fields(self, response_model: type[BaseModel]) -> dict[str, Any]:
        """The body's response format, made once per schema: the SDK's own
        strict json_schema form (what its ``.parse`` would send), so recordings
        keep matching; building it on every request cost milliseconds."""
        if self.settings.response_mode == "json_object":
            return {"response_format": {"type": "json_object"}}
        fields = self._formats.get(response_model)
        if fields is None:
            from openai.lib._parsing._completions import type_to_response_format_param

            fields = self._formats[response_model] = {"response_format": type_to_response_format_param(response_model), "stream": False}
        return fields

    def completion_from_body(self, body: dict[str, Any], response_model: type[T], max_tokens: int, log: AttemptLog, *, batch: bool = False) -> Completion[T]:
        """An answer that came another way than ``complete`` (a batch job's
        output line), checked exactly as ``complete`` checks its own."""
        from openai.types.chat import ChatCompletion

        log.attempts += 1
        try:
            completion = ChatCompletion.model_validate(body)
        except ValidationError as exc:
            log.usage = log.usage + Usage(requests=1)
            raise MalformedResponse("the answer was not a chat completion") from exc
        return self._accept(completion, response_model, max_tokens, log, batch=batch)

    def with_retries(self, call: Callable[..., R], *args: Any) -> R:
        """``call(*args)``, with transient failures retried and the rest mapped to
        one actionable ModelCallError line."""
        import tenacity

        kwargs: dict[str, Any] = {}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_is_transient),
            wait=_BackoffWithRetryAfter(),
            stop=_FailuresOrTime(self.settings.max_attempts, self.settings.max_retry_seconds, reached=lambda: self.reached),
            reraise=True,
            **kwargs,
        )
        try:
            result = retrying(call, *args)
            self.reached = True
            return result
        except (InvalidAnswer, ModelCallError):
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to one actionable line
            missing = _no_recording_cause(exc)
            if missing is not None:
                raise NoRecording(f"{missing} (the prompt, schema or report changed since recording)") from exc
            if _is_transient(exc) or type(exc).__module__.startswith("openai") or isinstance(exc, MalformedResponse):
                raise ModelCallError(_fatal_message(exc, self.settings)) from exc
            raise

    def _attempt(self, messages: list[dict[str, str]], response_model: type[T], max_tokens: int, log: AttemptLog) -> Completion[T]:
        import openai

        log.attempts += 1
        request: dict[str, Any] = {"model": self.settings.model, "messages": messages, "max_completion_tokens": max_tokens}
        ticket = None
        try:
            ticket = self.throttle.acquire() if self.throttle is not None else None
            # create(), not parse(): the same body, and code validates the answer
            # itself (_accept), at half the client CPU per request.
            raw = self._client.chat.completions.with_raw_response.create(**request, **self._format_fields(response_model))
        except openai.APIStatusError as exc:
            self.reached = True
            if ticket is not None:
                if exc.status_code == 429:
                    self.throttle.limited(ticket, _retry_after_seconds(exc))
                else:
                    self.throttle.done(ticket, success=False)
            raise
        except BaseException:
            if ticket is not None:
                self.throttle.done(ticket, success=False)
            raise
        self.reached = True
        if ticket is not None:
            self.throttle.done(ticket)
        try:
            completion = raw.parse()
        except json.JSONDecodeError as exc:
            # The HTTP body itself is not JSON: a transport glitch, retried.
            log.usage = log.usage + Usage(requests=1)
            raise MalformedResponse("the server's answer was not valid JSON") from exc
        return self._accept(completion, response_model, max_tokens, log)

    def _accept(self, completion: Any, response_model: type[T], max_tokens: int, log: AttemptLog, *, batch: bool = False) -> Completion[T]:
        """Count an answer's usage, then refuse a cut-off, refused or invalid one."""
        usage = _usage(completion.usage, batch=batch)
        model = completion.model or ""
        log.usage = log.usage + usage
        if not completion.choices:
            raise MalformedResponse("the answer held no choices")
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            raise Truncated(f"the answer was cut off at the output limit ({max_tokens} tokens)")
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise Refused(f"the model refused: {refusal.strip()[:200]}")
        parsed = self._validate_text(choice.message.content or "", response_model, usage, model)
        return Completion(parsed=parsed, model=model, usage=usage, attempts=log.attempts)

    @staticmethod
    def _validate_text(content: str, response_model: type[T], usage: Usage, model: str) -> T:
        try:
            return response_model.model_validate_json(content)
        except ValidationError as exc:
            raise InvalidAnswer(_validation_problems(exc), usage, model) from exc



def _usage(reported: Any, *, batch: bool = False) -> Usage:
    details = getattr(reported, "prompt_tokens_details", None)
    cached = details.get("cached_tokens") if isinstance(details, dict) else getattr(details, "cached_tokens", 0)
    prompt = int(getattr(reported, "prompt_tokens", 0) or 0)
    completion = int(getattr(reported, "completion_tokens", 0) or 0)
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, cached_tokens=int(cached or 0), requests=1,
        batch_prompt_tokens=prompt if batch else 0, batch_completion_tokens=completion if batch else 0,
    )


def _validation_problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors()[:20]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        problems.append(f"{where}: {error['msg']}")
    return problems or [str(exc).splitlines()[0]]


def schema_prompt(response_model: type[BaseModel]) -> str:
    """The schema as text, for servers without json_schema (json_object mode)."""
    return json.dumps(response_model.model_json_schema(), ensure_ascii=False)
