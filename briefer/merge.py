"""Merge: the day's grounded claims -> groups, figures and framing.

Deterministic and explainable. Claims are first blocked by (event type, area),
so no comparison ever runs across the whole day; inside a block they are
joined when they are about the same matter. Each group then gets a label from
its claims' control, modality and figures, and counts independent origins
(original speakers), not outlets.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
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
# A border (the gazetteer's areas name one border each) is one matter: whether
# it is open, closed or cut, whoever words it how.
_ONE_MATTER_PER_AREA = {"border_crossing"}
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
    groups: list[Group] = []
    for cluster in clusters:
        overtaken, live = _split_overtaken(cluster, day)
        if overtaken is not None:
            groups.append(_superseded(overtaken, f"G{len(groups) + 1}"))
        if live.claims:
            groups.append(_label(live, day, f"G{len(groups) + 1}"))
    by_claim = {m.claim_id: g for g in groups for m in g.members}
    return MergeResult(groups, figure_rows(ordered, by_claim), framing_rows(ordered))


def _claim_order(claim: Claim) -> tuple:
    number = re.sub(r"\D", "", claim.id)
    return (claim.report_id, int(number) if number else 0, claim.id)


# ---------------------------------------------------------------- grouping


NATIONAL = "Syria (national)"


def _areas_for_grouping(claim: Claim) -> list[str]:
    # A control claim is about every place it names (the country as a whole
    # only when it names nothing narrower); other claims about their area.
    if claim.event_type in _BLOCK_IS_MATTER and claim.locations:
        specific = [place for place in claim.locations if place != NATIONAL]
        return specific or claim.locations
    return [claim.area]


_COUNT_SYNONYMS = {
    "militants": "fighters", "militant": "fighters", "terrorists": "fighters", "terrorist": "fighters", "insurgents": "fighters",
    "rebels": "fighters", "gunmen": "fighters", "fighter": "fighters", "civilians": "civilian", "deaths": "killed",
    "dead": "killed", "death": "killed", "eliminated": "killed", "casualties": "killed", "toll": "killed",
    "displacement": "displaced", "soldier": "soldiers", "troops": "soldiers",
}


def counted_key(counted: str) -> str:
    """What a figure counts, with synonyms folded: 'militants killed' == 'terrorists eliminated'."""
    words = {_COUNT_SYNONYMS.get(w, w) for w in _WORD.findall(counted.lower())} - _STOPWORDS
    return " ".join(sorted(words)) or counted.lower()


def _content_words(claim: Claim) -> frozenset[str]:
    statement = claim.statement
    if statement.isascii():
        # What fold() leaves of ASCII text, as far as these words go: lower
        # case, apostrophes and backticks dropped. (Its other steps only
        # change separators, or drop a leading article, which is too short
        # or a stopword anyway.)
        folded = statement.lower().replace("'", "").replace("`", "")
    else:
        folded = fold(statement)
    return frozenset(w for w in _WORD.findall(folded) if w not in _STOPWORDS and len(w) > 2)


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
        elif event_type in _ONE_MATTER_PER_AREA:
            cluster = _Cluster((event_type, area, ""), list(members))
            cluster.reasons.append(f"all claims about crossings on the {area}" if "border" in area else f"all claims about border crossings in {area}")
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
    """Join claims whose statements share enough content words (union-find).

    Pairs are visited in the order a plain all-pairs loop would visit them
    (each claim against every earlier one, earliest first), so the groups,
    their keys and the reasons given do not depend on the shortcuts below,
    which only skip pairs that cannot reach the threshold:

    * prefix filter: with the words of every statement in one fixed order
      (rarest in the block first), two statements whose overlap reaches the
      threshold share a word among the first ``len - ceil(T * len) + 1`` of
      each; only those prefixes are indexed and probed, so the words that
      nearly every claim in the block shares never generate candidates;
    * a candidate is scored with exact set sizes, as before.
    """
    words = [_content_words(c) for c in members]
    parent = list(range(len(members)))
    why: dict[int, str] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    frequency: Counter[str] = Counter(w for ws in words for w in ws)
    rank = {w: r for r, w in enumerate(sorted(frequency, key=lambda w: (frequency[w], w)))}
    index: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        ordered = sorted(ws, key=rank.__getitem__)
        prefix = ordered[: _prefix_length(len(ws))]
        candidates: set[int] = set()
        for w in prefix:
            candidates.update(index[w])
        own_root = i  # i is new: nothing has joined it yet
        size = len(ws)
        for j in sorted(candidates):
            other_root = find(j)
            if other_root == own_root:
                continue  # already joined: scoring the pair would change nothing
            other = words[j]
            common = ws & other
            union = size + len(other) - len(common)
            score = len(common) / union if union else 0.0
            if score >= SIMILARITY_THRESHOLD:
                shared = ", ".join(sorted(common)[:6])
                why[i] = f"{members[i].id} and {members[j].id} share {score:.0%} of their content words ({shared})"
                parent[own_root] = other_root
                own_root = other_root
        for w in prefix:
            index[w].append(i)
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


def _prefix_length(size: int) -> int:
    """Words of a statement that any statement similar enough must share one of.

    Jaccard >= T means an overlap of at least T * max(len A, len B) >= ceil(T * len A)
    words (less a hair, so rounding can only lengthen the prefix, never drop a pair).
    """
    return size - math.ceil(SIMILARITY_THRESHOLD * size - 1e-9) + 1


def _join_disputes(clusters: list[_Cluster]) -> None:
    """A claim the model linked as denying another joins that claim's group."""
    home: dict[str, _Cluster] = {}
    ids: dict[int, set[str]] = {}
    for cluster in clusters:
        ids[id(cluster)] = {claim.id for claim in cluster.claims}
        for claim in cluster.claims:
            home.setdefault(claim.id, cluster)
    for cluster in list(clusters):
        for claim in [c for c in cluster.claims if c.disputes]:
            target = home.get(claim.disputes)
            if target is None or target is cluster or home[claim.id] is not cluster or claim.id in ids[id(target)]:
                continue
            cluster.claims = [c for c in cluster.claims if c is not claim]
            ids[id(cluster)].discard(claim.id)
            target.claims.append(claim)
            ids[id(target)].add(claim.id)
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

    def group(status, members, conflict=None, strong=False, extra=(), counted=origins):
        return Group(
            id=group_id, matter=matter, event_type=event_type, area=area, status=status, conflict=conflict,
            strong=strong, members=members, origins=counted, reasons=reasons + list(extra),
        )

    def relate(agreeing: list[Claim], relation: str) -> list[GroupMember]:
        # Claims outside the agreeing set (no side, or a side still fighting) are context.
        ids = {c.id for c in agreeing}
        return [GroupMember(claim_id=c.id, relation=relation if c.id in ids else "related") for c in claims]

    agreeing = claims
    if event_type in _BLOCK_IS_MATTER:
        # 1. Control: one side says it holds the place, the other that it took it.
        sides = {side: [c for c in claims if c.control == side] for side in ("government", "opposition")}
        if sides["government"] and sides["opposition"]:
            why = f"opposing control of {area}: government ({_ids(sides['government'])}) vs opposition ({_ids(sides['opposition'])})"
            return group("contested", relate(sides["government"] + sides["opposition"], "contradicts"), "contradiction", extra=[why])
        held = sides["government"] or sides["opposition"]
        if held:
            agreeing = held
            others = [c for c in claims if c not in held]
            if others:
                reasons.append(f"{_ids(held)} say {held[0].control} forces hold {area}; {_ids(others)} give no side or a side still fighting for it")
    else:
        # 2. Denial: a claim, and an explicit denial from another party (or one
        # the model linked to it).
        denials = [c for c in claims if c.modality == "denied"]
        affirmed = [c for c in claims if c.modality != "denied"]
        if denials and affirmed and _opposed(denials, affirmed):
            members = [GroupMember(claim_id=c.id, relation="denies" if c.modality == "denied" else "contradicts") for c in claims]
            why = f"{_ids(denials)} deny what {_ids(affirmed)} assert or report"
            return group("contested", members, "denial", extra=[why])

        # 3. Numeric discrepancy: different figures for the same count and period.
        discrepancy = _numeric_discrepancy(claims)
        if discrepancy:
            return group("contested", relate(claims, "numeric-discrepancy"), "numeric-discrepancy", extra=[discrepancy])

    agreeing_origins = sorted({c.origin for c in agreeing})
    # 4. Framing: origins agree on the fact but name the actors in opposing terms.
    framing = _framing_conflict(agreeing)
    if framing and len(agreeing_origins) > 1:
        return group("contested", relate(agreeing, "framing"), "framing", extra=[framing], counted=agreeing_origins)

    if len(agreeing_origins) > 1:
        alignments = {origin_table().alignment_of(o) for o in agreeing_origins}
        strong = "opposition" in alignments and bool(alignments & {"government", "government-ally"})
        why = f"{len(agreeing_origins)} independent origins agree: {', '.join(agreeing_origins)}" + (" (opposing parties agree)" if strong else "")
        return group("corroborated", relate(agreeing, "corroborates"), strong=strong, extra=[why], counted=agreeing_origins)
    carriers = sorted({c.report_id for c in agreeing})
    why = f"one origin ({agreeing_origins[0]})" + (f", carried by reports {', '.join(carriers)}" if len(carriers) > 1 else "")
    return group("single-source", relate(agreeing, "corroborates"), extra=[why], counted=agreeing_origins)


def _date(claim: Claim) -> dt.date:
    return claim.published or dt.date.min


def _split_overtaken(cluster: _Cluster, day: dt.date) -> tuple[_Cluster | None, _Cluster]:
    """Split off control claims that later reporting has overtaken.

    When the newest reporting on a place all says one side holds it, earlier
    claims that the other side holds it are overtaken, not disputed.
    """
    dated = [c for c in cluster.claims if c.control in ("government", "opposition")]
    if cluster.key[0] not in _BLOCK_IS_MATTER or not dated:
        return None, cluster
    latest = max(map(_date, dated))
    latest_sides = {c.control for c in dated if _date(c) == latest}
    if len(latest_sides) != 1:
        return None, cluster
    (winner,) = latest_sides
    old = [c for c in dated if c.control != winner and _date(c) < latest and _date(c) < day]
    if not old:
        return None, cluster
    cutoff = max(map(_date, old))
    newer = [c for c in dated if c.control == winner and _date(c) > cutoff]
    area = cluster.key[1]
    overtaken = _Cluster(cluster.key, old + newer, [
        f"reporting up to {cutoff} ({_ids(old)}) says {old[0].control} forces hold {area}; "
        f"later reporting ({_ids(newer)}, up to {latest}) says {winner} forces do"
    ])
    live = _Cluster(cluster.key, [c for c in cluster.claims if c not in old], list(cluster.reasons))
    return overtaken, live


def _superseded(cluster: _Cluster, group_id: str) -> Group:
    event_type, area, _ = cluster.key
    old = {c.id for c in cluster.claims if c.control != cluster.claims[-1].control}
    return Group(
        id=group_id, matter=f"{EVENT_LABELS[event_type]} · {area}", event_type=event_type, area=area, status="superseded",
        members=[GroupMember(claim_id=c.id, relation="superseded" if c.id in old else "supersedes") for c in cluster.claims],
        origins=sorted({c.origin for c in cluster.claims}), reasons=[f"all claims about control of {area}", *cluster.reasons],
    )


def _opposed(denials: list[Claim], affirmed: list[Claim]) -> bool:
    """A denial disputes a claim from another party, or one it is linked to."""
    if any(d.disputes in {a.id for a in affirmed} for d in denials):
        return True
    table = origin_table()
    denying = {table.alignment_of(c.origin) for c in denials}
    asserting = {table.alignment_of(c.origin) for c in affirmed}
    return bool({c.origin for c in denials} - {c.origin for c in affirmed}) and denying != asserting


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


def _memo(function):
    """``function`` with a per-call cache: a day repeats the same few spellings thousands of times."""
    cache: dict = {}

    def cached(value):
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = function(value)
            return result

    return cached


def figure_rows(claims: list[Claim], group_of: dict[str, Group]) -> list[FigureRow]:
    rows: dict[tuple[str, str, str, str], list[tuple[Claim, object]]] = defaultdict(list)
    for claim in claims:
        for figure in claim.figures:
            key = (counted_key(figure.counted), claim.area, figure.unit.lower(), fold(figure.as_of or ""))
            rows[key].append((claim, figure))
    result = []
    for (counted, area, unit, _), entries in sorted(rows.items()):
        entries.sort(key=lambda e: e[1].value)  # conservative value first
        _, first_figure = entries[0]
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
    """How each report names the conflict's parties, where the naming differs.

    Only actors from the actor table, or named anywhere with a loaded term,
    so the table shows framing rather than every spelling of a minister's name.
    """
    table = origin_table()
    known = {actor for actor, _ in table.actor_patterns}
    by_actor: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    spellings: dict[str, set[tuple[str, str]]] = defaultdict(set)  # per actor: (label, folded term) already listed
    folded = _memo(fold)
    actor_of = _memo(table.actor_of)
    for claim in claims:
        label = claim.outlet if claim.outlet != "unknown" else f"report {claim.report_id}"
        for mention in claim.actors:
            actor = actor_of(mention.actor)
            if (label, folded(mention.term)) not in spellings[actor]:
                spellings[actor].add((label, folded(mention.term)))
                by_actor[actor][(label, mention.term)] = claim.id
    rows = []
    for actor, terms in sorted(by_actor.items()):
        loaded = any(table.leaning_of(term) for _, term in terms)
        if len({folded(term) for _, term in terms}) < 2 or not (actor in known or loaded):
            continue
        rows.append(FramingRow(actor=actor, terms=[(label, term, cid) for (label, term), cid in sorted(terms.items())]))
    return rows
