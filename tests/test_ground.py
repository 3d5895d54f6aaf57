import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from briefer.ground import MIN_QUOTE_CHARS, NormalisedText, QuoteNotFound, TermFinder, locate, normalise

TEXT = "The army said “our forces  repositioned\nin Daraa” on Saturday.\n\nSOHR disagreed."


def test_locate_returns_offsets_of_the_original_text():
    span = locate('"our forces repositioned in Daraa"', NormalisedText.of(TEXT))
    assert TEXT[span.start : span.end] == "“our forces  repositioned\nin Daraa”"


def test_curly_and_straight_apostrophes_match():
    text = "the army’s dispersed checkpoints were attacked"
    span = locate("the army's dispersed checkpoints", NormalisedText.of(text))
    assert text[span.start : span.end] == "the army’s dispersed checkpoints"


def test_a_changed_word_is_not_evidence():
    with pytest.raises(QuoteNotFound, match="not found"):
        locate("our forces withdrew in Daraa", NormalisedText.of(TEXT))


def test_a_tiny_quote_is_not_evidence():
    with pytest.raises(QuoteNotFound, match="too short"):
        locate("Daraa", NormalisedText.of(TEXT))


def test_matching_is_case_sensitive():
    with pytest.raises(QuoteNotFound):
        locate("THE ARMY SAID", NormalisedText.of(TEXT))


def test_terms_are_found_verbatim_or_after_normalising_and_short_ones_too():
    uses = TermFinder("The \u201crebels\u201d  entered   the city, SOHR said.")
    assert uses("SOHR") and uses('"rebels" entered the city')  # quote marks and spaces normalised
    assert not uses("") and not uses("insurgents")


@settings(deadline=None)
@given(st.data())
def test_any_substring_is_found_and_maps_back(data):
    text = data.draw(st.text(alphabet=st.sampled_from("abcdxyz .\n\t“”‘’'\""), min_size=40, max_size=200))
    start = data.draw(st.integers(0, len(text) - MIN_QUOTE_CHARS))
    piece = text[start : start + data.draw(st.integers(MIN_QUOTE_CHARS, len(text) - start))]
    assume(len(normalise(piece)) >= MIN_QUOTE_CHARS)
    span = locate(piece, NormalisedText.of(text))
    assert normalise(text[span.start : span.end]) == normalise(piece)
