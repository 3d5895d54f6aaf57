"""The bottom line: written by the model, checked by code, sentence by sentence."""

import copy

import pytest

from briefer.cache import NoCache
from briefer.llm import AttemptLog, Completion, ModelSettings
from briefer.models import LineDraft, SynthesisDraft, Usage
from briefer.prompting import PromptSet
from briefer.synthesize import LineChecker, Synthesizer, rank
from tests.factories import claim, figure, make_day, matter, origin


@pytest.fixture
def day():
    claims = [
        claim(id="C1", report_id="r1", speaker="Health ministry", statement="The ministry said 41 people died in the blast.", quote="at least 41 people died", figures=[figure(41, "people killed")]),
        claim(id="C2", report_id="r2", speaker="Army", statement="The army said a rocket misfire caused the blast.", quote="a misfired rocket caused it"),
        claim(id="C3", report_id="r3", speaker="Rebel command", statement="The rebels denied firing any rocket.", quote="we fired no rocket that day", modality="denied"),
        claim(id="C4", report_id="r1", speaker="Health ministry", statement="The ministry opened two field hospitals.", quote="two field hospitals opened"),
        claim(id="C5", report_id="r2", speaker="Aid agency", statement="An aid agency said two field hospitals opened.", quote="two field hospitals are open"),
    ]
    matters = [
        matter("M1", [("C1", "O1", "P1")], question="How many people died?"),
        matter("M2", [("C2", "O2", "P1"), ("C3", "O3", "P1", "denies")], question="What caused the blast?"),
        matter("M3", [("C4", "O1", "P1"), ("C5", "O4", "P1")], question="Were field hospitals opened?"),
    ]
    origins = [origin("O1", "Health ministry", "government"), origin("O2", "Army", "government"), origin("O3", "Rebel command", "rebels"), origin("O4", "Aid agency")]
    return make_day(claims, matters, origins)


def problems(day, text, cites, terms=("butchers",)):
    return LineChecker(day, list(terms)).problems(LineDraft(text=text, cites=cites))


def test_a_good_sentence_passes(day):
    assert problems(day, "The health ministry said at least 41 people died in the blast.", ["M1"]) == []
    assert problems(day, "The army says a rocket misfire caused the blast; the rebels deny firing.", ["M2"]) == []


def test_an_invented_number_fails(day):
    assert "the number(s) 43 are not written in the cited matters" in problems(day, "At least 43 people died.", ["M1"])[0]


def test_a_number_from_an_uncited_matter_fails(day):
    assert any("41" in p for p in problems(day, "Two field hospitals opened as 41 people died.", ["M3"]))


def test_a_missing_or_unknown_citation_fails(day):
    assert "cites no matter" in problems(day, "Field hospitals opened.", [])[0]
    assert "M9, which are not matters of the day" in problems(day, "Field hospitals opened.", ["M9"])[0]


def test_a_loaded_term_in_the_briefs_own_voice_fails_unless_attributed(day):
    assert "in the brief's own voice" in problems(day, "The butchers fired a rocket, the army says nothing.", ["M3"])[0]
    assert "in the brief's own voice" in problems(day, "Two field hospitals opened after the massacre.", ["M3"])[0]
    assert problems(day, "The army called the rebels “butchers”; two field hospitals opened.", ["M3"]) == []


def test_a_contested_matter_stated_as_fact_fails(day):
    assert "states contested matter(s) M2 as settled" in problems(day, "A rocket misfire caused the blast.", ["M2"])[0]


def test_ranking_puts_the_day_s_disputes_first(day):
    assert [m.id for m in rank(day.matters)][0] == "M2"


class Scripted:
    def __init__(self, *answers):
        self.settings = ModelSettings(model="test-model", provenance="test")
        self.answers = list(answers)
        self.sent = []

    def complete(self, messages, response_model, *, max_tokens=None, log: AttemptLog | None = None):
        self.sent.append(copy.deepcopy(messages))
        log.attempts += 1
        log.usage = log.usage + Usage(prompt_tokens=10, completion_tokens=5, requests=1)
        return Completion(parsed=self.answers.pop(0), model="answering-model", usage=Usage(), attempts=log.attempts)


def draft(*lines):
    return SynthesisDraft(lines=[LineDraft(text=t, cites=c) for t, c in lines])


def test_a_failing_sentence_is_reasked_once_then_dropped_and_noted(day):
    bad = ("A rocket misfire caused the blast, killing 50.", ["M2"])
    good = ("The army says a rocket misfire caused the blast; the rebels deny it.", ["M2"])
    client = Scripted(draft(bad, ("Two field hospitals opened.", ["M3"])), draft(bad, ("Two field hospitals opened.", ["M3"])))
    out = Synthesizer(client, PromptSet(), NoCache()).synthesize(day, [])
    assert len(client.sent) == 2 and "lines[0]" in client.sent[1][-1]["content"] and "not written in the cited matters" in client.sent[1][-1]["content"]
    assert [t.text for t in out.lines] == ["Two field hospitals opened."]
    assert "dropped a sentence" in out.notes[0].message
    fixed = Scripted(draft(bad), draft(good))
    assert [t.text for t in Synthesizer(fixed, PromptSet(), NoCache()).synthesize(day, []).lines] == [good[0]]


def test_the_model_sees_labelled_matters_not_report_texts(day):
    client = Scripted(draft(("Two field hospitals opened.", ["M3"])))
    Synthesizer(client, PromptSet(), NoCache()).synthesize(day, [])
    user = client.sent[0][1]["content"]
    assert '"label": "contested (denial)"' in user and "we fired no rocket that day" not in user
    assert user.index('"id": "M2"') < user.index('"id": "M1"')  # ranked


def test_among_disputes_the_model_s_importance_outranks_the_number_of_origins():
    """A day's main dispute (the model's rank 1, two camps) leads a dispute that many governments echo."""
    claims = [claim(id=f"C{n}", report_id=f"r{n}") for n in range(1, 9)]
    main = matter("M1", [("C1", "O1", "P1"), ("C2", "O2", "P2")], question="Who won the vote?")
    echoed = matter("M2", [("C3", "O3", "P1"), ("C4", "O4", "P1"), ("C5", "O5", "P1"), ("C6", "O6", "P1"), ("C7", "O1", "P2"), ("C8", "O7", "P1")],
                    question="Should the result be recognised?")
    day = make_day(claims, [echoed.model_copy(update={"rank": 2}), main.model_copy(update={"rank": 1})],
                   [origin(f"O{n}", f"Origin {n}", "camp a" if n % 2 else "camp b") for n in range(1, 8)])
    ranked = rank(day.matters)
    assert [m.status for m in ranked] == ["contested", "contested"] and ranked[1].independent_origins > ranked[0].independent_origins
    assert [m.question for m in ranked] == ["Who won the vote?", "Should the result be recognised?"]
