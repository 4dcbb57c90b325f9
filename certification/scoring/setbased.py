"""The engine's rules for residential areas and institutions as one SQL statement (PostgreSQL).

``certification.scoring.engine`` stays the reference: this module computes, for the units of a
scope, exactly the ``Result`` row the engine would (outcome, forecast, the codes not met and not
answered, the Vietnamese explanation, the input hash), in PostgreSQL and in bulk, and upserts
the rows whose input hash changed, in the same statement. Nothing per unit crosses into Python.

No row per unit × criterion: each unit's answers are folded into bit masks (one bit per scored
criterion, in its set's order); the units sharing a key (masks and the few facts their criteria
read) share one evaluation of the criteria, lists and text, which each unit gets back by a join.

A unit goes back to the engine (its id is returned; ``results._score`` scores it) when its
result needs something this statement does not spell:

* its criteria set is not published (a draft's content is part of its hash), has a score sheet
  (points and grades) or a derived criterion (XA-4: communes are scored by the engine), or more
  scored criteria than a mask has bits (``inputs.BITS_PER_WORD``);
* a KDC-4a-style comparison answer contradicts the figures' suggestion with a note (the note is
  quoted, trimmed as Python trims);
* a residential area without its own assessment last year that has predecessors (last year's
  figures are their sums).

The rule-to-SQL mapping and why the two agree are in docs/scoring.md ("The set-based path");
``tests/certification/scoring/test_setbased.py`` compares both on generated data sets.
"""

from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from certification.models import Answer, Campaign, CriteriaSet, Criterion, Result, ScoreItem, ScoreSheet
from certification.scoring import engine as scoring
from certification.scoring.inputs import BITS_PER_WORD, EFFECTIVE, units_query
from units.models import UnitChange


class SetScored(NamedTuple):
    scored: int  # units in the scope
    written: int  # rows inserted or rewritten
    to_engine: list[int]  # changed units this statement leaves to the engine


def _lit(text: str) -> str:
    """A constant of the engine's wording as an SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def _percent(part: str, whole: str) -> str:
    """``engine.format_percent`` for a non-negative part and a positive whole."""
    tenths = f"(({part})::bigint * 1000 / ({whole})::bigint)"
    return (
        f"CASE WHEN mod({tenths}, 10) = 0 THEN ({tenths} / 10)::text || '%%' "
        f"ELSE ({tenths} / 10)::text || ',' || mod({tenths}, 10)::text || '%%' END"
    )


def _figures() -> str:
    """The comparable figures in words, as ``engine._comparison_suggestion`` (NULL: none)."""
    parts = []
    for (_attr, name), column in zip(
        scoring.FIGURE_NAMES, ("crime", "social_evil", "violation"), strict=True
    ):
        now, before = column, f"p_{column}"
        trend = (
            f"CASE WHEN {now} > {before} THEN 'tăng' WHEN {now} < {before} THEN 'giảm' ELSE 'không tăng' END"
        )
        parts.append(
            f"CASE WHEN {now} IS NOT NULL AND {before} IS NOT NULL THEN "
            f"{_lit(name + ' ')} || {now} || ' (năm trước ' || {before} || ', ' || {trend} || ')' END"
        )
    return f"NULLIF(concat_ws(', ', {', '.join(parts)}), '')"


def _comparable() -> str:
    """Some figure is known in both years: :func:`_figures` is not NULL (without building it)."""
    return " OR ".join(
        f"({c} IS NOT NULL AND p_{c} IS NOT NULL)" for c in ("crime", "social_evil", "violation")
    )


def _increased() -> str:
    return " OR ".join(f"COALESCE({c} > p_{c}, FALSE)" for c in ("crime", "social_evil", "violation"))


# One criterion of a pattern (``k``: the criterion, the pattern's answer and the unit facts its
# units share): its state, its kind of reason and whether it needs the engine. ``k.v`` is the
# effective answer ('' when none, '?' for a value that is none of met / not met / N/A),
# ``k.note`` 'x' when the answer has a note. A kind of reason stands for the engine's sentence
# (:func:`_reason`); the unit's own words in it are stand-ins replaced per unit.
_PLAIN_STATE = "CASE k.v WHEN 'met' THEN 'met' WHEN 'not_met' THEN 'not_met' WHEN 'na' THEN (CASE WHEN k.na_allowed THEN 'na' ELSE 'not_met' END) ELSE 'missing' END"
_PLAIN_KIND = "CASE WHEN k.v = 'na' AND NOT k.na_allowed THEN 'plain' END"
_SHARE, _FIGURES = "chr(1)", "chr(2)"


def _criterion() -> tuple[str, str, str]:
    ct, cmp = _lit(scoring.COUNT_THRESHOLD), _lit(scoring.COMPARISON)
    na_ok = "k.v = 'na' AND k.na_allowed"
    agrees = "(k.v = '' OR k.v = k.suggestion)"
    state = f"""CASE
        WHEN k.answer_type = {ct} THEN CASE
            WHEN {na_ok} THEN 'na'
            WHEN k.unregistered THEN 'not_met'
            WHEN k.figures_known THEN CASE WHEN k.below OR k.v = 'not_met' THEN 'not_met' ELSE 'met' END
            ELSE {_PLAIN_STATE} END
        WHEN k.answer_type = {cmp} THEN CASE
            WHEN {na_ok} THEN 'na'
            WHEN k.suggestion IS NULL THEN {_PLAIN_STATE}
            WHEN {agrees} THEN k.suggestion
            WHEN k.v IN ('met', 'not_met') AND k.note <> '' THEN k.v
            ELSE k.suggestion END
        ELSE {_PLAIN_STATE} END"""
    kind = f"""CASE
        WHEN k.answer_type = {ct} THEN CASE
            WHEN {na_ok} THEN NULL
            WHEN k.unregistered THEN 'unreg'
            WHEN k.figures_known THEN CASE WHEN k.below THEN 'below' WHEN k.v = 'not_met' THEN 'judged' END
            ELSE {_PLAIN_KIND} END
        WHEN k.answer_type = {cmp} THEN CASE
            WHEN {na_ok} THEN NULL
            WHEN k.suggestion IS NULL THEN {_PLAIN_KIND}
            WHEN {agrees} THEN CASE WHEN k.suggestion = 'not_met' THEN 'agree' END
            WHEN k.v IN ('met', 'not_met') AND k.note <> '' THEN NULL
            ELSE 'contra_' || k.suggestion
            END
        ELSE {_PLAIN_KIND} END"""
    # A justified contradiction quotes the note: the engine trims and quotes it.
    engine = f"k.answer_type = {cmp} AND k.suggestion IS NOT NULL AND NOT ({na_ok}) AND NOT {agrees} AND k.v IN ('met', 'not_met') AND k.note <> ''"
    return state, kind, engine


def _reason() -> str:
    """The engine's sentence for criterion ``k`` of a pattern (NULL: none), from its kind; the
    unit's household share and figures are the stand-ins :data:`_SHARE` and :data:`_FIGURES`."""
    threshold = "COALESCE(k.threshold_percent, 100)"
    unjustified = _lit("; câu trả lời khác số liệu nhưng không có ghi chú giải trình nên không được tính")
    sentences = {
        "plain": _lit(": được đánh dấu “không áp dụng” nhưng tiêu chí này bắt buộc"),
        "unreg": _lit(": chưa đăng ký phấn đấu đạt tiêu chuẩn"),
        "below": f"': ' || {_SHARE} || ' < ' || {threshold} || '%%'",
        "judged": f"': ' || {_SHARE} || {_lit(', nhưng được đánh giá chưa đạt')}",
        "agree": f"': ' || {_FIGURES} || {_lit(' — chưa đạt')}",
        "contra_met": f"': ' || {_FIGURES} || {_lit(' — đạt')} || {unjustified}",
        "contra_not_met": f"': ' || {_FIGURES} || {_lit(' — chưa đạt')} || {unjustified}",
    }
    cases = " ".join(f"WHEN {_lit(kind)} THEN k.code || {text}" for kind, text in sentences.items())
    return f"CASE k.kind {cases} END"


def _share() -> str:
    """The unit's registered households in words (KDC-1's reasons), as the engine writes them."""
    return (
        f"c.hh_done || '/' || c.hh_total_eff || {_lit(' hộ gia đình đăng ký (')}"
        f" || CASE WHEN c.hh_total_eff > 0 AND c.hh_done IS NOT NULL THEN {_percent('c.hh_done', 'c.hh_total_eff')} END || ')'"
    )


def _statement(campaign: Campaign, scope: Q, *, has_rows: bool = True) -> tuple[str, list[Any]]:
    """``has_rows`` False (the campaign has no ``Result`` row yet): no lookup of each unit's
    current row and a plain INSERT, no arbiter lookup per row (issue 23, round 9)."""
    units_sql, units_params = units_query(campaign, scope, existing=has_rows)
    state, kind, engine = _criterion()
    answers, criteria = Answer._meta.db_table, Criterion._meta.db_table
    ct, cmp, group = _lit(scoring.COUNT_THRESHOLD), _lit(scoring.COMPARISON), _lit(scoring.GROUP)
    decided = ", ".join(_lit(s) for s in scoring.DECIDED)
    sentences = {status: _lit(text) for status, text in scoring.DECISION_SENTENCES.items()}
    residential = _lit(scoring.RESIDENTIAL_AREA)
    updated = ", ".join(
        f"{name} = EXCLUDED.{name}"
        for name in (
            "assessment_id outcome is_forecast points grade unmet_codes missing_codes explanation "
            "rollup input_hash computed_at"
        ).split()
    )
    v = f"COALESCE({EFFECTIVE}, '')"
    figures_known = "c.hh_total_eff IS NOT NULL AND c.hh_total_eff <> 0 AND c.hh_done IS NOT NULL"
    key = "set_id, m, n, a, o, t, unregistered, figures_known, below, suggestion"
    same = " AND ".join(f"x.{column} = uk.{column}" for column in key.split(", "))
    body = f"CASE WHEN x.has_share THEN replace(x.body, {_SHARE}, {_share()}) ELSE x.body END"
    body = f"CASE WHEN x.has_figures THEN replace({body}, {_FIGURES}, {_figures()}) ELSE {body} END"
    sql = f"""
    WITH u AS MATERIALIZED ({units_sql}),
    c AS MATERIALIZED (
        SELECT u.*, u.digest AS input_hash,
               CASE WHEN u.gid IS NOT NULL AND u.hh_total IS NOT NULL THEN u.hh_total ELSE u.household_count END AS hh_total_eff,
               CASE WHEN NOT ({_comparable()}) THEN NULL WHEN {_increased()} THEN 'not_met' ELSE 'met' END AS suggestion,
               CASE WHEN u.status IN ({decided}) THEN u.status ELSE '' END AS decision
        FROM u WHERE u.existing IS DISTINCT FROM u.digest
    ),
    ok_sets AS MATERIALIZED (
        SELECT cs.id FROM {CriteriaSet._meta.db_table} cs
        WHERE cs.id IN (SELECT set_id FROM c) AND cs.status = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM {criteria} k WHERE k.criteria_set_id = cs.id AND k.answer_type = {_lit(scoring.DERIVED)})
          AND NOT EXISTS (SELECT 1 FROM {ScoreItem._meta.db_table} i JOIN {ScoreSheet._meta.db_table} sh ON sh.id = i.sheet_id
                          WHERE sh.criteria_set_id = cs.id)
          AND (SELECT count(*) FROM {criteria} k WHERE k.criteria_set_id = cs.id AND k.answer_type <> {group}) <= {BITS_PER_WORD}
    ),
    pos AS MATERIALIZED (  -- the scored criteria of those sets, each a bit in its set's order
        SELECT k.id AS cid, k.criteria_set_id AS set_id, k.code, k.answer_type, k.na_allowed, k.threshold_percent,
               (1::bigint << (row_number() OVER (PARTITION BY k.criteria_set_id ORDER BY k."order", k.id) - 1)::int) AS bit
        FROM {criteria} k WHERE k.criteria_set_id IN (SELECT id FROM ok_sets) AND k.answer_type <> {group}
    ),
    sm AS MATERIALIZED (  -- per set: the masks of its N/A-allowed, count and comparison criteria
        SELECT set_id, COALESCE(bit_or(bit) FILTER (WHERE na_allowed), 0) AS na_ok,
               COALESCE(bit_or(bit) FILTER (WHERE answer_type = {ct}), 0) AS counts,
               COALESCE(bit_or(bit) FILTER (WHERE answer_type = {cmp}), 0) AS comparisons,
               array_agg(bit) FILTER (WHERE answer_type = {ct}) AS count_bits,
               array_agg(COALESCE(threshold_percent, 100)) FILTER (WHERE answer_type = {ct}) AS count_thresholds
        FROM pos GROUP BY set_id
    ),
    am AS MATERIALIZED (  -- the changed units' answers folded into masks: per assessment, its answers' bits by value and note, then one row (none when nothing changed)
        SELECT x.sid, x.set_id,
               bit_or(CASE WHEN x.v = 'met' THEN x.bits ELSE 0 END) AS m,
               bit_or(CASE WHEN x.v = 'not_met' THEN x.bits ELSE 0 END) AS n,
               bit_or(CASE WHEN x.v = 'na' THEN x.bits ELSE 0 END) AS a,
               bit_or(CASE WHEN x.v NOT IN ('', 'met', 'not_met', 'na') THEN x.bits ELSE 0 END) AS o,
               bit_or(CASE WHEN x.noted THEN x.bits ELSE 0 END) AS t
        FROM (SELECT a.assessment_id AS sid, p.set_id, {v} AS v, a.note <> '' AS noted, bit_or(p.bit) AS bits
              FROM {answers} a JOIN pos p ON p.cid = a.criterion_id
              WHERE a.assessment_id IN (SELECT sid FROM c WHERE c.is_eligible AND c.sid IS NOT NULL)
              GROUP BY 1, 2, 3, 4) x
        GROUP BY x.sid, x.set_id
    ),
    uk AS MATERIALIZED (  -- each scored unit's key: its answers' masks and the few facts its criteria read
        SELECT c.unit_id, c.set_id, COALESCE(am.m, 0) AS m, COALESCE(am.n, 0) AS n, COALESCE(am.a, 0) AS a,
               COALESCE(am.o, 0) AS o, COALESCE(am.t, 0) & sm.comparisons AS t,
               sm.counts <> 0 AND c.gid IS NULL AS unregistered,
               sm.counts <> 0 AND COALESCE({figures_known}, FALSE) AS figures_known,
               CASE WHEN sm.counts = 0 OR NOT COALESCE({figures_known}, FALSE) THEN 0
                    ELSE (SELECT COALESCE(bit_or(x.bit), 0) FROM unnest(sm.count_bits, sm.count_thresholds) AS x(bit, threshold)
                          WHERE c.hh_done::bigint * 100 < x.threshold::bigint * c.hh_total_eff) END AS below,
               CASE WHEN sm.comparisons <> 0 THEN COALESCE(c.suggestion, '') ELSE '' END AS suggestion  -- '': none
        FROM c JOIN sm ON sm.set_id = c.set_id LEFT JOIN am ON am.sid = c.sid AND am.set_id = c.set_id
        WHERE c.is_eligible
    ),
    pat AS MATERIALIZED (  -- the distinct keys: most units share a handful
        SELECT row_number() OVER () AS pid, d.* FROM (SELECT DISTINCT {key} FROM uk) d
    ),
    pk AS (  -- each pattern's criteria, with their answer
        SELECT p.pid, k.bit, k.code, k.answer_type, k.na_allowed, k.threshold_percent,
               p.unregistered, p.figures_known, p.below & k.bit <> 0 AS below, NULLIF(p.suggestion, '') AS suggestion,
               CASE WHEN p.m & k.bit <> 0 THEN 'met' WHEN p.n & k.bit <> 0 THEN 'not_met'
                    WHEN p.a & k.bit <> 0 THEN 'na' WHEN p.o & k.bit <> 0 THEN '?' ELSE '' END AS v,
               CASE WHEN p.t & k.bit <> 0 THEN 'x' ELSE '' END AS note
        FROM pat p JOIN pos k ON k.set_id = p.set_id
    ),
    ps AS (SELECT k.*, {state} AS state, {kind} AS kind, {engine} AS to_engine FROM pk k),
    agg AS (  -- each pattern's lists, counts and reasons, once, in the criteria's order
        SELECT k.pid,
               count(*) AS n_scored,
               count(*) FILTER (WHERE k.state = 'na') AS n_na,
               count(*) FILTER (WHERE k.state = 'not_met') AS n_unmet,
               count(*) FILTER (WHERE k.state = 'missing') AS n_missing,
               array_agg(k.code ORDER BY k.bit) FILTER (WHERE k.state = 'not_met') AS unmet_codes,
               array_agg(k.code ORDER BY k.bit) FILTER (WHERE k.state = 'missing') AS missing_codes,
               string_agg({_reason()}, '. ' ORDER BY k.bit) AS reasons,
               COALESCE(bool_or(k.kind IN ('below', 'judged')), FALSE) AS has_share,
               COALESCE(bool_or(k.kind IN ('agree', 'contra_met', 'contra_not_met')), FALSE) AS has_figures,
               bool_or(k.to_engine) AS to_engine
        FROM ps k
        GROUP BY k.pid
    ),
    pt AS MATERIALIZED (
        SELECT pat.*, computed, agg.has_share, agg.has_figures, agg.to_engine,
               to_jsonb(agg.unmet_codes) AS unmet, to_jsonb(agg.missing_codes) AS missing,
               concat_ws('. ',
                   CASE computed
                     WHEN 'pass' THEN {_lit("Đạt: đáp ứng đủ ")} || agg.n_scored || {_lit(" tiêu chí")}
                          || CASE WHEN agg.n_na > 0 THEN ' (' || agg.n_na || {_lit(" tiêu chí không áp dụng)")} ELSE '' END
                     WHEN 'fail' THEN {_lit("Chưa đạt ")} || agg.n_unmet || {_lit(" tiêu chí: ")} || array_to_string(agg.unmet_codes, ', ')
                     ELSE {_lit("Chưa đủ dữ liệu: chưa đánh giá ")} || array_to_string(agg.missing_codes, ', ') END,
                   agg.reasons,
                   CASE WHEN computed = 'fail' AND agg.n_missing > 0
                        THEN {_lit("Chưa đánh giá: ")} || array_to_string(agg.missing_codes, ', ') END) AS body
        FROM pat JOIN agg ON agg.pid = pat.pid,
             LATERAL (SELECT CASE WHEN agg.n_unmet > 0 THEN 'fail' WHEN agg.n_missing > 0 THEN 'pending' ELSE 'pass' END AS computed) o
    ),
    f AS (
        SELECT c.unit_id, c.sid, c.input_hash, c.is_eligible, c.decision, c.gid, c.ineligible_reason,
               x.unmet, x.missing, COALESCE(x.computed, 'pass') AS computed,
               COALESCE({body}, {_lit("Đạt: đáp ứng đủ 0 tiêu chí")}) AS body,
               c.is_eligible AND c.sid IS NOT NULL AND (
                   c.set_id NOT IN (SELECT id FROM ok_sets) OR COALESCE(x.to_engine, FALSE)
                   OR (c.kind = {residential} AND c.pid IS NULL
                       AND EXISTS (SELECT 1 FROM {UnitChange._meta.db_table} x WHERE x.successor_id = c.unit_id))
               ) AS to_engine_unit
        FROM c LEFT JOIN uk ON uk.unit_id = c.unit_id
        LEFT JOIN pt x ON {same}
    ),
    rows AS (
        SELECT f.unit_id, f.sid, f.input_hash,
               CASE WHEN NOT f.is_eligible THEN {_lit(scoring.NOT_ELIGIBLE)}
                    WHEN f.decision = {_lit(scoring.RECOGNIZED)} THEN {_lit(scoring.PASS)}
                    WHEN f.decision <> '' THEN {_lit(scoring.FAIL)}
                    WHEN f.sid IS NULL THEN {_lit(scoring.PENDING)}
                    ELSE f.computed END AS outcome,
               f.is_eligible AND f.decision = '' AS is_forecast,
               CASE WHEN f.is_eligible AND f.sid IS NOT NULL THEN COALESCE(f.unmet, '[]'::jsonb) ELSE '[]'::jsonb END AS unmet,
               CASE WHEN f.is_eligible AND f.sid IS NOT NULL THEN COALESCE(f.missing, '[]'::jsonb) ELSE '[]'::jsonb END AS missing,
               CASE
                 WHEN NOT f.is_eligible THEN {_lit("Không thuộc đối tượng")}
                      || CASE WHEN f.ineligible_reason <> '' THEN ': ' || f.ineligible_reason ELSE '' END
                 WHEN f.sid IS NULL THEN concat_ws('. ',
                      CASE f.decision {" ".join(f"WHEN {_lit(s)} THEN {t}" for s, t in sentences.items())} END,
                      {_lit("Chưa có phiếu đánh giá")}
                      || CASE WHEN f.gid IS NULL THEN {_lit(", chưa đăng ký phấn đấu đạt tiêu chuẩn")} ELSE '' END)
                 ELSE concat_ws('. ',
                      CASE f.decision {" ".join(f"WHEN {_lit(s)} THEN {t}" for s, t in sentences.items())} END,
                      f.body)
               END AS explanation
        FROM f WHERE NOT f.to_engine_unit
    ),
    written AS (
        INSERT INTO {Result._meta.db_table} (campaign_id, unit_id, assessment_id, outcome, is_forecast, points,
            grade, unmet_codes, missing_codes, explanation, rollup, input_hash, computed_at)
        SELECT %s, unit_id, sid, outcome, is_forecast, NULL, '', unmet, missing, explanation, '{{}}'::jsonb,
               input_hash, now()
        FROM rows ORDER BY unit_id
        {f"ON CONFLICT (campaign_id, unit_id) DO UPDATE SET {updated}" if has_rows else ""}
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM written),
           (SELECT COALESCE(array_agg(unit_id ORDER BY unit_id), '{{}}') FROM f WHERE to_engine_unit)
    """
    params = [*units_params, [str(status) for status in CriteriaSet.IN_FORCE], campaign.pk]
    return sql, params


def _has_rows(campaign: Campaign) -> bool:
    """Some ``Result`` row of the campaign exists (one index probe)."""
    return Result.objects.filter(campaign=campaign).exists()


def score_units(campaign: Campaign, scope: Q) -> SetScored:
    """Score the residential areas and institutions matching ``scope`` in one statement;
    upsert the rows whose input hash changed; return the changed units left to the engine."""
    # From scratch (a campaign's first run: its chunks find no row) there is no row to look up
    # or to conflict with. A row written meanwhile by another transaction (a unit rescored after
    # a save) makes the plain INSERT fail: then the upsert, in the same transaction.
    has_rows = _has_rows(campaign)
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner's estimates of these CTEs are far too high (hundreds of thousands of rows
        # for a chunk's ~2,000): JIT would then compile for ~0.6 s a statement that runs in less.
        cursor.execute("SET LOCAL jit = off")
        if not has_rows:
            try:
                with transaction.atomic():  # a savepoint: the upsert below can follow a failure
                    cursor.execute(*_statement(campaign, scope, has_rows=False))
            except IntegrityError:
                has_rows = True
        if has_rows:
            cursor.execute(*_statement(campaign, scope))
        scored, written, to_engine = cursor.fetchone()
    return SetScored(int(scored), int(written), list(to_engine))
