"""Criteria sets as versioned data: every state change (reads: ``selectors/criteria``).

A set moves draft → published; "in use" (an assessment is filled against it) is derived
(``CriteriaSet.is_in_use``), not a status. Only drafts are edited; a change to a published set is a new version (``new_version``), so every assessment
keeps the exact criteria it was filled against. Provinces add their own criteria in a derived
set (``add_province_criterion``). Read ``docs/criteria.md`` for the model.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Action, Actor, atomic_deferred, log_change
from certification.models import CriteriaSet, Criterion, GradeBand, ScoreItem, ScoreSheet
from certification.selectors.criteria import (
    CRITERION_FIELDS,
    SET_FIELDS,
    criterion_values,
    ordered_criteria,
    set_values,
)
from units.models import Unit

AnswerType = Criterion.AnswerType

# --- State changes -----------------------------------------------------------------------


def _locked(criteria_set: CriteriaSet) -> CriteriaSet:
    return CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)


def validate_set(criteria_set: CriteriaSet) -> list[str]:
    """Problems that prevent publishing (empty list when it can be published)."""
    problems = []
    criteria = list(criteria_set.criteria.select_related("source__criteria_set"))
    if not criteria:
        problems.append(_("The set has no criteria."))
    has_children = {c.parent_id for c in criteria if c.parent_id}
    for c in criteria:
        if c.answer_type == AnswerType.GROUP and c.pk not in has_children:
            problems.append(_("%(code)s is a group without sub-items.") % {"code": c.code})
        if c.answer_type != AnswerType.GROUP and c.pk in has_children:
            problems.append(_("%(code)s has sub-items but is not a group.") % {"code": c.code})
        if c.answer_type in (AnswerType.COUNT_THRESHOLD, AnswerType.DERIVED) and c.threshold_percent is None:
            problems.append(_("%(code)s needs a threshold.") % {"code": c.code})
        if c.source_id:
            assert c.source is not None
            if c.source.criteria_set_id != criteria_set.pk and not c.source.criteria_set.is_in_force:
                problems.append(
                    _("%(code)s reuses an item of a set that is not published.") % {"code": c.code}
                )
            elif c.text != c.source.text:
                problems.append(_("%(code)s differs from the item it reuses.") % {"code": c.code})
    return problems


@atomic_deferred
def publish_set(criteria_set: CriteriaSet, by: Actor | None = None) -> CriteriaSet:
    """Draft → published. Refused when the set is not a draft or is incomplete."""
    criteria_set = _locked(criteria_set)
    if criteria_set.status != CriteriaSet.Status.DRAFT:
        raise WorkflowError(_("Only a draft criteria set can be published."))
    problems = validate_set(criteria_set)
    if problems:
        raise WorkflowError(" ".join(problems))
    old = criteria_set.status
    criteria_set.status = CriteriaSet.Status.PUBLISHED
    criteria_set.published_at = timezone.now()
    criteria_set.save(update_fields=["status", "published_at"])
    log_change(
        criteria_set,
        by=by,
        action=Action.CRITERIA_SET_PUBLISHED,
        field="status",
        old=old,
        new=criteria_set.status,
    )
    return criteria_set


def next_version_number(family: str) -> int:
    return (CriteriaSet.objects.filter(family=family).aggregate(v=Max("version"))["v"] or 0) + 1


def _newest_source(source: Criterion) -> Criterion:
    """A shared item follows the newest version in force of the set it comes from."""
    newest = (
        Criterion.objects.select_related("criteria_set")
        .filter(
            criteria_set__family=source.criteria_set.family,
            criteria_set__status__in=CriteriaSet.IN_FORCE,
            code=source.code,
        )
        .order_by("-criteria_set__version")
        .first()
    )
    return newest or source


def _copy_criteria(original: CriteriaSet, copy: CriteriaSet) -> dict[int | None, Criterion]:
    mapping: dict[int | None, Criterion] = {}
    for c in ordered_criteria(original):
        source = None
        text = c.text
        if c.source_id:
            assert c.source is not None
            if c.source.criteria_set_id == original.pk:
                source = mapping.get(c.source_id)
            else:
                source = _newest_source(c.source)
            text = source.text if source else text
        mapping[c.pk] = Criterion.objects.create(
            criteria_set=copy,
            parent=mapping.get(c.parent_id),
            code=c.code,
            order=c.order,
            source=source,
            **(criterion_values(c) | {"text": text}),
        )
    return mapping


def copy_sheet_onto(sheet: ScoreSheet, to_set: CriteriaSet) -> ScoreSheet:
    """Copy a score sheet onto ``to_set``, matching items by criterion code (missing codes dropped)."""
    by_code = {c.code: c for c in to_set.criteria.all()}
    copy = ScoreSheet.objects.create(
        criteria_set=to_set, name=sheet.name, is_example=sheet.is_example, total_points=sheet.total_points
    )
    for item in sheet.items.select_related("criterion"):
        target = by_code.get(item.criterion.code)
        if target is not None:
            ScoreItem.objects.create(
                sheet=copy,
                criterion=target,
                max_points=item.max_points,
                deduction=item.deduction,
                is_knockout=item.is_knockout,
            )
    for band in sheet.grade_bands.all():
        GradeBand.objects.create(sheet=copy, grade=band.grade, min_points=band.min_points)
    return copy


def score_sheet_of(criteria_set: CriteriaSet) -> ScoreSheet | None:
    return ScoreSheet.objects.filter(criteria_set=criteria_set).first()


def carry_score_sheet(original: CriteriaSet, to_set: CriteriaSet) -> None:
    """Copy ``original``'s score sheet, if it has one, onto ``to_set``."""
    sheet = score_sheet_of(original)
    if sheet is not None:
        copy_sheet_onto(sheet, to_set)


def _draft_copy(original: CriteriaSet, *, version: int, **fields: Any) -> CriteriaSet:
    """A draft copy of ``original`` with its criteria and score sheet; ``fields`` change the copy."""
    values = set_values(original) | fields
    copy = CriteriaSet.objects.create(**values, version=version, status=CriteriaSet.Status.DRAFT)
    _copy_criteria(original, copy)
    carry_score_sheet(original, copy)
    return copy


@atomic_deferred
def new_version(
    criteria_set: CriteriaSet, by: Actor | None = None, *, year_from: int | None = None
) -> CriteriaSet:
    """Copy a set (criteria, score sheet) as a draft with the next version number of its family.

    Shared items move to the newest version in force of their source set. The original and the
    assessments filled against it are not touched.
    """
    original = CriteriaSet.objects.get(pk=criteria_set.pk)
    years = {} if year_from is None else {"year_from": year_from, "year_to": None}
    copy = _draft_copy(original, version=next_version_number(original.family), **years)
    log_change(
        copy,
        by=by,
        action=Action.CRITERIA_SET_NEW_VERSION,
        field="based_on_version",
        old=original.reference,
        new=copy.reference,
    )
    return copy


def clone_for_year(criteria_set: CriteriaSet, year: int, by: Actor | None = None) -> CriteriaSet:
    """A new draft version applying from ``year`` (the old one keeps applying to earlier years)."""
    if year < criteria_set.year_from:
        raise WorkflowError(_("The new year must not be before the year the set applies from."))
    return new_version(criteria_set, by, year_from=year)


@atomic_deferred
def update_set(criteria_set: CriteriaSet, *, by: Actor | None = None, **fields: Any) -> CriteriaSet:
    criteria_set = _locked(criteria_set)
    criteria_set.require_editable()
    unknown = set(fields) - set(SET_FIELDS)
    if unknown:
        raise TypeError(f"update_set: unknown fields {sorted(unknown)}")
    for name, value in fields.items():
        old = getattr(criteria_set, name)
        if old != value:
            setattr(criteria_set, name, value)
            log_change(
                criteria_set, by=by, action=Action.CRITERIA_SET_CHANGED, field=name, old=old, new=value
            )
    criteria_set.save()
    return criteria_set


def _check_criterion(
    criteria_set: CriteriaSet,
    *,
    code: str,
    parent: Criterion | None,
    answer_type: str,
    threshold_percent: int | None,
) -> None:
    if not code:
        raise WorkflowError(_("A criterion needs a code."))
    if len(code) > 32:
        raise WorkflowError(_("A criterion code has at most 32 characters."))
    if answer_type not in AnswerType.values:
        raise WorkflowError(_("Unknown way of answering: %(value)s.") % {"value": answer_type})
    if parent is not None and parent.answer_type != AnswerType.GROUP:
        raise WorkflowError(_("%(code)s is not a group.") % {"code": parent.code})
    if threshold_percent is not None and not 0 <= threshold_percent <= 100:
        raise WorkflowError(_("A threshold is a percentage between 0 and 100."))


class CriterionDetails(TypedDict, total=False):
    """How a new criterion is answered, beside its code and text; left out, the model's default
    (a met / not met item at the top level)."""

    parent_code: str
    answer_type: str
    na_allowed: bool
    na_condition: str
    threshold_percent: int | None
    evidence_hint: str


@atomic_deferred
def add_criterion(
    criteria_set: CriteriaSet,
    *,
    code: str,
    text: str,
    by: Actor | None = None,
    source: Criterion | None = None,
    is_province_addition: bool = False,
    **details: Unpack[CriterionDetails],
) -> Criterion:
    """Append a criterion to a draft set (after its group's last item when ``parent_code`` is given)."""
    from antt.text import nfc

    criteria_set = _locked(criteria_set)
    criteria_set.require_editable()
    code = nfc(code)
    parent_code = details.pop("parent_code", "")
    parent = criteria_set.criteria.filter(code=nfc(parent_code)).first() if parent_code else None
    if parent_code and parent is None:
        raise WorkflowError(_("There is no criterion %(code)s in this set.") % {"code": parent_code})
    answer_type = details.setdefault("answer_type", AnswerType.BOOLEAN)
    threshold_percent = details.get("threshold_percent")
    _check_criterion(
        criteria_set, code=code, parent=parent, answer_type=answer_type, threshold_percent=threshold_percent
    )
    if criteria_set.criteria.filter(code=code).exists():
        raise WorkflowError(_("The set already has a criterion %(code)s.") % {"code": code})
    if source is not None:
        if not source.criteria_set.is_in_force:
            raise WorkflowError(_("Only an item of a published set can be reused."))
        text = source.text
    if not nfc(text):
        raise WorkflowError(_("A criterion needs a text."))
    criterion = Criterion.objects.create(
        criteria_set=criteria_set,
        parent=parent,
        code=code,
        text=text,
        order=(criteria_set.criteria.aggregate(m=Max("order"))["m"] or 0) + 1,
        source=source,
        is_province_addition=is_province_addition,
        **details,
    )
    _renumber(criteria_set)
    criterion.refresh_from_db(fields=["order"])
    log_change(criterion, by=by, action=Action.CRITERION_ADDED, field="text", old="", new=criterion.text)
    return criterion


def _renumber(criteria_set: CriteriaSet) -> None:
    """Keep ``order`` equal to the tree order (a group's items right after it) for plain queries."""
    criteria = ordered_criteria(criteria_set)
    for position, criterion in enumerate(criteria, start=1):
        criterion.order = position
    Criterion.objects.bulk_update(criteria, ["order"])


@atomic_deferred
def update_criterion(criterion: Criterion, *, by: Actor | None = None, **fields: Any) -> Criterion:
    """Change a criterion of a draft set; refused (nothing changes) for a published set."""
    criterion = Criterion.objects.select_related("criteria_set", "source").get(pk=criterion.pk)
    _locked(criterion.criteria_set)
    criterion.criteria_set.require_editable()
    unknown = set(fields) - set(CRITERION_FIELDS)
    if unknown:
        raise TypeError(f"update_criterion: unknown fields {sorted(unknown)}")
    if "text" in fields and criterion.source_id:
        raise WorkflowError(_("The text of a shared item comes from the item it reuses."))
    _check_criterion(
        criterion.criteria_set,
        code=criterion.code,
        parent=criterion.parent,
        answer_type=fields.get("answer_type", criterion.answer_type),
        threshold_percent=fields.get("threshold_percent", criterion.threshold_percent),
    )
    for name, value in fields.items():
        old = getattr(criterion, name)
        if old != value:
            setattr(criterion, name, value)
            log_change(criterion, by=by, action=Action.CRITERION_CHANGED, field=name, old=old, new=value)
    criterion.save()
    return criterion


@atomic_deferred
def delete_criterion(criterion: Criterion, *, by: Actor | None = None) -> None:
    criterion = Criterion.objects.select_related("criteria_set").get(pk=criterion.pk)
    _locked(criterion.criteria_set)
    criterion.criteria_set.require_editable()
    log_change(criterion, by=by, action=Action.CRITERION_DELETED, field="text", old=criterion.text, new="")
    criterion.delete()


# --- Province additions (Art. 8(1)) and score sheets --------------------------------------


def province_family(base: CriteriaSet, province: Unit) -> str:
    return slugify(f"{base.family}-{province.code}")[:60]


@atomic_deferred
def province_draft(criteria_set: CriteriaSet, province: Unit, by: Actor | None = None) -> CriteriaSet:
    """The province's draft derived from ``criteria_set`` (created, or a new version, as needed)."""
    if province.kind != Unit.Kind.PROVINCE:
        raise WorkflowError(_("Only a province can add criteria (TT 124 Art. 8(1))."))
    if criteria_set.province_id == province.pk:
        family = criteria_set.family
    elif criteria_set.province_id is None:
        family = province_family(criteria_set, province)
    else:
        raise WorkflowError(_("This set belongs to another province."))
    latest = CriteriaSet.objects.filter(family=family).order_by("-version").first()
    if latest is not None:
        return latest if latest.is_editable else new_version(latest, by)
    derived = _draft_copy(
        criteria_set,
        family=family,
        version=1,
        name=f"{criteria_set.name} – bổ sung của {province.full_name}",
        legal_basis=f"{criteria_set.legal_basis}; tiêu chí bổ sung của {province.full_name} (Điều 8 khoản 1)",
        province=province,
        based_on=criteria_set,
    )
    log_change(
        derived, by=by, action=Action.CRITERIA_SET_DERIVED, field="based_on", new=criteria_set.reference
    )
    return derived


@atomic_deferred
def add_province_criterion(
    criteria_set: CriteriaSet,
    province: Unit,
    code: str,
    text: str,
    *,
    by: Actor | None = None,
    **details: Unpack[CriterionDetails],
) -> Criterion:
    """Add a province's own criterion; the code is prefixed with the province code ("42-KDC-6").

    The criterion goes into the province's draft derived set, which must be published before a
    campaign can use it.
    """
    target = province_draft(criteria_set, province, by)
    prefix = f"{province.code}-"
    code = code.strip()
    if not code.startswith(prefix):
        code = prefix + code
    return add_criterion(target, code=code, text=text, by=by, is_province_addition=True, **details)


@atomic_deferred
def copy_score_sheet(*, sheet: ScoreSheet, criteria_set: CriteriaSet, by: Actor | None = None) -> ScoreSheet:
    """Attach a copy of ``sheet`` (e.g. the shipped example) to a draft set without a sheet."""
    criteria_set = _locked(criteria_set)
    criteria_set.require_editable()
    if score_sheet_of(criteria_set) is not None:
        raise WorkflowError(_("This set already has a score sheet."))
    copy = copy_sheet_onto(sheet, criteria_set)
    log_change(copy, by=by, action=Action.SCORE_SHEET_ATTACHED, field="name", old="", new=copy.name)
    return copy
