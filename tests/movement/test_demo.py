"""The movement's demo data: models in every commune, the showcase commune's teams with last
year's rating decided and this year's in draft; running it twice adds nothing."""

import pytest
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
