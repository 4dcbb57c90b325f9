"""The read endpoints: the same selectors and scope checks as the web pages, as JSON.

Lists are cursor pages in id order, filtered by ``scope`` (a unit id: its subtree), ``year``,
``status`` and ``kind`` (the unit's kind) where they apply."""

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from antt.web.downloads import name_download
from api import schemas
from api.http import page, page_of, token_user
from certification.documents import reports
from certification.documents.certificates import certificate_pdf as render_certificate
from certification.documents.certificates import pdf_filename
from certification.documents.decisions import decision_filename
from certification.documents.decisions import decision_pdf as render_decision
from certification.models import Assessment, Campaign, Certificate, CriteriaSet, Decision, Result
from certification.selectors import assessments as assessment_selectors
from certification.selectors import reasons
from certification.selectors.campaigns import get_set_for_user, visible_campaigns, visible_sets
from certification.selectors.criteria import ordered_criteria
from certification.selectors.documents import DOCUMENT_ROLES
from certification.services.printing import record_download
from units.access import get_for_user, require_role, scope_queryset, visible_units
from units.history import HistoryEntry, unit_history
from units.models import Unit, valid_in_q

router = Router()
LIMIT = 100


def _in_scope[M: Model](
    request: HttpRequest, queryset: QuerySet[M], scope: int | None, field: str = "unit"
) -> QuerySet[M]:
    """Narrow to the subtree of ``scope`` (a unit the caller can see; 404 otherwise)."""
    if scope is None:
        return queryset
    root = get_for_user(token_user(request), Unit, scope)
    prefix = f"{field}__" if field else ""
    return queryset.filter(**{f"{prefix}path__startswith": root.path})


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = LIMIT


# The filters of each list, as query parameters in the order the schema documents them.
class Scope(Schema):
    scope: int | None = None


class YearStatus(Schema):
    year: int | None = None
    status: str | None = None


class UnitFilters(Scope):
    kind: str | None = None
    year: int | None = None


class ScopeYearStatus(YearStatus, Scope):
    """scope, year, status."""


class ScopeYearStatusKind(ScopeYearStatus):
    kind: str | None = None


class AssessmentFilters(ScopeYearStatusKind):
    campaign: int | None = None


type Lookup = str | Callable[[Any], Q]


def filtered[M: Model](
    request: HttpRequest,
    queryset: QuerySet[M],
    filters: Schema,
    *,
    unit_field: str = "unit",
    lookups: Mapping[str, Lookup] | None = None,
) -> QuerySet[M]:
    """A list's rows: ``scope`` (the subtree of a unit, 404 if not visible), then each other filter
    given a value (``None``, ``0`` or ``""``: no filter) as ``lookups[name]`` (a field lookup, or a
    function of the value giving a ``Q``; the filter's own name by default)."""
    values = filters.dict()
    queryset = _in_scope(request, queryset, values.pop("scope", None), unit_field)
    for name, value in values.items():
        if value:
            lookup = (lookups or {}).get(name, name)
            queryset = queryset.filter(lookup(value) if callable(lookup) else Q(**{lookup: value}))
    return queryset


def listing[M: Model](
    request: HttpRequest,
    queryset: QuerySet[M],
    filters: Schema,
    paging: PageQuery,
    row: Callable[[M], dict[str, Any]],
    *,
    unit_field: str = "unit",
    lookups: Mapping[str, Lookup] | None = None,
) -> dict[str, Any]:
    """A list endpoint's body: the :func:`filtered` rows as a cursor page."""
    rows = filtered(request, queryset, filters, unit_field=unit_field, lookups=lookups)
    return page(rows, paging.cursor, paging.limit, row)


BY_CAMPAIGN_AND_UNIT: dict[str, Lookup] = {
    "year": "campaign__year",
    "kind": "unit__kind",
    "campaign": "campaign_id",
}


def in_force_q(year: int) -> Q:
    """Criteria sets in force in ``year``."""
    return Q(year_from__lte=year) & (Q(year_to__isnull=True) | Q(year_to__gte=year))


# --- units ----------------------------------------------------------------------------------


def unit_row(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "full_name": unit.full_name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "depth": unit.depth,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "is_eligible": unit.is_eligible,
        "ineligibility_reason": unit.ineligibility_reason_display if not unit.is_eligible else "",
    }


def _history_row(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "unit": unit_row(entry.unit),
        "change": entry.change.kind,
        "effective_on": entry.change.effective_on,
        "reference": entry.change.reference,
        "generation": entry.generation,
    }


@router.get("/units", response=schemas.UnitPage, tags=["units"])
def unit_list(request: HttpRequest, filters: Query[UnitFilters], paging: Query[PageQuery]) -> dict[str, Any]:
    """The units of the caller's subtrees (the tree: ``parent_id``, ``depth``); ``year``: those existing that year."""
    return listing(
        request,
        visible_units(token_user(request)),
        filters,
        paging,
        unit_row,
        unit_field="",
        lookups={"year": valid_in_q},
    )


@router.get("/units/{int:unit_id}", response=schemas.UnitDetail, tags=["units"])
def unit_detail(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    """One unit with its ancestors, eligibility and history (what it was formed from, what it became)."""
    unit = get_for_user(token_user(request), Unit, unit_id)
    history = unit_history(unit)
    return {
        **unit_row(unit),
        "ancestors": [unit_row(u) for u in unit.ancestors().order_by("depth")],
        "predecessors": [_history_row(e) for e in history.predecessors],
        "successors": [_history_row(e) for e in history.successors],
    }


# --- campaigns and criteria sets ------------------------------------------------------------


def campaign_row(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "year": campaign.year,
        "province_id": campaign.province_id,
        "name": campaign.name,
        "status": campaign.status,
        "registration_deadline": campaign.registration_deadline,
        "residential_decision_deadline": campaign.residential_decision_deadline,
        "other_decision_deadline": campaign.other_decision_deadline,
        "criteria_set_ids": sorted(s.pk for s in campaign.criteria_sets.all()),
    }


@router.get("/campaigns", response=schemas.CampaignPage, tags=["campaigns"])
def campaign_list(
    request: HttpRequest, filters: Query[YearStatus], paging: Query[PageQuery]
) -> dict[str, Any]:
    campaigns = visible_campaigns(token_user(request)).prefetch_related("criteria_sets")
    return listing(request, campaigns, filters, paging, campaign_row)


def set_row(criteria_set: CriteriaSet) -> dict[str, Any]:
    return {
        "id": criteria_set.pk,
        "family": criteria_set.family,
        "version": criteria_set.version,
        "name": criteria_set.name,
        "unit_kind": criteria_set.unit_kind,
        "legal_basis": criteria_set.legal_basis,
        "year_from": criteria_set.year_from,
        "year_to": criteria_set.year_to,
        "province_id": criteria_set.province_id,
        "status": criteria_set.status,
    }


@router.get("/criteria-sets", response=schemas.CriteriaSetPage, tags=["criteria"])
def criteria_set_list(
    request: HttpRequest, filters: Query[YearStatus], paging: Query[PageQuery]
) -> dict[str, Any]:
    """National sets and the sets of the caller's provinces; ``year``: the sets in force that year."""
    return listing(
        request, visible_sets(token_user(request)), filters, paging, set_row, lookups={"year": in_force_q}
    )


@router.get("/criteria-sets/{int:set_id}", response=schemas.CriteriaSetDetail, tags=["criteria"])
def criteria_set_detail(request: HttpRequest, set_id: int) -> dict[str, Any]:
    criteria_set = get_set_for_user(token_user(request), set_id)
    criteria = [
        {
            "id": c.pk,
            "code": c.code,
            "text": c.text,
            "parent_id": c.parent_id,
            "answer_type": c.answer_type,
            "threshold_percent": c.threshold_percent,
        }
        for c in ordered_criteria(criteria_set)
    ]
    return {**set_row(criteria_set), "criteria": criteria}


# --- assessments ------------------------------------------------------------------------------


def assessment_row(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "unit_id": a.unit_id,
        "unit_code": a.unit.code,
        "campaign_id": a.campaign_id,
        "year": a.campaign.year,
        "criteria_set_id": a.criteria_set_id,
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "version": a.version,
        "crime_count": a.crime_count,
        "social_evil_count": a.social_evil_count,
        "violation_count": a.violation_count,
        "submitted_at": a.submitted_at,
        "appraised_at": a.appraised_at,
        "decided_at": a.decided_at,
        "decision_id": a.decision_id,
    }


def _assessments(request: HttpRequest) -> QuerySet[Assessment]:
    return scope_queryset(token_user(request), Assessment.objects.select_related("unit", "campaign"))


@router.get("/assessments", response=schemas.AssessmentPage, tags=["assessments"])
def assessment_list(
    request: HttpRequest, filters: Query[AssessmentFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    return listing(
        request, _assessments(request), filters, paging, assessment_row, lookups=BY_CAMPAIGN_AND_UNIT
    )


def assessment_detail_row(assessment: Assessment) -> dict[str, Any]:
    answers = assessment.answers.select_related("criterion").order_by("criterion__order", "pk")
    return {
        **assessment_row(assessment),
        "answers": [
            {
                "criterion": a.criterion.code,
                "value": a.value,
                "number": a.number,
                "note": a.note,
                "self_points": a.self_points,
                "appraised_value": a.appraised_value,
                "appraised_points": a.appraised_points,
                "is_returned": a.is_returned,
                "return_reason": a.return_reason,
            }
            for a in answers
        ],
        "missing_for_submission": [str(m) for m in assessment_selectors.missing_for_submission(assessment)]
        if assessment.is_editable
        else [],
    }


@router.get("/assessments/{int:assessment_id}", response=schemas.AssessmentDetail, tags=["assessments"])
def assessment_detail(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    """An assessment with its answers, status and version (send the version back when saving)."""
    return assessment_detail_row(get_for_user(token_user(request), _assessments(request), assessment_id))


# --- results with their explanations ------------------------------------------------------------


def reasons_row(found: reasons.Reasons) -> dict[str, Any]:
    return {
        "outcome": found.outcome,
        "label": found.label,
        "is_forecast": found.is_forecast,
        "summary": found.summary,
        "sentence": found.sentence,
        "items": [
            {"code": i.code, "state": i.state, "requirement": i.requirement, "why": i.why, "needed": i.needed}
            for i in found.items
        ],
        "notes": found.notes,
    }


@router.get("/results", response=schemas.ResultPage, tags=["results"])
def result_list(
    request: HttpRequest, filters: Query[AssessmentFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    """The engine's result of each unit with its reasons in words (``status``: the outcome)."""
    results = scope_queryset(
        token_user(request), Result.objects.select_related("unit", "campaign", "assessment")
    )
    lookups = {**BY_CAMPAIGN_AND_UNIT, "status": "outcome"}
    rows, next_cursor = page_of(
        filtered(request, results, filters, lookups=lookups), paging.cursor, paging.limit
    )
    by_assessment = reasons.for_assessments([r.assessment for r in rows if r.assessment is not None])
    items = [
        {
            "id": r.pk,
            "unit_id": r.unit_id,
            "unit_code": r.unit.code,
            "unit_name": r.unit.full_name,
            "unit_kind": r.unit.kind,
            "campaign_id": r.campaign_id,
            "year": r.campaign.year,
            "assessment_id": r.assessment_id,
            "assessment_status": r.assessment.status if r.assessment is not None else None,
            "outcome": r.outcome,
            "is_forecast": r.is_forecast,
            "points": r.points,
            "grade": r.grade,
            "unmet_codes": r.unmet_codes,
            "missing_codes": r.missing_codes,
            "computed_at": r.computed_at,
            "reasons": reasons_row(
                by_assessment[r.assessment_id] if r.assessment_id else reasons.from_result(r)
            ),
        }
        for r in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


# --- decisions and certificates ------------------------------------------------------------------


def _decisions(request: HttpRequest) -> QuerySet[Decision]:
    return scope_queryset(token_user(request), Decision.objects.select_related("issuer"), unit_field="issuer")


def decision_row(d: Decision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "campaign_id": d.campaign_id,
        "issuer_id": d.issuer_id,
        "kind": d.kind,
        "status": d.status,
        "year": d.year,
        "number": d.number,
        "symbol": d.symbol,
        "issued_on": d.issued_on,
        "signer_title": d.signer_title,
        "signer_name": d.signer_name,
        "is_signed": bool(d.signed_pdf),
        "pdf_url": reverse("api-v1:decision_pdf", kwargs={"decision_id": d.pk}),
    }


@router.get("/decisions", response=schemas.DecisionPage, tags=["documents"])
def decision_list(
    request: HttpRequest, filters: Query[ScopeYearStatus], paging: Query[PageQuery]
) -> dict[str, Any]:
    return listing(request, _decisions(request), filters, paging, decision_row, unit_field="issuer")


def _file(data: bytes, filename: str) -> HttpResponse:
    return name_download(HttpResponse(data, content_type="application/pdf"), filename)


@router.get("/decisions/{int:decision_id}/pdf", tags=["documents"], response={200: None})
def decision_pdf(request: HttpRequest, decision_id: int) -> HttpResponse:
    """The decision as PDF (as the web page serves it; the download is in the audit)."""
    user = token_user(request)
    decision = get_for_user(user, _decisions(request), decision_id, unit_field="issuer")
    require_role(user, decision.issuer, *DOCUMENT_ROLES)
    data, filename = render_decision(decision), decision_filename(decision)
    record_download(document=decision, by=user, filename=filename)
    return _file(data, filename)


def _certificates(request: HttpRequest) -> QuerySet[Certificate]:
    return scope_queryset(token_user(request), Certificate.objects.select_related("unit"))


def certificate_row(c: Certificate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "code": c.code,
        "unit_id": c.unit_id,
        "unit_code": c.unit.code,
        "year": c.year,
        "decision_id": c.decision_id,
        "register_number": c.register_number,
        "status": c.status,
        "revoked_on": c.revoked_on,
        "verify_url": c.get_verify_url(),
        "pdf_url": reverse("api-v1:certificate_pdf", kwargs={"certificate_id": c.pk}),
    }


@router.get("/certificates", response=schemas.CertificatePage, tags=["documents"])
def certificate_list(
    request: HttpRequest, filters: Query[ScopeYearStatusKind], paging: Query[PageQuery]
) -> dict[str, Any]:
    return listing(
        request, _certificates(request), filters, paging, certificate_row, lookups={"kind": "unit__kind"}
    )


@router.get(
    "/certificates/{int:certificate_id}/pdf", tags=["documents"], response={200: None, 410: schemas.Problem}
)
def certificate_pdf(request: HttpRequest, certificate_id: int) -> HttpResponse:
    user = token_user(request)
    certificate = get_for_user(user, _certificates(request), certificate_id)
    require_role(user, certificate.unit, *DOCUMENT_ROLES)
    if certificate.status != Certificate.Status.VALID:
        raise HttpError(410, _("This certificate is no longer in force and cannot be printed."))
    data, filename = render_certificate(certificate), pdf_filename(certificate)
    record_download(document=certificate, by=user, filename=filename)
    return _file(data, filename)


# --- the yearly summary --------------------------------------------------------------------------


def _figures(f: reports.Figures | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {name: getattr(f, name) for name in (*reports.FIGURE_NAMES, "rate", "forecast_rate")}


def _group(g: reports.GroupRow) -> dict[str, Any]:
    return {"group": g.group, "title": str(g.title), "now": _figures(g.now), "before": _figures(g.before)}


@router.get("/summary", response=schemas.SummaryOut, tags=["results"])
def summary(request: HttpRequest, scope: int, year: int) -> dict[str, Any]:
    """The yearly summary report of a province or a commune (the figures of the report page)."""
    user = token_user(request)
    unit = get_for_user(user, Unit, scope)
    require_role(user, unit, *DOCUMENT_ROLES)
    if unit.kind not in (Unit.Kind.PROVINCE, Unit.Kind.COMMUNE):
        raise HttpError(400, _("The summary is made for a province or a commune."))
    report = reports.build_report(scope=unit, year=year)
    return {
        "scope_id": unit.pk,
        "scope_name": unit.full_name,
        "year": year,
        "campaign_id": report.campaign.pk if report.campaign else None,
        "sentence": report.sentence,
        "groups": [_group(g) for g in report.groups],
        "total": _group(report.total),
        "communes": [
            {"id": c.key, "name": c.name, "own_status": c.own_status, "total": _figures(c.total)}
            for c in report.communes
        ],
    }
