"""XA-1 read against the register of models (certification.extensions, filled by movement): the
explanation the appraiser sees, and the rescore when a model is rated."""

import datetime

import pytest
from django.apps import apps

from certification.models import Result
from certification.scoring.results import rescore_unit
from certification.selectors import reasons
from movement.data.catalogue import load_catalogue
from movement.models import ModelType
from movement.services.models import rate_model, record_model

YEAR = 2025  # the scoring fixtures' campaign
SENTENCE = "chưa có mô hình được đánh giá hiệu quả trong năm"


@pytest.mark.django_db
def test_xa1_ticked_without_an_effective_model_is_explained_and_repaired_by_a_rating(
    campaign, commune, other_commune, assess, officer, django_capture_on_commit_callbacks
):
    assessment = assess(commune)
    assess(other_commune)
    load_catalogue(apps)
    patrol = ModelType.objects.get(province=None, code="to-tuan-tra")
    model = record_model(
        by=officer, unit=commune, name="Tổ tuần tra", model_type=patrol, started_on=datetime.date(2024, 5, 1)
    )
    rescore_unit(commune.pk, campaign.pk)
    rescore_unit(other_commune.pk, campaign.pk)
    result = Result.objects.get(campaign=campaign, unit=commune)
    assert "XA-1" in result.unmet_codes and f"XA-1: {SENTENCE}" in result.explanation
    # The appraiser's reading: XA-1 stands in the way, with the engine's reason under it.
    found = reasons.for_assessment(assessment)
    assert [i.why for i in found.not_met if i.code == "XA-1"] == [[SENTENCE]]
    # The other commune keeps no model either: the province uses the register, so it is said too.
    assert SENTENCE in Result.objects.get(campaign=campaign, unit=other_commune).explanation

    with django_capture_on_commit_callbacks(execute=True):
        rate_model(by=officer, model=model, year=YEAR, effective=True, rater_title="Chủ tịch UBND xã")
    result = Result.objects.get(campaign=campaign, unit=commune)
    assert "XA-1" not in result.unmet_codes and SENTENCE not in result.explanation


@pytest.mark.django_db
def test_a_province_that_never_used_the_register_scores_as_before(campaign, commune, assess):
    assess(commune)
    rescore_unit(commune.pk, campaign.pk)
    result = Result.objects.get(campaign=campaign, unit=commune)
    assert "XA-1" not in result.unmet_codes and SENTENCE not in result.explanation
