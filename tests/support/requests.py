"""Reading briefer's extraction requests in test servers and fakes."""

from __future__ import annotations

import re

_FENCED = re.compile(r"<<<REPORT (\w+)\n(.*)\nREPORT \1>>>", re.S)


def report_text_of(messages: list[dict]) -> str:
    """The report text inside the user message's fence."""
    user = next(m["content"] for m in messages if m["role"] == "user")
    match = _FENCED.search(user)
    if match is None:
        raise ValueError("no fenced report in the request")
    return match.group(2)
