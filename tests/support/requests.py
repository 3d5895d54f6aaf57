"""Reading briefer's extraction requests in test servers and fakes."""

from __future__ import annotations

import re

_FENCED = re.compile(r"<<<REPORT (\w+)\n(.*)\nREPORT \1>>>", re.S)
_SENTENCE = re.compile(r"^\[S(\d+)\] (.*)$", re.M)


def report_text_of(messages: list[dict]) -> str:
    """The numbered sentences inside the user message's fence."""
    user = next(m["content"] for m in messages if m["role"] == "user")
    match = _FENCED.search(user)
    if match is None:
        raise ValueError("no fenced report in the request")
    return match.group(2)


def sentences_of(messages: list[dict]) -> dict[int, str]:
    """{number: sentence} of the fenced report, as the model sees them."""
    return {int(n): s for n, s in _SENTENCE.findall(report_text_of(messages))}
