"""Criteria sets as versioned data: reading helpers and every state change.

A set moves draft → published → frozen (frozen once an assessment uses it). Only drafts are
edited; a change to a published set is a new version (``new_version``), so every assessment
keeps the exact criteria it was filled against. Provinces add their own criteria in a derived
set (``add_province_criterion``). Read ``docs/criteria.md`` for the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Model, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Actor, log_change
from certification.models import CriteriaSet, Criterion, GradeBand, ScoreItem, ScoreSheet
from units.models import Unit

IN_FORCE = (CriteriaSet.Status.PUBLISHED, CriteriaSet.Status.FROZEN)
AnswerType = Criterion.AnswerType

# Fields of a criterion an author may set; compared by ``diff_sets``.
CRITERION_FIELDS = (
    "text",
    "answer_type",
    "na_allowed",
    "na_condition",
    "threshold_percent",
    "evidence_hint",
    "is_province_addition",
)
SET_FIELDS = (
    "name",
    "legal_basis",
    "year_from",
    "year_to",
    "rollup_base",
    "rollup_threshold_percent",
)


# --- Reading -------------------------------------------------------------------------------


@dataclass
class CriterionNode:
    criterion: Criterion
    depth: int = 0
    children: list[CriterionNode] = field(default_factory=list)


def criteria_tree(criteria_set: CriteriaSet) -> list[CriterionNode]:
    """The set's criteria as a tree (roots in order, children in order).

    A published or frozen set never changes (``Criterion.save`` refuses), so its tree is kept on
    the instance: a page that needs it twice (the entry form: its rows and what blocks
    submission) reads it once."""
    cached = criteria_set.__dict__.get("_criteria_tree")
    if cached is not None and not criteria_set.is_editable:
        return list(cached)
    roots = _build_tree(criteria_set)
    if not criteria_set.is_editable:
        criteria_set.__dict__["_criteria_tree"] = roots
    return list(roots)


def _build_tree(criteria_set: CriteriaSet) -> list[CriterionNode]:
    criteria = list(
        criteria_set.criteria.select_related("source__criteria_set", "parent").order_by("order", "pk")
    )
    nodes = {c.pk: CriterionNode(c) for c in criteria}
    roots: list[CriterionNode] = []
    for c in criteria:
        node = nodes[c.pk]
        if c.parent_id and c.parent_id in nodes:
            nodes[c.parent_id].children.append(node)
        else:
            roots.append(node)

    def set_depth(items: list[CriterionNode], depth: int) -> None:
        for item in items:
            item.depth = depth
            set_depth(item.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten_tree(nodes: list[CriterionNode]) -> list[CriterionNode]:
    """Pre-order: a group, then its sub-items (the order of the legal text)."""
    flat: list[CriterionNode] = []
    for node in nodes:
        flat.append(node)
        flat.extend(flatten_tree(node.children))
    return flat


def ordered_criteria(criteria_set: CriteriaSet) -> list[Criterion]:
    return [node.criterion for node in flatten_tree(criteria_tree(criteria_set))]


def leaf_criteria(criteria_set: CriteriaSet) -> list[Criterion]:
    """The items an officer answers, in order: no groups, nothing derived (XA-4)."""
    return [c for c in ordered_criteria(criteria_set) if c.is_answerable]


def resolve_reference(reference: str) -> Criterion | None:
    """``tt124-kdc@1:KDC-3a`` → that criterion (None when it does not exist)."""
    set_ref, sep, code = reference.strip().partition(":")
    family, at, version = set_ref.partition("@")
    if not (sep and at and version.isdigit() and code):
        return None
    return (
        Criterion.objects.select_related("criteria_set")
        .filter(criteria_set__family=family, criteria_set__version=int(version), code=code)
        .first()
    )


def resolve_set_reference(reference: str) -> CriteriaSet | None:
    family, at, version = reference.strip().partition("@")
    if not (at and version.isdigit()):
        return None
    return CriteriaSet.objects.filter(family=family, version=int(version)).first()


def applicable_set(*, unit_kind: str, year: int, province: Unit | None = None) -> CriteriaSet | None:
    """The newest set in force for ``year`` and a criteria-set ``unit_kind``; the province's own
    derived set wins over the national one."""
    candidates = CriteriaSet.objects.filter(
        Q(year_to__isnull=True) | Q(year_to__gte=year),
        unit_kind=unit_kind,
        status__in=IN_FORCE,
        year_from__lte=year,
    ).order_by("-year_from", "-version", "-pk")
    if province is not None:
        own = candidates.filter(province=province).first()
        if own is not None:
            return own
    return candidates.filter(province__isnull=True).first()


def family_versions(criteria_set: CriteriaSet) -> list[CriteriaSet]:
    return list(CriteriaSet.objects.filter(family=criteria_set.family).order_by("-version"))


# --- Diff --------------------------------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    label: str
    old: object
    new: object


@dataclass
class CriterionChange:
    code: str
    old: Criterion
    new: Criterion
    fields: list[FieldChange]


@dataclass
class SetDiff:
    a: CriteriaSet
    b: CriteriaSet
    added: list[Criterion]
    removed: list[Criterion]
    changed: list[CriterionChange]
    set_fields: list[FieldChange]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.set_fields)


def _criterion_values(c: Criterion) -> dict[str, object]:
    values = {name: getattr(c, name) for name in CRITERION_FIELDS}
    values["parent"] = c.parent.code if c.parent_id else ""
    values["source"] = c.source.reference if c.source_id else ""
    return values


def _label(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def diff_sets(a: CriteriaSet, b: CriteriaSet) -> SetDiff:
    """What changes from ``a`` to ``b``: criteria added, removed, changed (by code)."""
    old = {c.code: c for c in ordered_criteria(a)}
    new = {c.code: c for c in ordered_criteria(b)}
    changed = []
    for code, new_c in new.items():
        old_c = old.get(code)
        if old_c is None:
            continue
        before, after = _criterion_values(old_c), _criterion_values(new_c)
        fields = [
            FieldChange(name, _label(Criterion, name), before[name], after[name])
            for name in before
            if before[name] != after[name]
        ]
        if fields:
            changed.append(CriterionChange(code, old_c, new_c, fields))
    set_fields = [
        FieldChange(name, _label(CriteriaSet, name), getattr(a, name), getattr(b, name))
        for name in SET_FIELDS
        if getattr(a, name) != getattr(b, name)
    ]
    return SetDiff(
        a=a,
        b=b,
        added=[c for code, c in new.items() if code not in old],
        removed=[c for code, c in old.items() if code not in new],
        changed=changed,
        set_fields=set_fields,
    )


# --- State changes -----------------------------------------------------------------------


def _locked(criteria_set: CriteriaSet) -> CriteriaSet:
    return CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)


def _require_draft(criteria_set: CriteriaSet) -> None:
    if not criteria_set.is_editable:
        raise WorkflowError(_("A published criteria set cannot be changed; create a new version."))


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
            if c.source.criteria_set_id != criteria_set.pk and not c.source.criteria_set.is_in_force:
                problems.append(
                    _("%(code)s reuses an item of a set that is not published.") % {"code": c.code}
                )
            elif c.text != c.source.text:
                problems.append(_("%(code)s differs from the item it reuses.") % {"code": c.code})
    return problems


@transaction.atomic
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
        criteria_set, by=by, action="criteria_set_published", field="status", old=old, new=criteria_set.status
    )
    return criteria_set


@transaction.atomic
def freeze_set_if_used(criteria_set: CriteriaSet) -> bool:
    """Published → frozen once an assessment uses it; True when it was frozen now."""
    from certification.models import Assessment

    if criteria_set is None or not Assessment.objects.filter(criteria_set=criteria_set).exists():
        return False
    updated = CriteriaSet.objects.filter(pk=criteria_set.pk, status=CriteriaSet.Status.PUBLISHED).update(
        status=CriteriaSet.Status.FROZEN
    )
    if updated:
        criteria_set.status = CriteriaSet.Status.FROZEN
        log_change(
            criteria_set,
            by=None,
            action="criteria_set_frozen",
            field="status",
            old=CriteriaSet.Status.PUBLISHED,
            new=CriteriaSet.Status.FROZEN,
        )
    return bool(updated)


def next_version_number(family: str) -> int:
    return (CriteriaSet.objects.filter(family=family).aggregate(v=Max("version"))["v"] or 0) + 1


def _newest_source(source: Criterion) -> Criterion:
    """A shared item follows the newest version in force of the set it comes from."""
    newest = (
        Criterion.objects.select_related("criteria_set")
        .filter(
            criteria_set__family=source.criteria_set.family,
            criteria_set__status__in=IN_FORCE,
            code=source.code,
        )
        .order_by("-criteria_set__version")
        .first()
    )
    return newest or source


def _copy_criteria(original: CriteriaSet, copy: CriteriaSet) -> dict[int, Criterion]:
    mapping: dict[int, Criterion] = {}
    for c in ordered_criteria(original):
        source = None
        text = c.text
        if c.source_id:
            if c.source.criteria_set_id == original.pk:
                source = mapping.get(c.source_id)
            else:
                source = _newest_source(c.source)
            text = source.text if source else text
        mapping[c.pk] = Criterion.objects.create(
            criteria_set=copy,
            parent=mapping.get(c.parent_id),
            code=c.code,
            text=text,
            order=c.order,
            answer_type=c.answer_type,
            na_allowed=c.na_allowed,
            na_condition=c.na_condition,
            threshold_percent=c.threshold_percent,
            evidence_hint=c.evidence_hint,
            source=source,
            is_province_addition=c.is_province_addition,
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


@transaction.atomic
def new_version(
    criteria_set: CriteriaSet, by: Actor | None = None, *, year_from: int | None = None
) -> CriteriaSet:
    """Copy a set (criteria, score sheet) as a draft with the next version number of its family.

    Shared items move to the newest version in force of their source set. The original and the
    assessments filled against it are not touched.
    """
    original = CriteriaSet.objects.get(pk=criteria_set.pk)
    copy = CriteriaSet.objects.create(
        family=original.family,
        version=next_version_number(original.family),
        unit_kind=original.unit_kind,
        name=original.name,
        legal_basis=original.legal_basis,
        year_from=year_from if year_from is not None else original.year_from,
        year_to=None if year_from is not None else original.year_to,
        province=original.province,
        based_on=original.based_on,
        status=CriteriaSet.Status.DRAFT,
        rollup_base=original.rollup_base,
        rollup_threshold_percent=original.rollup_threshold_percent,
    )
    _copy_criteria(original, copy)
    sheet = score_sheet_of(original)
    if sheet is not None:
        copy_sheet_onto(sheet, copy)
    log_change(
        copy,
        by=by,
        action="criteria_set_new_version",
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


@transaction.atomic
def update_set(criteria_set: CriteriaSet, *, by: Actor | None = None, **fields: Any) -> CriteriaSet:
    criteria_set = _locked(criteria_set)
    _require_draft(criteria_set)
    unknown = set(fields) - set(SET_FIELDS)
    if unknown:
        raise TypeError(f"update_set: unknown fields {sorted(unknown)}")
    for name, value in fields.items():
        old = getattr(criteria_set, name)
        if old != value:
            setattr(criteria_set, name, value)
            log_change(criteria_set, by=by, action="criteria_set_changed", field=name, old=old, new=value)
    criteria_set.save()
    return criteria_set


def _check_criterion(
    criteria_set: CriteriaSet,
    *,
    code: str,
    parent: Criterion | None,
    answer_type: str,
    threshold_percent: Decimal | int | None,
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


@transaction.atomic
def add_criterion(
    criteria_set: CriteriaSet,
    *,
    code: str,
    text: str,
    by: Actor | None = None,
    parent_code: str = "",
    answer_type: str = AnswerType.BOOLEAN,
    na_allowed: bool = False,
    na_condition: str = "",
    threshold_percent: int | None = None,
    evidence_hint: str = "",
    source: Criterion | None = None,
    is_province_addition: bool = False,
) -> Criterion:
    """Append a criterion to a draft set (after its group's last item when ``parent_code`` is given)."""
    from antt.text import nfc

    criteria_set = _locked(criteria_set)
    _require_draft(criteria_set)
    code = nfc(code)
    parent = criteria_set.criteria.filter(code=nfc(parent_code)).first() if parent_code else None
    if parent_code and parent is None:
        raise WorkflowError(_("There is no criterion %(code)s in this set.") % {"code": parent_code})
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
        answer_type=answer_type,
        na_allowed=na_allowed,
        na_condition=na_condition,
        threshold_percent=threshold_percent,
        evidence_hint=evidence_hint,
        source=source,
        is_province_addition=is_province_addition,
    )
    _renumber(criteria_set)
    criterion.refresh_from_db(fields=["order"])
    log_change(criterion, by=by, action="criterion_added", field="text", old="", new=criterion.text)
    return criterion


def _renumber(criteria_set: CriteriaSet) -> None:
    """Keep ``order`` equal to the tree order (a group's items right after it) for plain queries."""
    criteria = ordered_criteria(criteria_set)
    for position, criterion in enumerate(criteria, start=1):
        criterion.order = position
    Criterion.objects.bulk_update(criteria, ["order"])


@transaction.atomic
def update_criterion(criterion: Criterion, *, by: Actor | None = None, **fields: Any) -> Criterion:
    """Change a criterion of a draft set; refused (nothing changes) for a published set."""
    criterion = Criterion.objects.select_related("criteria_set", "source").get(pk=criterion.pk)
    _locked(criterion.criteria_set)
    _require_draft(criterion.criteria_set)
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
            log_change(criterion, by=by, action="criterion_changed", field=name, old=old, new=value)
    criterion.save()
    return criterion


@transaction.atomic
def delete_criterion(criterion: Criterion, *, by: Actor | None = None) -> None:
    criterion = Criterion.objects.select_related("criteria_set").get(pk=criterion.pk)
    _locked(criterion.criteria_set)
    _require_draft(criterion.criteria_set)
    log_change(criterion, by=by, action="criterion_deleted", field="text", old=criterion.text, new="")
    criterion.delete()


# --- Province additions (Art. 8(1)) and score sheets --------------------------------------


def province_family(base: CriteriaSet, province: Unit) -> str:
    return slugify(f"{base.family}-{province.code}")[:60]


@transaction.atomic
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
    derived = CriteriaSet.objects.create(
        family=family,
        version=1,
        unit_kind=criteria_set.unit_kind,
        name=f"{criteria_set.name} – bổ sung của {province.full_name}",
        legal_basis=f"{criteria_set.legal_basis}; tiêu chí bổ sung của {province.full_name} (Điều 8 khoản 1)",
        year_from=criteria_set.year_from,
        year_to=criteria_set.year_to,
        province=province,
        based_on=criteria_set,
        status=CriteriaSet.Status.DRAFT,
        rollup_base=criteria_set.rollup_base,
        rollup_threshold_percent=criteria_set.rollup_threshold_percent,
    )
    _copy_criteria(criteria_set, derived)
    sheet = score_sheet_of(criteria_set)
    if sheet is not None:
        copy_sheet_onto(sheet, derived)
    log_change(
        derived, by=by, action="criteria_set_derived", field="based_on", old="", new=criteria_set.reference
    )
    return derived


@transaction.atomic
def add_province_criterion(
    criteria_set: CriteriaSet,
    province: Unit,
    code: str,
    text: str,
    *,
    by: Actor | None = None,
    parent_code: str = "",
    answer_type: str = AnswerType.BOOLEAN,
    na_allowed: bool = False,
    na_condition: str = "",
    threshold_percent: int | None = None,
    evidence_hint: str = "",
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
    return add_criterion(
        target,
        code=code,
        text=text,
        by=by,
        parent_code=parent_code,
        answer_type=answer_type,
        na_allowed=na_allowed,
        na_condition=na_condition,
        threshold_percent=threshold_percent,
        evidence_hint=evidence_hint,
        is_province_addition=True,
    )


@transaction.atomic
def copy_score_sheet(*, sheet: ScoreSheet, criteria_set: CriteriaSet, by: Actor | None = None) -> ScoreSheet:
    """Attach a copy of ``sheet`` (e.g. the shipped example) to a draft set without a sheet."""
    criteria_set = _locked(criteria_set)
    _require_draft(criteria_set)
    if score_sheet_of(criteria_set) is not None:
        raise WorkflowError(_("This set already has a score sheet."))
    copy = copy_sheet_onto(sheet, criteria_set)
    log_change(copy, by=by, action="score_sheet_attached", field="name", old="", new=copy.name)
    return copy
