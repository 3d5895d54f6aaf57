"""Reconcile: the day's claims -> matters, stances, origins and order in time.

The judgement across reports (which claims are about the same matter, which
speakers are one origin, what is overtaken) is the model's: it gets the
claims in compact form, never the report texts, and answers as a
ReconcileDraft. Code checks the answer: every claim placed exactly once, every
id known; a failing answer is re-asked with the problems listed, and a second
failure falls back to a deterministic grouping, said in the notes.

A large day never grows one prompt without bound: claims are split into
blocks of a fixed budget, ordered by the similarity of their matters; each
block is reconciled on its own, then the blocks' matters and origins are
joined by windows of a fixed size. Cost grows linearly with the claims.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field

from .asking import AnswerRejected, ask, system_message
from .cache import AnswerCache, cache_key
from .llm import AttemptLog, LLMClient, ModelCallError
from .models import (
    BlockJoinDraft, Claim, Matter, Member, ModelAnswer, Notice, Origin, Position, ReconcileDraft, SourceRow, Usage,
)
from .join import WORD, Unions, apply_joins, join_problems, matter_signature, name_signature, windows
from .prompting import PromptSet
from .workers import worker_pool

@dataclass(frozen=True)
class ReconcileOptions:
    block_claims: int = 200  # claims per reconcile request
    block_chars: int = 96_000  # and characters of compact claims per request (about 24k tokens)
    join_matters: int = 200  # block matters (and block origins) per join request
    join_overlap: int = 20  # items each join window shares with the next
    max_reasks: int = 1
    concurrency: int = 4
    output_tokens_per_claim: int = 60
    output_tokens_base: int = 2_048
    output_tokens_cap: int = 32_768


@dataclass
class Reconciled:
    matters: list[Matter]
    origins: list[Origin]
    notes: list[Notice] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    run_requests: int = 0
    cached_answers: int = 0
    models: set[str] = field(default_factory=set)
    sources: Counter = field(default_factory=Counter)  # where the answers came from
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # blocks and windows run in threads


def compact_claim(claim: Claim) -> str:
    """One claim as the reconcile prompt shows it: one JSON line, no report text."""
    line = {
        "id": claim.id, "r": claim.report_id, "date": claim.published.isoformat() if claim.published else None,
        "sp": claim.speaker, "org": claim.organisation, "camp": claim.camp, "via": claim.via, "m": claim.modality,
        "s": claim.statement, "mt": claim.matter, "pos": claim.position,
        "f": [_figure_text(f) for f in claim.figures], "ed": claim.event_date,
    }
    return json.dumps({k: v for k, v in line.items() if v not in (None, [], "")}, ensure_ascii=False)


def compact_report(source: SourceRow) -> str:
    line = {"r": source.report_id, "outlet": source.outlet, "date": source.published.isoformat() if source.published else None,
            "wire": source.wire_credits, "copy_of": source.copy_of}
    return json.dumps({k: v for k, v in line.items() if v not in (None, [], "")}, ensure_ascii=False)


def _figure_text(figure) -> str:
    value = f"{figure.value:,.0f}" if float(figure.value).is_integer() else f"{figure.value:g}"
    return " ".join(p for p in (figure.qualifier, value, figure.unit, f"({figure.counted})", f"as of {figure.as_of}" if figure.as_of else None) if p)


def blocks_of(claims: list[Claim], options: ReconcileOptions) -> list[list[Claim]]:
    """Claims in blocks within a fixed budget, similar matters together, each
    block in day order. Blocks are of even size, so none is a small remainder."""
    order = {c.id: i for i, c in enumerate(claims)}
    ranked = sorted(claims, key=lambda c: (matter_signature(c.matter), order[c.id]))
    sizes = [len(compact_claim(c)) for c in ranked]
    count = max(1, -(-len(ranked) // options.block_claims), -(-sum(sizes) // options.block_chars))
    share = sum(sizes) / count
    blocks: list[list[Claim]] = [[]]
    size = block_size = 0
    for claim, length in zip(ranked, sizes, strict=True):
        full = len(blocks[-1]) >= options.block_claims or block_size + length > options.block_chars
        if blocks[-1] and (full or (len(blocks) < count and size + length > share * len(blocks))):
            blocks.append([])
            block_size = 0
        blocks[-1].append(claim)
        size += length
        block_size += length
    return [sorted(block, key=lambda c: order[c.id]) for block in blocks]


def block_problems(draft: ReconcileDraft, claim_ids: list[str]) -> list[str]:
    """Everything in a reconcile answer that code can check."""
    problems: list[str] = []
    known = set(claim_ids)
    origin_ids = [o.id for o in draft.origins]
    problems += [f"origin id {i} is used twice" for i in sorted({i for i in origin_ids if origin_ids.count(i) > 1})]
    matter_ids = [m.id for m in draft.matters]
    problems += [f"matter id {i} is used twice" for i in sorted({i for i in matter_ids if matter_ids.count(i) > 1})]
    placed: dict[str, list[str]] = {}
    for matter in draft.matters:
        position_ids = [p.id for p in matter.positions]
        if not matter.members:
            problems.append(f"matter {matter.id} has no claims")
        if len(set(position_ids)) != len(position_ids):
            problems.append(f"matter {matter.id} uses a position id twice")
        for position in matter.positions:
            if position.frames is not None and (position.frames not in position_ids or position.frames == position.id):
                problems.append(f"matter {matter.id} position {position.id} frames {position.frames!r}, which is not another position of the matter")
        for member in matter.members:
            placed.setdefault(member.c, []).append(matter.id)
            if member.c not in known:
                problems.append(f"matter {matter.id} lists claim {member.c!r}, which is not one of the claims given")
            if member.o not in origin_ids:
                problems.append(f"claim {member.c} in matter {matter.id} has origin {member.o!r}, which is not in origins")
            if member.p not in position_ids:
                problems.append(f"claim {member.c} in matter {matter.id} takes position {member.p!r}, which is not a position of that matter")
            if member.over is not None and (member.over not in known or member.over == member.c):
                problems.append(f"claim {member.c} is overtaken by {member.over!r}, which is not another claim given")
    for cid, where in placed.items():
        if len(where) > 1 and cid in known:
            problems.append(f"claim {cid} is placed in more than one matter ({', '.join(where)}): put it in exactly one")
    missing = [cid for cid in claim_ids if cid not in placed]
    if missing:
        problems.append(f"claims left out (every claim must be in exactly one matter): {', '.join(missing)}")
    return problems


class Reconciler:
    def __init__(self, client: LLMClient, prompts: PromptSet, cache: AnswerCache, options: ReconcileOptions = ReconcileOptions()) -> None:
        self.client = client
        self.prompts = prompts
        self.cache = cache
        self.options = options
        self._schemas = json.dumps([ReconcileDraft.model_json_schema(), BlockJoinDraft.model_json_schema()], sort_keys=True)
        self._fingerprint = prompts.fingerprint("reconcile.system.j2", "reconcile.user.j2", "join.system.j2", "join.user.j2", "reask.user.j2")

    # ------------------------------------------------------------- model calls

    def _system(self, name: str, schema) -> str:
        return system_message(self.client, self.prompts, name, schema)

    def _cached_ask(self, kind: str, messages, schema, check, out: Reconciled, budget: int):
        s = self.client.settings
        key = cache_key(kind, s.model, s.response_mode, self._fingerprint, self._schemas, json.dumps(messages, ensure_ascii=False))
        cached = None if self.refresh else self.cache.get(key)
        if cached is not None:
            try:
                parsed = schema.model_validate_json(cached.content)
                if not check(parsed):
                    with out.lock:
                        out.usage = out.usage + cached.usage
                        out.cached_answers += 1
                        out.models.add(cached.model)
                        out.sources[cached.source or "unknown (cached before briefer recorded sources)"] += 1
                    return parsed
            except ValueError:
                pass  # a damaged entry is a miss
        log = AttemptLog()
        try:
            answer = ask(self.client, self.prompts, messages, schema, check=check, max_tokens=budget,
                         max_budget=self.options.output_tokens_cap, log=log, max_reasks=self.options.max_reasks)
        finally:
            with out.lock:
                out.usage = out.usage + log.usage
                out.run_requests += log.attempts
        source = self.client.settings.provenance
        with out.lock:
            out.models.add(answer.model)
            out.sources[source] += 1
        self.cache.put(key, ModelAnswer(content=answer.parsed.model_dump_json(), model=answer.model, usage=log.usage, attempts=log.attempts, reasks=answer.reasks, source=source))
        return answer.parsed

    def _budget(self, items: int) -> int:
        o = self.options
        return min(o.output_tokens_cap, 512 * -(-(o.output_tokens_base + o.output_tokens_per_claim * items) // 512))

    # ------------------------------------------------------------- the stage

    def reconcile(self, claims: list[Claim], sources: list[SourceRow], *, refresh: bool = False) -> Reconciled:
        self.refresh = refresh
        out = Reconciled(matters=[], origins=[])
        if not claims:
            return out
        reports = {s.report_id: s for s in sources}
        blocks = blocks_of(claims, self.options)

        def one(numbered: tuple[int, list[Claim]]):
            number, block = numbered
            return self._block(number, block, reports, out)

        with worker_pool(min(self.options.concurrency, len(blocks))) as pool:
            results = list(pool.map(one, enumerate(blocks, start=1)))
        matters = [m for ms, _ in results for m in ms]
        origins = [o for _, os_ in results for o in os_]
        if len(blocks) > 1:
            matters, origins = self._join(matters, origins, out)
        out.matters, out.origins = _renumber(matters, origins, claims)
        out.notes.sort(key=lambda n: n.subject)  # blocks and windows finish in any order
        return out

    def _block(self, number: int, block: list[Claim], reports: dict[str, SourceRow], out: Reconciled) -> tuple[list[Matter], list[Origin]]:
        ids = [c.id for c in block]
        used_reports = sorted({c.report_id for c in block})
        user = self.prompts.render(
            "reconcile.user.j2", reports=[compact_report(reports[r]) for r in used_reports if r in reports],
            claims=[compact_claim(c) for c in block],
        )
        messages = [{"role": "system", "content": self._system("reconcile.system.j2", ReconcileDraft)}, {"role": "user", "content": user}]
        prefix = f"B{number}."
        try:
            draft = self._cached_ask("reconcile", messages, ReconcileDraft, lambda d: block_problems(d, ids), out, self._budget(len(block)))
        except (AnswerRejected, ModelCallError) as exc:
            with out.lock:
                out.notes.append(Notice(
                    stage="reconcile", subject=f"block {number} ({len(block)} claims)", severity="error",
                    message=f"the model's grouping could not be used ({exc}); claims were grouped by their extracted matter question instead, and speakers by name",
                ))
            return fallback(block, prefix)
        return _from_draft(draft, block, prefix)

    def _join(self, matters: list[Matter], origins: list[Origin], out: Reconciled) -> tuple[list[Matter], list[Origin]]:
        """Join the blocks' matters, positions and origins that are the same.

        Matters (ordered by their question) and origins (ordered by their
        name) go out in windows of a fixed size that overlap a little, so a
        join never depends on where a window happened to end, and no prompt
        grows with the day."""
        size, overlap = self.options.join_matters, self.options.join_overlap
        matter_windows = windows(sorted(matters, key=lambda m: (matter_signature(m.question), m.id)), size, overlap)
        origin_windows = windows(sorted(origins, key=lambda o: (name_signature(o.name), o.id)), size, overlap)
        count = max(len(matter_windows), len(origin_windows))
        unions = Unions()

        def one(number: int) -> None:
            window = matter_windows[number] if number < len(matter_windows) else []
            names = origin_windows[number] if number < len(origin_windows) else []
            user = self.prompts.render(
                "join.user.j2",
                matters=[json.dumps({"id": m.id, "title": m.title, "q": m.question, "pos": [{"id": f"{m.id}.{p.id}", "t": p.text} for p in m.positions]}, ensure_ascii=False) for m in window],
                origins=[json.dumps({"id": o.id, "name": o.name, "camp": o.camp, "says_as": o.speakers}, ensure_ascii=False) for o in names],
            )
            messages = [{"role": "system", "content": self._system("join.system.j2", BlockJoinDraft)}, {"role": "user", "content": user}]
            matter_ids = {m.id for m in window}
            position_ids = {f"{m.id}.{p.id}" for m in window for p in m.positions}
            origin_ids = {o.id for o in names}
            try:
                draft = self._cached_ask("join", messages, BlockJoinDraft, lambda d: join_problems(d, matter_ids, position_ids, origin_ids), out,
                                         self._budget((len(window) + len(names)) // 2))
            except (AnswerRejected, ModelCallError) as exc:
                with out.lock:
                    out.notes.append(Notice(stage="reconcile", subject=f"join window {number + 1}", severity="error",
                                            message=f"the blocks' matters and origins could not be joined ({exc}); they are shown as the blocks gave them"))
                return
            with out.lock:
                for kind, groups in (("m", draft.matters), ("p", draft.positions), ("o", draft.origins)):
                    for group in groups:
                        for part in group.parts[1:]:
                            unions.join(f"{kind}:{group.parts[0]}", f"{kind}:{part}", group.why)

        with worker_pool(min(self.options.concurrency, count)) as pool:
            list(pool.map(one, range(count)))
        return apply_joins(matters, origins, unions)


def _from_draft(draft: ReconcileDraft, block: list[Claim], prefix: str) -> tuple[list[Matter], list[Origin]]:
    """Block-local ids ("B2.M3") so blocks never collide before they are joined."""
    by_id = {c.id: c for c in block}
    speakers: dict[str, list[str]] = {}
    matters = []
    for matter in draft.matters:
        members = []
        for member in matter.members:
            speakers.setdefault(member.o, []).append(by_id[member.c].speaker)
            members.append(Member(claim_id=member.c, origin=prefix + member.o, position=member.p, stance=member.st, overtaken_by=member.over))
        matters.append(Matter(
            id=prefix + matter.id, title=matter.title.strip(), question=matter.question.strip(), rank=matter.rank, why=matter.why.strip(),
            positions=[Position(id=p.id, text=p.text.strip(), frames=p.frames) for p in matter.positions], members=members,
        ))
    origins = [
        Origin(id=prefix + o.id, name=o.name.strip(), camp=(o.camp or "").strip() or None, speakers=list(dict.fromkeys(speakers.get(o.id, []))), why=o.why.strip())
        for o in draft.origins if o.id in speakers
    ]
    return matters, origins


def _norm(text: str) -> str:
    return " ".join(WORD.findall(text.casefold()))


def fallback(block: list[Claim], prefix: str) -> tuple[list[Matter], list[Origin]]:
    """Deterministic grouping when the model's answer cannot be used: one
    matter per extracted question, one origin per organisation or speaker name,
    one position per distinct answer. Coarse, but it places every claim once."""
    origin_ids: dict[str, str] = {}
    origins: list[Origin] = []
    matters: dict[str, Matter] = {}
    for claim in block:
        who = _norm(claim.organisation or claim.speaker) or claim.speaker
        if who not in origin_ids:
            origin_ids[who] = f"{prefix}O{len(origin_ids) + 1}"
            origins.append(Origin(id=origin_ids[who], name=claim.organisation or claim.speaker, camp=claim.camp, speakers=[], why="fallback: same organisation or speaker name"))
        origin = next(o for o in origins if o.id == origin_ids[who])
        if claim.speaker not in origin.speakers:
            origin.speakers.append(claim.speaker)
        question = _norm(claim.matter) or claim.id
        if question not in matters:
            matters[question] = Matter(id=f"{prefix}M{len(matters) + 1}", title=claim.matter, question=claim.matter, rank=len(matters) + 1,
                                       why="fallback: the same extracted question", positions=[], members=[])
        matter = matters[question]
        answer = _norm(claim.position)
        position = next((p for p in matter.positions if _norm(p.text) == answer), None)
        if position is None:
            position = Position(id=f"P{len(matter.positions) + 1}", text=claim.position)
            matter.positions.append(position)
        matter.members.append(Member(claim_id=claim.id, origin=origin.id, position=position.id, stance="supports"))
    return list(matters.values()), origins


def _renumber(matters: list[Matter], origins: list[Origin], claims: list[Claim]) -> tuple[list[Matter], list[Origin]]:
    """Day-wide ids: matters M1.. by the model's rank then first claim; origins O1.. by first appearance."""
    order = {c.id: i for i, c in enumerate(claims)}
    matters = sorted(matters, key=lambda m: (m.rank, min(order[x.claim_id] for x in m.members), m.id))
    first_seen: dict[str, int] = {}
    for matter in matters:
        for member in sorted(matter.members, key=lambda x: order[x.claim_id]):
            first_seen.setdefault(member.origin, len(first_seen))
    origin_names = {o.id: f"O{first_seen[o.id] + 1}" for o in origins if o.id in first_seen}
    renamed_origins = sorted((o.model_copy(update={"id": origin_names[o.id]}) for o in origins if o.id in origin_names), key=lambda o: int(o.id[1:]))
    renamed = []
    for number, matter in enumerate(matters, start=1):
        positions = {p.id: f"P{i}" for i, p in enumerate(matter.positions, start=1)}
        renamed.append(matter.model_copy(update={
            "id": f"M{number}", "rank": number,
            "positions": [Position(id=positions[p.id], text=p.text, frames=positions.get(p.frames or "")) for p in matter.positions],
            "members": sorted(
                (m.model_copy(update={"origin": origin_names[m.origin], "position": positions[m.position]}) for m in matter.members),
                key=lambda m: order[m.claim_id],
            ),
        }))
    return renamed, renamed_origins
