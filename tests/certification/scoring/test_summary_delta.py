"""The province summary after one unit's rescoring is updated from the rescored rows (a delta,
``results._update_summary``), not recounted from every unit of the province: after any sequence
of changes it must equal the summary recomputed from scratch."""

import pytest

from certification.models import Answer, Assessment, Registration, Result
from certification.scoring import results
from tests.builders import change_answers, make_areas
from units.models import Unit

pytestmark = pytest.mark.django_db


def summary(campaign) -> tuple:
    row = Result.objects.get(campaign=campaign, unit_id=campaign.province_id)
    return row.rollup, row.explanation, row.is_forecast, row.input_hash


def from_scratch(campaign) -> tuple:
    Result.objects.filter(campaign=campaign, unit_id=campaign.province_id).delete()
    results.summarize_province(campaign)
    return summary(campaign)


def xa4_line(campaign, commune) -> dict:
    (line,) = [c for c in summary(campaign)[0]["communes"] if c["id"] == commune.pk]
    return line


def flip(assessment: Assessment, value: str) -> None:
    change_answers(Answer.objects.filter(assessment=assessment, criterion__code="KDC-2"), value=value)


def test_a_delta_updated_summary_equals_the_summary_recomputed_from_scratch(
    campaign, province, commune, other_commune, areas, assess, make_institution, monkeypatch
):
    others = make_areas(other_commune, 3, code="KP")
    agency = make_institution("CQ-1")
    kindergarten = make_institution(
        "MN-1", kind=Unit.Kind.SCHOOL, is_eligible=False, ineligible_reason="Mầm non"
    )
    assessed = {unit.pk: assess(unit) for unit in [*areas, *others, agency, kindergarten]}
    assess(commune)
    assess(other_commune)
    results.score_chunk(campaign, [commune.pk, other_commune.pk])
    results.summarize_province(campaign)
    assert xa4_line(campaign, commune)["xa4"]["met"] is True  # 5/5 residential areas and the agency

    def forbidden(*args, **kwargs):
        raise AssertionError("the summary was recounted from scratch, not updated")

    def decide(unit: Unit) -> None:
        Assessment.objects.filter(pk=assessed[unit.pk].pk).update(status="not_recognized")

    def unregister(unit: Unit) -> None:
        Registration.objects.filter(campaign=campaign, unit=unit).delete()

    steps = [  # XA-4 of ``commune`` counts 7 units and needs 5 recognized
        (areas[0], lambda u: flip(assessed[u.pk], "not_met")),  # 6/7: met
        (areas[1], lambda u: flip(assessed[u.pk], "not_met")),  # 5/7: met, at the line
        (areas[3], lambda u: flip(assessed[u.pk], "not_met")),  # 4/7 < 70 %: the commune fails
        (others[0], lambda u: flip(assessed[u.pk], "not_met")),  # the other commune: 2/3 fails
        (areas[3], lambda u: flip(assessed[u.pk], "met")),  # back over the line
        (agency, decide),  # a decision: decided +1, no longer a forecast
        (areas[2], unregister),  # a registration gone: registered −1, KDC-1 not met
        (kindergarten, lambda u: flip(assessed[u.pk], "not_met")),
        (others[0], lambda u: flip(assessed[u.pk], "met")),
        (commune, lambda u: None),  # the commune itself, nothing changed
    ]
    crossed = []
    for unit, change in steps:
        change(unit)
        with monkeypatch.context() as patched:
            patched.setattr(results, "summarize_province", forbidden)
            results.rescore_unit(unit.pk, campaign.pk)
        updated = summary(campaign)
        crossed.append(xa4_line(campaign, commune)["xa4"])
        assert updated == from_scratch(campaign), f"after rescoring {unit.code}"
    assert [x["met"] for x in crossed[:5]] == [True, True, False, False, True], crossed
    kinds = summary(campaign)[0]["kinds"]
    assert kinds["agency"]["decided"] == 1
    assert kinds["residential_area"]["registered"] == 7
    assert kinds["residential_area"]["fail"] == 3  # areas[0], areas[1] and areas[2] (no registration)


def test_without_a_summary_yet_the_rescoring_computes_it_from_scratch(
    campaign, province, commune, areas, assess
):
    for unit in areas:
        assess(unit)
    results.rescore_unit(areas[0].pk, campaign.pk)
    stored = summary(campaign)
    assert stored == from_scratch(campaign)
    assert stored[0]["kinds"]["residential_area"]["pass"] == 1
