"""Merge: the day's grounded claims -> groups, figures and framing.

Deterministic and explainable. Claims are first blocked by (event type, area),
so no comparison ever runs across the whole day; inside a block they are
joined when they are about the same matter. Each group then gets a label from
its claims' control, modality and figures, and counts independent origins
(original speakers), not outlets.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .models import Claim, FigureRow, FramingRow, Group, GroupMember
from .places import fold, origin_table

EVENT_LABELS = {
    "territorial_control": "Control",
    "clash": "Fighting",
    "strike": "Strikes",
    "casualties": "Casualties",
    "displacement": "Displacement",
    "statement": "Statements",
    "diplomacy": "Diplomacy",
    "border_crossing": "Borders and crossings",
    "leadership": "Leadership",
    "humanitarian": "Humanitarian",
    "other": "Other",
}
# Event types whose block is one matter: everything said about control of a
# place (or the toll/displacement in it, per what is counted) is one question.
_BLOCK_IS_MATTER = {"territorial_control"}
_COUNTED_MATTERS = {"casualties", "displacement"}
SIMILARITY_THRESHOLD = 0.34
_STOPWORDS = set(
    "a an and are as at be by for from has have in into is it its of on or that the their this to was were with "
    "said says say reported according while after over since also who which would will been being than".split()
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class MergeResult:
    groups: list[Group]
    figures: list[FigureRow]
    framing: list[FramingRow]


@dataclass
class _Cluster:
    key: tuple[str, str, str]
    claims: list[Claim] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def merge(claims: list[Claim], day: dt.date) -> MergeResult:
    ordered = sorted(claims, key=_claim_order)
    clusters = _cluster(ordered)
    groups = [_label(cluster, day, f"G{n}") for n, cluster in enumerate(clusters, start=1)]
    by_claim = {m.claim_id: g for g in groups for m in g.members}
    return MergeResult(groups, figure_rows(ordered, by_claim), framing_rows(ordered))


def _claim_order(claim: Claim) -> tuple:
    number = re.sub(r"\D", "", claim.id)
    return (claim.report_id, int(number) if number else 0, claim.id)


# ---------------------------------------------------------------- grouping


def _areas_for_grouping(claim: Claim) -> list[str]:
    # A control claim is about every place it names; others about the first.
    if claim.event_type in _BLOCK_IS_MATTER and claim.locations:
        return claim.locations
    return [claim.area]


def counted_key(counted: str) -> str:
    words = set(_WORD.findall(counted.lower()))
    if words & {"displaced", "displacement", "fled", "refugees"}:
        return "people displaced"
    if words & {"civilian", "civilians", "children", "people"} and words & {"killed", "dead", "deaths", "death"}:
        return "civilians killed"
    if words & {"militants", "terrorists", "fighters", "insurgents", "rebels", "gunmen"}:
        return "fighters killed" if words & {"killed", "dead", "deaths", "death", "toll", "eliminated"} else "fighters"
    if words & {"soldiers", "troops", "personnel"}:
        return "soldiers killed" if words & {"killed", "dead", "deaths"} else "soldiers"
    return " ".join(sorted(words - _STOPWORDS)) or counted.lower()


def _content_words(claim: Claim) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(fold(claim.statement)) if w not in _STOPWORDS and len(w) > 2)


def _cluster(claims: list[Claim]) -> list[_Cluster]:
    blocks: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for claim in claims:
        for area in _areas_for_grouping(claim):
            blocks[(claim.event_type, area)].append(claim)

    clusters: list[_Cluster] = []
    for (event_type, area), members in blocks.items():
        if event_type in _BLOCK_IS_MATTER:
            cluster = _Cluster((event_type, area, ""), list(members))
            cluster.reasons.append(f"all claims about control of {area}")
            clusters.append(cluster)
        elif event_type in _COUNTED_MATTERS:
            clusters.extend(_split_by_counted(event_type, area, members))
        else:
            clusters.extend(_split_by_similarity(event_type, area, members))
    _join_disputes(clusters)
    clusters = [c for c in clusters if c.claims]
    clusters.sort(key=lambda c: (c.key[0], c.key[1], c.key[2], _claim_order(c.claims[0])))
    return clusters


def _split_by_counted(event_type: str, area: str, members: list[Claim]) -> list[_Cluster]:
    by_counted: dict[str, list[Claim]] = defaultdict(list)
    loose: list[Claim] = []
    for claim in members:
        keys = {counted_key(f.counted) for f in claim.figures}
        if keys:
            by_counted[sorted(keys)[0]].append(claim)
        else:
            loose.append(claim)
    clusters = []
    for counted, claims in by_counted.items():
        cluster = _Cluster((event_type, area, counted), claims)
        cluster.reasons.append(f"figures count the same thing ({counted}) in {area}")
        clusters.append(cluster)
    clusters.extend(_split_by_similarity(event_type, area, loose))
    return clusters


def _split_by_similarity(event_type: str, area: str, members: list[Claim]) -> list[_Cluster]:
    """Join claims whose statements share enough content words (union-find)."""
    words = [_content_words(c) for c in members]
    parent = list(range(len(members)))
    why: dict[int, str] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # An inverted index keeps this near-linear: only claims sharing a word meet.
    index: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            index[w].append(i)
    for i, ws in enumerate(words):
        candidates = {j for w in ws for j in index[w] if j < i}
        for j in sorted(candidates):
            union = len(ws | words[j])
            score = len(ws & words[j]) / union if union else 0.0
            if score >= SIMILARITY_THRESHOLD and find(i) != find(j):
                shared = ", ".join(sorted(ws & words[j])[:6])
                why[i] = f"{members[i].id} and {members[j].id} share {score:.0%} of their content words ({shared})"
                parent[find(i)] = find(j)
    by_root: dict[int, _Cluster] = {}
    for i, claim in enumerate(members):
        root = find(i)
        cluster = by_root.setdefault(root, _Cluster((event_type, area, f"#{root}")))
        cluster.claims.append(claim)
        if i in why:
            cluster.reasons.append(why[i])
    for cluster in by_root.values():
        cluster.reasons.insert(0, f"same event type ({event_type}) and area ({area})")
    return list(by_root.values())


def _join_disputes(clusters: list[_Cluster]) -> None:
    """A claim the model linked as denying another joins that claim's group."""
    home: dict[str, _Cluster] = {}
    for cluster in clusters:
        for claim in cluster.claims:
            home.setdefault(claim.id, cluster)
    for cluster in list(clusters):
        for claim in list(cluster.claims):
            target = home.get(claim.disputes or "")
            if target is None or target is cluster or home[claim.id] is not cluster:
                continue
            cluster.claims.remove(claim)
            target.claims.append(claim)
            home[claim.id] = target
            target.reasons.append(f"{claim.id} denies or contradicts {claim.disputes} in the same report")


# ---------------------------------------------------------------- labelling


def _label(cluster: _Cluster, day: dt.date, group_id: str) -> Group:
    claims = cluster.claims
    event_type, area, _ = cluster.key
    origins = sorted({c.origin for c in claims})
    reasons = list(dict.fromkeys(cluster.reasons))
    matter = f"{EVENT_LABELS[event_type]} · {area}"
    if event_type in _COUNTED_MATTERS and cluster.key[2] and not cluster.key[2].startswith("#"):
        matter = f"{EVENT_LABELS[event_type]} · {area} · {cluster.key[2]}"

    def group(status, members, conflict=None, strong=False, extra=()):
        return Group(
            id=group_id, matter=matter, event_type=event_type, area=area, status=status, conflict=conflict,
            strong=strong, members=members, origins=origins, reasons=reasons + list(extra),
        )

    # 1. Control: one side says it holds the place, the other says it took it.
    sides = {side: [c for c in claims if c.control == side] for side in ("government", "opposition")}
    if sides["government"] and sides["opposition"]:
        overtaken = _overtaken_side(sides, day)
        if overtaken is not None:
            old_side, new_side = overtaken
            cutoff = max(map(_date, sides[old_side]))
            newer = [c for c in sides[new_side] if _date(c) > cutoff]
            members = [
                GroupMember(claim_id=c.id, relation="superseded" if c.control == old_side else "supersedes" if c in newer else "corroborates")
                for c in claims
            ]
            why = (
                f"reporting up to {cutoff} ({_ids(sides[old_side])}) says {old_side} forces hold {area}; "
                f"later reporting ({_ids(newer)}, up to {max(map(_date, newer))}) says {new_side} forces do"
            )
            return group("superseded", members, extra=[why])
        members = [GroupMember(claim_id=c.id, relation="contradicts") for c in claims]
        why = f"opposing control of {area} in reporting of the same date: government ({_ids(sides['government'])}) vs opposition ({_ids(sides['opposition'])})"
        return group("contested", members, "contradiction", extra=[why])

    # 2. Denial: a claim and an explicit denial from another origin.
    denials = [c for c in claims if c.modality == "denied"]
    affirmed = [c for c in claims if c.modality != "denied"]
    if denials and affirmed and {c.origin for c in denials} != {c.origin for c in affirmed}:
        members = [GroupMember(claim_id=c.id, relation="denies" if c.modality == "denied" else "contradicts") for c in claims]
        why = f"{_ids(denials)} deny what {_ids(affirmed)} assert or report"
        return group("contested", members, "denial", extra=[why])

    # 3. Numeric discrepancy: different figures for the same count and period.
    discrepancy = _numeric_discrepancy(claims)
    if discrepancy:
        members = [GroupMember(claim_id=c.id, relation="numeric-discrepancy") for c in claims]
        return group("contested", members, "numeric-discrepancy", extra=[discrepancy])

    # 4. Framing: origins agree on the fact but name the actors in opposing terms.
    framing = _framing_conflict(claims)
    if framing and len(origins) > 1:
        members = [GroupMember(claim_id=c.id, relation="framing") for c in claims]
        return group("contested", members, "framing", extra=[framing])

    members = [GroupMember(claim_id=c.id, relation="corroborates") for c in claims]
    if len(origins) > 1:
        alignments = {origin_table().alignment_of(o) for o in origins}
        strong = "opposition" in alignments and bool(alignments & {"government", "government-ally"})
        why = f"{len(origins)} independent origins agree: {', '.join(origins)}" + (" (opposing parties agree)" if strong else "")
        return group("corroborated", members, strong=strong, extra=[why])
    carriers = sorted({c.report_id for c in claims})
    why = f"one origin ({origins[0]})" + (f", carried by reports {', '.join(carriers)}" if len(carriers) > 1 else "")
    return group("single-source", members, extra=[why])


def _date(claim: Claim) -> dt.date:
    return claim.published or dt.date.min


def _overtaken_side(sides: dict[str, list[Claim]], day: dt.date) -> tuple[str, str] | None:
    """(old side, new side) when one side's latest reporting predates the other's."""
    latest = {side: max(map(_date, claims)) for side, claims in sides.items()}
    if latest["government"] < latest["opposition"] and latest["government"] < day:
        return "government", "opposition"
    if latest["opposition"] < latest["government"] and latest["opposition"] < day:
        return "opposition", "government"
    return None


def _ids(claims: list[Claim]) -> str:
    return ", ".join(c.id for c in claims)


def _numeric_discrepancy(claims: list[Claim]) -> str | None:
    seen: dict[tuple[str, str, str], list[tuple[Claim, float]]] = defaultdict(list)
    for claim in claims:
        for figure in claim.figures:
            scope = fold(figure.as_of or "")
            seen[(counted_key(figure.counted), figure.unit.lower(), scope)].append((claim, figure.value))
    for (counted, unit, scope), entries in seen.items():
        values = {value for _, value in entries}
        origins = {claim.origin for claim, _ in entries}
        if len(values) > 1 and len(origins) > 1:
            shown = "; ".join(f"{claim.id}: {value:g}" for claim, value in entries)
            return f"different figures for {counted} ({unit}{', ' + scope if scope else ''}) from different origins: {shown}"
    return None


def _framing_conflict(claims: list[Claim]) -> str | None:
    table = origin_table()
    terms: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for claim in claims:
        for mention in claim.actors:
            leaning = table.leaning_of(mention.term) or "neutral"
            terms[table.actor_of(mention.actor)][leaning].add(f"{mention.term!r} ({claim.id})")
    for actor, by_leaning in terms.items():
        loaded = [lean for lean in by_leaning if lean != "neutral"]
        if loaded and len(by_leaning) > 1:
            shown = "; ".join(f"{lean}: {', '.join(sorted(t))}" for lean, t in sorted(by_leaning.items()))
            return f"{actor} named in opposing terms — {shown}"
    return None


# ---------------------------------------------------------------- figures, framing


def figure_rows(claims: list[Claim], group_of: dict[str, Group]) -> list[FigureRow]:
    rows: dict[tuple[str, str, str, str], list[tuple[Claim, object]]] = defaultdict(list)
    for claim in claims:
        for figure in claim.figures:
            key = (counted_key(figure.counted), claim.area, figure.unit.lower(), fold(figure.as_of or ""))
            rows[key].append((claim, figure))
    result = []
    for (counted, area, unit, _), entries in sorted(rows.items()):
        entries.sort(key=lambda e: e[1].value)  # conservative value first
        first_claim, first_figure = entries[0]
        statuses = sorted({group_of[c.id].status for c, _ in entries if c.id in group_of})
        result.append(
            FigureRow(
                counted=first_figure.counted if len({f.counted for _, f in entries}) == 1 else counted,
                area=area,
                unit=unit,
                values=list(dict.fromkeys(f.value_text for _, f in entries)),
                qualifier=first_figure.qualifier,
                origin="; ".join(dict.fromkeys(c.origin for c, _ in entries)),
                claim_ids=list(dict.fromkeys(c.id for c, _ in entries)),
                report_ids=list(dict.fromkeys(c.report_id for c, _ in entries)),
                as_of=first_figure.as_of,
                status=", ".join(statuses),
            )
        )
    return result


def framing_rows(claims: list[Claim]) -> list[FramingRow]:
    table = origin_table()
    by_actor: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    for claim in claims:
        for mention in claim.actors:
            label = claim.outlet if claim.outlet != "unknown" else f"report {claim.report_id}"
            by_actor[table.actor_of(mention.actor)].setdefault((label, mention.term), claim.id)
    rows = []
    for actor, terms in sorted(by_actor.items()):
        distinct_terms = {fold(term) for _, term in terms}
        if len(distinct_terms) < 2:
            continue  # nothing to compare
        rows.append(FramingRow(actor=actor, terms=[(label, term, cid) for (label, term), cid in sorted(terms.items())]))
    return rows
