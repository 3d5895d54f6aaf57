import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from briefer.dedupe import near_duplicates
from briefer.models import Report

WIRE = ("DAMASCUS, Dec. 5 (Xinhua) -- The Syrian army forces engaged in fierce fighting in the central province of Hama "
        "against rebel factions, killing at least 300 militants, according to the Syrian Defense Ministry. ") * 3


def report(rid, text, day=7):
    return Report(id=rid, path=rid, text=text, sha256=rid, published=dt.date(2024, 12, day))


def test_a_wire_copy_with_a_new_intro_is_a_near_duplicate_of_the_earlier_report():
    original = report("a", WIRE, day=5)
    copy = report("b", "Connect with us. World news. " + WIRE + " Share this article.", day=6)
    other = report("c", "Iran's foreign minister arrived in Doha on Saturday for the Astana talks and the Doha Forum.")
    assert near_duplicates([copy, other, original]) == {"b": ("a", near_duplicates([original, copy])["b"][1])}
    assert near_duplicates([copy, other, original])["b"][1] >= 0.6


def test_different_reports_are_not_duplicates():
    assert near_duplicates([report("a", WIRE), report("b", "A completely different story about displacement in Idlib and aid convoys.")]) == {}


@settings(deadline=None, max_examples=40)
@given(st.permutations(["a", "b", "c", "d"]))
def test_result_does_not_depend_on_input_order(order):
    texts = {"a": WIRE, "b": WIRE + " Extra line.", "c": "Unrelated text about Doha talks between ministers.", "d": "Another " + WIRE}
    reports = [report(rid, texts[rid]) for rid in order]
    assert near_duplicates(reports) == near_duplicates(sorted(reports, key=lambda r: r.id))
