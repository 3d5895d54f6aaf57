"""Recorded model exchanges (vcrpy cassettes): replay and recording.

Replays match on the request body, compared as parsed JSON (model, messages,
schema and parameters), so a prompt or schema change that was not re-recorded
fails loudly instead of replaying a stale answer. Secrets never reach a file:
credential headers are filtered from requests, and responses keep only their
content type.
"""

from __future__ import annotations

from contextlib import contextmanager

from briefer.replay import json_body
from pathlib import Path
from typing import Iterator

SECRET_REQUEST_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie"]
KEPT_RESPONSE_HEADERS = {"content-type"}


def _json_body(request) -> object:
    return json_body(request.body)  # compared exactly as briefer's own replay compares it


def llm_request_matcher(r1, r2) -> None:
    """vcrpy matcher: equal JSON bodies, else AssertionError naming the difference."""
    b1, b2 = _json_body(r1), _json_body(r2)
    if b1 == b2:
        return
    if isinstance(b1, dict) and isinstance(b2, dict):
        differing = sorted(k for k in b1.keys() | b2.keys() if b1.get(k) != b2.get(k))
        raise AssertionError(f"request bodies differ in {', '.join(differing)}")
    raise AssertionError("request bodies differ")


def _strip_response(response: dict) -> dict:
    headers = response.get("headers") or {}
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_RESPONSE_HEADERS}
    return response


@contextmanager
def cassette(path: Path, *, record: bool = False) -> Iterator[object]:
    """Replay (record=False: unmatched requests fail) or record new exchanges."""
    import vcr

    path = Path(path)
    if not record and not path.is_file():
        raise FileNotFoundError(f"cassette not found: {path}")
    recorder = vcr.VCR(
        record_mode="new_episodes" if record else "none",
        match_on=["method", "path", "llm_request"],
        filter_headers=SECRET_REQUEST_HEADERS,
        before_record_response=_strip_response,
        decode_compressed_response=True,
    )
    recorder.register_matcher("llm_request", llm_request_matcher)
    with recorder.use_cassette(str(path), allow_playback_repeats=True) as tape:
        yield tape
