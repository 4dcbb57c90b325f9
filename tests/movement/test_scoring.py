"""The register's fact reaches every scoring path: the set-based statement does not read the
register, so the institutions it knows a fact for are scored by the engine, and a whole chunk
scored set-based writes the engine's rows (CQDN-1 without an effective model is not met)."""

import datetime

import pytest
from django.db.models import Q

from certification import extensions
from certification.models import Answer, Assessment, Criterion, Result
from certification.models.criteria import UnitKind
from certification.scoring import results
from movement.services.models import rate_model
from tests.builders import RESULT_COLUMNS, make_campaign, make_set, make_unit
from units.models import Unit

YEAR = 2026
FIELDS = ("unit_id", *RESULT_COLUMNS, "input_hash")


def _rows(campaign) -> list[tuple]:
    return list(
        Result.objects.filter(campaign=campaign, unit__kind=Unit.Kind.AGENCY)
        .order_by("unit_id")
        .values_list(*FIELDS)
    )


@pytest.mark.django_db
def test_a_chunk_scored_set_based_reads_the_register_as_the_engine_does(add_model, commune, officer):
    criteria_set = make_set(
        UnitKind.AGENCY_ENTERPRISE,
        "cqdn-models",
        [
            ("CQDN-1", Criterion.AnswerType.BOOLEAN, False, None),
            ("CQDN-2", Criterion.AnswerType.BOOLEAN, False, None),
        ],
    )
    campaign = make_campaign(commune.parent, YEAR, [criteria_set], entry_end=datetime.date(YEAR, 11, 30))
    rated, unrated = (
        make_unit(f"{commune.code}-CQ{i}", name, Unit.Kind.AGENCY, commune)
        for i, name in enumerate(("Trường Tiểu học Kỳ Hà", "UBND xã Kỳ Hà"))
    )
    rate_model(by=officer, model=add_model(rated), year=YEAR, effective=True)
    add_model(unrated)  # recorded, not rated this year: the register is in use for agencies
    for unit in (rated, unrated):
        assessment = Assessment.objects.create(
            campaign=campaign, unit=unit, criteria_set=criteria_set, status="submitted"
        )
        Answer.objects.bulk_create(
            Answer(assessment=assessment, criterion=c, value="met") for c in criteria_set.criteria.all()
        )

    scope = results.campaign_scope(campaign, Unit.MANAGED_KINDS) & Q(parent=commune)
    results.score_leaves(campaign, scope)
    set_based = _rows(campaign)
    outcome = dict(Result.objects.filter(campaign=campaign).values_list("unit_id", "explanation"))
    assert "CQDN-1: chưa có mô hình được đánh giá hiệu quả trong năm" in outcome[unrated.pk]
    assert "mô hình" not in outcome[rated.pk]

    Result.objects.filter(campaign=campaign).delete()
    results.score_leaves(campaign, scope, set_based=False)
    assert _rows(campaign) == set_based


@pytest.mark.django_db
def test_the_register_is_asked_about_units_only_once_it_is_in_use(
    add_model, commune, django_assert_max_num_queries
):
    """No model recorded anywhere: the scoring learns it from one question and reads no unit to
    ask about (a national run asked about every institution of every chunk to be told "none");
    the first model recorded puts the register in use."""
    campaign = make_campaign(commune.parent, YEAR, [], entry_end=datetime.date(YEAR, 11, 30))
    make_unit(f"{commune.code}-CQ9", "UBND xã Kỳ Hà", Unit.Kind.AGENCY, commune)
    scope = results.campaign_scope(campaign, Unit.MANAGED_KINDS) & Q(parent=commune)
    assert not extensions.model_facts_in_use(YEAR)
    with django_assert_max_num_queries(1):
        assert results._units_with_model_facts(campaign, scope) == []
    add_model(commune)
    assert extensions.model_facts_in_use(YEAR)
