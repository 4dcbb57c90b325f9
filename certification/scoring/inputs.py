"""Reading scoring inputs, set-based (used by ``certification.scoring.results``; the rows are
written by ``certification.scoring.store``).

* criteria sets compiled once per process (published sets never change);
* answers folded per assessment in SQL into bit masks (met / not met / N/A, one bit per
  answerable criterion);
* the figures, notes and points of the few criteria that need them, as rows;
* one query for each unit's assessment, registration, last year's figures and the hash of its
  current result, each looked up on its (campaign, unit) index.

Units are selected by a ``Q`` on Unit's own columns, compiled into the WHERE of the raw
queries; their answers then by the assessment ids found, bound as one array parameter on
PostgreSQL. Every read is proportional to the units asked for, not to their campaign.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Model, Q

from certification.models import (
    Answer,
    Assessment,
    Campaign,
    CriteriaSet,
    Criterion,
    GradeBand,
    Registration,
    Result,
    ScoreItem,
)
from certification.scoring import engine as scoring
from certification.scoring.engine import (
    AnswerInput,
    CriteriaPlan,
    CriterionSpec,
    Figures,
    ScoreItemSpec,
    SheetSpec,
)
from units.models import Unit, UnitChange, valid_q

DETAIL_TYPES = (scoring.COUNT_THRESHOLD, scoring.COMPARISON)
BITS_PER_WORD = 62  # SUM/BIT_OR of distinct powers of two stays inside a signed 64-bit integer


# --- criteria plans ---------------------------------------------------------------------------


@dataclass
class Plans:
    plans: dict[int, CriteriaPlan]
    bits: dict[int, tuple[int, int]]  # criterion id → (word, bit value)
    codes: dict[int, str]  # criterion id → code
    # set id → (bit position, code) of its answerable criteria (neither groups nor derived)
    answerable_codes: dict[int | None, tuple[tuple[int, str], ...]]  # looked up with None: no set
    set_of: dict[int, int]  # criterion id → its set
    detail_ids: list[int]  # criteria whose answers are read row by row
    xa4: dict[int | None, tuple[str, int, str]]  # set id (or None) → (code, threshold, base)
    # set id → digest of its criteria and sheet, for the sets that may still change (drafts);
    # a published or frozen set never changes, so its id stands for its content.
    fingerprints: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _SetData:
    """One criteria set as read from the database and compiled (independent of bit positions)."""

    rows: tuple[tuple[Any, ...], ...]  # (id, code, answer_type, parent_id, na_allowed, threshold) in order
    plan: CriteriaPlan
    item_ids: frozenset[int]


# Sets in force never change (certification.models.criteria refuses it), so their
# compiled form is kept per process, keyed by everything that identifies the version.
_SET_CACHE: dict[tuple[Any, ...], _SetData] = {}
_SET_CACHE_SIZE = 256


def _read_sets(set_ids: list[int], settings: dict[int, tuple[Any, ...]]) -> dict[int, _SetData]:
    rows = defaultdict(list)
    for row in (
        Criterion.objects.filter(criteria_set_id__in=set_ids)
        .order_by("criteria_set_id", "order", "id")
        .values_list(
            "criteria_set_id", "id", "code", "answer_type", "parent_id", "na_allowed", "threshold_percent"
        )
    ):
        rows[row[0]].append(row[1:])
    items = defaultdict(list)
    totals: dict[int, Decimal] = {}
    for set_id, total, criterion_id, max_points, deduction, knockout in ScoreItem.objects.filter(
        sheet__criteria_set_id__in=set_ids
    ).values_list(
        "sheet__criteria_set_id",
        "sheet__total_points",
        "criterion_id",
        "max_points",
        "deduction",
        "is_knockout",
    ):
        items[set_id].append((criterion_id, max_points, deduction, knockout))
        totals[set_id] = Decimal(total)
    bands = defaultdict(list)
    if items:
        for set_id, grade, minimum in GradeBand.objects.filter(
            sheet__criteria_set_id__in=list(items)
        ).values_list("sheet__criteria_set_id", "grade", "min_points"):
            bands[set_id].append((grade, minimum))
    found = {}
    for set_id in set_ids:
        code_of = {row[0]: row[1] for row in rows[set_id]}
        specs = [
            CriterionSpec(
                code=code,
                answer_type=answer_type,
                parent=code_of.get(parent_id, ""),
                na_allowed=na_allowed,
                threshold_percent=threshold,
            )
            for _id, code, answer_type, parent_id, na_allowed, threshold in rows[set_id]
        ]
        sheet = None
        if items[set_id]:
            sheet = SheetSpec(
                total_points=totals[set_id],
                items=tuple(
                    ScoreItemSpec(code=code_of[cid], max_points=mx, deduction=dd, is_knockout=ko)
                    for cid, mx, dd, ko in sorted(items[set_id])
                    if cid in code_of
                ),
                bands=tuple(sorted(bands[set_id])),
            )
        base, threshold = settings[set_id][:2]
        plan = scoring.compile_plan(specs, sheet=sheet, rollup_base=base, rollup_threshold_percent=threshold)
        found[set_id] = _SetData(tuple(rows[set_id]), plan, frozenset(cid for cid, *_r in items[set_id]))
    return found


def load_plans(set_ids: Iterable[int]) -> Plans:
    set_ids = sorted({s for s in set_ids if s is not None})
    loaded = Plans({}, {}, {}, {}, {}, [], {})
    if not set_ids:
        return loaded
    settings = {
        pk: (base, threshold, (pk, family, version, status, published_at, base, threshold))
        for pk, base, threshold, family, version, status, published_at in CriteriaSet.objects.filter(
            pk__in=set_ids
        ).values_list(
            "id", "rollup_base", "rollup_threshold_percent", "family", "version", "status", "published_at"
        )
    }
    data = {pk: _SET_CACHE[s[2]] for pk, s in settings.items() if s[2] in _SET_CACHE}
    missing = [pk for pk in settings if pk not in data]
    if missing:
        fresh = _read_sets(missing, settings)
        data.update(fresh)
        if len(_SET_CACHE) > _SET_CACHE_SIZE:
            _SET_CACHE.clear()
        for pk, set_data in fresh.items():
            if settings[pk][2][3] in CriteriaSet.IN_FORCE:
                _SET_CACHE[settings[pk][2]] = set_data
            else:
                content = (set_data.rows, set_data.plan.sheet, settings[pk][2])
                loaded.fingerprints[pk] = hashlib.sha256(repr(content).encode()).hexdigest()
    position = 0  # bit positions are unique across the sets, so a stray answer can never alias
    for set_id in sorted(data):
        set_data = data[set_id]
        loaded.plans[set_id] = set_data.plan
        codes = []
        for criterion_id, code, answer_type, _parent, _na, threshold in set_data.rows:
            loaded.codes[criterion_id] = code
            loaded.set_of[criterion_id] = set_id
            if answer_type in DETAIL_TYPES or criterion_id in set_data.item_ids:
                loaded.detail_ids.append(criterion_id)
            if answer_type == scoring.DERIVED and set_id not in loaded.xa4:
                xa4_threshold = threshold if threshold is not None else set_data.plan.rollup_threshold_percent
                loaded.xa4[set_id] = (code, xa4_threshold, set_data.plan.rollup_base)
            if answer_type in (scoring.GROUP, scoring.DERIVED):
                continue
            loaded.bits[criterion_id] = (position // BITS_PER_WORD, 1 << (position % BITS_PER_WORD))
            codes.append((position, code))
            position += 1
        loaded.answerable_codes[set_id] = tuple(codes)
    return loaded


# --- answers ----------------------------------------------------------------------------------


UNIT = Unit._meta.db_table  # raw queries use the table's own name: the compiled scope refers to it


def unit_where(scope: Q) -> tuple[str, list[Any]]:
    """``scope`` (a filter on Unit's own columns) as a WHERE condition on ``units_unit``, so the
    planner filters units by their indexes instead of semi-joining a subquery."""
    query = Unit.objects.filter(scope).query
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
    except EmptyResultSet:
        return "1 = 0", []
    except FullResultSet:
        return "1 = 1", []
    return sql, list(params)


def ids_in(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``column`` among ``ids``: one array parameter on PostgreSQL whatever the number of ids."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _mapping(bits: dict[int, tuple[int, int]]) -> tuple[str, list[Any]]:
    """criterion id → (bit value, word) as a VALUES list."""
    rows = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT), %s)"] * len(bits))
    return f"(VALUES {rows})", [
        value for cid, (word, bit) in sorted(bits.items()) for value in (cid, bit, word)
    ]


EFFECTIVE = "CASE WHEN a.appraised_value <> '' THEN a.appraised_value ELSE a.value END"


def _fold(
    masks: dict[int, list[int]],
    assessment_id: int,
    word: int,
    met: int | None,
    not_met: int | None,
    na: int | None,
) -> None:
    shift = BITS_PER_WORD * int(word)
    current = masks.setdefault(assessment_id, [0, 0, 0])
    current[0] |= int(met or 0) << shift
    current[1] |= int(not_met or 0) << shift
    current[2] |= int(na or 0) << shift


def answer_masks(
    assessment_ids: Sequence[int], bits: dict[int, tuple[int, int]]
) -> dict[int, tuple[int, int, int]]:
    """assessment id → (met, not met, N/A) bit masks of its effective answers (appraised over
    self). One GROUP BY over the answers of ``assessment_ids`` (read by the answers'
    assessment index: proportional to these assessments, not to the campaign): nothing per
    answer crosses into Python."""
    if not bits or not assessment_ids:
        return {}
    aggregate = "BIT_OR" if connection.vendor == "postgresql" else "SUM"
    mapping_sql, mapping_params = _mapping(bits)
    ids_sql, ids_params = ids_in("a.assessment_id", assessment_ids)
    sql = f"""
        SELECT x.assessment_id, x.word,
               {aggregate}(CASE WHEN x.v = 'met' THEN x.bit ELSE 0 END),
               {aggregate}(CASE WHEN x.v = 'not_met' THEN x.bit ELSE 0 END),
               {aggregate}(CASE WHEN x.v = 'na' THEN x.bit ELSE 0 END)
        FROM (
            SELECT a.assessment_id AS assessment_id, m.column2 AS bit, m.column3 AS word, {EFFECTIVE} AS v
            FROM {Answer._meta.db_table} a
            JOIN {mapping_sql} AS m ON m.column1 = a.criterion_id
            WHERE {ids_sql}
        ) x
        GROUP BY x.assessment_id, x.word
    """
    masks: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*mapping_params, *ids_params])
        for row in cursor.fetchall():
            _fold(masks, *row)
    return {k: (v[0], v[1], v[2]) for k, v in masks.items()}


def decode_answers(
    answerable_codes: tuple[tuple[int, str], ...], masks: tuple[int, int, int], cache: dict[Any, Any]
) -> MappingProxyType[str, Any]:
    """Answers as the engine wants them, shared between units with the same masks."""
    key = (answerable_codes, masks)
    found = cache.get(key)
    if found is None:
        answers = {}
        for position, code in answerable_codes:
            bit = 1 << position
            if masks[0] & bit:
                answers[code] = AnswerInput(scoring.MET)
            elif masks[1] & bit:
                answers[code] = AnswerInput(scoring.NOT_MET)
            elif masks[2] & bit:
                answers[code] = AnswerInput(scoring.NA)
        found = cache[key] = MappingProxyType(answers)
    return found


def answer_details(
    assessment_ids: Sequence[int], detail_ids: Sequence[int]
) -> dict[int, dict[int, AnswerInput]]:
    """assessment id → criterion id → the full answer, for the few criteria that need more than
    met / not met (figures, notes, points)."""
    found: dict[int, dict[int, AnswerInput]] = defaultdict(dict)
    if not detail_ids or not assessment_ids:
        return found
    ids_sql, ids_params = ids_in("a.assessment_id", assessment_ids)
    criteria_sql, criteria_params = ids_in("a.criterion_id", detail_ids)
    sql = f"""
        SELECT a.assessment_id, a.criterion_id, a.value, a.appraised_value, a.number, a.note,
               a.self_points, a.appraised_points
        FROM {Answer._meta.db_table} a
        WHERE {ids_sql} AND {criteria_sql}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids_params, *criteria_params])
        rows = cursor.fetchall()
    for assessment_id, criterion_id, value, appraised, number, note, self_points, appraised_points in rows:
        found[assessment_id][criterion_id] = AnswerInput(
            value=appraised or value,
            number=number,
            note=note.strip(),
            self_points=self_points,
            appraised_points=appraised_points,
        )
    return found


HASH_FORMAT = "sql-2"  # part of every input hash: change it when the hashed text changes


def _text(expr: str) -> str:
    """A nullable column as text, NULL spelled ``~`` (``||`` with NULL would drop everything)."""
    return f"COALESCE(CAST({expr} AS TEXT), '~')"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN '1' ELSE '0' END"


def _inputs_digest() -> str:
    """md5, computed by the database, of everything a unit's result depends on: the unit's own
    columns, its assessment (id, **version**, set, decision, figures), its registration and last
    year's figures. The answers are not read: ``Assessment.version`` is bumped by every service
    that changes an answer, an appraisal, a figure, a note or a status
    (``certification.services.rules.bump_version``; ``tests/certification/scoring/test_results.py``),
    so (assessment id, version) stands for the assessment's answers. Equal digests ⇒ equal
    engine inputs, so a rerun leaves units whose digests did not change alone (a digest may
    change for something the engine ignores, e.g. a returned item or a plain note: that only
    recomputes an identical row)."""
    decided = ", ".join(f"'{status}'" for status in scoring.DECIDED)
    parts = [
        "%s",
        f"{UNIT}.kind",
        _flag(f"{UNIT}.is_eligible"),
        f"CAST(length({UNIT}.ineligible_reason) AS TEXT)",
        f"{UNIT}.ineligible_reason",
        _text(f"{UNIT}.household_count"),
        _text("s.id"),
        _text("s.version"),
        _text("s.criteria_set_id"),
        f"CASE WHEN s.status IN ({decided}) THEN s.status ELSE '' END",
        _text("s.crime_count"),
        _text("s.social_evil_count"),
        _text("s.violation_count"),
        _flag("g.id IS NOT NULL"),
        _text("g.households_total"),
        _text("g.households_registered"),
        _flag("p.id IS NOT NULL"),
        _text("p.crime_count"),
        _text("p.social_evil_count"),
        _text("p.violation_count"),
    ]
    return "md5(" + " || '|' || ".join(parts) + ")"


def _lookup(
    model: type[Model], alias: str, columns: str, *, previous: bool = False, join: bool = False
) -> str:
    """A LEFT JOIN on ``model``'s row of the unit in the campaign (last year's campaign with
    ``previous``: a scalar subquery, one campaign per year and province) through its unique
    (campaign, unit) index. ``OFFSET 0`` keeps the subquery from being flattened into a join,
    so the planner cannot hash every row of the campaign for a chunk of a few hundred units:
    the read stays proportional to the chunk. ``join``: a plain join, which the planner may hash
    (faster when the scope is the whole campaign)."""
    campaign = (
        f"(SELECT pc.id FROM {Campaign._meta.db_table} pc WHERE pc.year = %s AND pc.province_id = %s)"
        if previous
        else "%s"
    )
    table = model._meta.db_table
    if join or connection.vendor != "postgresql":  # SQLite has no LATERAL; same parameters
        return (
            f"LEFT JOIN {table} {alias} ON {alias}.campaign_id = {campaign} AND {alias}.unit_id = {UNIT}.id"
        )
    selected = ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))
    return f"""LEFT JOIN LATERAL (
            SELECT {selected} FROM {table} {alias}
            WHERE {alias}.campaign_id = {campaign} AND {alias}.unit_id = {UNIT}.id OFFSET 0
        ) {alias} ON TRUE"""


class UnitRow(NamedTuple):
    id: int
    kind: str
    is_eligible: bool
    ineligible_reason: str
    household_count: int | None


class AssessmentRow(NamedTuple):
    """A unit's assessment in the campaign, as the engine sees it."""

    id: int
    criteria_set_id: int
    status: str
    figures: Figures


class RegistrationRow(NamedTuple):
    households_total: int | None
    households_registered: int | None


class Gathered(NamedTuple):
    """What :func:`gather_units` read; the dicts are keyed by unit id (a unit without that row
    is absent)."""

    units: list[UnitRow]
    assessments: dict[int, AssessmentRow]
    registrations: dict[int, RegistrationRow]
    last_year: dict[int, Figures]
    existing: dict[int, str]  # the input hash of the unit's current result
    digests: dict[int, str]  # the digest of its inputs (:func:`_inputs_digest`)


def units_query(
    campaign: Campaign, scope: Q, *, whole_campaign: bool = False, existing: bool = True
) -> tuple[str, list[Any]]:
    """The SELECT of :func:`gather_units` (no ORDER BY), its columns named, and its parameters:
    ``certification.scoring.setbased`` reads the same rows inside its own statement.
    ``existing`` False: the campaign has no ``Result`` row yet, ``existing`` is NULL for every
    unit without looking (issue 23, round 9: one index lookup per unit less from scratch)."""
    where_sql, where_params = unit_where(scope)
    result = _lookup(Result, "r", "input_hash", join=whole_campaign) if existing else ""
    sql = f"""
        SELECT {UNIT}.id AS unit_id, {UNIT}.kind AS kind, {UNIT}.is_eligible AS is_eligible,
               {UNIT}.ineligible_reason AS ineligible_reason, {UNIT}.household_count AS household_count,
               s.id AS sid, s.criteria_set_id AS set_id, s.status AS status, s.crime_count AS crime,
               s.social_evil_count AS social_evil, s.violation_count AS violation,
               g.id AS gid, g.households_total AS hh_total, g.households_registered AS hh_done,
               p.id AS pid, p.crime_count AS p_crime, p.social_evil_count AS p_social_evil,
               p.violation_count AS p_violation,
               {"r.input_hash" if existing else "CAST(NULL AS varchar)"} AS existing, {_inputs_digest()} AS digest
        FROM {UNIT}
        {_lookup(Assessment, "s", "id, version, criteria_set_id, status, crime_count, social_evil_count, violation_count", join=whole_campaign)}
        {_lookup(Registration, "g", "id, households_total, households_registered", join=whole_campaign)}
        {result}
        {_lookup(Assessment, "p", "id, crime_count, social_evil_count, violation_count", previous=True, join=whole_campaign)}
        WHERE {where_sql}
    """
    params = [
        f"{HASH_FORMAT}/{scoring.ENGINE_VERSION}",
        campaign.pk,
        campaign.pk,
        *([campaign.pk] if existing else []),
        campaign.year - 1,
        campaign.province_id,
        *where_params,
    ]
    return sql, params


def units_current(campaign: Campaign, scope: Q) -> bool:
    """True when every unit matching ``scope`` has a row carrying its input digest, decided by
    the database over the whole scope (hash joins, as ``whole_campaign``): no row reaches
    Python. False also for a unit whose hash Python extends (a draft set's fingerprint, a
    commune's XA-4): ask :func:`gather_units` then."""
    sql, params = units_query(campaign, scope, whole_campaign=True)
    with connection.cursor() as cursor:
        # A count, not EXISTS: EXISTS makes the planner bet on an early row (merge joins along
        # every unit's primary key, ~1 s for one province); all rows are read anyway when
        # nothing changed, the case this asks about.
        cursor.execute(
            f"SELECT count(*) FROM ({sql}) q WHERE q.existing IS NULL OR q.existing <> q.digest", params
        )
        return bool(cursor.fetchone()[0] == 0)


def gather_units(campaign: Campaign, scope: Q, *, whole_campaign: bool = False) -> Gathered:
    """Everything per unit in one query: the unit, its assessment and registration in the
    campaign, last year's figures, the hash of its current result and the digest of its inputs
    (:func:`_inputs_digest`). Each related row is one lookup on its (campaign,
    unit) index per unit (:func:`_lookup`): a chunk reads its own units' rows, not the campaign's.
    ``whole_campaign`` (the campaign-wide check): plain joins, which the planner hashes, faster
    over a whole campaign than one lookup per unit (docs/benchmarks.md)."""
    sql, params = units_query(campaign, scope, whole_campaign=whole_campaign)
    sql += f" ORDER BY {UNIT}.id"
    found = Gathered([], {}, {}, {}, {}, {})
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            unit_id = row[0]
            found.units.append(UnitRow(*row[0:5]))
            if row[5] is not None:
                found.assessments[unit_id] = AssessmentRow(row[5], row[6], row[7], Figures(*row[8:11]))
            if row[11] is not None:
                found.registrations[unit_id] = RegistrationRow(row[12], row[13])
            if row[14] is not None:
                found.last_year[unit_id] = Figures(*row[15:18])
            if row[18] is not None:
                found.existing[unit_id] = row[18]
            found.digests[unit_id] = row[19]
    missing = [
        u.id for u in found.units if u.kind == Unit.Kind.RESIDENTIAL_AREA and u.id not in found.last_year
    ]
    if missing:
        found.last_year.update(predecessors_last_year(campaign, missing))
    return found


def predecessors_last_year(campaign: Campaign, unit_ids: Sequence[int]) -> dict[int, Figures]:
    """Last year's figures of units formed by a merger, rename or transfer (no assessment of
    their own last year): the sums of their predecessors' (docs/rearrangement.md). A figure
    is summed only when every predecessor has it; a split part gets none (its share of the
    incidents is unknown)."""
    kinds = [
        UnitChange.Kind.MERGE,
        UnitChange.Kind.RENAME,
        UnitChange.Kind.TRANSFER,
        UnitChange.Kind.CONTINUATION,
    ]
    links: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(unit_ids), 5000):
        for successor_id, predecessor_id in UnitChange.objects.filter(
            successor_id__in=list(unit_ids[start : start + 5000]), kind__in=kinds
        ).values_list("successor_id", "predecessor_id"):
            links[successor_id].append(predecessor_id)
    if not links:
        return {}
    figures = {
        unit_id: row
        for unit_id, *row in Assessment.objects.filter(
            campaign__year=campaign.year - 1,
            campaign__province_id=campaign.province_id,
            unit_id__in=[p for ps in links.values() for p in ps],
        ).values_list("unit_id", *Assessment.FIGURE_FIELDS)
    }
    found = {}
    for successor_id, predecessors in links.items():
        rows = [figures[p] for p in predecessors if p in figures]
        if len(rows) != len(predecessors):
            continue
        sums = [None if any(r[i] is None for r in rows) else sum(r[i] for r in rows) for i in range(3)]
        found[successor_id] = Figures(*sums)
    return found


def rearranged_communes(
    campaign: Campaign, commune_ids: Sequence[int], end: date
) -> dict[int, tuple[int, str]]:
    """commune id → (its residential areas before a re-arrangement during the campaign's
    period, their noun) for the communes whose residential areas were re-arranged between the
    period's start and ``end`` (the scope date); XA-4's explanation says so."""
    start = campaign.residential_period_start
    kind = Unit.Kind.RESIDENTIAL_AREA
    moved = (
        Unit.objects.filter(parent_id__in=list(commune_ids), kind=kind)
        .filter(
            Q(valid_to__gt=start, valid_to__lte=end, successor_links__isnull=False)
            | Q(valid_from__gt=start, valid_from__lte=end, predecessor_links__isnull=False)
        )
        .values_list("id", "parent_id", "valid_to")
        .distinct()
    )
    delta: dict[int, int] = defaultdict(int)
    for _id, parent_id, valid_to in moved:
        delta[parent_id] += 1 if valid_to is not None and valid_to <= end else -1
    if not delta:
        return {}
    now: dict[int, int] = defaultdict(int)
    labels: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for parent_id, label in Unit.objects.filter(
        valid_q(end), parent_id__in=list(delta), kind=kind
    ).values_list("parent_id", "label"):
        now[parent_id] += 1
        labels[parent_id][label.lower() or "khu dân cư"] += 1
    found = {}
    for commune_id, change in delta.items():
        counts = labels[commune_id]
        noun = next(iter(counts)) if len(counts) == 1 else "khu dân cư"
        found[commune_id] = (now[commune_id] + change, noun)
    return found
