"""Reading criteria sets: the tree of a set, the items an officer answers, the set in force for a
unit kind and year, references (``family@version:code``) and the diff of two versions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Field, Model, Q

from certification.models import CriteriaSet, Criterion
from units.models import Unit

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


def criterion_values(item: object) -> dict[str, Any]:
    """The ``CRITERION_FIELDS`` of a criterion, or of a parsed item with the same attributes."""
    return {name: getattr(item, name) for name in CRITERION_FIELDS}


SET_FIELDS = (
    "name",
    "legal_basis",
    "year_from",
    "year_to",
    "rollup_base",
    "rollup_threshold_percent",
)


def set_values(item: object) -> dict[str, Any]:
    """What a new version takes from ``item`` (a set, or a parsed workbook): the family, the unit
    kind, the province, the set it is based on and the ``SET_FIELDS``."""
    return {
        name: getattr(item, name) for name in ("family", "unit_kind", "province", "based_on", *SET_FIELDS)
    }


@dataclass
class CriterionNode:
    criterion: Criterion
    depth: int = 0
    children: list[CriterionNode] = field(default_factory=list)


# What is read of published sets (their trees, their score sheets' maximum points), shared by the
# requests of this process (issue 23: reading and building a set's ~50 criteria was ~4 ms of CPU
# of every form, save and submission). Keyed by what is kept, the set's id, status and publication
# time, so a set is never confused with another one.
_PUBLISHED: dict[tuple[Any, ...], Any] = {}
_PUBLISHED_MAX = 512


def forget_published_trees() -> None:
    """Drop what :func:`kept_for_published` keeps (tests that write a published set behind its
    back, as no code path of the application does)."""
    _PUBLISHED.clear()


def kept_for_published[T](criteria_set: CriteriaSet, name: str, build: Callable[[], T]) -> T:
    """``build()``, read once per process for a published set (``PartOfSet``: it never changes)
    and every time for a draft. Callers must not change what it returns (it is shared)."""
    if criteria_set.is_editable:
        return build()
    key = (name, criteria_set.pk, criteria_set.status, criteria_set.published_at)
    if key not in _PUBLISHED:
        if len(_PUBLISHED) >= _PUBLISHED_MAX:
            _PUBLISHED.clear()
        _PUBLISHED[key] = build()
    return cast(T, _PUBLISHED[key])


def criteria_tree(criteria_set: CriteriaSet) -> list[CriterionNode]:
    """The set's criteria as a tree (roots in order, children in order); a published set's is
    read once per process and kept (the nodes are shared: callers must not change them)."""
    return list(kept_for_published(criteria_set, "tree", lambda: _build_tree(criteria_set)))


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


def criterion_text(criterion: Criterion) -> str:
    """The requirement as shown: its own text, else the text of the criterion it reuses."""
    if criterion.source_id and not criterion.text and criterion.source:
        return criterion.source.text
    return criterion.text


def criterion_texts(criteria_set: CriteriaSet) -> dict[str, str]:
    """code → :func:`criterion_text` of the set's criteria (kept for a published set)."""
    return kept_for_published(
        criteria_set, "texts", lambda: {c.code: criterion_text(c) for c in ordered_criteria(criteria_set)}
    )


def answerable_criteria(criteria_set: CriteriaSet) -> list[Criterion]:
    """The items an officer answers, in order: no groups, nothing derived (XA-4, computed by the
    scoring engine)."""
    return [c for c in ordered_criteria(criteria_set) if c.is_answerable]


def resolve_references(references: Iterable[str]) -> dict[str, Criterion]:
    """``tt124-kdc@1:KDC-3a`` → that criterion, for many references in one query (references
    that name nothing are left out)."""
    wanted: dict[str, tuple[str, int, str]] = {}
    for reference in references:
        set_ref, sep, code = reference.strip().partition(":")
        family, at, version = set_ref.partition("@")
        if sep and at and version.isdigit() and code:
            wanted[reference] = (family, int(version), code)
    if not wanted:
        return {}
    candidates = Criterion.objects.select_related("criteria_set").filter(
        criteria_set__family__in={family for family, _version, _code in wanted.values()},
        code__in={code for _family, _version, code in wanted.values()},
    )
    found: dict[tuple[str, int, str], Criterion] = {}
    for c in candidates:
        found[(c.criteria_set.family, c.criteria_set.version, c.code)] = c
    return {reference: found[key] for reference, key in wanted.items() if key in found}


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
        status__in=CriteriaSet.IN_FORCE,
        year_from__lte=year,
    ).order_by("-year_from", "-version", "-pk")
    if province is not None:
        own = candidates.filter(province=province).first()
        if own is not None:
            return own
    return candidates.filter(province__isnull=True).first()


def family_versions(criteria_set: CriteriaSet) -> list[CriteriaSet]:
    return list(CriteriaSet.objects.with_in_use().filter(family=criteria_set.family).order_by("-version"))


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
    values["parent"] = cast(Criterion, c.parent).code if c.parent_id else ""
    values["source"] = cast(Criterion, c.source).reference if c.source_id else ""
    return values


def _label(model: type[Model], name: str) -> str:
    return str(cast("Field[Any, Any]", model._meta.get_field(name)).verbose_name)


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
