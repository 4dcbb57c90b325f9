"""Extension points that certification owns and other apps fill in (``movement/apps.py``).

certification must not import the apps built on it (tests/test_layers.py): an app that adds
facts to the scoring, a panel beside a criterion or tables to the yearly summary registers a
function here in its ``AppConfig.ready()``. Nothing registered → the certification works as
before (no fact, no panel, no table). Plain functions and data only: this module imports nothing
of the project, so every layer may read it.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# unit ids, year → {unit id: True (an effective model) | False (none) | None (unknown)}.
ModelFacts = Callable[[Iterable[int], int], Mapping[int, bool | None]]
# (province path, year) → a text that changes whenever a model fact of a unit of that province may
# change (certification.scoring.fingerprint: a run where nothing changed is recognized by it).
ModelFactsStamp = Callable[[str, int], str]
# year → False only when no unit can have a known model fact that year (the register is not in
# use): the scoring then skips reading the units it would ask about (results._units_with_model_facts).
ModelFactsInUse = Callable[[int], bool]
# (unit, year, criterion code) → HTML (already escaped) to show beside the criterion, or "".
CriterionPanel = Callable[[Any, int, str], str]


@dataclass(frozen=True)
class SummaryTable:
    """A table an app adds to the yearly summary: the PDF shows it, the Excel export has it as
    a sheet named ``sheet``."""

    title: str
    sheet: str
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""


SummaryTables = Callable[[Any, int], list[SummaryTable]]


@dataclass
class _Registry:
    model_facts: list[ModelFacts] = field(default_factory=list)
    model_facts_stamps: list[ModelFactsStamp] = field(default_factory=list)
    model_facts_in_use: list[ModelFactsInUse] = field(default_factory=list)
    criterion_panels: list[CriterionPanel] = field(default_factory=list)
    summary_tables: list[SummaryTables] = field(default_factory=list)


registry = _Registry()


def _add[F](found: list[F], function: F) -> F:
    if function not in found:  # ready() may run twice in tests
        found.append(function)
    return function


def register_model_facts(function: ModelFacts) -> ModelFacts:
    return _add(registry.model_facts, function)


def register_model_facts_stamp(function: ModelFactsStamp) -> ModelFactsStamp:
    return _add(registry.model_facts_stamps, function)


def register_model_facts_in_use(function: ModelFactsInUse) -> ModelFactsInUse:
    return _add(registry.model_facts_in_use, function)


def register_criterion_panel(function: CriterionPanel) -> CriterionPanel:
    return _add(registry.criterion_panels, function)


def register_summary_tables(function: SummaryTables) -> SummaryTables:
    return _add(registry.summary_tables, function)


def model_facts(unit_ids: Iterable[int], year: int) -> dict[int, bool | None]:
    """Whether each unit has a self-management model rated effective in ``year`` (XA-1, CQDN-1,
    CSGD-1): None where no provider knows (the engine then leaves the officer's answer alone)."""
    ids = list(unit_ids)
    found: dict[int, bool | None] = dict.fromkeys(ids)
    for provider in registry.model_facts:
        for unit_id, fact in provider(ids, year).items():
            if fact is not None:
                found[unit_id] = bool(found.get(unit_id)) or fact
    return found


def model_facts_in_use(year: int) -> bool:
    """False when :func:`model_facts` would answer None for every unit in ``year`` (no app gives
    facts, or every app that does says its register is not in use): a cheap question asked
    before reading the units to ask about. True when an app gives facts without saying."""
    if len(registry.model_facts_in_use) < len(registry.model_facts):
        return bool(registry.model_facts)
    return any(in_use(year) for in_use in registry.model_facts_in_use)


def model_facts_stamp(province_path: str, year: int) -> str | None:
    """The stamps of the model facts of a province's units ("" when no app gives facts); None
    when an app gives facts without a stamp (nothing then says the facts did not change)."""
    if len(registry.model_facts_stamps) < len(registry.model_facts):
        return None
    return "/".join(stamp(province_path, year) for stamp in registry.model_facts_stamps)


def criterion_panel(unit: Any, year: int, code: str) -> str:
    return "".join(panel(unit, year, code) for panel in registry.criterion_panels)


def summary_tables(scope: Any, year: int) -> list[SummaryTable]:
    return [table for provider in registry.summary_tables for table in provider(scope, year)]
