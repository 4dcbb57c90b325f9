"""The movement's demo data: models in every commune, the showcase commune's teams with last
year's rating decided and this year's in draft; running it twice adds nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from movement.models import MovementModel, TeamRatingRound
from tests.builders import make_areas, make_commune, make_province, make_user


@pytest.mark.django_db
def test_the_movement_demo_loads_and_can_run_twice():
    province = make_province("42")
    showcase = make_commune(province, "18823")
    make_commune(province, "18832")
    make_areas(showcase, 4)
    make_user("canbo.vungang", "officer", showcase)
    make_user("thamdinh.vungang", "appraiser", showcase)
    make_user("chutich.vungang", "approver", showcase)
    call_command("setup_movement_demo")
    assert MovementModel.objects.count() == 4  # one per commune, two more in the showcase
    rounds = dict(TeamRatingRound.objects.values_list("status", "number"))
    assert rounds == {TeamRatingRound.Status.DECIDED: 1, TeamRatingRound.Status.DRAFT: None}
    call_command("setup_movement_demo")
    assert MovementModel.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_the_movement_demo_on_the_real_demo_province(client):
    """What ``scripts/run`` loads: ``setup_demo``, then ``setup_movement_demo``."""
    from django.apps import apps

    from certification.models import Result
    from movement.data.catalogue import load_catalogue
    from units.models import Unit

    load_catalogue(apps)  # a transactional test before may have flushed migration 0002's rows
    call_command("setup_demo", stdout=io.StringIO())
    call_command("setup_movement_demo", stdout=io.StringIO())
    communes = Unit.objects.filter(kind=Unit.Kind.COMMUNE, parent__code="42", valid_to__isnull=True).count()
    assert MovementModel.objects.count() == communes + 2
    assert TeamRatingRound.objects.filter(status=TeamRatingRound.Status.DECIDED).count() == 1
    # The communes rated "chưa hiệu quả" this year: their XA-1 says why (where it was answered).
    flagged = Result.objects.filter(explanation__contains="chưa có mô hình được đánh giá hiệu quả trong năm")
    assert flagged.exists()
    client.force_login(get_user_model().objects.get(username="canbo.vungang"))
    page = client.get("/movement/").content.decode()
    assert "Camera an ninh khu dân cư" in page
