"""What the API takes and gives, as pydantic schemas: ninja builds the OpenAPI document from them. The input
schemas only shape the JSON (types, choices); the rules are the notice form's own (api/filing.py runs them), so
that a notice filed here is held to exactly what the web form holds it to."""

from datetime import datetime

from ninja import Field, Schema

from takedowns.enums import (
    DecisionOutcome,
    EvidenceKind,
    InfringementReason,
    ItemState,
    Language,
    NoticeStatus,
    RightType,
    SubmitterRole,
)

_EXAMPLE_SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


class SubmitterIn(Schema):
    name: str = Field(..., examples=["Mia Keller"])
    organisation: str = Field("", examples=["BrandGuard Services"])
    email: str = Field(..., description="An address at your organisation's verified domain (or a subdomain).",
                       examples=["mia@brandguard.example"])
    address: str = Field("", description="Postal address: required for a copyright (US DMCA) notice.")
    phone: str = Field("", description="Telephone with country code: required for a copyright (US DMCA) notice.",
                       examples=["+49 30 1234567"])
    country: str = Field(..., description="ISO 3166-1 alpha-2 code.", examples=["DE"])
    role: SubmitterRole = Field(..., description="owner, or agent (then an authorisation letter is required).")


class RightIn(Schema):
    type: RightType
    registration_number: str = Field("", examples=["018234567"])
    office: str = Field("", examples=["EUIPO"])
    owner: str = Field("", examples=["Aerostride GmbH"])
    registered_right: str = Field("", description="The reference of a right registered with us (R-…) under the "
                                                  "submitter's address: its fields and certificate are used.")


class StatementsIn(Schema):
    good_faith: bool = Field(..., description="The good-faith statement (17 U.S.C. 512(c)(3)(A)(v)); must be true.")
    accuracy: bool = Field(..., description="Accuracy and authority under penalty of perjury; must be true.")


class ListingIn(Schema):
    reported: str = Field(..., description="The listing's web address or ID.", examples=["L-100001"])
    reason: InfringementReason


class NoticeIn(Schema):
    submitter: SubmitterIn
    right: RightIn
    description: str = Field(..., description="Why these listings infringe (30 to 10,000 characters).",
                             examples=["These sneakers carry our client's mark; a test buy proved them fake."])
    statements: StatementsIn
    signature: str = Field(..., description="The submitter's full name exactly as in submitter.name.",
                           examples=["Mia Keller"])
    language: Language = Field(Language.EN, description="The language of our e-mails about this notice.")
    listings: list[ListingIn] = Field(..., description="Up to NOTICE_API_MAX_ITEMS listings (10,000).")
    evidence_sha256: list[str] = Field(default_factory=list, description=(
        "Files uploaded earlier by your organisation through POST /evidence, by their SHA-256."),
        examples=[[_EXAMPLE_SHA]])


class AnswerIn(Schema):
    answer: str = Field(..., description="The answer to the open question (up to 10,000 characters).")
    evidence_sha256: list[str] = Field(default_factory=list, description="Files uploaded through POST /evidence.")


class AppealIn(Schema):
    decision: int = Field(..., description="The id of the rejection appealed (listings[].decision.id).")
    text: str = Field(..., description="Why the decision is wrong (20 characters or more).")


class EvidenceOut(Schema):
    sha256: str = Field(..., examples=[_EXAMPLE_SHA])
    size: int
    content_type: str = Field(..., examples=["application/pdf"])
    kind: EvidenceKind


class DecisionOut(Schema):
    id: int
    outcome: DecisionOutcome
    decided_at: datetime
    reason_code: str | None = Field(None, description="Why a listing was rejected, as a code.")
    reason_title: str | None = None
    reason_text: str | None = Field(None, description="What is wrong and how to fix it, for the submitter.")
    note: str = Field("", description="The reviewer's note.")
    legal_ground: str = ""
    listing_removed_at: datetime | None = None
    listing_restored_at: datetime | None = None


class AppealWindowOut(Schema):
    open: bool = Field(..., description="Whether the rejection can be appealed now (POST …/appeals).")
    deadline: datetime | None = None
    refusal: str = Field("", description="Why it cannot be appealed, when it cannot.")
    appeal_status: str | None = Field(None, description="The appeal's status, once filed.")


class ListingOut(Schema):
    position: int
    reported: str
    reason: InfringementReason
    state: ItemState
    decision: DecisionOut | None = None
    appeal: AppealWindowOut | None = None


class DeadlineOut(Schema):
    kind: str = Field(..., examples=["takedown_decision"])
    label: str
    listing: int | None = Field(None, description="The listing's position, for a clock about one listing.")
    started_at: datetime
    due_at: datetime
    state: str = Field(..., examples=["running"])
    stopped_at: datetime | None = None


class QuestionOut(Schema):
    message: str
    requested_at: datetime
    due_at: datetime = Field(..., description="Unanswered by then, its listings close without a decision.")
    listings: list[int]


class NoticeOut(Schema):
    reference: str = Field(..., examples=["TD-7KQ4-M2XB"])
    status: NoticeStatus
    status_label: str
    created_at: datetime
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    confirmation_due_at: datetime | None = Field(
        None, description="For a notice waiting for its e-mail confirmation: unconfirmed by then, it expires.")
    due_at: datetime | None = Field(None, description="When the current step is due (the SLA clock).")
    tracking_url: str = Field(..., description="The notice's private tracking page.")
    language: Language
    right_type: RightType
    listing_count: int
    listings: list[ListingOut]
    listings_next: str | None = Field(None, description="Cursor of the next page of listings (?listings_after=).")
    deadlines: list[DeadlineOut]
    open_question: QuestionOut | None = None


class NoticeSummaryOut(Schema):
    reference: str
    status: NoticeStatus
    created_at: datetime
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    listing_count: int


class NoticePageOut(Schema):
    notices: list[NoticeSummaryOut]
    next: str | None = Field(None, description="Pass as ?after= for the next page; null on the last page.")


class ProblemErrorOut(Schema):
    field: str = Field(..., examples=["listings[12].reported"])
    row: int | None = Field(None, description="The listing's index in `listings`, for a listing's field.")
    message: str


class Problem(Schema):
    """RFC 9457 problem details."""
    type: str = Field(..., examples=["urn:takedown-portal:problem:validation"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemErrorOut] | None = None
