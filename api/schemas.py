"""The shapes the API answers with (pydantic, through django-ninja): the OpenAPI schema is made
from them, and ``tests/api/test_schema.py`` checks every answer against it."""

import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class Problem(Schema):
    detail: str


class ChangeOut(Schema):
    at: datetime.datetime
    actor: str
    subject: str
    field: str
    old: str
    new: str


class Conflict(Schema):
    detail: str
    version: int
    changes: list[ChangeOut]


class ImportProblems(Schema):
    """A refusal: ``errors`` lists every bad row or cell of a refused file (empty otherwise)."""

    detail: str
    errors: list[str] = []


class UnitOut(Schema):
    id: int
    code: str
    name: str
    full_name: str
    kind: str
    parent_id: int | None
    depth: int
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    is_eligible: bool
    ineligibility_reason: str


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class HistoryEntryOut(Schema):
    unit: UnitOut
    change: str
    effective_on: datetime.date | None
    reference: str
    generation: int


class UnitDetail(UnitOut):
    ancestors: list[UnitOut]
    predecessors: list[HistoryEntryOut]
    successors: list[HistoryEntryOut]


class CampaignOut(Schema):
    id: int
    year: int
    province_id: int
    name: str
    status: str
    registration_deadline: datetime.date
    residential_decision_deadline: datetime.date
    other_decision_deadline: datetime.date
    criteria_set_ids: list[int]


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class CriterionOut(Schema):
    id: int
    code: str
    text: str
    parent_id: int | None
    answer_type: str
    threshold_percent: int | None


class CriteriaSetOut(Schema):
    id: int
    family: str
    version: int
    name: str
    unit_kind: str
    legal_basis: str
    year_from: int
    year_to: int | None
    province_id: int | None
    status: str


class CriteriaSetPage(Schema):
    items: list[CriteriaSetOut]
    next_cursor: str | None


class CriteriaSetDetail(CriteriaSetOut):
    criteria: list[CriterionOut]


class AnswerOut(Schema):
    criterion: str
    value: str
    number: int | None
    note: str
    self_points: Decimal | None
    appraised_value: str
    appraised_points: Decimal | None
    is_returned: bool
    return_reason: str


class AssessmentOut(Schema):
    id: int
    unit_id: int
    unit_code: str
    campaign_id: int
    year: int
    criteria_set_id: int
    status: str
    status_label: str
    version: int
    crime_count: int | None
    social_evil_count: int | None
    violation_count: int | None
    submitted_at: datetime.datetime | None
    appraised_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    decision_id: int | None


class AssessmentPage(Schema):
    items: list[AssessmentOut]
    next_cursor: str | None


class AssessmentDetail(AssessmentOut):
    answers: list[AnswerOut]
    missing_for_submission: list[str]


class ReasonItemOut(Schema):
    code: str
    state: str
    requirement: str
    why: list[str]
    needed: list[str]


class ReasonsOut(Schema):
    outcome: str
    label: str
    is_forecast: bool
    summary: str
    sentence: str
    items: list[ReasonItemOut]
    notes: list[str]


class ResultOut(Schema):
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    campaign_id: int
    year: int
    assessment_id: int | None
    assessment_status: str | None
    outcome: str
    is_forecast: bool
    points: Decimal | None
    grade: str
    unmet_codes: list[str]
    missing_codes: list[str]
    computed_at: datetime.datetime
    reasons: ReasonsOut


class ResultPage(Schema):
    items: list[ResultOut]
    next_cursor: str | None


class DecisionOut(Schema):
    id: int
    campaign_id: int
    issuer_id: int
    kind: str
    status: str
    year: int
    number: int | None
    symbol: str
    issued_on: datetime.date | None
    signer_title: str
    signer_name: str
    is_signed: bool
    pdf_url: str


class DecisionPage(Schema):
    items: list[DecisionOut]
    next_cursor: str | None


class CertificateOut(Schema):
    id: int
    code: str
    unit_id: int
    unit_code: str
    year: int
    decision_id: int
    register_number: int
    status: str
    revoked_on: datetime.date | None
    verify_url: str
    pdf_url: str


class CertificatePage(Schema):
    items: list[CertificateOut]
    next_cursor: str | None


class FiguresOut(Schema):
    units: int
    eligible: int
    registered: int
    assessed: int
    recognized: int
    not_recognized: int
    forecast: int
    rate: float | None
    forecast_rate: float | None


class GroupOut(Schema):
    group: str
    title: str
    now: FiguresOut
    before: FiguresOut | None


class CommuneOut(Schema):
    id: int
    name: str
    own_status: str
    total: FiguresOut


class SummaryOut(Schema):
    scope_id: int
    scope_name: str
    year: int
    campaign_id: int | None
    sentence: str
    groups: list[GroupOut]
    total: GroupOut
    communes: list[CommuneOut]


class AnswerIn(Schema):
    value: str | None = None
    number: int | None = None
    note: str | None = None
    self_points: Decimal | None = None


class SaveAnswersIn(Schema):
    version: int
    answers: dict[str, AnswerIn] = {}
    figures: dict[str, int | None] | None = None


class SubmitIn(Schema):
    version: int


class ImportResult(Schema):
    detail: str
    count: int
    job_id: int | None = None


class ImportJobOut(Schema):
    id: int
    status: str
    percent: int
    error: str
    report: dict[str, Any]
