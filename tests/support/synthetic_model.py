"""A deterministic stand-in model for tests and benchmarks (not for cassettes).

Given a request body exactly as briefer sends it, it returns a valid answer
for the schema asked for, built only from the request: one claim per
numbered sentence for extraction; for reconcile, one matter per extracted
question and one origin per speaker; for joins, matters with the same
question joined. It shows the pipeline's plumbing and scaling, never
judgement: that is what the recorded cassettes are for.
"""

from __future__ import annotations

import json
import re

_SENTENCE = re.compile(r"^\[S(\d+)\] (.*)$", re.MULTILINE)
_NUMBER = re.compile(r"\b\d[\d,]*\b")


def schema_name(body: dict) -> str:
    fmt = body.get("response_format") or {}
    name = (fmt.get("json_schema") or {}).get("name", "") if isinstance(fmt, dict) else ""
    if not name:  # json_object mode: the schema is in the system prompt
        system = body["messages"][0]["content"]
        name = next((n for n in ("ReportDraft", "ReconcileDraft", "BlockJoinDraft", "SynthesisDraft") if f'"title": "{n}"' in system), "")
    return name


def answer(body: dict) -> str:
    name = schema_name(body)
    text = body["messages"][-1]["content"]
    if name == "ReportDraft":
        return json.dumps(_extraction(text))
    if name == "ReconcileDraft":
        return json.dumps(_reconcile(text))
    if name == "BlockJoinDraft":
        return json.dumps(_join(text))
    if name == "SynthesisDraft":
        matters = _lines(text, "Matters (")[:4]
        return json.dumps({"lines": [{"text": f"Reports say they answer: {m['q']}", "cites": [m["id"]]} for m in matters]})
    raise ValueError(f"synthetic model: unknown schema {name!r}")


def _extraction(text: str) -> dict:
    claims = []
    for number, sentence in _SENTENCE.findall(text):
        words = re.findall(r"[A-Za-z]+", sentence)
        topic = " ".join(words[:2]).lower() or "the report"
        figures = []
        found = _NUMBER.search(sentence)
        if found:
            figures.append({"n": float(found.group().replace(",", "")), "unit": "items", "what": f"items about {topic}", "qual": None, "asof": None})
        claims.append({"s": sentence[:200], "ev": f"S{number}", "q": None, "sp": 0, "via": [], "m": "asserted",
                       "mt": f"What happened with {topic}?", "pos": " ".join(words[2:5]).lower() or "yes", "f": figures, "d": None})
    return {"outlet": None, "dateline": None, "pub": None, "pub_est": False, "pub_why": "stated", "wire": [],
            "summary": "A synthetic summary.", "sp": [{"name": "the report", "org": None, "camp": None}], "terms": [], "c": claims}


def _lines(text: str, after: str) -> list[dict]:
    """The JSON lines of one section: from its header line to the next line that is not JSON."""
    section = text.split(after, 1)[1] if after in text else ""
    found = []
    for line in section.splitlines()[1:]:
        if not line.startswith("{"):
            break
        found.append(json.loads(line))
    return found


def _reconcile(text: str) -> dict:
    claims = _lines(text, "\nClaims (")
    origins: dict[str, str] = {}
    matters: dict[str, dict] = {}
    for claim in claims:
        origin = origins.setdefault(claim.get("sp", "?"), f"O{len(origins) + 1}")
        question = claim.get("mt", "?")
        matter = matters.setdefault(question, {"id": f"M{len(matters) + 1}", "title": question[:40], "question": question,
                                               "rank": len(matters) + 1, "why": "same question", "positions": [], "members": []})
        answer_text = claim.get("pos", "?")
        position = next((p for p in matter["positions"] if p["text"] == answer_text), None)
        if position is None:
            position = {"id": f"P{len(matter['positions']) + 1}", "text": answer_text, "frames": None}
            matter["positions"].append(position)
        matter["members"].append({"c": claim["id"], "o": origin, "p": position["id"], "st": "supports", "over": None})
    return {"origins": [{"id": o, "name": n, "camp": None, "why": "same name"} for n, o in origins.items()],
            "matters": list(matters.values())}


def _join(text: str) -> dict:
    matters = _lines(text, "Matters (")
    origins = _lines(text, "Origins (")
    by_question: dict[str, list[dict]] = {}
    for matter in matters:
        by_question.setdefault(matter["q"], []).append(matter)
    joined, positions = [], []
    for group in by_question.values():
        if len(group) > 1:
            joined.append({"parts": [m["id"] for m in group], "why": "same question"})
            by_text: dict[str, list[str]] = {}
            for m in group:
                for p in m["pos"]:
                    by_text.setdefault(p["t"], []).append(p["id"])
            positions += [{"parts": ids, "why": "same answer"} for ids in by_text.values() if len(ids) > 1]
    by_name: dict[str, list[str]] = {}
    for origin in origins:
        by_name.setdefault(origin["name"], []).append(origin["id"])
    return {"matters": joined, "positions": positions,
            "origins": [{"parts": ids, "why": "same name"} for ids in by_name.values() if len(ids) > 1]}
