"""The pydantic types every stage shares.

Two families live here:
- *Draft* models are the model's answers (response schemas). They are kept
  strict-friendly for OpenAI structured outputs: every field required, no
  defaults, no dicts; optional means ``X | None``. Keys are short on purpose:
  output tokens are most of a day's cost, and key names repeat per claim.
- The rest are the pipeline's own records, filled in by ingest, ground,
  reconcile and label. Nothing in either family knows about any one story.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Modality = Literal["asserted", "reported", "claimed", "denied"]
DateSource = Literal["metadata", "text", "estimate", "none"]
Role = Literal["primary", "context"]
Stance = Literal["supports", "denies"]
MatterStatus = Literal["contested", "corroborated", "single-source"]
ConflictKind = Literal["contradiction", "denial", "numeric-discrepancy", "framing"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _CachedSchema(_Strict):
    @classmethod
    def model_json_schema(cls, *args, **kwargs):  # type: ignore[override]
        # The openai SDK rebuilds the response schema on every call, which
        # costs more CPU than the rest of a request; build it once. A copy is
        # returned because the SDK adjusts the schema in place.
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        if "_schema_cache" not in cls.__dict__:
            cls._schema_cache = super().model_json_schema()
        return copy.deepcopy(cls._schema_cache)


# --------------------------------------------------------------------------
# Extraction: what the model returns for one report.
# --------------------------------------------------------------------------


class FigureDraft(_Strict):
    n: float = Field(description="The number as a plain number: '80%' -> 80, 'about 2,500' -> 2500.")
    unit: str = Field(description="What one unit is: 'people', 'percent', 'km', 'vehicles'...")
    what: str = Field(description="What is counted, with its scope: 'people killed in the explosion'.")
    qual: str | None = Field(description="'at least', 'about', 'over', 'up to', or null.")
    asof: str | None = Field(description="The date or period the figure covers, as stated, or null.")


class SpeakerDraft(_Strict):
    name: str = Field(description="The speaker as this report names it: a person, a body, or 'the report' for the outlet's own voice.")
    org: str | None = Field(description="The organisation the speaker speaks for, or null.")
    camp: str | None = Field(description="The side or camp the report presents the speaker in, in the report's own terms, or null.")


class TermDraft(_Strict):
    term: str = Field(description="Words the report uses for an actor, copied verbatim.")
    actor: str = Field(description="A neutral name for that actor.")


class ClaimDraft(_Strict):
    s: str = Field(description="The claim as one neutral, self-contained sentence.")
    ev: str = Field(description="The sentence(s) that carry it: 'S4', or a range 'S4-S5'.")
    q: str | None = Field(description="Optional shorter exact span inside those sentences, copied character for character; null to quote them whole.")
    sp: int = Field(description="Index of the speaker in sp (0-based).")
    via: list[str] = Field(description="Intermediaries between speaker and outlet, nearest to the speaker first.")
    m: Modality
    mt: str = Field(description="The matter: a short neutral question the claim answers, e.g. 'What caused the explosion?'.")
    pos: str = Field(description="The claim's answer to that question, in a few words.")
    f: list[FigureDraft]
    d: str | None = Field(description="YYYY-MM-DD of the event if the report gives or implies it, else null.")


class ReportDraft(_CachedSchema):
    outlet: str | None = Field(description="The publisher if the text names it as publisher; null otherwise.")
    dateline: str | None
    pub: str | None = Field(description="Publication date YYYY-MM-DD, stated or estimated; null if unknown.")
    pub_est: bool = Field(description="True when pub is an estimate.")
    pub_why: str = Field(description="Where the date comes from: the stated date, or the clues behind the estimate.")
    wire: list[str] = Field(description="News agencies credited for the copy.")
    summary: str = Field(description="One neutral sentence of at most 30 words.")
    sp: list[SpeakerDraft]
    terms: list[TermDraft]
    c: list[ClaimDraft]


# --------------------------------------------------------------------------
# Reconcile: what the model returns for a block of the day's claims.
# --------------------------------------------------------------------------


class OriginDraft(_Strict):
    id: str = Field(description="'O1', 'O2', ...")
    name: str = Field(description="One name for the body or person that first made the statements.")
    camp: str | None = Field(description="Its side or camp in this story, or null if it has none.")
    why: str = Field(description="Which speaker names it covers, and why they are one origin.")


class PositionDraft(_Strict):
    id: str = Field(description="'P1', 'P2', ... unique within the matter.")
    text: str = Field(description="The answer this position gives to the matter's question.")
    frames: str | None = Field(description="If this is the same fact as another position of this matter told in other words, that position's id; else null.")


class MemberDraft(_Strict):
    c: str = Field(description="Claim id.")
    o: str = Field(description="Origin id of the claim's original speaker.")
    p: str = Field(description="Position id the claim takes a stance on.")
    st: Stance
    over: str | None = Field(description="Id of a later claim that overtakes this one (a later statement of the same origin, or later events); else null.")


class MatterDraft(_Strict):
    id: str = Field(description="'M1', 'M2', ...")
    title: str = Field(description="A neutral title of a few words.")
    question: str = Field(description="The neutral question the claims answer.")
    rank: int = Field(description="Importance for the day: 1 for the most important matter.")
    why: str = Field(description="Why these claims are about one matter.")
    positions: list[PositionDraft]
    members: list[MemberDraft]


class ReconcileDraft(_CachedSchema):
    origins: list[OriginDraft]
    matters: list[MatterDraft]


class JoinDraft(_Strict):
    parts: list[str] = Field(description="Ids of the block items that are one, e.g. ['B1.M3', 'B2.M1'].")
    why: str


class BlockJoinDraft(_CachedSchema):
    matters: list[JoinDraft] = Field(description="Groups of block matters that are the same matter; list only groups of 2 or more.")
    positions: list[JoinDraft] = Field(description="Groups of positions of joined matters that give the same answer, e.g. ['B1.M3.P1', 'B2.M1.P2'].")
    origins: list[JoinDraft] = Field(description="Groups of block origins that are the same origin.")


# --------------------------------------------------------------------------
# Synthesis: the bottom line, written by the model from the labelled matters.
# --------------------------------------------------------------------------


class LineDraft(_Strict):
    text: str = Field(description="One plain sentence of the bottom line.")
    cites: list[str] = Field(description="Ids of the matters the sentence rests on, e.g. ['M1', 'M4'].")


class SynthesisDraft(_CachedSchema):
    lines: list[LineDraft] = Field(description="3 to 6 sentences, most important first.")


# --------------------------------------------------------------------------
# Pipeline records.
# --------------------------------------------------------------------------


class Report(BaseModel):
    id: str
    path: str
    text: str
    sha256: str
    outlet: str | None = None
    title: str | None = None
    url: str | None = None
    published: dt.date | None = None
    date_source: DateSource = "none"
    date_basis: str = ""


class Notice(BaseModel):
    """Something skipped, rejected or worth a reader's attention."""

    stage: Literal["ingest", "extract", "ground", "reconcile", "label", "synthesize", "publish"]
    subject: str  # a file path, report id, claim or matter id
    message: str
    severity: Literal["info", "warning", "error"] = "warning"

    def line(self) -> str:
        return f"{self.subject}: {self.message}"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached_tokens: int = 0  # prompt tokens the provider served from its prompt cache (billed at a discount)
    # Of the tokens above, those sent in a Batch job (billed at the batch price).
    batch_prompt_tokens: int = 0
    batch_completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields})


class CostEstimate(BaseModel):
    model: str
    amount: float
    currency: str
    basis: str  # which price table


class ModelAnswer(BaseModel):
    """What the model said, as the cache keeps it: nothing derived."""

    content: str  # the answer's JSON, exactly as parsed
    model: str
    usage: Usage
    attempts: int = 1
    reasks: int = 0
    source: str = ""  # where the answer came from: "live at URL" or "replay of CASSETTE"


class Figure(BaseModel):
    value: float
    unit: str
    counted: str
    qualifier: str | None = None
    as_of: str | None = None


class ActorTerm(BaseModel):
    term: str
    actor: str


class Claim(BaseModel):
    id: str
    report_id: str
    statement: str
    quote: str
    start: int
    end: int
    sentences: str  # the sentence reference the model cited, e.g. "S4-S5"
    speaker: str
    organisation: str | None
    camp: str | None  # as the report presents the speaker
    via: list[str]
    outlet: str  # publisher of the report, or "unknown"
    modality: Modality
    matter: str  # the question, in the report's terms
    position: str
    figures: list[Figure]
    event_date: str | None
    published: dt.date | None  # the carrying report's date

    @property
    def chain(self) -> str:
        carrier = self.outlet if self.outlet != "unknown" else f"report {self.report_id} (outlet unknown)"
        return " → ".join([self.speaker, *self.via, carrier])


class RejectedClaim(BaseModel):
    report_id: str
    statement: str
    quote: str
    speaker: str
    reason: str


class ReportBrief(BaseModel):
    """One report after extraction and grounding (rebuilt from the cached answer on every run)."""

    report_id: str
    outlet: str | None
    dateline: str | None
    published: dt.date | None
    date_source: DateSource
    date_basis: str
    wire_credits: list[str]
    summary: str
    claims: list[Claim]
    terms: list[ActorTerm] = []
    rejected: list[RejectedClaim] = []
    model: str = ""
    attempts: int = 1
    reasks: int = 0
    usage: Usage = Usage()
    source: str = ""  # where the model's answer came from (see ModelAnswer.source)


class Origin(BaseModel):
    id: str
    name: str
    camp: str | None
    speakers: list[str]  # the speaker names (as reports give them) this origin covers
    why: str


class Position(BaseModel):
    id: str
    text: str
    frames: str | None = None


class Member(BaseModel):
    claim_id: str
    origin: str  # origin id
    position: str  # position id
    stance: Stance
    overtaken_by: str | None = None


class Matter(BaseModel):
    id: str
    title: str
    question: str
    rank: int
    why: str
    positions: list[Position]
    members: list[Member]
    # decided by code (briefer/label.py), never by the model:
    status: MatterStatus = "single-source"
    conflict: ConflictKind | None = None
    strong: bool = False  # corroborated by origins of opposing camps
    independent_origins: int = 0
    new_today: bool = False
    rules: list[str] = []  # the rules that produced the label, for `briefer explain`

    @property
    def claim_ids(self) -> list[str]:
        return [m.claim_id for m in self.members]

    @property
    def live(self) -> list[Member]:
        return [m for m in self.members if m.overtaken_by is None]


class FigureRow(BaseModel):
    matter_id: str
    counted: str
    unit: str
    values: list[str]  # in date order
    qualifier: str | None
    origin: str
    claim_ids: list[str]
    report_ids: list[str]
    as_of: str | None
    status: str


class FramingRow(BaseModel):
    actor: str
    terms: list[tuple[str, str]]  # (outlet or report, term)


class Takeaway(BaseModel):
    text: str
    refs: list[str]

    @field_validator("refs")
    @classmethod
    def _cited(cls, refs: list[str]) -> list[str]:
        if not refs:
            raise ValueError("a takeaway must cite at least one matter or claim")
        return refs


class SourceRow(BaseModel):
    report_id: str
    role: Role
    outlet: str
    published: dt.date | None
    date_source: DateSource
    date_basis: str
    dateline: str | None
    wire_credits: list[str]
    summary: str
    path: str
    claims: int
    rejected: int
    copy_of: str | None = None
    usage: Usage = Usage()


class Day(BaseModel):
    """The reconciled day: what render turns into Markdown and JSON."""

    date: dt.date
    window_start: dt.date
    generated_at: str
    model: str
    mode: str
    sources: list[SourceRow]
    claims: list[Claim]
    rejected: list[RejectedClaim]
    origins: list[Origin]
    matters: list[Matter]
    figures: list[FigureRow]
    framing: list[FramingRow]
    takeaways: list[Takeaway]  # the bottom line: the model's checked sentences, or code's own when none passed
    bottom_line_by: Literal["model", "code"] = "code"
    notes: list[Notice]
    usage: Usage  # what the day's answers cost when they were made, cached or not
    usage_by_stage: dict[str, Usage] = {}
    cost: CostEstimate | None = None
    cost_by_stage: dict[str, float] = {}  # extraction, reconcile, synthesis, at the same prices
    run_requests: int = 0  # model requests this run made (0 when all came from the cache)
    cached_answers: int = 0
    answer_sources: dict[str, int] = {}  # where the day's answers came from, cached or not: the truth behind `mode`
    profile: str | None = None
    briefer_version: str = ""

    @model_validator(mode="after")
    def _refs_exist(self) -> Day:
        known = {c.id for c in self.claims} | {m.id for m in self.matters}
        for t in self.takeaways:
            missing = [r for r in t.refs if r not in known]
            if missing:
                raise ValueError(f"takeaway cites unknown ids {missing}")
        return self
