"""The similarity join's shortcuts skip only pairs that cannot join: same
groups, keys and reasons as the plain all-pairs loop it replaced."""

import random
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from briefer import merge as merge_module
from briefer.merge import SIMILARITY_THRESHOLD, _Cluster, _content_words, _split_by_similarity
from tests.factories import claim

VOCABULARY = "army rebels took control town village clashes near airport strike drone killed civilians displaced families convoy aid crossing closed minister talks".split()


def all_pairs(event_type, area, members):
    """The original implementation, kept as the reference."""
    words = [_content_words(c) for c in members]
    parent = list(range(len(members)))
    why = {}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = defaultdict(list)
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
    by_root = {}
    for i, c in enumerate(members):
        root = find(i)
        cluster = by_root.setdefault(root, _Cluster((event_type, area, f"#{root}")))
        cluster.claims.append(c)
        if i in why:
            cluster.reasons.append(why[i])
    for cluster in by_root.values():
        cluster.reasons.insert(0, f"same event type ({event_type}) and area ({area})")
    return list(by_root.values())


def shape(clusters):
    return [(c.key, [m.id for m in c.claims], c.reasons) for c in clusters]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(VOCABULARY + ["the", "of", "Daraa", "said"]), min_size=0, max_size=12), min_size=1, max_size=40))
def test_same_groups_as_all_pairs(statements):
    members = [claim(id=f"C{i}", statement=" ".join(words), event_type="clash") for i, words in enumerate(statements)]
    assert shape(_split_by_similarity("clash", "Daraa", members)) == shape(all_pairs("clash", "Daraa", members))


def test_same_groups_as_all_pairs_on_a_large_block():
    rng = random.Random(5)
    members = [claim(id=f"C{i}", statement=" ".join(rng.sample(VOCABULARY, rng.randint(3, 10))), event_type="strike") for i in range(400)]
    assert shape(_split_by_similarity("strike", "Hama", members)) == shape(all_pairs("strike", "Hama", members))


def test_prefix_is_never_shorter_than_the_filter_needs():
    for size in range(0, 60):
        needed = min((k for k in range(size + 1) if k >= SIMILARITY_THRESHOLD * size), default=0)
        assert merge_module._prefix_length(size) >= size - needed + 1
