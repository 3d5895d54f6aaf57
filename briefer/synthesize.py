"""Synthesize: the labelled matters -> the bottom line, written by the model, checked by code.

The model gets the ranked matters (never the report texts) and writes 3-6
plain sentences, each citing the matters it rests on. Code checks every
sentence: each cited id exists; every number in it is written in a cited
matter; no loaded term of the day appears in the brief's own voice unless
attributed; a contested matter is not stated as settled. Failing sentences
are re-asked once with the problems listed, then dropped and noted. When no
sentence survives, the bottom line is code's own (briefer/takeaways.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .asking import AnswerRejected, ask, system_message
from .cache import AnswerCache, cache_key
from .figures import numbers_in
from .llm import AttemptLog, LLMClient, ModelCallError
from .models import Claim, Day, LineDraft, Matter, ModelAnswer, Notice, Origin, SynthesisDraft, Takeaway, Usage
from .prompting import PromptSet

MAX_MATTERS = 12  # the synthesis sees the top of the ranking: a big day does not grow its prompt
# Words that take a side whatever the story; the day's own loaded terms come from the reports.
GENERIC_LOADED = ("terrorist", "terrorists", "regime", "liberated", "liberation", "massacre", "fraud", "martyr", "martyrs",
                  "thugs", "traitor", "traitors", "junta", "heroes", "invaders", "puppet", "genocide")
_ATTRIBUTION = re.compile(r"\b(said|says|say|told|called|calls|describ\w*|according to|claim\w*|den(y|ies|ied)|accus\w*|alleg\w*|insist\w*|term\w*|label\w*|blam\w*|condemn\w*|warn\w*)\b", re.I)
_DISPUTE = re.compile(r"\b(disput\w*|contest\w*|den(y|ies|ied)|reject\w*|said|says|say|claim\w*|according to|while|whereas|but|conflicting|disagree\w*|unverified|unconfirmed|alleg\w*)\b", re.I)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’")


def _unattributed(term: str, text: str) -> bool:
    """The term occurs with no attribution close by (a few words before it, or just after)."""
    for match in re.finditer(rf"\b{re.escape(term)}\b", text, re.I):
        before = " ".join(text[: match.start()].split()[-5:])
        after = " ".join(text[match.end():].split()[:3])
        if not (_ATTRIBUTION.search(before) or _ATTRIBUTION.search(after)):
            return True
    return False


def rank(matters: list[Matter]) -> list[Matter]:
    """Importance: new today, contested, then the model's own rank (importance
    is judgement: many governments reacting to a result are many origins, yet
    the result is the news), then more independent origins."""
    return sorted(matters, key=lambda m: (not m.new_today, m.status != "contested", m.rank, -m.independent_origins))


def compact_matter(matter: Matter, claims: dict[str, Claim], origins: dict[str, Origin]) -> str:
    def names(position: str, stance: str) -> list[str]:
        return list(dict.fromkeys(origins[m.origin].name for m in matter.live if m.position == position and m.stance == stance and m.origin in origins))

    positions = []
    for p in matter.positions:
        held, denied = names(p.id, "supports"), names(p.id, "denies")
        if held or denied:
            positions.append({"answer": p.text, "held_by": held, "denied_by": denied})
    figures = [f"{f.qualifier + ' ' if f.qualifier else ''}{f.value:,g} {f.unit} ({f.counted})" for m in matter.live for f in claims[m.claim_id].figures]
    overtaken = [f"{claims[m.claim_id].statement} -> later: {claims[m.overtaken_by].statement}" for m in matter.members if m.overtaken_by in claims]
    line = {"id": matter.id, "title": matter.title, "q": matter.question,
            "label": matter.status + (f" ({matter.conflict})" if matter.conflict else ""), "origins": matter.independent_origins,
            "new_today": matter.new_today, "positions": positions, "figures": list(dict.fromkeys(figures))[:6], "overtaken": overtaken[:3]}
    return json.dumps({k: v for k, v in line.items() if v not in ([], None)}, ensure_ascii=False)


@dataclass
class Synthesis:
    lines: list[Takeaway]
    notes: list[Notice] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    run_requests: int = 0
    cached: bool = False
    source: str = ""
    model: str = ""


class LineChecker:
    """Everything about a bottom-line sentence that code can check."""

    def __init__(self, day: Day, loaded_terms: list[str]) -> None:
        self.matters = {m.id: m for m in day.matters}
        self.claims = {c.id: c for c in day.claims}
        self.origins = {o.id: o for o in day.origins}
        self.terms = sorted({t.strip().lower() for t in [*loaded_terms, *GENERIC_LOADED] if len(t.strip()) > 2}, key=len, reverse=True)
        date = day.date
        self.date_numbers = {float(date.day), float(date.month), float(date.year)}

    def numbers_of(self, matter: Matter) -> set[float]:
        # Names count too: an origin may be "report 000", a claim's report id is a number.
        names = [self.origins[m.origin].name for m in matter.members if m.origin in self.origins]
        found = numbers_in(" ".join([matter.title, matter.question, *(p.text for p in matter.positions), *names]))
        for member in matter.members:
            claim = self.claims[member.claim_id]
            found |= numbers_in(f"{claim.statement} {claim.quote} {claim.speaker} report {claim.report_id}") | {f.value for f in claim.figures}
        return found

    def problems(self, line: LineDraft) -> list[str]:
        problems = []
        unknown = [c for c in line.cites if c not in self.matters]
        if not line.cites:
            problems.append("cites no matter: every sentence must cite the matters it rests on")
        if unknown:
            problems.append(f"cites {', '.join(unknown)}, which are not matters of the day")
        cited = [self.matters[c] for c in line.cites if c in self.matters]
        allowed = set(self.date_numbers).union(*(self.numbers_of(m) for m in cited)) if cited else set(self.date_numbers)
        invented = sorted(n for n in numbers_in(line.text) if not any(abs(n - a) <= 1e-9 * max(1.0, abs(a)) for a in allowed))
        if invented:
            problems.append(f"the number(s) {', '.join(f'{n:g}' for n in invented)} are not written in the cited matters")
        own_voice = _QUOTED.sub(" ", line.text)
        loaded = [t for t in self.terms if _unattributed(t, own_voice)]
        if loaded:
            problems.append(f"uses {', '.join(repr(t) for t in loaded[:3])} in the brief's own voice: quote it or name who says it")
        contested = [m.id for m in cited if m.status == "contested"]
        if contested and not _DISPUTE.search(line.text):
            problems.append(f"states contested matter(s) {', '.join(contested)} as settled: say who says what, or that it is disputed")
        return problems


class Synthesizer:
    def __init__(self, client: LLMClient, prompts: PromptSet, cache: AnswerCache) -> None:
        self.client = client
        self.prompts = prompts
        self.cache = cache
        self._schema = json.dumps(SynthesisDraft.model_json_schema(), sort_keys=True)
        self._fingerprint = prompts.fingerprint("synthesize.system.j2", "synthesize.user.j2", "reask.user.j2")

    def messages_for(self, day: Day) -> list[dict[str, str]]:
        claims = {c.id: c for c in day.claims}
        origins = {o.id: o for o in day.origins}
        system = system_message(self.client, self.prompts, "synthesize.system.j2", SynthesisDraft)
        user = self.prompts.render(
            "synthesize.user.j2", date=day.date.isoformat(),
            matters=[compact_matter(m, claims, origins) for m in rank(day.matters)[:MAX_MATTERS]],
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def synthesize(self, day: Day, loaded_terms: list[str], *, refresh: bool = False) -> Synthesis:
        if not day.matters:
            return Synthesis(lines=[])
        checker = LineChecker(day, loaded_terms)
        messages = self.messages_for(day)
        s = self.client.settings
        key = cache_key("synthesize", s.model, s.response_mode, self._fingerprint, self._schema, json.dumps(messages, ensure_ascii=False))
        out = Synthesis(lines=[])
        answer = None if refresh else self.cache.get(key)
        if answer is not None:
            try:
                draft = SynthesisDraft.model_validate_json(answer.content)
                out.cached, out.usage, out.source, out.model = True, answer.usage, answer.source, answer.model
            except ValueError:
                answer = None
        if answer is None:
            log = AttemptLog()

            def check(draft: SynthesisDraft) -> list[str]:
                return [f"lines[{i}] {line.text!r}: {problem}" for i, line in enumerate(draft.lines) for problem in checker.problems(line)]

            try:
                asked = ask(self.client, self.prompts, messages, SynthesisDraft, check=check, max_tokens=2048, log=log, strict=False)
            except (AnswerRejected, ModelCallError) as exc:
                out.usage, out.run_requests = log.usage, log.attempts
                out.notes.append(Notice(stage="synthesize", subject="bottom line", severity="warning",
                                        message=f"the model's bottom line could not be had ({exc}); code's own summary is shown instead"))
                return out
            draft = asked.parsed
            out.usage, out.run_requests, out.source, out.model = log.usage, log.attempts, s.provenance, asked.model
            self.cache.put(key, ModelAnswer(content=draft.model_dump_json(), model=asked.model, usage=log.usage,
                                            attempts=log.attempts, reasks=asked.reasks, source=s.provenance))
        for line in draft.lines:
            problems = checker.problems(line)
            if problems:
                out.notes.append(Notice(stage="synthesize", subject="bottom line", severity="info",
                                        message=f"dropped a sentence that failed its checks ({'; '.join(problems)}): {line.text!r}"))
                continue
            out.lines.append(Takeaway(text=line.text.strip(), refs=list(dict.fromkeys(line.cites))))
        return out
