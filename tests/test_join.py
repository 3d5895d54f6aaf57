"""The join step's code (briefer/join.py): groups chain across windows, merged matters keep every member."""

from briefer.join import Unions, apply_joins, join_problems, name_signature, windows
from briefer.models import BlockJoinDraft
from tests.factories import matter, origin


def test_windows_overlap_so_a_group_split_by_a_window_edge_still_chains():
    items = list(range(10))
    assert windows(items, 4, 1) == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    unions = Unions()
    unions.join("m:B1.M1", "m:B2.M3", "same question, first window")
    unions.join("m:B2.M3", "m:B3.M2", "same question, next window")
    assert unions.find("m:B3.M2") == unions.find("m:B1.M1") == "m:B1.M1"


def test_joined_matters_and_origins_keep_every_member_and_speaker():
    first = matter("B1.M1", [("C1", "B1.O1", "P1")], question="Did the dam hold?")
    second = matter("B2.M1", [("C2", "B2.O1", "P1"), ("C3", "B2.O2", "P2")], question="Did the dam hold?")
    origins = [origin("B1.O1", "Water authority", speakers=["Water authority"]), origin("B2.O1", "The authority", speakers=["The authority"]),
               origin("B2.O2", "Residents")]
    unions = Unions()
    unions.join("m:B1.M1", "m:B2.M1", "one question")
    unions.join("p:B1.M1.P1", "p:B2.M1.P1", "the same answer")
    unions.join("o:B1.O1", "o:B2.O1", "one body")
    matters, merged = apply_joins([first, second], origins, unions)
    assert len(matters) == 1 and [m.claim_id for m in matters[0].members] == ["C1", "C2", "C3"]
    assert {m.claim_id: m.position for m in matters[0].members} == {"C1": "B1.M1.P1", "C2": "B1.M1.P1", "C3": "B2.M1.P2"}
    assert {o.id: o.speakers for o in merged} == {"B1.O1": ["Water authority", "The authority"], "B2.O2": ["Residents"]}
    assert {m.origin for m in matters[0].members} == {"B1.O1", "B2.O2"}


def test_a_join_answer_naming_unknown_or_repeated_ids_is_refused():
    draft = BlockJoinDraft.model_validate({"matters": [{"parts": ["B1.M1", "B9.M9"], "why": "x"}, {"parts": ["B1.M1", "B2.M1"], "why": "y"}], "positions": [], "origins": []})
    problems = join_problems(draft, {"B1.M1", "B2.M1"}, set(), set())
    assert problems == ["matter 'B9.M9' is not one of the matters given", "matter B1.M1 is in more than one group"]
    assert name_signature("The Ministry of Defence") == name_signature("Defence, Ministry of")
