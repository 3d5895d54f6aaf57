"""The pydantic types every stage shares.

Two families live here:
- *Draft* models are the model's answer (the response schema). They are kept
  strict-friendly for OpenAI structured outputs: every field required, no
  defaults, no dicts; optional means ``X | None``.
- The rest are the pipeline's own records, filled in by ingest, ground and merge.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SpeakerType = Literal[
    "government",
    "military",
    "armed_group",
    "monitor_ngo",
    "international_org",
    "media",
    "anonymous",
    "other",
]
Modality = Literal["asserted", "reported", "claimed", "denied"]
EventType = Literal[
    "territorial_control",
    "clash",
    "strike",
    "casualties",
    "displacement",
    "statement",
    "diplomacy",
    "border_crossing",
    "leadership",
    "humanitarian",
    "other",
]
ControlSide = Literal["government", "opposition", "contested"]
DateSource = Literal["metadata", "text", "estimate", "none"]
Role = Literal["primary", "context"]
GroupStatus = Literal["corroborated", "contested", "single-source", "superseded"]
ConflictKind = Literal["contradiction", "denial", "numeric-discrepancy", "framing"]
Relation = Literal[
    "corroborates", "contradicts", "denies", "numeric-discrepancy", "framing", "supersedes", "superseded", "related"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------
# The response schema: what the model returns for one report.
# --------------------------------------------------------------------------


class FigureDraft(_Strict):
    value: float = Field(description="The number as a plain number: 80% -> 80, 'approximately 2,500' -> 2500.")
    value_text: str = Field(description="The number exactly as written in the report, e.g. '370,000' or '80%'.")
    unit: str = Field(description="Unit: 'people', 'percent', 'kilometres', 'drones' ...")
    counted: str = Field(description="What is counted, e.g. 'people displaced', 'militants killed', 'civilians killed'.")
    qualifier: str | None = Field(description="'at least', 'approximately', 'over', 'up to', or null.")
    as_of: str | None = Field(description="Date or period the figure covers, as stated, e.g. 'since November 27'.")


class ActorDraft(_Strict):
    term: str = Field(description="The words the report uses for the actor, verbatim, e.g. 'terrorist elements'.")
    actor: str = Field(description="A neutral name for the actor, e.g. 'opposition forces', 'Syrian government forces'.")


class ClaimDraft(_Strict):
    statement: str = Field(description="One neutral, self-contained sentence in the sitrep's own voice.")
    quote: str = Field(description="Verbatim evidence copied character for character from the report.")
    speaker: str = Field(description="The original speaker (person or body); the outlet itself if it speaks in its own voice.")
    speaker_type: SpeakerType
    via: list[str] = Field(description="Intermediaries between speaker and outlet, nearest to the speaker first.")
    modality: Modality
    event_type: EventType
    locations: list[str] = Field(description="Places the claim is about, most specific first.")
    actors: list[ActorDraft]
    control: ControlSide | None = Field(
        description="For territorial_control claims: who holds or gains the place according to this claim."
    )
    figures: list[FigureDraft]
    event_date: str | None = Field(description="YYYY-MM-DD of the event if the report gives or implies it.")
    disputes_claim: int | None = Field(
        description="If this claim denies or contradicts another claim in this brief, that claim's 0-based index; else null."
    )


class BriefDraft(_Strict):
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

    outlet: str | None = Field(description="The publisher if the text names it as publisher; null otherwise.")
    dateline: str | None = Field(description="The dateline place, e.g. 'DAMASCUS', or null.")
    published: str | None = Field(description="Publication date YYYY-MM-DD, stated or estimated.")
    published_is_estimate: bool
    published_basis: str = Field(description="Where the date comes from: the stated date, or the clues behind the estimate.")
    wire_credits: list[str] = Field(description="News agencies credited for the copy, e.g. ['Xinhua'].")
    summary: str = Field(description="A neutral summary of the report in 2-3 sentences.")
    claims: list[ClaimDraft]


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

    stage: Literal["ingest", "extract", "ground", "merge", "publish"]
    subject: str  # a file path, report id or claim id
    message: str
    severity: Literal["info", "warning", "error"] = "warning"

    def line(self) -> str:
        return f"{self.subject}: {self.message}"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            requests=self.requests + other.requests,
        )


class CostEstimate(BaseModel):
    model: str
    amount: float
    currency: str
    basis: str  # which price table


class Figure(BaseModel):
    value: float
    value_text: str
    unit: str
    counted: str
    qualifier: str | None = None
    as_of: str | None = None


class ActorMention(BaseModel):
    term: str
    actor: str


class Claim(BaseModel):
    id: str
    report_id: str
    statement: str
    quote: str
    start: int
    end: int
    speaker: str
    speaker_type: SpeakerType
    origin: str  # canonical original speaker: the unit of independence
    via: list[str]
    outlet: str  # publisher of the report, or "unknown"
    modality: Modality
    event_type: EventType
    locations: list[str]  # normalised
    area: str  # the governorate-level area used for grouping
    actors: list[ActorMention]
    control: ControlSide | None
    figures: list[Figure]
    event_date: str | None
    published: dt.date | None  # the carrying report's date
    disputes: str | None = None  # id of a claim in the same report that this one denies or contradicts

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
    """One report after extraction and grounding."""

    report_id: str
    outlet: str | None
    dateline: str | None
    published: dt.date | None
    date_source: DateSource
    date_basis: str
    wire_credits: list[str]
    summary: str
    claims: list[Claim]
    rejected: list[RejectedClaim] = []
    model: str = ""
    attempts: int = 1
    reasks: int = 0
    usage: Usage = Usage()


class GroupMember(BaseModel):
    claim_id: str
    relation: Relation


class Group(BaseModel):
    id: str
    matter: str  # human title, e.g. "Territorial control · Daraa"
    event_type: EventType
    area: str
    status: GroupStatus
    conflict: ConflictKind | None = None
    strong: bool = False  # corroborated across opposing parties
    members: list[GroupMember]
    origins: list[str]
    reasons: list[str]  # why these claims belong together, and why this label

    @property
    def claim_ids(self) -> list[str]:
        return [m.claim_id for m in self.members]

    @property
    def lead_id(self) -> str:
        """The claim that best states the group: the first one that takes a position."""
        return next((m.claim_id for m in self.members if m.relation not in ("related", "superseded")), self.members[0].claim_id)

    @property
    def independent_origins(self) -> int:
        return len(self.origins)


class FigureRow(BaseModel):
    counted: str
    area: str
    unit: str
    values: list[str]  # conservative first
    qualifier: str | None
    origin: str
    claim_ids: list[str]
    report_ids: list[str]
    as_of: str | None
    status: str


class FramingRow(BaseModel):
    actor: str
    terms: list[tuple[str, str, str]]  # (outlet or report, term, claim id)


class Takeaway(BaseModel):
    text: str
    refs: list[str]

    @field_validator("refs")
    @classmethod
    def _cited(cls, refs: list[str]) -> list[str]:
        if not refs:
            raise ValueError("a takeaway must cite at least one group or claim")
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
    usage: Usage = Usage()


class Day(BaseModel):
    """The merged day: what render turns into Markdown and JSON."""

    date: dt.date
    window_start: dt.date
    generated_at: str
    model: str
    mode: str
    sources: list[SourceRow]
    claims: list[Claim]
    rejected: list[RejectedClaim]
    groups: list[Group]
    figures: list[FigureRow]
    framing: list[FramingRow]
    takeaways: list[Takeaway]
    notes: list[Notice]
    usage: Usage  # what the day's briefs cost when they were made, cached or not
    cost: CostEstimate | None = None
    run_requests: int = 0  # model requests this run made (0 when all came from the cache)
    cached_briefs: int = 0
    briefer_version: str = ""

    @model_validator(mode="after")
    def _refs_exist(self) -> Day:
        known = {c.id for c in self.claims} | {g.id for g in self.groups}
        for t in self.takeaways:
            missing = [r for r in t.refs if r not in known]
            if missing:
                raise ValueError(f"takeaway cites unknown ids {missing}")
        return self
