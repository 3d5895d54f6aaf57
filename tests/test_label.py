"""Labels are code's: computed from the model's stances and origins, by rule."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from briefer.label import label_all
from tests.factories import claim, figure, matter, origin

ORIGINS = [origin("O1", "Health ministry", "government"), origin("O2", "Army", "government"), origin("O3", "Rebel command", "opposition"), origin("O4", "Monitor", None)]


def labelled(members, claims=None, **kwargs):
    ids = {m[0] for m in members} | {m[4] for m in members if len(m) > 4 and m[4]}
    claims = claims or {cid: claim(id=cid, report_id=f"r{cid}") for cid in ids}
    (result,), notes = label_all([matter("M1", members, **kwargs)], claims, ORIGINS, {c.report_id for c in claims.values()})
    return result, notes


def test_two_origins_on_one_position_corroborate():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O2", "P1")])
    assert (result.status, result.conflict, result.strong, result.independent_origins) == ("corroborated", None, False, 2)


def test_opposing_camps_agreeing_is_strong_corroboration():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O3", "P1")])
    assert result.status == "corroborated" and result.strong and "2 different camps" in result.rules[-1]


def test_one_origin_through_many_outlets_is_single_source():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O1", "P1"), ("C3", "O1", "P1")])
    assert result.status == "single-source" and result.independent_origins == 1


def test_different_positions_of_two_origins_are_a_contradiction():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O3", "P2")])
    assert (result.status, result.conflict) == ("contested", "contradiction")


def test_a_denial_of_what_another_origin_says():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O3", "P1", "denies")])
    assert (result.status, result.conflict) == ("contested", "denial")
    assert "Rebel command (O3) denies position P1, which Health ministry (O1) supports" in result.rules[-1]


def test_a_self_denial_is_no_dispute():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O1", "P1", "denies")])
    assert result.status == "single-source"


def test_different_figures_are_a_numeric_discrepancy():
    claims = {"C1": claim(id="C1", report_id="r1", figures=[figure(41, "people killed")]), "C2": claim(id="C2", report_id="r2", figures=[figure(12, "people killed")])}
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O3", "P2")], claims)
    assert (result.status, result.conflict) == ("contested", "numeric-discrepancy")


def test_same_fact_in_other_words_is_framing():
    result, _ = labelled([("C1", "O1", "P1"), ("C2", "O3", "P2")], frames={"P2": "P1"})
    assert (result.status, result.conflict) == ("contested", "framing")


def test_an_overtaken_claim_no_longer_counts():
    claims = {"C1": claim(id="C1", report_id="r1", published=dt.date(2024, 12, 2)), "C2": claim(id="C2", report_id="r2"), "C3": claim(id="C3", report_id="r3")}
    result, notes = labelled([("C1", "O1", "P1", "supports", "C2"), ("C2", "O3", "P2"), ("C3", "O4", "P2")], claims)
    assert result.status == "corroborated" and result.independent_origins == 2 and notes == []
    assert "overtaken by later reporting" in result.rules[0]


def test_a_claim_cannot_be_overtaken_by_earlier_reporting():
    claims = {"C1": claim(id="C1", report_id="r1"), "C2": claim(id="C2", report_id="r2", published=dt.date(2024, 12, 1))}
    result, notes = labelled([("C1", "O1", "P1", "supports", "C2"), ("C2", "O3", "P2")], claims)
    assert result.members[0].overtaken_by is None and result.status == "contested"
    assert "not later reporting" in notes[0].message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["O1", "O2", "O3", "O4"]), st.sampled_from(["P1", "P2", "P3"]), st.sampled_from(["supports", "denies"])), min_size=1, max_size=12))
def test_labels_follow_from_stances_and_origins_whatever_the_order(rows):
    members = [(f"C{i}", o, p, s) for i, (o, p, s) in enumerate(rows, start=1)]
    forward, _ = labelled(members)
    backward, _ = labelled(list(reversed(members)))
    assert (forward.status, forward.conflict, forward.independent_origins) == (backward.status, backward.conflict, backward.independent_origins)
    origins = {o for o, _, _ in rows}
    assert forward.independent_origins == len(origins)
    if len(origins) == 1:
        assert forward.status == "single-source"
    if forward.status == "corroborated":
        positions = {p for _, p, s in rows if s == "supports"}
        assert len(positions) == 1 and len({o for o, p, s in rows if s == "supports"}) >= 2
