"""Scoring on the database: gather inputs set-based, run the pure engine, write ``Result`` rows.

Every function here reads with a fixed number of queries whatever the number of units (answers
are folded per assessment in SQL into bit masks, one bit per leaf criterion), calls
``certification.scoring.engine`` and upserts ``Result`` rows in bulk. Each row carries an
``input_hash`` of everything that determined it: a rerun with identical inputs leaves the row
untouched (same bytes, same ``computed_at``), which makes scoring idempotent and cheap to repeat.

Order of a full run: the units under some communes (:func:`score_campaign_units`), then those
communes (:func:`score_communes`, XA-4 read back from the units' rows), then the province
summary (:func:`summarize_province`). :func:`rescore_unit` (:func:`rescore_units`) does the same for one unit (a few) and their
ancestors after an answer or a decision changed.
"""

import datetime
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from certification import extensions
from certification.documents.wording import KIND_LABELS
from certification.models import Assessment, Campaign, Registration, Result
from certification.scoring import engine as scoring
from certification.scoring import setbased
from certification.scoring.engine import AnswerInput, ChildState, UnitInputs
from certification.scoring.inputs import (
    UNIT,
    Gathered,
    Plans,
    UnitRow,
    answer_details,
    answer_masks,
    decode_answers,
    gather_units,
    ids_in,
    load_plans,
    rearranged_communes,
    unit_where,
    units_current,
)
from certification.scoring.store import ResultRow, write_rows
from units.models import RecognizingAuthority, Unit, valid_q

COMMUNE = Unit.Kind.COMMUNE.value


NO_MASKS = (0, 0, 0)  # (met, not met, N/A) of a unit without answers


@dataclass(frozen=True)
class ScoreReport:
    scored: int
    written: int


# --- scope ------------------------------------------------------------------------------------


def scope_date(campaign: Campaign) -> datetime.date:
    """Units are taken as they stood at the end of the (longer) assessment period."""
    return campaign.other_period_end


def current_q(campaign: Campaign) -> Q:
    return valid_q(scope_date(campaign))


def campaign_scope(campaign: Campaign, kinds: Sequence[str] = Unit.ASSESSED_KINDS) -> Q:
    """The units a campaign scores: under its province, current, of a scored kind."""
    return current_q(campaign) & Q(path__startswith=campaign.province.path, kind__in=list(kinds))


def campaign_units(campaign: Campaign, kinds: Sequence[str] = Unit.ASSESSED_KINDS) -> QuerySet[Unit]:
    return Unit.objects.filter(campaign_scope(campaign, kinds))


def _latest_rules(unit_ids: Iterable[int], year: int) -> dict[int, int]:
    """unit id → authority id of the latest rule in force (units without a rule are absent)."""
    best: dict[int, tuple[int, int]] = {}
    rows = (
        RecognizingAuthority.objects.in_force(year)
        .filter(unit_id__in=list(unit_ids))
        .values_list("unit_id", "authority_id", "from_year")
    )
    for unit_id, authority_id, from_year in rows:
        if unit_id not in best or from_year > best[unit_id][0]:
            best[unit_id] = (from_year, authority_id)
    return {unit_id: authority for unit_id, (_year, authority) in best.items()}


@dataclass
class Managed:
    """The units some communes recognize: the current residential areas and institutions of
    ``scope`` whose authority is one of ``commune_ids``: the authority of a unit in ``rules``
    (unit id → the authority of its ``RecognizingAuthority`` rule in force) is its rule's,
    every other unit's is its parent (:func:`authority_of`). ``scope`` selects all of them (and
    perhaps a few more); :func:`managed_units` lists them per commune."""

    commune_ids: list[int]
    rules: dict[int, int]
    scope: Q


def authority_of(managed: Managed, unit_id: int | None, parent_id: int | None) -> int | None:
    """The unit's recognizing authority as :class:`Managed` knows it (default: its parent)."""
    if unit_id is not None and unit_id in managed.rules:
        return managed.rules[unit_id]
    return parent_id


def find_managed(campaign: Campaign, commune_ids: Sequence[int]) -> Managed:
    """Default (units.authority): the residential areas and institutions filed directly under
    the commune; a ``RecognizingAuthority`` rule in force for the year moves a unit to another
    authority (delegation, Art. 10(5)) or away. Two queries whatever the number of communes,
    none per unit: the units themselves are read by whoever needs them (:func:`managed_units`,
    the XA-4 counts of :func:`_child_states`)."""
    commune_ids = list(commune_ids)
    if not commune_ids:
        return Managed([], {}, Q(pk__in=[]))
    under = current_q(campaign) & Q(parent_id__in=commune_ids, kind__in=Unit.MANAGED_KINDS)
    candidates = set(
        RecognizingAuthority.objects.in_force(campaign.year)
        .filter(Q(authority_id__in=commune_ids) | Q(unit__parent_id__in=commune_ids))
        .values_list("unit_id", flat=True)
    )
    rules = _latest_rules(candidates, campaign.year) if candidates else {}
    communes = set(commune_ids)
    incoming = sorted(uid for uid, authority in rules.items() if authority in communes)
    return Managed(commune_ids, rules, under | Q(pk__in=incoming) if incoming else under)


def _managed_where(campaign: Campaign, managed: Managed) -> tuple[str, list[Any]]:
    """The current residential areas and institutions of ``managed.scope`` as a WHERE condition
    on ``units_unit`` (the units recognized elsewhere are dropped by :func:`authority_of`)."""
    return unit_where(current_q(campaign) & Q(kind__in=Unit.MANAGED_KINDS) & managed.scope)


def managed_units(campaign: Campaign, commune_ids: Sequence[int]) -> dict[int, list[tuple[int, str, bool]]]:
    """commune id → [(unit id, kind, eligible)] of the units its People's Committee recognizes."""
    managed = find_managed(campaign, commune_ids)
    by_commune: dict[int, list[tuple[int, str, bool]]] = {cid: [] for cid in managed.commune_ids}
    if not managed.commune_ids:
        return by_commune
    where_sql, where_params = _managed_where(campaign, managed)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {UNIT}.id, {UNIT}.parent_id, {UNIT}.kind, {UNIT}.is_eligible FROM {UNIT} WHERE {where_sql}",
            where_params,
        )
        for unit_id, parent_id, kind, eligible in cursor.fetchall():
            authority = authority_of(managed, unit_id, parent_id)
            units = by_commune.get(authority) if authority is not None else None
            if units is not None:
                units.append((unit_id, kind, bool(eligible)))
    for units in by_commune.values():
        units.sort()
    return by_commune


def authority_communes(campaign: Campaign, units: Sequence[Unit]) -> set[int]:
    """The communes whose XA-4 counts ``units`` (none for a unit a province or district
    recognizes). Two queries whatever the number of units."""
    if not units:
        return set()
    rules = _latest_rules([u.pk for u in units], campaign.year)
    authorities = {a for u in units if (a := rules.get(u.pk, u.parent_id)) is not None}
    return set(Unit.objects.filter(pk__in=authorities, kind=COMMUNE).values_list("id", flat=True))


# --- scoring units ----------------------------------------------------------------------------


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _decision(status: str | None) -> str:
    return status if status in scoring.DECIDED else ""


def _campaign_sets(campaign: Campaign) -> dict[str, int]:
    """Criteria-set unit kind → the set the campaign uses (as ``Campaign.criteria_set_for``)."""
    chosen: dict[str, int] = {}
    ordered = campaign.criteria_sets.order_by(F("province_id").desc(nulls_last=True), "-version")
    for pk, kind in ordered.values_list("id", "unit_kind"):
        chosen.setdefault(kind, pk)
    return chosen


class _Changed(NamedTuple):
    """A unit whose input hash differs from its row's: the row to rewrite."""

    unit: UnitRow
    xa4: scoring.Xa4Rollup | None
    input_hash: str
    xa4_json: str | None
    effective_model: bool | None = None


@dataclass
class _Changes:
    """What :func:`_score` read about the units in its scope, and those whose hash changed."""

    gathered: Gathered
    plans: Plans
    changed: list[_Changed]


def _changes(
    campaign: Campaign,
    scope: Q,
    *,
    children: dict[int, list[ChildState]] | None = None,
    whole_campaign: bool = False,
) -> _Changes:
    """Read the units matching ``scope`` and keep those whose input hash differs from their
    row's. The database computes each unit's input digest (``inputs.gather_units``: the
    assessment's version stands for its answers, which are not read here), so an unchanged
    unit costs no Python beyond a string comparison."""
    gathered = gather_units(campaign, scope, whole_campaign=whole_campaign)
    assessments = gathered.assessments
    if not gathered.units:
        return _Changes(gathered, load_plans([]), [])
    set_ids = {assessment.criteria_set_id for assessment in assessments.values()}
    fallback: dict[str, int] = {}
    if children is not None and any(uid not in assessments for uid in children):
        fallback = _campaign_sets(campaign)
        if COMMUNE in fallback:
            set_ids.add(fallback[COMMUNE])
    plans = load_plans(set_ids)
    rearranged = (
        rearranged_communes(
            campaign, [u.id for u in gathered.units if u.kind == COMMUNE], scope_date(campaign)
        )
        if children is not None
        else {}
    )
    # XA-1/CQDN-1/CSGD-1: the self-management models' register (certification.extensions); a
    # known fact is part of the input hash, so rating a model rescores the unit.
    models = extensions.model_facts([u.id for u in gathered.units], campaign.year)
    changed: list[_Changed] = []
    for unit in gathered.units:
        xa4 = xa4_json = None
        assessment = assessments.get(unit.id)
        set_id = assessment.criteria_set_id if assessment else None
        input_hash = gathered.digests[unit.id]  # computed by the database: no hashing in Python
        if set_id in plans.fingerprints:  # a draft set: its content counts
            input_hash = _hash(input_hash, plans.fingerprints[set_id])
        if children is not None:
            rollup_set = set_id if assessment else fallback.get(COMMUNE)
            code, threshold, base = plans.xa4.get(
                rollup_set, ("XA-4", scoring.DEFAULT_THRESHOLD, scoring.BASE_ALL)
            )
            xa4 = scoring.rollup_xa4(
                children.get(unit.id, []),
                base=base,
                threshold_percent=threshold,
                code=code,
                rearranged=rearranged.get(unit.id),
            )
            xa4_json = json.dumps(xa4.as_dict(), sort_keys=True, ensure_ascii=False)
            input_hash = _hash(input_hash, xa4_json)
        effective_model = models.get(unit.id)
        if effective_model is not None:
            input_hash = _hash(input_hash, "model", effective_model)
        if gathered.existing.get(unit.id) == input_hash:
            continue  # same inputs, same row: nothing to read, compute or write
        changed.append(_Changed(unit, xa4, input_hash, xa4_json, effective_model))
    return _Changes(gathered, plans, changed)


def _score(
    campaign: Campaign,
    scope: Q,
    *,
    children: dict[int, list[ChildState]] | None = None,
) -> ScoreReport:
    """Score the units matching ``scope`` (a filter on Unit); ``children`` (communes only)
    feeds XA-4. Each unit's related rows are looked up on their (campaign, unit) indexes and
    the answers by the assessment ids found (one array parameter), so a chunk's reads grow
    with its own units, not with its campaign.

    Units whose current row carries their input hash (:func:`_changes`) are left alone before
    their answers' masks and details are read, so only the units that changed reach them, the
    engine and the write."""
    found = _changes(campaign, scope, children=children)
    gathered, plans = found.gathered, found.plans
    if not found.changed:
        return ScoreReport(len(gathered.units), 0)

    # The changed units' assessments only, read by the answers' assessment index.
    assessment_ids = [
        gathered.assessments[change.unit.id].id
        for change in found.changed
        if change.unit.id in gathered.assessments
    ]
    masks = answer_masks(assessment_ids, plans.bits)
    details = answer_details(assessment_ids, plans.detail_ids)

    decode_cache: dict[Any, Any] = {}
    memo: dict[tuple[Any, ...], scoring.UnitScore] = {}
    rows: list[ResultRow] = []
    for unit, xa4, input_hash, xa4_json, effective_model in found.changed:
        assessment = gathered.assessments.get(unit.id)
        registration = gathered.registrations.get(unit.id)
        set_id = assessment.criteria_set_id if assessment else None
        plan = plans.plans.get(set_id) if set_id else None
        unit_masks = masks.get(assessment.id, NO_MASKS) if assessment else NO_MASKS
        unit_details: tuple[tuple[int, AnswerInput], ...] = ()
        if assessment:
            own = details.get(assessment.id, {})
            unit_details = tuple(sorted((c, a) for c, a in own.items() if plans.set_of.get(c) == set_id))
        figures = assessment.figures if assessment else None
        previous = gathered.last_year.get(unit.id)
        hh_total = unit.household_count
        hh_done = None
        if registration:
            if registration.households_total is not None:
                hh_total = registration.households_total
            hh_done = registration.households_registered
        decision = _decision(assessment.status if assessment else None)
        # Units whose engine inputs are equal share one engine call (the digest differs: it
        # covers the assessment id and columns the engine reads only through these).
        key = (
            unit.kind,
            unit.is_eligible,
            unit.ineligible_reason,
            set_id,
            unit_masks,
            unit_details,
            registration is not None,
            hh_total,
            hh_done,
            figures,
            previous,
            decision,
            xa4_json,
            effective_model,
        )
        score = memo.get(key)
        if score is None:
            answers = (
                decode_answers(plans.answerable_codes.get(set_id, ()), unit_masks, decode_cache)
                if plan
                else {}
            )
            if unit_details:
                answers = dict(answers)
                for criterion_id, answer in unit_details:
                    answers[plans.codes[criterion_id]] = answer
            score = memo[key] = scoring.score_unit(
                UnitInputs(
                    kind=unit.kind,
                    plan=plan,
                    answers=answers,
                    is_eligible=unit.is_eligible,
                    ineligible_reason=unit.ineligible_reason,
                    registered=registration is not None,
                    households_total=hh_total,
                    households_registered=hh_done,
                    figures=figures,
                    last_year=previous,
                    decision=decision,
                    xa4=xa4,
                    effective_model=effective_model,
                )
            )
        rows.append(
            ResultRow(
                campaign_id=campaign.pk,
                unit_id=unit.id,
                assessment_id=assessment.id if assessment else None,
                outcome=score.outcome,
                is_forecast=score.is_forecast,
                points=score.points,
                grade=score.grade,
                unmet_codes=score.unmet,
                missing_codes=score.missing,
                explanation=score.explanation,
                rollup=xa4.as_dict() if xa4 else {},
                input_hash=input_hash,
            )
        )
    write_rows(rows)
    return ScoreReport(len(gathered.units), len(rows))


@transaction.atomic
def score_campaign_units(campaign: Campaign, unit_ids: Sequence[int]) -> ScoreReport:
    """Score residential areas and institutions (no roll-up) and upsert their results."""
    return _score(campaign, Q(pk__in=list(unit_ids)))


def _child_states(
    campaign: Campaign, managed: Managed, *, whole_campaign: bool = False
) -> dict[int, list[ChildState]]:
    """commune id → the units it recognizes as XA-4 sees them (``ChildState``), for every
    commune of ``managed``. The database counts the units by what XA-4 reads (parent or rule,
    kind, eligibility, computed outcome, assessment status, registration): a few rows per
    commune reach Python instead of one per unit, and the units of one kind of state share one
    (frozen) ``ChildState``; ``engine.rollup_xa4`` only counts them."""
    where_sql, where_params = _managed_where(campaign, managed)
    # A unit with a rule is its own group: its authority is its rule's (authority_of).
    ruled_sql, ruled_params = ids_in(f"{UNIT}.id", sorted(managed.rules))
    # One lookup per unit on each (campaign, unit) unique index, whatever the planner estimates:
    # joins planned on missing statistics could compare every unit with every registration of
    # the campaign (seconds for a whole province). ``whole_campaign`` (the campaign-wide check):
    # plain joins, which the planner hashes (3 × 164,000 lookups took ~2 s nationally).
    if whole_campaign:
        facts = "r.outcome AS outcome, s.status AS status, g.id IS NOT NULL AS registered"
        joins = f"""
            LEFT JOIN {Result._meta.db_table} r ON r.campaign_id = %s AND r.unit_id = {UNIT}.id
            LEFT JOIN {Assessment._meta.db_table} s ON s.campaign_id = %s AND s.unit_id = {UNIT}.id
            LEFT JOIN {Registration._meta.db_table} g ON g.campaign_id = %s AND g.unit_id = {UNIT}.id"""
    else:
        facts = f"""
            (SELECT r.outcome FROM {Result._meta.db_table} r
             WHERE r.campaign_id = %s AND r.unit_id = {UNIT}.id) AS outcome,
            (SELECT s.status FROM {Assessment._meta.db_table} s
             WHERE s.campaign_id = %s AND s.unit_id = {UNIT}.id) AS status,
            EXISTS (SELECT 1 FROM {Registration._meta.db_table} g
                    WHERE g.campaign_id = %s AND g.unit_id = {UNIT}.id) AS registered"""
        joins = ""
    sql = f"""
        SELECT ruled, parent_id, kind, is_eligible, outcome, status, registered, COUNT(*)
        FROM (SELECT CASE WHEN {ruled_sql} THEN {UNIT}.id END AS ruled, {UNIT}.parent_id AS parent_id,
                     {UNIT}.kind AS kind, {UNIT}.is_eligible AS is_eligible, {facts}
              FROM {UNIT} {joins}
              WHERE {where_sql}) q
        GROUP BY ruled, parent_id, kind, is_eligible, outcome, status, registered
    """
    states: dict[int, list[ChildState]] = {cid: [] for cid in managed.commune_ids}
    # ChildState is frozen: the few distinct states are built once and shared by their units.
    shared: dict[tuple[str, bool, str, str, bool], ChildState] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ruled_params, campaign.pk, campaign.pk, campaign.pk, *where_params])
        groups = cursor.fetchall()
    for ruled, parent_id, kind, eligible, outcome, status, registered, count in groups:
        authority = authority_of(managed, ruled, parent_id)
        children = states.get(authority) if authority is not None else None
        if children is None:  # recognized by another authority
            continue
        # A unit without a row is pending; a decided child's row holds the decision, and
        # XA-4 reads the decision itself.
        key = (kind, bool(eligible), outcome or scoring.PENDING, _decision(status), bool(registered))
        state = shared.get(key)
        if state is None:
            state = shared[key] = ChildState(
                kind=kind, is_eligible=key[1], computed_outcome=key[2], decision=key[3], registered=key[4]
            )
        children.extend([state] * count)
    return states


@transaction.atomic
def score_communes(
    campaign: Campaign,
    commune_ids: Sequence[int],
    *,
    managed: Managed | None = None,
) -> ScoreReport:
    """Score communes with XA-4 computed from the Result and Assessment rows of the units each
    one recognizes (score those units first)."""
    commune_ids = sorted(set(commune_ids))
    if managed is None:
        managed = find_managed(campaign, commune_ids)
    children = _child_states(campaign, managed)
    return _score(campaign, Q(pk__in=commune_ids), children=children)


def score_leaves(campaign: Campaign, scope: Q, *, set_based: bool = True) -> ScoreReport:
    """Residential areas and institutions matching ``scope``: on PostgreSQL in one statement
    (``certification.scoring.setbased``: the engine's rules in SQL, rows upserted in bulk), the
    few units it leaves to the engine then by :func:`_score`; elsewhere (or ``set_based`` False)
    all of them by the engine."""
    if not set_based or connection.vendor != "postgresql":
        return _score(campaign, scope)
    known = _units_with_model_facts(campaign, scope)
    done = setbased.score_units(campaign, scope & ~Q(pk__in=known) if known else scope)
    to_engine = [*done.to_engine, *known]
    if not to_engine:
        return ScoreReport(done.scored, done.written)
    rest = _score(campaign, Q(pk__in=to_engine))
    return ScoreReport(done.scored + len(known), done.written + rest.written)


def _units_with_model_facts(campaign: Campaign, scope: Q) -> list[int]:
    """The units of ``scope`` the register of models (``certification.extensions``) knows a fact
    for: the set-based statement does not read the register, so they go to the engine. None
    while no app registers the fact or no register is in use (``extensions.model_facts_in_use``:
    one cheap query instead of reading the scope's institutions to be told "none")."""
    if not extensions.model_facts_in_use(campaign.year):
        return []
    unit_ids = list(Unit.objects.filter(scope, kind__in=Unit.INSTITUTION_KINDS).values_list("pk", flat=True))
    facts = extensions.model_facts(unit_ids, campaign.year) if unit_ids else {}
    return [unit_id for unit_id, fact in facts.items() if fact is not None]


@transaction.atomic
def score_chunk(campaign: Campaign, parent_ids: Sequence[int], *, set_based: bool = True) -> ScoreReport:
    """One slice of a run: the units filed under ``parent_ids`` (communes, or the province and
    its districts for the units they manage directly) and the units delegated to those
    communes (:func:`score_leaves`), then the communes themselves (the engine, XA-4 read back
    from their units' rows). ``set_based`` False: every unit by the engine (the reference)."""
    parent_ids = list(parent_ids)
    commune_ids = list(Unit.objects.filter(pk__in=parent_ids, kind=COMMUNE).values_list("id", flat=True))
    managed = find_managed(campaign, commune_ids)
    filed_here = current_q(campaign) & Q(parent_id__in=parent_ids, kind__in=Unit.MANAGED_KINDS)
    leaves = score_leaves(campaign, filed_here | managed.scope, set_based=set_based)
    communes = score_communes(campaign, commune_ids, managed=managed) if commune_ids else ScoreReport(0, 0)
    return ScoreReport(leaves.scored + communes.scored, leaves.written + communes.written)


def campaign_unchanged(campaign: Campaign) -> bool:
    """True when scoring every chunk of the campaign would rewrite no row: every unit a chunk
    scores (the leaves in the campaign's scope and the units delegated to its communes, then
    its communes with XA-4 from the current rows) carries its input hash already. The leaves
    are compared in the database (``inputs.units_current``: no answer read, no row shipped),
    the communes as the chunks do (:func:`_changes`), once for the whole campaign; nothing is
    written."""
    if not Result.objects.filter(campaign=campaign).exists():
        return False  # from scratch: no need to look
    commune_ids = list(campaign_units(campaign, [COMMUNE]).values_list("id", flat=True))
    managed = find_managed(campaign, commune_ids)
    leaves = campaign_scope(campaign, Unit.MANAGED_KINDS) | managed.scope
    # Decided in the database (no unit row reaches Python); only when some digest differs does
    # Python look (a draft set's hash carries its fingerprint: it never equals the digest).
    if not units_current(campaign, leaves) and _changes(campaign, leaves, whole_campaign=True).changed:
        return False
    if not commune_ids:
        return True
    children = _child_states(campaign, managed, whole_campaign=True)
    return not _changes(
        campaign, campaign_scope(campaign, [COMMUNE]), children=children, whole_campaign=True
    ).changed


# --- province summary -------------------------------------------------------------------------


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


_EMPTY_COUNTS = {"units": 0, "eligible": 0, "registered": 0, "decided": 0, "recognized": 0, "forecast": 0}
_OUTCOMES = (scoring.PASS, scoring.FAIL, scoring.PENDING, scoring.NOT_ELIGIBLE)
_XA4_KEYS = ("met", "total", "registered", "recognized", "required", "undecided")
# The figures of a kind that the units', registrations' and assessments' rows decide (not the
# ``Result`` rows): a delta update recounts them, see :func:`_update_summary`.
_UNIT_FIGURES = ("units", "eligible", "registered", "decided", "recognized")


def _kind_counts(campaign: Campaign, *, with_results: bool = True) -> dict[str, dict[str, int]]:
    """Per kind of the campaign's scope: units, eligible, registered, decided, recognized and
    (``with_results``) the outcomes and forecasts of their ``Result`` rows. One aggregate."""
    kinds: dict[str, dict[str, int]] = {kind: {**_EMPTY_COUNTS} for kind in Unit.ASSESSED_KINDS}
    where_sql, where_params = unit_where(campaign_scope(campaign))
    if with_results:
        outcome = "r.outcome, r.is_forecast"
        join = f"LEFT JOIN {Result._meta.db_table} r ON r.unit_id = {UNIT}.id AND r.campaign_id = %s"
    else:
        outcome, join = "NULL, NULL", ""
    sql = f"""
        SELECT {UNIT}.kind, {UNIT}.is_eligible, {outcome}, g.id IS NOT NULL, s.status, COUNT(*)
        FROM {UNIT}
        {join}
        LEFT JOIN {Registration._meta.db_table} g ON g.unit_id = {UNIT}.id AND g.campaign_id = %s
        LEFT JOIN {Assessment._meta.db_table} s ON s.unit_id = {UNIT}.id AND s.campaign_id = %s
        WHERE {where_sql}
        GROUP BY 1, 2, 3, 4, 5, 6
    """
    params = [campaign.pk] * (3 if with_results else 2)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        groups = cursor.fetchall()
    for kind, eligible, outcome, forecast, registered, status, n in groups:
        counts = kinds[kind]
        counts["units"] += n
        if outcome is not None:
            counts[outcome] = counts.get(outcome, 0) + n
            if forecast and outcome != scoring.NOT_ELIGIBLE:
                counts["forecast"] += n
        if not eligible:
            continue
        counts["eligible"] += n
        if registered:
            counts["registered"] += n
        if status in scoring.DECIDED:
            counts["decided"] += n
            if status == scoring.RECOGNIZED:
                counts["recognized"] += n
    for counts in kinds.values():
        for outcome in _OUTCOMES:
            counts.setdefault(outcome, 0)
    return kinds


def _commune_entries(campaign: Campaign, commune_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """The communes' lines of the summary (all, or ``commune_ids``), in tree order: only the
    figures of each roll-up, not its explanation. One raw query (the ORM's compilation of six
    JSON key lookups cost more than the query itself).

    The communes filed under the province (their path, current or not), then each one's row by
    one lookup on the (campaign, unit) index (``OFFSET 0``: not flattened into a join), instead
    of reading every row of the campaign for its ~2 % of communes (issue 23, round 9). A commune
    with a row of the campaign that has since left the province is not a line of it."""
    scope = Q(kind=COMMUNE, path__startswith=campaign.province.path)
    where_sql, where_params = unit_where(
        scope & Q(pk__in=list(commune_ids)) if commune_ids is not None else scope
    )
    table = Result._meta.db_table
    if connection.vendor == "postgresql":
        result = f"""JOIN LATERAL (
            SELECT r.outcome, r.is_forecast, r.rollup FROM {table} r
            WHERE r.unit_id = {UNIT}.id AND r.campaign_id = %s OFFSET 0
        ) r ON TRUE"""
    else:  # SQLite has no LATERAL
        result = f"JOIN {table} r ON r.unit_id = {UNIT}.id AND r.campaign_id = %s"
    sql = f"""
        SELECT {UNIT}.id, {UNIT}.code, {UNIT}.name, {UNIT}.label, r.outcome, r.is_forecast, r.rollup
        FROM {UNIT} {result}
        WHERE {where_sql}
        ORDER BY {UNIT}.path
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, *where_params])
        rows = cursor.fetchall()
    lines = []
    for uid, code, name, label, outcome, forecast, rollup in rows:
        xa4 = _json(rollup)
        lines.append(
            {
                "id": uid,
                "code": code,
                "name": Unit.compose_full_name(name, label),
                "outcome": outcome,
                "is_forecast": bool(forecast),
                "xa4": {key: xa4.get(key) if isinstance(xa4, dict) else None for key in _XA4_KEYS},
            }
        )
    return lines


def _json(value: Any) -> Any:
    """A JSON column as a raw cursor returns it (text with Django's PostgreSQL and SQLite
    backends) decoded."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _write_summary(
    campaign: Campaign,
    kinds: dict[str, dict[str, int]],
    communes: list[dict[str, Any]],
    current_hash: str | None,
) -> bool:
    """Explain and upsert the province's row unless its hash is ``current_hash``; True if written."""
    is_forecast = any(c["forecast"] for c in kinds.values())
    rollup = {"kinds": kinds, "communes": communes, "is_forecast": is_forecast}
    sentences = []
    for kind in (COMMUNE, *Unit.MANAGED_KINDS):
        counts = kinds[kind]
        if counts["eligible"]:
            sentences.append(
                f"{KIND_LABELS[cast(Unit.Kind, kind)]}: {_count(counts[scoring.PASS])}/{_count(counts['eligible'])} đạt "
                f"({scoring.format_percent(counts[scoring.PASS], counts['eligible'])})"
            )
    if is_forecast:
        sentences.append("Có kết quả dự báo (chưa có quyết định)")
    explanation = ". ".join(sentences) or "Chưa có đơn vị nào được chấm"
    input_hash = _hash(scoring.ENGINE_VERSION, json.dumps(rollup, sort_keys=True, ensure_ascii=False))
    if current_hash == input_hash:
        return False
    write_rows(
        [
            ResultRow(
                campaign_id=campaign.pk,
                unit_id=campaign.province_id,
                assessment_id=None,
                outcome=scoring.NOT_ELIGIBLE,
                is_forecast=is_forecast,
                points=None,
                grade="",
                unmet_codes=[],
                missing_codes=[],
                explanation=explanation,
                rollup=rollup,
                input_hash=input_hash,
            )
        ]
    )
    return True


@transaction.atomic
def summarize_province(campaign: Campaign) -> Result:
    """Rates per kind and per commune, stored in the province's ``Result.rollup``, recomputed
    from every unit of the province (the reference for :func:`_update_summary`)."""
    current = Result.objects.filter(campaign=campaign, unit_id=campaign.province_id).first()
    written = _write_summary(
        campaign, _kind_counts(campaign), _commune_entries(campaign), current.input_hash if current else None
    )
    if current is not None and not written:
        return current
    return Result.objects.get(campaign=campaign, unit_id=campaign.province_id)


class _Counted(NamedTuple):
    """What the province summary counts of one unit's ``Result`` row."""

    kind: str
    outcome: str
    is_forecast: bool


def _counted(campaign: Campaign, where: tuple[str, list[Any]]) -> dict[int, _Counted]:
    """unit id → its row as the summary counts it, for the units matching ``where`` (a
    :func:`unit_where` of the campaign's scope and a few ids) that have a row; one query on the
    (campaign, unit) index."""
    where_sql, where_params = where
    sql = f"""
        SELECT {UNIT}.id, {UNIT}.kind, r.outcome, r.is_forecast
        FROM {UNIT} JOIN {Result._meta.db_table} r ON r.campaign_id = %s AND r.unit_id = {UNIT}.id
        WHERE {where_sql}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, *where_params])
        return {uid: _Counted(kind, outcome, forecast) for uid, kind, outcome, forecast in cursor.fetchall()}


def _locked_summary(campaign: Campaign) -> tuple[str, dict[str, Any]] | None:
    """The province row's (input hash, roll-up), locked until the transaction ends, so two
    delta updates of one summary never interleave; None without a usable row."""
    with connection.cursor() as cursor:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(
            f"SELECT input_hash, rollup FROM {Result._meta.db_table} WHERE campaign_id = %s AND unit_id = %s{lock}",
            [campaign.pk, campaign.province_id],
        )
        row = cursor.fetchone()
    rollup = _json(row[1]) if row is not None else None
    if not isinstance(rollup, dict):
        return None
    kinds, communes = rollup.get("kinds"), rollup.get("communes")
    if (
        not isinstance(kinds, dict)
        or set(kinds) != set(Unit.ASSESSED_KINDS)
        or not isinstance(communes, list)
    ):
        return None
    return row[0], rollup


def _update_summary(
    campaign: Campaign,
    stored: tuple[str, dict[str, Any]],
    before: dict[int, _Counted],
    after: dict[int, _Counted],
    communes: set[int],
) -> None:
    """The province summary updated from the old → new ``Result`` rows of the units and
    communes just rescored (a delta), instead of recounting every row of the province:

    * per kind, the outcomes and forecasts: minus each rescored row as it was, plus as it is;
    * per kind, units, eligible, registered, decided and recognized: these follow the units',
      registrations' and assessments' own rows, which a service may have changed before the
      rescoring (a decision, a registration): recounted by one aggregate without the results;
    * the communes' lines: the rescored communes' lines replaced in place.

    Equal to :func:`summarize_province` from scratch when the stored summary was current
    before this rescoring (``tests/certification/scoring/test_summary_delta.py``); a commune
    without a line yet (or a line without a row) falls back to the full recount."""
    input_hash, rollup = stored
    kinds = {kind: dict(counts) for kind, counts in rollup["kinds"].items()}
    for sign, rows in ((-1, before), (1, after)):
        for row in rows.values():
            counts = kinds[row.kind]
            counts[row.outcome] = counts.get(row.outcome, 0) + sign
            if row.is_forecast and row.outcome != scoring.NOT_ELIGIBLE:
                counts["forecast"] += sign
    for kind, fresh in _kind_counts(campaign, with_results=False).items():
        for key in _UNIT_FIGURES:
            kinds[kind][key] = fresh[key]
    lines = list(rollup["communes"])
    fresh_lines = (
        {line["id"]: line for line in _commune_entries(campaign, sorted(communes))} if communes else {}
    )
    at = {line["id"]: i for i, line in enumerate(lines)}
    if set(fresh_lines) != communes & set(at):  # a commune's first row, or a row gone
        _write_summary(campaign, _kind_counts(campaign), _commune_entries(campaign), input_hash)
        return
    for commune_id, line in fresh_lines.items():
        lines[at[commune_id]] = line
    _write_summary(campaign, kinds, lines, input_hash)


# --- one unit after a change ------------------------------------------------------------------


@transaction.atomic
def rescore_unit(unit_id: int, campaign_id: int, *, summarize: bool = True) -> bool:
    """Rescore a unit, then the commune that counts it in XA-4, then (``summarize``) the province
    summary, updated from the rescored rows (:func:`_update_summary`; from scratch when there is
    none yet). False when the unit is gone or outside the campaign's province: nothing to do.

    A worker passes ``summarize=False`` and debounces the summary (``certification.tasks.scoring``):
    at the deadline hundreds of saves a minute would each lock and rewrite the province's row,
    and the debounced summary is recounted from scratch."""
    return rescore_units([unit_id], campaign_id, summarize=summarize)


@transaction.atomic
def rescore_units(unit_ids: Sequence[int], campaign_id: int, *, summarize: bool = True) -> bool:
    """:func:`rescore_unit` for many units at once, set-based: the units (residential areas,
    institutions), then each commune that counts one of them or is one of them, once. A fixed
    number of queries whatever the number of units: the worker drains the units saved during a
    few seconds of a deadline burst in one pass (``certification.tasks.scoring``). False when
    none of them is in the campaign's province."""
    campaign = Campaign.objects.select_related("province").filter(pk=campaign_id).first()
    if campaign is None:
        return False
    units = list(
        Unit.objects.filter(pk__in=list(unit_ids), path__startswith=campaign.province.path).only(
            "id", "kind", "parent_id", "path"
        )
    )
    if not units:
        return False
    leaves = [u for u in units if u.kind in Unit.MANAGED_KINDS]
    communes = {u.pk for u in units if u.kind == COMMUNE}
    if leaves:
        communes |= authority_communes(campaign, leaves)
    stored = _locked_summary(campaign) if summarize else None
    if stored is not None:  # the rescored rows as the summary counted them
        rescored = unit_where(campaign_scope(campaign) & Q(pk__in=[*(u.pk for u in leaves), *communes]))
        before = _counted(campaign, rescored)
    if leaves:
        score_campaign_units(campaign, [u.pk for u in leaves])
    if communes:
        score_communes(campaign, sorted(communes))
    if stored is not None:
        _update_summary(campaign, stored, before, _counted(campaign, rescored), communes)
    elif summarize:
        summarize_province(campaign)
    return True


def summarize_campaign(campaign_id: int) -> None:
    """The province summary of a campaign, if it still exists."""
    campaign = Campaign.objects.select_related("province").filter(pk=campaign_id).first()
    if campaign is not None:
        summarize_province(campaign)
