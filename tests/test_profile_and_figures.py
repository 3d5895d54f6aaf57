"""The optional story profile, sentence references and figure checks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefer.figures import checked_figures, numbers_in
from briefer.ground import QuoteNotFound
from briefer.profile import ProfileError, StoryProfile, apply_profile
from briefer.sentences import BadReference, Sentences
from tests.factories import claim, figure, matter, origin

PROFILE = """
name = "Test story"
[origins."Ministry of Health"]
camp = "government"
aliases = ["health ministry", "moh"]
"""


def test_a_profile_merges_origins_and_sets_camps(tmp_path):
    path = tmp_path / "story.toml"
    path.write_text(PROFILE)
    profile = StoryProfile.load(path)
    origins = [origin("O1", "Health Ministry", None, ["health ministry spokesman"]), origin("O2", "MoH", "state"), origin("O3", "Army")]
    matters = [matter("M1", [("C1", "O1", "P1"), ("C2", "O2", "P1"), ("C3", "O3", "P1")])]
    merged, remapped = apply_profile(profile, origins, matters)
    assert [(o.id, o.name, o.camp) for o in merged] == [("O1", "Ministry of Health", "government"), ("O3", "Army", None)]
    assert [m.origin for m in remapped[0].members] == ["O1", "O1", "O3"]


def test_no_profile_changes_nothing():
    origins, matters = [origin("O1", "A")], [matter("M1", [("C1", "O1", "P1")])]
    assert apply_profile(None, origins, matters) == (origins, matters)


def test_a_broken_profile_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("name = [")
    with pytest.raises(ProfileError, match="bad.toml: the story profile is not valid TOML"):
        StoryProfile.load(path)


def test_sentences_keep_exact_offsets_even_with_missing_spaces():
    text = "date 2024-12-07 Local factions took control of 80% of Deraa provincein southern Syria. “We hold it,” he said.\n\nA third one."
    sentences = Sentences.of(text)
    for s in sentences.items:
        assert text[s.start : s.end].strip() == text[s.start : s.end]
    span = sentences.resolve("S1", "80% of Deraa provincein")
    assert text[span.start : span.end] == "80% of Deraa provincein"
    with pytest.raises(BadReference):
        sentences.resolve("S0", None)
    with pytest.raises(BadReference):
        sentences.resolve("sentence two", None)
    with pytest.raises(QuoteNotFound):
        sentences.resolve("S1", "A third one.")


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=60), min_size=1, max_size=8))
def test_every_sentence_maps_back_to_the_text(paragraphs):
    text = "\n\n".join(paragraphs)
    sentences = Sentences.of(text)
    last = 0
    for s in sentences.items:
        assert 0 <= s.start < s.end <= len(text) and s.start >= last
        last = s.end


def test_numbers_are_read_in_digits_words_and_scales():
    assert {370000.0, 2.5, 2_500_000.0, 40.0, 12.0} <= numbers_in("at least 370,000 people; 2.5 million more; forty? no: 40 and a dozen")


def test_a_figure_not_written_in_its_quote_is_left_out_and_named():
    claims = [claim(id="C1", quote="at least 41 people died in the blast", figures=[figure(41, "people killed"), figure(410, "people killed")])]
    (checked,), notes = checked_figures(claims)
    assert [f.value for f in checked.figures] == [41]
    assert "figure 410 people (people killed) left out" in notes[0].message
