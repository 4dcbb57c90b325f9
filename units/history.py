"""A unit's history: what it was formed from and what it became (``UnitChange``), with the
commune/district/province each of those units belonged to."""

from dataclasses import dataclass, field

from units.models import Unit, UnitChange

MAX_GENERATIONS = 6
MAX_ENTRIES = 200


@dataclass
class HistoryEntry:
    unit: Unit
    change: UnitChange
    generation: int  # 1: direct predecessor/successor, 2: the one before that…
    ancestry: list[Unit] = field(default_factory=list)  # nearest first, up to the root


@dataclass
class UnitHistory:
    predecessors: list[HistoryEntry]
    successors: list[HistoryEntry]

    def __bool__(self) -> bool:
        return bool(self.predecessors or self.successors)


def _walk(unit: Unit, backwards: bool) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    seen = {unit.pk}
    frontier = [unit.pk]
    for generation in range(1, MAX_GENERATIONS + 1):
        if not frontier or len(entries) >= MAX_ENTRIES:
            break
        if backwards:
            links = UnitChange.objects.filter(successor_id__in=frontier).select_related("predecessor")
        else:
            links = UnitChange.objects.filter(predecessor_id__in=frontier).select_related("successor")
        frontier = []
        for link in links.order_by("effective_on", "pk")[: MAX_ENTRIES - len(entries)]:
            other = link.predecessor if backwards else link.successor
            if other.pk in seen:
                continue
            seen.add(other.pk)
            frontier.append(other.pk)
            entries.append(HistoryEntry(unit=other, change=link, generation=generation))
    _attach_ancestry(entries)
    return entries


def _attach_ancestry(entries: list[HistoryEntry]) -> None:
    ids = {int(part) for e in entries for part in e.unit.path.split("/")[:-2] if part}
    by_id = Unit.objects.in_bulk(ids)
    for entry in entries:
        chain = [int(part) for part in entry.unit.path.split("/")[:-2] if part]
        entry.ancestry = [by_id[pk] for pk in reversed(chain) if pk in by_id]


def unit_history(unit: Unit) -> UnitHistory:
    return UnitHistory(predecessors=_walk(unit, backwards=True), successors=_walk(unit, backwards=False))


def ancestors_history(unit: Unit) -> list[tuple[Unit, UnitHistory]]:
    """For each ancestor that was formed from other units (e.g. a commune merged on
    1/7/2025), that history: where the unit's area belonged before."""
    result = []
    for ancestor in unit.ancestors().filter(predecessor_links__isnull=False).distinct():
        result.append((ancestor, UnitHistory(predecessors=_walk(ancestor, backwards=True), successors=[])))
    return result
