"""The engine's rules for residential areas and institutions as one SQL statement (PostgreSQL).

``certification.scoring.engine`` stays the reference: this module computes, for the units of a
scope, exactly the ``Result`` row the engine would (outcome, forecast, the codes not met and not
answered, the Vietnamese explanation, the input hash), in PostgreSQL and in bulk, and upserts
the rows whose input hash changed, in the same statement. Nothing per unit crosses into Python.

A unit goes back to the engine (its id is returned; ``results._score`` scores it) when its
result needs something this statement does not spell:

* its criteria set is not published (a draft's content is part of its hash), has a score sheet
  (points and grades) or a derived criterion (XA-4: communes are scored by the engine);
* a KDC-4a-style comparison answer contradicts the figures' suggestion with a note (the note is
  quoted, trimmed as Python trims);
* a residential area without its own assessment last year that has predecessors (last year's
  figures are their sums).

The rule-to-SQL mapping and why the two agree are in docs/scoring.md ("The set-based path");
``tests/certification/scoring/test_setbased.py`` compares both on generated data sets.
"""

from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q

from certification.models import Answer, Campaign, CriteriaSet, Criterion, Result, ScoreItem, ScoreSheet
from certification.scoring import engine as scoring
from certification.scoring.inputs import EFFECTIVE, units_query
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


# One scored criterion of a unit: (state, reason, needs the engine). ``v`` is the effective
# answer ('' when none), ``k`` the criterion; the unit's columns come from ``c``.
_PLAIN_STATE = "CASE v WHEN 'met' THEN 'met' WHEN 'not_met' THEN 'not_met' WHEN 'na' THEN (CASE WHEN k.na_allowed THEN 'na' ELSE 'not_met' END) ELSE 'missing' END"
_PLAIN_REASON = (
    "CASE WHEN v = 'na' AND NOT k.na_allowed THEN k.code || "
    + _lit(": được đánh dấu “không áp dụng” nhưng tiêu chí này bắt buộc")
    + " END"
)


def _state_and_reason() -> tuple[str, str, str]:
    ct, cmp = _lit(scoring.COUNT_THRESHOLD), _lit(scoring.COMPARISON)
    threshold = "COALESCE(k.threshold_percent, 100)"
    figures_known = "c.hh_total_eff IS NOT NULL AND c.hh_total_eff <> 0 AND c.hh_done IS NOT NULL"
    below = f"c.hh_done::bigint * 100 < {threshold}::bigint * c.hh_total_eff"
    na_ok = "v = 'na' AND k.na_allowed"
    agrees = "(v = '' OR v = c.suggestion)"
    state = f"""CASE
        WHEN k.answer_type = {ct} THEN CASE
            WHEN {na_ok} THEN 'na'
            WHEN c.gid IS NULL THEN 'not_met'
            WHEN {figures_known} THEN CASE WHEN {below} OR v = 'not_met' THEN 'not_met' ELSE 'met' END
            ELSE {_PLAIN_STATE} END
        WHEN k.answer_type = {cmp} THEN CASE
            WHEN {na_ok} THEN 'na'
            WHEN c.suggestion IS NULL THEN {_PLAIN_STATE}
            WHEN {agrees} THEN c.suggestion
            WHEN v IN ('met', 'not_met') AND note <> '' THEN v
            ELSE c.suggestion END
        ELSE {_PLAIN_STATE} END"""
    word = "CASE c.suggestion WHEN 'met' THEN 'đạt' ELSE 'chưa đạt' END"
    reason = f"""CASE
        WHEN k.answer_type = {ct} THEN CASE
            WHEN {na_ok} THEN NULL
            WHEN c.gid IS NULL THEN k.code || {_lit(": chưa đăng ký phấn đấu đạt tiêu chuẩn")}
            WHEN {figures_known} THEN CASE
                WHEN {below} THEN k.code || ': ' || c.share || ' < ' || {threshold} || '%%'
                WHEN v = 'not_met' THEN k.code || ': ' || c.share || {_lit(", nhưng được đánh giá chưa đạt")}
                END
            ELSE {_PLAIN_REASON} END
        WHEN k.answer_type = {cmp} THEN CASE
            WHEN {na_ok} THEN NULL
            WHEN c.suggestion IS NULL THEN {_PLAIN_REASON}
            WHEN {agrees} THEN CASE WHEN c.suggestion = 'not_met' THEN k.code || ': ' || c.figures || {_lit(" — chưa đạt")} END
            WHEN v IN ('met', 'not_met') AND note <> '' THEN NULL
            ELSE k.code || ': ' || c.figures || ' — ' || {word}
                 || {_lit("; câu trả lời khác số liệu nhưng không có ghi chú giải trình nên không được tính")}
            END
        ELSE {_PLAIN_REASON} END"""
    # A justified contradiction quotes the note: the engine trims and quotes it.
    engine = f"k.answer_type = {cmp} AND c.suggestion IS NOT NULL AND NOT ({na_ok}) AND NOT {agrees} AND v IN ('met', 'not_met') AND note <> ''"
    return state, reason, engine


def _statement(campaign: Campaign, scope: Q) -> tuple[str, list[Any]]:
    units_sql, units_params = units_query(campaign, scope)
    state, reason, engine = _state_and_reason()
    answers, criteria = Answer._meta.db_table, Criterion._meta.db_table
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
    sql = f"""
    WITH u AS MATERIALIZED ({units_sql}),
    c AS MATERIALIZED (
        SELECT u.*, u.digest AS input_hash,
               CASE WHEN u.gid IS NOT NULL AND u.hh_total IS NOT NULL THEN u.hh_total ELSE u.household_count END AS hh_total_eff,
               {_figures()} AS figures,
               CASE WHEN NOT ({_comparable()}) THEN NULL WHEN {_increased()} THEN 'not_met' ELSE 'met' END AS suggestion,
               CASE WHEN u.status IN ({decided}) THEN u.status ELSE '' END AS decision
        FROM u WHERE u.existing IS DISTINCT FROM u.digest
    ),
    ans AS MATERIALIZED (  -- the changed units' answers only (none when nothing changed)
        SELECT a.* FROM {answers} a WHERE a.assessment_id IN (SELECT sid FROM c WHERE sid IS NOT NULL)
    ),
    ok_sets AS (
        SELECT cs.id FROM {CriteriaSet._meta.db_table} cs
        WHERE cs.id IN (SELECT set_id FROM c) AND cs.status = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM {criteria} k WHERE k.criteria_set_id = cs.id AND k.answer_type = {_lit(scoring.DERIVED)})
          AND NOT EXISTS (SELECT 1 FROM {ScoreItem._meta.db_table} i JOIN {ScoreSheet._meta.db_table} sh ON sh.id = i.sheet_id
                          WHERE sh.criteria_set_id = cs.id)
    ),
    cx AS (
        SELECT c.*,
               c.hh_done || '/' || c.hh_total_eff || {_lit(" hộ gia đình đăng ký (")}
                 || CASE WHEN c.hh_total_eff > 0 AND c.hh_done IS NOT NULL THEN {_percent("c.hh_done", "c.hh_total_eff")} END || ')' AS share
        FROM c
    ),
    st AS (
        SELECT c.unit_id, k."order" AS ord, k.id AS cid, k.code, {state} AS state, {reason} AS reason, {engine} AS to_engine
        FROM (SELECT c.unit_id, c.gid, c.hh_total_eff, c.hh_done, c.share, c.figures, c.suggestion,
                     COALESCE({EFFECTIVE}, '') AS v, COALESCE(a.note, '') AS note, k.id AS kid
              FROM cx c
              JOIN {criteria} k ON k.criteria_set_id = c.set_id AND k.answer_type <> {_lit(scoring.GROUP)}
              LEFT JOIN ans a ON a.assessment_id = c.sid AND a.criterion_id = k.id
              WHERE c.is_eligible AND c.set_id IN (SELECT id FROM ok_sets)) c
        JOIN {criteria} k ON k.id = c.kid
    ),
    agg AS (
        SELECT unit_id,
               count(*) AS n_scored,
               count(*) FILTER (WHERE state = 'na') AS n_na,
               count(*) FILTER (WHERE state = 'not_met') AS n_unmet,
               count(*) FILTER (WHERE state = 'missing') AS n_missing,
               array_agg(code) FILTER (WHERE state = 'not_met') AS unmet_codes,
               array_agg(code) FILTER (WHERE state = 'missing') AS missing_codes,
               string_agg(reason, '. ') FILTER (WHERE reason <> '') AS reasons,
               bool_or(to_engine) AS to_engine
        -- The lists follow the criteria's order: the aggregates read st sorted by (unit, order,
        -- id) and keep that order (one sort, instead of one per unit and list for ORDER BY
        -- inside each aggregate on PostgreSQL 15: a fifth of the statement). The statement
        -- writes, so it never runs in parallel workers that could interleave the rows.
        FROM (SELECT * FROM st ORDER BY unit_id, ord, cid) st GROUP BY unit_id
    ),
    f AS (
        SELECT c.unit_id, c.sid, c.input_hash, c.is_eligible, c.decision, c.gid,
               c.ineligible_reason, agg.n_scored, agg.n_na, agg.n_unmet, agg.n_missing,
               to_jsonb(agg.unmet_codes) AS unmet, to_jsonb(agg.missing_codes) AS missing,
               array_to_string(agg.unmet_codes, ', ') AS unmet_text,
               array_to_string(agg.missing_codes, ', ') AS missing_text, agg.reasons,
               CASE WHEN agg.n_unmet > 0 THEN 'fail' WHEN agg.n_missing > 0 THEN 'pending' ELSE 'pass' END AS computed,
               c.is_eligible AND c.sid IS NOT NULL AND (
                   c.set_id NOT IN (SELECT id FROM ok_sets) OR COALESCE(agg.to_engine, FALSE)
                   OR (c.kind = {residential} AND c.pid IS NULL
                       AND EXISTS (SELECT 1 FROM {UnitChange._meta.db_table} x WHERE x.successor_id = c.unit_id))
               ) AS to_engine_unit
        FROM c LEFT JOIN agg ON agg.unit_id = c.unit_id
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
                      CASE f.computed
                        WHEN 'pass' THEN {_lit("Đạt: đáp ứng đủ ")} || COALESCE(f.n_scored, 0) || {_lit(" tiêu chí")}
                             || CASE WHEN f.n_na > 0 THEN ' (' || f.n_na || {_lit(" tiêu chí không áp dụng)")} ELSE '' END
                        WHEN 'fail' THEN {_lit("Chưa đạt ")} || f.n_unmet || {_lit(" tiêu chí: ")} || f.unmet_text
                        ELSE {_lit("Chưa đủ dữ liệu: chưa đánh giá ")} || f.missing_text END,
                      f.reasons,
                      CASE WHEN f.computed = 'fail' AND f.n_missing > 0 THEN {_lit("Chưa đánh giá: ")} || f.missing_text END)
               END AS explanation
        FROM f WHERE NOT f.to_engine_unit
    ),
    written AS (
        INSERT INTO {Result._meta.db_table} (campaign_id, unit_id, assessment_id, outcome, is_forecast, points,
            grade, unmet_codes, missing_codes, explanation, rollup, input_hash, computed_at)
        SELECT %s, unit_id, sid, outcome, is_forecast, NULL, '', unmet, missing, explanation, '{{}}'::jsonb,
               input_hash, now()
        FROM rows ORDER BY unit_id
        ON CONFLICT (campaign_id, unit_id) DO UPDATE SET {updated}
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM written),
           (SELECT COALESCE(array_agg(unit_id ORDER BY unit_id), '{{}}') FROM f WHERE to_engine_unit)
    """
    params = [*units_params, [str(status) for status in CriteriaSet.IN_FORCE], campaign.pk]
    return sql, params


def score_units(campaign: Campaign, scope: Q) -> SetScored:
    """Score the residential areas and institutions matching ``scope`` in one statement;
    upsert the rows whose input hash changed; return the changed units left to the engine."""
    sql, params = _statement(campaign, scope)
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner's estimates of these CTEs are far too high (hundreds of thousands of rows
        # for a chunk's ~2,000): JIT would then compile for ~0.6 s a statement that runs in less.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        scored, written, to_engine = cursor.fetchone()
    return SetScored(int(scored), int(written), list(to_engine))
