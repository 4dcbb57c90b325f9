"""The rules of the movement that need no database: the 20 % cap, the rating period, and the
engine's reading of XA-1/CQDN-1/CSGD-1 against the register."""

import datetime

import pytest

from certification.scoring import engine
from movement.models import excellent_cap, rating_period


@pytest.mark.parametrize(("good", "cap"), [(0, 0), (4, 0), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3)])
def test_excellent_is_at_most_twenty_percent_of_good_rounded_down(good, cap):
    assert excellent_cap(good) == cap
    assert cap * 100 <= 20 * good  # never more than 20 %


def test_the_rating_period_runs_from_15_11_of_the_previous_year_to_14_11():
    assert rating_period(2026) == (datetime.date(2025, 11, 15), datetime.date(2026, 11, 14))


PLAN = engine.compile_plan([engine.CriterionSpec("XA-1"), engine.CriterionSpec("XA-3")])


def score(value: str, effective: bool | None, note: str = "") -> engine.UnitScore:
    answers = {"XA-1": engine.AnswerInput(value, note=note), "XA-3": engine.AnswerInput("met")}
    return engine.score_unit(
        engine.UnitInputs(
            kind="commune", plan=PLAN, answers=answers, registered=True, effective_model=effective
        )
    )


def test_xa1_met_without_an_effective_model_is_not_met_and_says_why():
    result = score("met", False)
    assert result.unmet == ["XA-1"]
    assert "XA-1: chưa có mô hình được đánh giá hiệu quả trong năm" in result.explanation


def test_xa1_met_with_a_note_stands_and_quotes_the_justification():
    result = score("met", False, note="Mô hình mới, đánh giá vào tháng 12")
    assert result.outcome == engine.PASS
    assert "chưa có mô hình được đánh giá hiệu quả trong năm, cán bộ xác định đạt" in result.explanation
    assert "“Mô hình mới, đánh giá vào tháng 12”" in result.explanation


@pytest.mark.parametrize("effective", [True, None])
def test_an_effective_model_or_an_unused_register_leaves_the_answer_alone(effective):
    result = score("met", effective)
    assert result.outcome == engine.PASS
    assert "mô hình" not in result.explanation


def test_xa1_not_met_without_a_model_says_so_too():
    result = score("not_met", False)
    assert result.unmet == ["XA-1"]
    assert "chưa có mô hình được đánh giá hiệu quả trong năm" in result.explanation
