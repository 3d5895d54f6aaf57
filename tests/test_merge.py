import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from briefer.merge import counted_key, merge
from briefer.models import ActorMention
from tests.factories import claim, figure

DAY = dt.date(2024, 12, 7)
EARLIER = dt.date(2024, 12, 4)


def only_group(claims):
    result = merge(claims, DAY)
    assert len(result.groups) == 1, [g.matter for g in result.groups]
    return result.groups[0]


def test_opposing_control_on_the_same_day_is_a_contradiction():
    sohr = claim(id="C1", speaker="Syrian Observatory for Human Rights", control="opposition")
    army = claim(id="C2", report_id="r2", speaker="General Command of the Army", origin="Syrian army", control="government")
    group = only_group([sohr, army])
    assert (group.status, group.conflict) == ("contested", "contradiction")
    assert {m.relation for m in group.members} == {"contradicts"}
    assert group.independent_origins == 2
    assert any("opposing control of Daraa" in r for r in group.reasons)


def test_older_reporting_overtaken_by_later_is_superseded_not_disputed():
    firm = claim(id="C1", report_id="old", area="Hama", control="government", published=EARLIER, origin="Syrian army")
    fell = claim(id="C2", report_id="new", area="Hama", control="opposition", published=DAY, origin="Opposition")
    overtaken, live = merge([firm, fell], DAY).groups
    assert overtaken.status == "superseded" and overtaken.conflict is None
    assert {m.claim_id: m.relation for m in overtaken.members} == {"C1": "superseded", "C2": "supersedes"}
    assert "later reporting (C2, up to 2024-12-07)" in overtaken.reasons[-1]
    assert live.status == "single-source" and live.claim_ids == ["C2"]  # the later claim stands on its own


def test_only_claims_older_than_the_latest_agreeing_reporting_are_overtaken():
    old_opp = claim(id="C1", report_id="a", area="Hama", control="opposition", published=EARLIER, origin="Media")
    old_gov = claim(id="C2", report_id="a", area="Hama", control="government", published=EARLIER, origin="Syrian army")
    new_opp = claim(id="C3", report_id="b", area="Hama", control="opposition", published=DAY, origin="SOHR")
    overtaken, live = merge([old_opp, old_gov, new_opp], DAY).groups
    assert overtaken.claim_ids == ["C2", "C3"]
    assert sorted(live.claim_ids) == ["C1", "C3"] and live.status == "corroborated"


def test_same_day_disagreement_stays_contested_even_with_older_reports():
    old = claim(id="C1", report_id="old", control="government", published=EARLIER, origin="Syrian army")
    today_gov = claim(id="C2", report_id="r2", control="government", published=DAY, origin="Syrian army")
    today_opp = claim(id="C3", report_id="r3", control="opposition", published=DAY, origin="SOHR")
    assert only_group([old, today_gov, today_opp]).status == "contested"


def test_denial_from_another_origin():
    report = claim(id="C1", event_type="diplomacy", area="Damascus", statement="Iran withdrew its embassy staff from Damascus.", origin="New York Times")
    denial = claim(id="C2", event_type="diplomacy", area="Damascus", statement="Iran denied it withdrew its embassy staff from Damascus.", modality="denied", origin="Iranian government")
    group = only_group([report, denial])
    assert (group.status, group.conflict) == ("contested", "denial")
    assert {m.claim_id: m.relation for m in group.members} == {"C1": "contradicts", "C2": "denies"}


def test_a_linked_denial_joins_the_claim_it_denies():
    report = claim(id="C1", event_type="diplomacy", area="Damascus", statement="A newspaper said personnel are leaving.", origin="NYT")
    denial = claim(id="C2", event_type="statement", area="Syria (national)", statement="A spokesman called it untrue.", modality="denied", origin="Iran", disputes="C1")
    group = only_group([report, denial])
    assert group.conflict == "denial"
    assert any("C2 denies or contradicts C1" in r for r in group.reasons)


def test_numeric_discrepancy_needs_same_count_and_scope():
    a = claim(id="C1", event_type="displacement", area="Syria (national)", figures=[figure(370000)], origin="United Nations")
    b = claim(id="C2", event_type="displacement", area="Syria (national)", figures=[figure(280000)], origin="OCHA field office")
    group = only_group([a, b])
    assert (group.status, group.conflict) == ("contested", "numeric-discrepancy")


def test_figures_with_different_periods_are_not_forced_together():
    a = claim(id="C1", event_type="casualties", area="Hama", figures=[figure(2500, "militants killed", "militants", as_of="over the past week")], origin="State TV")
    b = claim(id="C2", event_type="casualties", area="Hama", figures=[figure(1000, "terrorists killed", "militants", as_of="three days")], origin="Syrian media")
    group = only_group([a, b])
    assert group.conflict != "numeric-discrepancy"


def test_figure_rows_show_the_conservative_value_first():
    a = claim(id="C1", event_type="displacement", area="Syria (national)", figures=[figure(370000)], origin="UN")
    b = claim(id="C2", event_type="displacement", area="Syria (national)", figures=[figure(280000)], origin="OCHA")
    (row,) = merge([a, b], DAY).figures
    assert row.values == ["280,000", "370,000"]
    assert row.claim_ids == ["C2", "C1"]


def test_framing_when_origins_agree_but_name_actors_in_opposing_terms():
    army = claim(id="C1", control="opposition", origin="Syrian army", actors=[ActorMention(term="terrorist elements", actor="opposition forces")])
    sohr = claim(id="C2", control="opposition", origin="SOHR", actors=[ActorMention(term="local factions", actor="opposition forces")])
    group = only_group([army, sohr])
    assert (group.status, group.conflict) == ("contested", "framing")


def test_corroboration_across_opposing_parties_is_strong():
    army = claim(id="C1", event_type="strike", area="Homs", statement="Air strikes hit positions near Homs city.", speaker="Syrian army", origin="Syrian government armed forces")
    rebels = claim(id="C2", event_type="strike", area="Homs", statement="Air strikes hit positions near Homs city overnight.", speaker="HTS", origin="Opposition factions")
    group = only_group([army, rebels])
    assert group.status == "corroborated" and group.strong


def test_one_origin_carried_by_three_outlets_counts_once():
    carried = [claim(id=f"C{i}", report_id=f"r{i}", outlet=f"Outlet {i}", origin="Syrian army", control="government") for i in range(3)]
    group = only_group(carried)
    assert group.status == "single-source"
    assert group.independent_origins == 1
    assert "carried by reports r0, r1, r2" in group.reasons[-1]


def test_unrelated_statements_in_one_area_stay_apart():
    a = claim(id="C1", event_type="diplomacy", area="Doha (Qatar)", statement="Foreign ministers of Russia, Iran and Turkey met in Doha.")
    b = claim(id="C2", event_type="diplomacy", area="Doha (Qatar)", statement="Lavrov warned against terrorist group control of Syrian territory.", origin="Russia")
    assert len(merge([a, b], DAY).groups) == 2


def test_counted_keys_fold_synonyms():
    assert counted_key("militants killed") == counted_key("terrorists eliminated") == "fighters killed"
    assert counted_key("people displaced") == counted_key("displaced people")
    assert counted_key("people displaced more than once") != counted_key("people displaced")
    assert counted_key("children killed") != counted_key("civilians killed")


# ------------------------------------------------------------ properties

origins = st.sampled_from(["Syrian army", "SOHR", "Opposition", "UN", "Russia"])
areas = st.sampled_from(["Daraa", "Hama", "Homs"])
claims_strategy = st.lists(
    st.builds(
        lambda i, origin, area, control, days_back, event: claim(
            id=f"C{i}", report_id=f"r{i % 4}", origin=origin, area=area, control=control, event_type=event,
            published=DAY - dt.timedelta(days=days_back), statement=f"Forces moved in {area} on day {days_back}.",
        ),
        st.integers(0, 10_000), origins, areas, st.sampled_from(["government", "opposition", None]), st.integers(0, 3),
        st.sampled_from(["territorial_control", "clash", "strike"]),
    ),
    max_size=25,
    unique_by=lambda c: c.id,
)


def _shape(result):
    return sorted((g.status, g.conflict, tuple(sorted(g.claim_ids)), tuple(g.origins)) for g in result.groups)


@settings(max_examples=60, deadline=None)
@given(claims_strategy, st.randoms())
def test_grouping_does_not_depend_on_input_order(claims, rnd):
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    assert _shape(merge(claims, DAY)) == _shape(merge(shuffled, DAY))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), origins, areas)
def test_one_origin_repeated_by_n_outlets_counts_once(n, origin, area):
    carried = [claim(id=f"C{i}", report_id=f"r{i}", outlet=f"Outlet {i}", origin=origin, area=area) for i in range(n)]
    (group,) = merge(carried, DAY).groups
    assert group.independent_origins == 1


@settings(max_examples=60, deadline=None)
@given(claims_strategy)
def test_no_claim_both_corroborates_and_contradicts_a_group(claims):
    for group in merge(claims, DAY).groups:
        relations: dict[str, set[str]] = {}
        for member in group.members:
            relations.setdefault(member.claim_id, set()).add(member.relation)
        for rel in relations.values():
            assert len(rel) == 1
            assert not ({"corroborates", "contradicts"} <= rel)


@settings(max_examples=30, deadline=None)
@given(claims_strategy)
def test_every_claim_lands_in_a_group(claims):
    grouped = {cid for g in merge(claims, DAY).groups for cid in g.claim_ids}
    assert grouped == {c.id for c in claims}


def test_order_independence_on_a_fixed_mixed_day():
    claims = [claim(id=f"C{i}", area=a, origin=o, control=c) for i, (a, o, c) in enumerate(
        [("Daraa", "SOHR", "opposition"), ("Daraa", "Syrian army", "government"), ("Hama", "Opposition", "opposition"), ("Homs", "UN", None)])]
    expected = _shape(merge(claims, DAY))
    for seed in range(5):
        random.Random(seed).shuffle(claims)
        assert _shape(merge(claims, DAY)) == expected


def test_control_corroboration_counts_only_claims_on_the_same_side():
    army = claim(id="C1", origin="Syrian army", control="government")
    vague = claim(id="C2", origin="Activists", control=None, statement="Activists said the city was out of control.")
    fighting = claim(id="C3", origin="SOHR", control="contested", statement="SOHR said fighting continued for the city.")
    group = only_group([army, vague, fighting])
    assert group.status == "single-source" and group.origins == ["Syrian army"]
    assert {m.claim_id: m.relation for m in group.members} == {"C1": "corroborates", "C2": "related", "C3": "related"}
    assert group.lead_id == "C1"


def test_contradiction_leaves_sideless_claims_as_context():
    gov = claim(id="C1", origin="Syrian army", control="government")
    opp = claim(id="C2", origin="SOHR", control="opposition")
    side_less = claim(id="C3", origin="Reuters", control=None)
    group = only_group([gov, opp, side_less])
    assert group.conflict == "contradiction"
    assert {m.claim_id: m.relation for m in group.members} == {"C1": "contradicts", "C2": "contradicts", "C3": "related"}


def test_claims_about_one_border_are_one_matter_however_worded():
    outlet = claim(id="C1", event_type="border_crossing", area="Syria–Jordan border", origin="unknown (report 000)",
                   statement="Jordan closed its border with Syria as the fighting reached close to Jordanian territory.")
    government = claim(id="C2", event_type="border_crossing", area="Syria–Jordan border", origin="Jordanian government",
                       statement="The Jordanian government announced it closed its border crossing over security conditions.")
    group = only_group([outlet, government])
    assert group.status == "corroborated" and group.independent_origins == 2
    assert "all claims about crossings on the Syria–Jordan border" in group.reasons
