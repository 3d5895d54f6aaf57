from hypothesis import given, settings
from hypothesis import strategies as st

from briefer.chunks import split_text


def test_short_text_is_one_chunk():
    assert split_text("short", 100, 10) == [(0, "short")]


def test_chunks_end_at_paragraphs_when_they_can():
    text = ("A sentence here. " * 10 + "\n\n") * 6
    chunks = split_text(text, 400, 50)
    assert len(chunks) > 1
    assert all(chunk.endswith("\n\n") for _, chunk in chunks[:-1])


@settings(deadline=None, max_examples=80)
@given(st.text(alphabet=st.sampled_from("abc .\n"), min_size=0, max_size=3000), st.integers(200, 800), st.integers(0, 150))
def test_chunks_cover_the_text_in_order_with_true_offsets(text, size, overlap):
    chunks = split_text(text, size, overlap)
    assert chunks[0][0] == 0
    covered = 0
    for offset, chunk in chunks:
        assert text[offset : offset + len(chunk)] == chunk
        assert len(chunk) <= size
        assert offset <= covered  # no gap
        covered = max(covered, offset + len(chunk))
    assert covered == len(text)
    assert [o for o, _ in chunks] == sorted({o for o, _ in chunks})
