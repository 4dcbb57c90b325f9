"""Scoring fixtures: a 2025 campaign of the test province on the shipped TT 124 sets, and a
helper that registers a unit and fills its assessment."""

import datetime

import pytest

from certification.models import Answer, Assessment, Campaign, Criterion, Registration
from certification.services.campaigns import open_campaign
from units.models import Unit

YEAR = 2025


@pytest.fixture
def campaign(province, commune, other_commune) -> Campaign:
    # A transactional test elsewhere may have flushed the sets the data migration loaded.
    from django.apps import apps

    from certification.data.tt124 import load_tt124_sets

    load_tt124_sets(apps)
    return open_campaign(year=YEAR, province=province)


def leaf_criteria(assessment: Assessment) -> list[Criterion]:
    return list(
        Criterion.objects.filter(criteria_set=assessment.criteria_set)
        .exclude(answer_type__in=["group", "derived"])
        .order_by("order")
    )


@pytest.fixture
def assess(campaign):
    """assess(unit, answers={"KDC-3a": "not_met"}, default="met", registered=True, status=None,
    households=(120, 120), figures=None, appraised={}) → Assessment."""

    def make(
        unit: Unit,
        *,
        answers: dict | None = None,
        default: str = "met",
        registered: bool = True,
        status: str | None = None,
        households: tuple[int, int] | None = (120, 120),
        figures: tuple | None = None,
        appraised: dict | None = None,
        target: Campaign | None = None,
    ) -> Assessment:
        target = target or campaign
        if registered:
            total, done = (
                households if unit.kind == Unit.Kind.RESIDENTIAL_AREA and households else (None, None)
            )
            Registration.objects.create(
                campaign=target,
                unit=unit,
                registered_on=datetime.date(target.year, 3, 1),
                households_total=total,
                households_registered=done,
            )
        assessment = Assessment.objects.create(
            campaign=target,
            unit=unit,
            criteria_set=target.criteria_set_for(unit.kind),
            status=status or Assessment.Status.SUBMITTED,
            **dict(zip(("crime_count", "social_evil_count", "violation_count"), figures or (), strict=False)),
        )
        answers, appraised = answers or {}, appraised or {}
        Answer.objects.bulk_create(
            Answer(
                assessment=assessment,
                criterion=criterion,
                value=answers.get(criterion.code, default),
                appraised_value=appraised.get(criterion.code, ""),
            )
            for criterion in leaf_criteria(assessment)
            if answers.get(criterion.code, default) is not None
        )
        return assessment

    return make


@pytest.fixture
def make_institution(commune):
    def make(code: str, kind: str = Unit.Kind.AGENCY, parent: Unit | None = None, **fields) -> Unit:
        return Unit.objects.create(
            code=code, name=f"Đơn vị {code}", kind=kind, parent=parent or commune, **fields
        )

    return make
