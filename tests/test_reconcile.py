"""Reconcile: the model's grouping is checked by code, re-asked, or replaced."""

import copy

import pytest

from briefer.cache import NoCache
from briefer.llm import AttemptLog, Completion, ModelSettings
from briefer.models import BlockJoinDraft, ReconcileDraft, SourceRow, Usage
from briefer.prompting import PromptSet
from briefer.reconcile import ReconcileOptions, Reconciler, block_problems, blocks_of, compact_claim, fallback
from tests.factories import DAY, claim
from tests.support import synthetic_model

CLAIMS = [
    claim(id="C1", report_id="01", speaker="Ministry of Health", matter="How many people died?", position="41"),
    claim(id="C2", report_id="02", speaker="health ministry spokesman", matter="What is the death toll?", position="41 dead"),
    claim(id="C3", report_id="03", speaker="Army", matter="What caused the blast?", position="a rocket misfire"),
]
SOURCES = [SourceRow(report_id=r, role="primary", outlet="unknown", published=DAY, date_source="text", date_basis="stated",
                     dateline=None, wire_credits=[], summary="S.", path=f"{r}.txt", claims=1, rejected=0) for r in ("01", "02", "03")]


def answer(matters, origins=None):
    return ReconcileDraft.model_validate({
        "origins": origins or [{"id": "O1", "name": "Ministry of Health", "camp": "government", "why": "one ministry"},
                               {"id": "O2", "name": "Army", "camp": "government", "why": "army"}],
        "matters": [{"id": f"M{i}", "title": "t", "question": "q?", "rank": i, "why": "w",
                     "positions": [{"id": "P1", "text": "a", "frames": None}], "members": members} for i, members in enumerate(matters, start=1)],
    })


def member(c, o="O1", p="P1", over=None):
    return {"c": c, "o": o, "p": p, "st": "supports", "over": over}


GOOD = answer([[member("C1"), member("C2")], [member("C3", "O2")]])


class ScriptedClient:
    def __init__(self, *answers):
        self.settings = ModelSettings(model="test-model")
        self.answers = list(answers)
        self.sent = []

    def complete(self, messages, response_model, *, max_tokens=None, log: AttemptLog | None = None):
        self.sent.append(copy.deepcopy(messages))
        log.attempts += 1
        log.usage = log.usage + Usage(prompt_tokens=100, completion_tokens=50, requests=1)
        if not self.answers:
            raise AssertionError("unexpected request")
        return Completion(parsed=self.answers.pop(0), model="answering-model", usage=Usage(), attempts=log.attempts)


def test_the_model_sees_compact_claims_not_report_texts():
    client = ScriptedClient(GOOD)
    out = Reconciler(client, PromptSet(), NoCache()).reconcile(CLAIMS, SOURCES)
    user = client.sent[0][1]["content"]
    assert compact_claim(CLAIMS[1]) in user and "a verbatim quote" not in user
    assert [m.claim_ids for m in out.matters] == [["C1", "C2"], ["C3"]]
    assert out.origins[0].speakers == ["Ministry of Health", "health ministry spokesman"]  # two spellings, one origin


def test_every_claim_once_and_known_ids_only():
    bad = answer([[member("C1"), member("C9")], [member("C1", "O2"), member("C2", "O7", "P4", over="C1")]])
    problems = block_problems(bad, ["C1", "C2", "C3"])
    assert "matter M1 lists claim 'C9', which is not one of the claims given" in problems
    assert "claim C1 is placed in more than one matter (M1, M2): put it in exactly one" in problems
    assert "claim C2 in matter M2 has origin 'O7', which is not in origins" in problems
    assert "claim C2 in matter M2 takes position 'P4', which is not a position of that matter" in problems
    assert "claims left out (every claim must be in exactly one matter): C3" in problems
    assert block_problems(GOOD, ["C1", "C2", "C3"]) == []


def test_a_bad_answer_is_reasked_with_its_problems():
    client = ScriptedClient(answer([[member("C1"), member("C2")]]), GOOD)
    out = Reconciler(client, PromptSet(), NoCache()).reconcile(CLAIMS, SOURCES)
    assert "claims left out (every claim must be in exactly one matter): C3" in client.sent[1][-1]["content"]
    assert client.sent[1][-2]["role"] == "assistant" and len(out.matters) == 2 and out.notes == []


def test_a_second_failure_falls_back_to_a_deterministic_grouping_and_says_so():
    broken = answer([[member("C1"), member("C2")]])
    out = Reconciler(ScriptedClient(broken, broken), PromptSet(), NoCache()).reconcile(CLAIMS, SOURCES)
    (note,) = out.notes
    assert note.severity == "error" and "grouped by their extracted matter question instead" in note.message
    assert sorted(c for m in out.matters for c in m.claim_ids) == ["C1", "C2", "C3"]


def test_fallback_places_every_claim_exactly_once():
    matters, origins = fallback(CLAIMS + [claim(id="C4", matter="How many people died?", position="41", speaker="Ministry of Health")], "")
    placed = [c for m in matters for c in m.claim_ids]
    assert sorted(placed) == ["C1", "C2", "C3", "C4"] and len(placed) == len(set(placed))
    assert len(origins) == 3


def test_blocks_keep_to_their_budget_and_similar_matters_together():
    claims = [claim(id=f"C{i}", matter=f"Question number {i % 7} about the flood?") for i in range(100)]
    blocks = blocks_of(claims, ReconcileOptions(block_claims=30))
    assert len(blocks) == 4 and max(len(b) for b in blocks) <= 30
    assert sorted(c.id for b in blocks for c in b) == sorted(c.id for c in claims)
    for block in blocks:  # one question's claims mostly share a block
        assert len({c.matter for c in block}) <= 3


def test_a_large_day_is_reconciled_in_blocks_then_joined():
    claims = [claim(id=f"C{i}", report_id=f"{i % 5:02d}", speaker=f"Speaker {i % 4}", matter=f"Question {i % 6} about the flood?", position=f"answer {i % 2}") for i in range(60)]

    class SyntheticClient(ScriptedClient):
        def complete(self, messages, response_model, *, max_tokens=None, log=None):
            name = response_model.__name__
            body = {"messages": messages, "response_format": {"type": "json_schema", "json_schema": {"name": name}}}
            self.answers = [response_model.model_validate_json(synthetic_model.answer(body))]
            return super().complete(messages, response_model, max_tokens=max_tokens, log=log)

    client = SyntheticClient()
    out = Reconciler(client, PromptSet(), NoCache(), ReconcileOptions(block_claims=20)).reconcile(claims, SOURCES)
    assert len(client.sent) == 4  # three blocks, one join
    assert sorted(m.question for m in out.matters) == [f"Question {i} about the flood?" for i in range(6)]  # joined across blocks
    assert len(out.origins) == 4 and out.notes == []
    assert sorted(c for m in out.matters for c in m.claim_ids) == sorted(c.id for c in claims)


def test_a_cached_answer_is_used_again(tmp_path):
    from briefer.cache import DiskCache

    Reconciler(ScriptedClient(GOOD), PromptSet(), DiskCache(tmp_path)).reconcile(CLAIMS, SOURCES)
    again = Reconciler(ScriptedClient(), PromptSet(), DiskCache(tmp_path)).reconcile(CLAIMS, SOURCES)
    assert again.cached_answers == 1 and again.run_requests == 0 and len(again.matters) == 2


@pytest.mark.parametrize("schema", [ReconcileDraft, BlockJoinDraft])
def test_response_schemas_are_strict_friendly(schema):
    from openai.lib._pydantic import to_strict_json_schema

    text = str(to_strict_json_schema(schema))
    assert "additionalProperties': True" not in text and "default" not in text


def test_joins_go_out_in_bounded_overlapping_windows_and_still_merge_every_speaker():
    claims = [claim(id=f"C{i}", report_id=f"{i % 5:02d}", speaker=f"Speaker {i % 12}", matter=f"Question {i % 15} about the flood?", position="yes") for i in range(120)]

    class SyntheticClient(ScriptedClient):
        def complete(self, messages, response_model, *, max_tokens=None, log=None):
            body = {"messages": messages, "response_format": {"type": "json_schema", "json_schema": {"name": response_model.__name__}}}
            self.answers = [response_model.model_validate_json(synthetic_model.answer(body))]
            return super().complete(messages, response_model, max_tokens=max_tokens, log=log)

    client = SyntheticClient()
    options = ReconcileOptions(block_claims=20, join_matters=12, join_overlap=3, concurrency=3)
    out = Reconciler(client, PromptSet(), NoCache(), options).reconcile(claims, SOURCES)
    joins = [m for m in client.sent if '"says_as"' in m[-1]["content"] or "Matters (" in m[-1]["content"]]
    assert len(joins) > 1
    assert all(sum(line.startswith("{") for line in m[-1]["content"].splitlines()) <= 2 * 12 for m in joins)  # no window grows with the day
    assert len(out.origins) == 12 and len(out.matters) == 15
    assert out.usage.requests == len(client.sent) == out.run_requests


def test_no_block_exceeds_its_budget():
    claims = [claim(id=f"C{i}", matter=f"Question {i % 3}?") for i in range(1_003)]
    blocks = blocks_of(claims, ReconcileOptions(block_claims=200))
    assert max(len(b) for b in blocks) <= 200 and sum(len(b) for b in blocks) == 1_003
