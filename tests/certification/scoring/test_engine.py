"""The pure scoring engine: no database."""

from decimal import Decimal

import pytest

from certification.scoring import engine as scoring
from certification.scoring.engine import (
    AnswerInput,
    ChildState,
    CriterionSpec,
    Figures,
    ScoreItemSpec,
    SheetSpec,
    UnitInputs,
    compile_plan,
    rollup_xa4,
    score_unit,
)

KDC = compile_plan(
    [
        CriterionSpec("KDC-1", scoring.COUNT_THRESHOLD, threshold_percent=100),
        CriterionSpec("KDC-2"),
        CriterionSpec("KDC-3", scoring.GROUP),
        CriterionSpec("KDC-3a", parent="KDC-3"),
        CriterionSpec("KDC-3b", parent="KDC-3"),
        CriterionSpec("KDC-4", scoring.GROUP),
        CriterionSpec("KDC-4a", scoring.COMPARISON, parent="KDC-4"),
        CriterionSpec("KDC-4b", parent="KDC-4"),
        CriterionSpec("KDC-5", na_allowed=True),
    ]
)
XA = compile_plan(
    [
        CriterionSpec("XA-1"),
        CriterionSpec("XA-4", scoring.DERIVED, threshold_percent=70),
    ]
)
MET = AnswerInput("met")
NOT_MET = AnswerInput("not_met")
NA = AnswerInput("na")


def kdc(**changes) -> UnitInputs:
    """A registered residential area that meets everything; ``changes`` override fields, and
    ``answers`` entries override single answers (None removes one)."""
    answers = {code: MET for code in KDC.scored_items}
    for code, answer in changes.pop("answers", {}).items():
        if answer is None:
            answers.pop(code)
        else:
            answers[code] = answer
    fields = dict(
        kind="residential_area",
        plan=KDC,
        answers=answers,
        registered=True,
        households_total=120,
        households_registered=120,
    )
    fields.update(changes)
    return UnitInputs(**fields)


def children(recognized: int, total: int, **extra) -> list[ChildState]:
    return [
        ChildState(
            "residential_area",
            registered=True,
            decision="recognized" if i < recognized else "not_recognized",
            **extra,
        )
        for i in range(total)
    ]


# --- every leaf must be met --------------------------------------------------------------------


def test_a_unit_meeting_every_criterion_passes_and_says_so():
    score = score_unit(kdc())
    assert score.outcome == "pass"
    assert score.unmet == [] and score.missing == []
    assert score.explanation == "Đạt: đáp ứng đủ 7 tiêu chí"
    assert score.is_forecast


def test_one_boolean_not_met_fails_the_unit_and_names_the_code():
    score = score_unit(kdc(answers={"KDC-3a": NOT_MET}))
    assert score.outcome == "fail"
    assert score.unmet == ["KDC-3a"]
    assert score.explanation.startswith("Chưa đạt 1 tiêu chí: KDC-3a")


def test_the_appraised_value_is_what_the_results_layer_passes_in():
    # certification.scoring.results passes the effective value (appraised over self); the engine trusts it.
    assert score_unit(kdc(answers={"KDC-2": AnswerInput("not_met")})).unmet == ["KDC-2"]


def test_an_unanswered_leaf_leaves_the_unit_pending_with_the_missing_codes():
    score = score_unit(kdc(answers={"KDC-2": None, "KDC-4b": AnswerInput("")}))
    assert score.outcome == "pending"
    assert score.missing == ["KDC-2", "KDC-4b"]
    assert "chưa đánh giá KDC-2, KDC-4b" in score.explanation


def test_a_known_failure_wins_over_missing_answers():
    score = score_unit(kdc(answers={"KDC-2": None, "KDC-3b": NOT_MET}))
    assert score.outcome == "fail"
    assert score.unmet == ["KDC-3b"] and score.missing == ["KDC-2"]
    assert "Chưa đánh giá: KDC-2" in score.explanation


def test_a_group_fails_when_any_sub_item_fails():
    score = score_unit(kdc(answers={"KDC-3b": NOT_MET}))
    assert score.unmet == ["KDC-3b"]  # leaves only; the group KDC-3 follows its items


# --- not applicable ----------------------------------------------------------------------------


def test_not_applicable_counts_as_met_where_the_criterion_allows_it():
    score = score_unit(kdc(answers={"KDC-5": NA}))
    assert score.outcome == "pass"
    assert score.explanation == "Đạt: đáp ứng đủ 7 tiêu chí (1 tiêu chí không áp dụng)"


def test_not_applicable_on_a_mandatory_criterion_counts_as_not_met_and_explains_why():
    score = score_unit(kdc(answers={"KDC-2": NA}))
    assert score.outcome == "fail"
    assert score.unmet == ["KDC-2"]
    assert "KDC-2: được đánh dấu “không áp dụng” nhưng tiêu chí này bắt buộc" in score.explanation


# --- exclusions --------------------------------------------------------------------------------


def test_an_ineligible_unit_is_not_covered_whatever_its_answers():
    score = score_unit(
        kdc(
            kind="enterprise",
            is_eligible=False,
            ineligible_reason="Doanh nghiệp nhỏ",
            answers={"KDC-2": NOT_MET},
        )
    )
    assert score.outcome == "not_eligible"
    assert score.unmet == [] and not score.is_forecast
    assert score.explanation == "Không thuộc đối tượng: Doanh nghiệp nhỏ"


def test_a_unit_without_assessment_is_pending_and_says_it_has_not_registered():
    score = score_unit(UnitInputs(kind="residential_area"))
    assert score.outcome == "pending"
    assert score.explanation == "Chưa có phiếu đánh giá, chưa đăng ký phấn đấu đạt tiêu chuẩn"


# --- KDC-1: households -------------------------------------------------------------------------


def test_kdc1_passes_only_with_every_household_registered():
    score = score_unit(kdc(households_total=100, households_registered=99))
    assert score.unmet == ["KDC-1"]
    assert "KDC-1: 99/100 hộ gia đình đăng ký (99%) < 100%" in score.explanation
    assert score_unit(kdc(households_total=100, households_registered=100)).outcome == "pass"


def test_kdc1_uses_exact_integers_for_a_lower_threshold():
    plan = compile_plan([CriterionSpec("KDC-1", scoring.COUNT_THRESHOLD, threshold_percent=70)])
    base = dict(
        kind="residential_area", plan=plan, answers={"KDC-1": MET}, registered=True, households_total=25
    )
    assert score_unit(UnitInputs(**base, households_registered=17)).outcome == "fail"
    assert score_unit(UnitInputs(**base, households_registered=18)).outcome == "pass"


def test_kdc1_fails_when_the_area_has_not_registered():
    score = score_unit(kdc(registered=False))
    assert score.unmet == ["KDC-1"]
    assert "KDC-1: chưa đăng ký phấn đấu đạt tiêu chuẩn" in score.explanation


def test_kdc1_with_full_households_still_fails_on_an_explicit_not_met():
    assert score_unit(kdc(answers={"KDC-1": NOT_MET})).unmet == ["KDC-1"]


def test_kdc1_without_household_figures_follows_the_officers_answer():
    assert score_unit(kdc(households_total=None, households_registered=None)).outcome == "pass"
    unanswered = score_unit(kdc(households_total=None, households_registered=None, answers={"KDC-1": None}))
    assert unanswered.missing == ["KDC-1"]


# --- KDC-4a: this year vs last year ------------------------------------------------------------


def test_kdc4a_is_suggested_met_when_no_figure_increased():
    score = score_unit(kdc(answers={"KDC-4a": None}, figures=Figures(2, 1, 5), last_year=Figures(3, 1, 5)))
    assert score.outcome == "pass"


def test_kdc4a_is_suggested_not_met_when_one_figure_increased():
    score = score_unit(kdc(answers={"KDC-4a": None}, figures=Figures(2, 2, 5), last_year=Figures(3, 1, 5)))
    assert score.unmet == ["KDC-4a"]
    assert "tệ nạn xã hội 2 (năm trước 1, tăng)" in score.explanation


def test_kdc4a_compares_only_the_figures_known_in_both_years():
    score = score_unit(
        kdc(answers={"KDC-4a": None}, figures=Figures(9, None, 1), last_year=Figures(None, 4, 2))
    )
    assert score.outcome == "pass"  # only violations compare: 1 ≤ 2


def test_kdc4a_without_comparable_figures_follows_the_officer():
    assert score_unit(kdc(answers={"KDC-4a": NOT_MET}, figures=Figures(1, 1, 1))).unmet == ["KDC-4a"]
    assert score_unit(kdc(answers={"KDC-4a": None})).missing == ["KDC-4a"]


def test_an_officer_answer_with_a_note_overrides_the_suggestion():
    override = AnswerInput("met", note="Tăng do đợt cao điểm truy quét, đã được Công an xã xác nhận")
    score = score_unit(
        kdc(answers={"KDC-4a": override}, figures=Figures(5, 0, 0), last_year=Figures(3, 0, 0))
    )
    assert score.outcome == "pass"
    assert "cán bộ xác định đạt với ghi chú “Tăng do đợt cao điểm" in score.explanation


def test_a_contradicting_answer_without_a_note_does_not_override_the_suggestion():
    score = score_unit(kdc(answers={"KDC-4a": MET}, figures=Figures(5, 0, 0), last_year=Figures(3, 0, 0)))
    assert score.unmet == ["KDC-4a"]
    assert "không có ghi chú giải trình" in score.explanation


def test_an_officer_can_also_fail_kdc4a_against_a_favourable_suggestion_with_a_note():
    override = AnswerInput("not_met", note="Số liệu năm trước chưa đầy đủ")
    score = score_unit(
        kdc(answers={"KDC-4a": override}, figures=Figures(1, 0, 0), last_year=Figures(3, 0, 0))
    )
    assert score.unmet == ["KDC-4a"]


# --- XA-4 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recognized", "total", "met"),
    [(17, 25, False), (18, 25, True), (7, 10, True), (6, 10, False), (0, 1, False), (1, 1, True)],
)
def test_xa4_needs_seventy_percent_in_exact_integers(recognized, total, met):
    rollup = rollup_xa4(children(recognized, total), threshold_percent=70)
    assert rollup.met is met
    assert rollup.required == {25: 18, 10: 7, 1: 1}[total]


def test_xa4_explanation_reads_like_the_regulation_example():
    rollup = rollup_xa4(children(16, 25))
    assert rollup.explanation.startswith(
        "XA-4: 16/25 đơn vị thuộc thẩm quyền được công nhận (64%) < 70% — chưa đạt"
    )
    assert "Cần ít nhất 18/25 đơn vị được công nhận" in rollup.explanation
    assert rollup_xa4(children(18, 25)).explanation == (
        "XA-4: 18/25 đơn vị thuộc thẩm quyền được công nhận (72%) ≥ 70% — đạt"
    )


def test_xa4_percentages_are_truncated_never_rounded_up_to_the_threshold():
    assert scoring.format_percent(699, 1000) == "69,9%"
    assert scoring.format_percent(2, 3) == "66,6%"


def test_xa4_fails_when_one_managed_unit_did_not_register_even_with_enough_recognized():
    states = children(9, 9) + [ChildState("agency", registered=False)]
    rollup = rollup_xa4(states)
    assert not rollup.met
    assert rollup.explanation.startswith("XA-4: chỉ 9/10 đơn vị thuộc thẩm quyền đã đăng ký (cần 100%)")


def test_ineligible_units_never_count_in_xa4():
    states = children(7, 10) + [ChildState("enterprise", is_eligible=False)] * 5
    rollup = rollup_xa4(states)
    assert (rollup.total, rollup.met) == (10, True)


def test_xa4_base_residential_counts_residential_areas_only():
    states = children(7, 10) + [ChildState("school", registered=True, decision="not_recognized")] * 5
    assert not rollup_xa4(states, base="all").met  # 7/15
    residential = rollup_xa4(states, base="residential")
    assert residential.met and residential.total == 10
    assert residential.explanation.startswith("XA-4: 7/10 khu dân cư thuộc thẩm quyền")


def test_xa4_before_decisions_is_a_forecast_from_computed_results():
    states = [ChildState("residential_area", registered=True, computed_outcome="pass")] * 7 + [
        ChildState("residential_area", registered=True, computed_outcome="pending")
    ] * 3
    rollup = rollup_xa4(states)
    assert rollup.met and rollup.is_forecast and rollup.undecided == 10
    assert "Dự báo: 10 đơn vị chưa có quyết định" in rollup.explanation


def test_xa4_after_decisions_follows_the_decisions_not_the_computed_results():
    states = [
        ChildState("residential_area", registered=True, decision="not_recognized", computed_outcome="pass")
    ] * 4 + [
        ChildState("residential_area", registered=True, decision="recognized", computed_outcome="fail")
    ] * 6
    rollup = rollup_xa4(states)
    assert (rollup.recognized, rollup.met, rollup.is_forecast) == (6, False, False)


def test_a_revoked_unit_counts_as_not_recognized():
    rollup = rollup_xa4(children(7, 7) + [ChildState("agency", registered=True, decision="revoked")] * 3)
    assert rollup.recognized == 7 and rollup.met


def test_a_commune_fails_on_xa4_and_the_explanation_carries_the_roll_up():
    score = score_unit(
        UnitInputs(kind="commune", plan=XA, answers={"XA-1": MET}, xa4=rollup_xa4(children(16, 25)))
    )
    assert score.outcome == "fail" and score.unmet == ["XA-4"]
    assert "XA-4: 16/25 đơn vị thuộc thẩm quyền được công nhận (64%) < 70% — chưa đạt" in score.explanation


def test_a_commune_without_a_roll_up_is_pending_on_xa4():
    assert score_unit(UnitInputs(kind="commune", plan=XA, answers={"XA-1": MET})).missing == ["XA-4"]


# --- decisions and forecasts -------------------------------------------------------------------


def test_a_decision_replaces_the_forecast():
    score = score_unit(kdc(decision="recognized"))
    assert (score.outcome, score.is_forecast) == ("pass", False)
    assert score.explanation.startswith("Đã có quyết định công nhận. Đạt")


def test_a_decision_contrary_to_the_computation_wins_and_the_computation_is_still_explained():
    score = score_unit(kdc(decision="not_recognized"))
    assert (score.outcome, score.computed_outcome) == ("fail", "pass")
    assert score.explanation == "Đã có quyết định không công nhận. Đạt: đáp ứng đủ 7 tiêu chí"


def test_revocation_makes_the_unit_fail():
    assert score_unit(kdc(decision="revoked")).outcome == "fail"


# --- points and grades -------------------------------------------------------------------------

SHEET = SheetSpec(
    total_points=Decimal(100),
    items=(
        ScoreItemSpec("KDC-1", Decimal(20)),
        ScoreItemSpec("KDC-2", Decimal(20)),
        ScoreItemSpec("KDC-3a", Decimal(10), is_knockout=True),
        ScoreItemSpec("KDC-3b", Decimal(10)),
        ScoreItemSpec("KDC-4a", Decimal(20), deduction=Decimal(4)),
        ScoreItemSpec("KDC-4b", Decimal(10)),
        ScoreItemSpec("KDC-5", Decimal(10)),
    ),
    bands=(("excellent", Decimal(90)), ("good", Decimal(75)), ("average", Decimal(50)), ("weak", Decimal(0))),
)
KDC_SHEET = compile_plan(KDC.criteria, sheet=SHEET)


def test_points_default_to_the_maximum_for_met_items_and_grade_the_total():
    score = score_unit(kdc(plan=KDC_SHEET))
    assert (score.points, score.grade) == (Decimal(100), "excellent")
    assert score.explanation.endswith("Điểm: 100/100, xếp loại Xuất sắc")


def test_appraised_points_win_over_self_points():
    answers = {"KDC-2": AnswerInput("met", self_points=Decimal(20), appraised_points=Decimal("12.5"))}
    score = score_unit(kdc(plan=KDC_SHEET, answers=answers))
    assert score.points == Decimal("92.5")


def test_entered_points_are_clamped_to_the_item_maximum():
    score = score_unit(kdc(plan=KDC_SHEET, answers={"KDC-2": AnswerInput("met", self_points=Decimal(50))}))
    assert score.points == Decimal(100)


def test_a_deduction_is_taken_per_incident_from_an_unmet_item():
    answers = {"KDC-4a": AnswerInput("not_met", number=3)}
    score = score_unit(kdc(plan=KDC_SHEET, answers=answers))
    assert score.points == Decimal(88)  # 20 - 3 × 4 for KDC-4a
    assert score.grade == "good"  # 88 would be "good" anyway; a failing unit never gets the top band


def test_a_failing_unit_cannot_get_the_top_grade():
    answers = {"KDC-4b": AnswerInput("not_met", appraised_points=Decimal(10))}
    score = score_unit(kdc(plan=KDC_SHEET, answers=answers))
    assert (score.outcome, score.points, score.grade) == ("fail", Decimal(100), "good")
    assert "không xếp loại cao nhất" in score.explanation


def test_a_knock_out_item_not_met_caps_the_grade_at_the_lowest_band():
    answers = {"KDC-3a": AnswerInput("not_met", self_points=Decimal(10))}
    score = score_unit(kdc(plan=KDC_SHEET, answers=answers))
    assert (score.points, score.grade) == (Decimal(100), "weak")
    assert "xếp loại Yếu vì không đạt tiêu chí điểm liệt KDC-3a" in score.explanation


def test_points_are_unknown_while_a_scored_item_is_unanswered():
    score = score_unit(kdc(plan=KDC_SHEET, answers={"KDC-2": None}))
    assert (score.outcome, score.points, score.grade) == ("pending", None, "")


def test_no_points_without_a_score_sheet():
    assert score_unit(kdc()).points is None


def test_the_engine_imports_only_the_standard_library():
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(scoring.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported and {name.split(".")[0] for name in imported} <= sys.stdlib_module_names
