"""Replay: answer model requests from a recorded cassette, without the network.

A transport for the openai client's HTTP layer (httpx2), not a patch of the
process: it reads the cassette file itself (the YAML that the recorder in
tests/support writes) and answers a request whose method, path and JSON body
equal a recorded one. Any other request raises NoRecording, naming what
differs, so an unrecorded prompt change fails loudly.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .llm import NoRecording


class CassetteError(ValueError):
    """A cassette file that cannot be read; the message names it."""


def json_body(body: Any) -> Any:
    """A request body as parsed JSON (or as text, if it is not JSON): what replay compares."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body or "null")
    except ValueError:
        return body


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> tuple[tuple[str, str, str, int, tuple[tuple[str, str], ...], bytes], ...]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CassetteError(f"{path}: cannot read the cassette ({str(exc).splitlines()[0]})") from exc
    recorded = []
    for number, interaction in enumerate(data.get("interactions") or [], start=1):
        try:
            request, response = interaction["request"], interaction["response"]
            headers = tuple((k, v[0] if isinstance(v, list) else str(v)) for k, v in (response.get("headers") or {}).items())
            body = response["body"]["string"]
            recorded.append((
                request["method"].upper(), urlsplit(request["uri"]).path,
                json.dumps(json_body(request["body"]), sort_keys=True), int(response["status"]["code"]), headers,
                body.encode("utf-8") if isinstance(body, str) else bytes(body),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{path}: interaction {number} is not a recorded exchange ({exc})") from exc
    return tuple(recorded)


def _transport_base():
    import httpx2

    return httpx2.BaseTransport


def replay_transport(path: Path):
    """An httpx2 transport answering from the cassette at ``path``."""
    import httpx2

    class ReplayTransport(_transport_base()):
        def __init__(self, cassette: Path) -> None:
            self.cassette = Path(cassette)
            if not self.cassette.is_file():
                raise CassetteError(f"cassette not found: {self.cassette}")
            _load(str(self.cassette), self.cassette.stat().st_mtime)  # a broken file fails now, not mid-run

        def handle_request(self, request):  # type: ignore[override]
            recorded = _load(str(self.cassette), self.cassette.stat().st_mtime)
            key = json.dumps(json_body(request.read()), sort_keys=True)
            method, url_path = request.method.upper(), request.url.path
            for r_method, r_path, r_body, status, headers, body in recorded:
                if (r_method, r_path, r_body) == (method, url_path, key):
                    return httpx2.Response(status, headers=list(headers), content=body, request=request)
            raise NoRecording(_nearest_difference(key, [r[2] for r in recorded if r[:2] == (method, url_path)], self.cassette))

    return ReplayTransport(path)


def _nearest_difference(body: str, candidates: list[str], cassette: Path) -> str:
    """Which request fields differ from the recorded request most like this one."""
    wanted = json.loads(body)
    if not isinstance(wanted, dict) or not candidates:
        return f"no recorded answer in {cassette} matches this request"
    best: list[str] | None = None
    for candidate in candidates:
        recorded = json.loads(candidate)
        if not isinstance(recorded, dict):
            continue
        differing = sorted(k for k in wanted.keys() | recorded.keys() if wanted.get(k) != recorded.get(k))
        if best is None or len(differing) < len(best):
            best = differing
    return f"no recorded answer in {cassette} matches this request (nearest recording differs in {', '.join(best or ['everything'])})"
