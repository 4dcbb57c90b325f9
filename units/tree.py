"""Materialized paths for rows written in bulk.

``Unit.save()`` keeps ``path``/``depth`` right for one row at a time. ``bulk_create`` and
``bulk_update`` bypass it, so loaders call :func:`rebuild_paths` afterwards. It works level by
level: one ``UPDATE`` per level (per chunk of ids) in which each row reads its parent's path
through a correlated subquery, so the 10,051 legacy wards take a handful of statements.
"""

from collections.abc import Iterable, Iterator

from django.db import models, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

from units.access import forget_units
from units.models import Unit

# Ids per statement: well under SQLite's limit of 32,766 query parameters.
CHUNK = 5000
MAX_DEPTH = 32  # far deeper than any real tree; stops a parent cycle from looping forever


def _own_path(parent_path):
    return Concat(
        Coalesce(parent_path, Value("")),
        Cast("pk", models.CharField()),
        Value("/"),
        output_field=models.CharField(),
    )


def _path_update() -> dict:
    parent = Unit.objects.filter(pk=OuterRef("parent_id"))
    return {
        "path": _own_path(Subquery(parent.values("path")[:1])),
        "depth": Coalesce(Subquery(parent.values("depth")[:1]) + 1, Value(0)),
    }


def _chunks(items: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def rebuild_paths(queryset_or_root: "QuerySet[Unit] | Unit | Iterable[int] | None" = None) -> int:
    """Recompute ``path`` and ``depth`` of the given units and of everything below them.

    ``queryset_or_root`` is a queryset of units (e.g. the rows just bulk-created), an
    iterable of their ids, one root unit (its whole subtree), or ``None`` (the whole
    table). The parents of the topmost given units must already have a correct path.
    Returns the number of rows written.
    """
    if queryset_or_root is None:
        pairs = list(Unit.objects.values_list("pk", "parent_id"))
    elif isinstance(queryset_or_root, Unit):
        pairs = [(queryset_or_root.pk, queryset_or_root.parent_id)]
    elif isinstance(queryset_or_root, QuerySet):
        pairs = list(queryset_or_root.values_list("pk", "parent_id"))
    else:
        pairs = []
        for chunk in _chunks(list(queryset_or_root)):
            pairs.extend(Unit.objects.filter(pk__in=chunk).values_list("pk", "parent_id"))
    given = {pk for pk, _parent in pairs}
    # Level 0: the given units whose parent is not itself among them.
    level_ids = [pk for pk, parent_id in pairs if parent_id not in given]
    update = _path_update()
    total = 0
    for _depth in range(MAX_DEPTH):
        if not level_ids:
            break
        next_ids: list[int] = []
        for chunk in _chunks(level_ids):
            total += Unit.objects.filter(pk__in=chunk).update(**update)
            next_ids.extend(Unit.objects.filter(parent_id__in=chunk).values_list("pk", flat=True))
        level_ids = next_ids
    forget_units()  # the roles kept in the identity cache hold their units' paths
    return total


def inconsistent_paths(queryset: "QuerySet[Unit] | None" = None) -> QuerySet[Unit]:
    """Units whose path is not their parent's path plus their own id."""
    queryset = Unit.objects.all() if queryset is None else queryset
    return queryset.annotate(expected=_own_path(F("parent__path"))).exclude(path=F("expected"))
