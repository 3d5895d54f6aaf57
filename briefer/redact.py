"""Credentials never reach output: user information is dropped from URLs."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def scrub(text: str) -> str:
    """Drops ``user:pass@`` from any URL in text, so errors and notes never leak credentials."""
    return _USERINFO.sub(r"\1", text)
