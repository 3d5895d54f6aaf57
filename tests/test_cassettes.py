"""The recorded cassettes: no secrets, honest model names, strict matching."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tests.support.cassettes import llm_request_matcher

CASSETTES = sorted((Path(__file__).resolve().parents[1] / "cassettes").glob("*.yaml"))
SECRET_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (r"authorization", r"\bapi[-_]key\b\s*:", r"sk-[A-Za-z0-9_-]{10,}", r"bearer\s+[A-Za-z0-9._-]{8,}",
              r"openai-organization", r"openai-project", r"\borg-[A-Za-z0-9]{10,}", r"\bproj_[A-Za-z0-9]{10,}", r"set-cookie", r"\bcookie\b\s*:")
]


def interactions(path: Path):
    return yaml.safe_load(path.read_text("utf-8"))["interactions"]


def test_there_are_cassettes():
    assert CASSETTES


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: p.name)
def test_no_secret_like_strings(path):
    text = path.read_text("utf-8")
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path.name} matches {pattern.pattern}"
    for interaction in interactions(path):
        headers = {k.lower() for k in interaction["request"]["headers"]}
        assert not headers & {"authorization", "api-key", "openai-organization", "openai-project", "cookie"}
        assert set(k.lower() for k in interaction["response"]["headers"]) <= {"content-type"}


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: p.name)
def test_responses_name_the_model_that_really_answered(path):
    for interaction in interactions(path):
        body = json.loads(interaction["response"]["body"]["string"])
        assert not body["model"].lower().startswith(("gpt", "o1", "o3", "o4", "chatgpt", "text-"))


def _request(body: dict):
    return SimpleNamespace(body=json.dumps(body).encode())


def test_matcher_compares_whole_bodies():
    base = {"model": "m", "messages": [{"role": "user", "content": "a"}], "response_format": {"type": "json_schema"}}
    llm_request_matcher(_request(base), _request(dict(reversed(list(base.items())))))
    changed = dict(base, messages=[{"role": "user", "content": "b"}])
    with pytest.raises(AssertionError, match="differ in messages"):
        llm_request_matcher(_request(base), _request(changed))
