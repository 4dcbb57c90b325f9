"""The register of models: who may record and rate, what is audited, the fact XA-1/CQDN-1/CSGD-1
read (empty province → unknown), models following their unit across a merger, and the entry
page showing them."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from antt.errors import WorkflowError
from certification import extensions
from certification.audit import Action
from certification.models import AuditEvent
from movement.models import ModelRating, MovementModel
from movement.selectors.facts import effective_models
from movement.selectors.registry import visible_models
from movement.services.models import add_model_evidence, rate_model
from tests.builders import make_unit
from units.models import Unit, UnitChange

YEAR = 2026
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.django_db
def test_an_officer_records_a_model_of_their_commune_and_it_is_audited(add_model, commune, areas, officer):
    model = add_model(commune, covered=areas[:2], members=12)
    event = AuditEvent.objects.get(action=Action.MOVEMENT_MODEL, object_id=str(model.pk))
    assert event.actor == officer
    assert "Tổ tuần tra thôn" in event.new and areas[0].code in event.new


@pytest.mark.django_db
def test_a_colleague_cannot_record_a_model_of_another_commune(add_model, commune, colleague):
    with pytest.raises(WorkflowError):
        add_model(commune, by=colleague)
    assert not MovementModel.objects.exists()


@pytest.mark.django_db
def test_a_camera_model_needs_its_number_of_cameras(add_model, commune, camera):
    with pytest.raises(WorkflowError, match="camera"):
        add_model(commune, model_type=camera)
    assert add_model(commune, model_type=camera, cameras=24).cameras == 24


@pytest.mark.django_db
def test_covered_units_must_lie_in_the_keeping_unit(add_model, commune, other_area):
    with pytest.raises(WorkflowError):
        add_model(commune, covered=[other_area])


@pytest.mark.django_db
def test_rating_again_replaces_the_years_rating_and_records_before_and_after(add_model, commune, officer):
    model = add_model(commune)
    rate_model(by=officer, model=model, year=YEAR, effective=False, rater_title="Chủ tịch UBND xã")
    rate_model(by=officer, model=model, year=YEAR, effective=True, rater_title="Chủ tịch UBND xã")
    rating = ModelRating.objects.get(model=model, year=YEAR)
    assert rating.effective and rating.rated_by == officer
    last = AuditEvent.objects.filter(action=Action.MOVEMENT_RATING).order_by("pk").last()
    assert '"effective": "False"' in last.old and '"effective": "True"' in last.new


@pytest.mark.django_db
def test_a_model_that_had_not_started_cannot_be_rated_for_that_year(add_model, commune, officer):
    model = add_model(commune, started=datetime.date(2027, 3, 1))
    with pytest.raises(WorkflowError):
        rate_model(by=officer, model=model, year=YEAR, effective=True)


@pytest.mark.django_db
def test_evidence_is_checked_by_content(add_model, commune, officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    model = add_model(commune)
    with pytest.raises(WorkflowError):
        add_model_evidence(by=officer, model=model, file=SimpleUploadedFile("x.pdf", b"MZ not a pdf"))
    evidence = add_model_evidence(by=officer, model=model, file=SimpleUploadedFile("bien ban.pdf", PDF))
    assert evidence.content_type == "application/pdf" and model.evidence.count() == 1


# --- the fact the engine reads -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_province_without_any_model_gives_no_fact(commune, other_commune):
    """The register not used yet: the officer's answer decides, nothing is said of any commune."""
    assert extensions.model_facts([commune.pk, other_commune.pk], YEAR) == {
        commune.pk: None,
        other_commune.pk: None,
    }


@pytest.mark.django_db
def test_once_the_province_uses_the_register_each_commune_has_a_fact(
    add_model, commune, other_commune, areas, officer
):
    model = add_model(commune)
    assert effective_models([commune.pk, other_commune.pk], YEAR) == {
        commune.pk: False,
        other_commune.pk: False,
    }
    rate_model(by=officer, model=model, year=YEAR, effective=True)
    assert effective_models([commune.pk, other_commune.pk], YEAR) == {
        commune.pk: True,
        other_commune.pk: False,
    }
    assert effective_models([commune.pk], YEAR - 1) == {commune.pk: False}  # another year's rating
    assert effective_models([areas[0].pk], YEAR) == {}  # residential areas have no such criterion


@pytest.mark.django_db
def test_an_agency_counts_its_own_models(add_model, commune, officer):
    agency = make_unit("18823-CQ1", "UBND xã", Unit.Kind.AGENCY, commune)
    rate_model(by=officer, model=add_model(agency), year=YEAR, effective=True)
    assert effective_models([agency.pk], YEAR) == {agency.pk: True}


@pytest.mark.django_db
def test_a_model_follows_its_commune_into_the_merged_one(add_model, province, commune, officer, make_user):
    merged = make_unit("99999", "Kỳ Anh mới", Unit.Kind.COMMUNE, province, label="Phường")
    model = add_model(commune)
    rate_model(by=officer, model=model, year=YEAR, effective=True)
    commune.valid_to = datetime.date(2025, 6, 30)
    commune.save()
    UnitChange.objects.create(predecessor=commune, successor=merged, effective_on=datetime.date(2025, 7, 1))
    new_officer = make_user("new_officer", "officer", merged)
    assert list(visible_models(new_officer)) == [model]
    assert effective_models([merged.pk], YEAR) == {merged.pk: True}


@pytest.mark.django_db
def test_officers_see_only_their_own_communes_models(add_model, commune, officer, colleague, outsider):
    model = add_model(commune)
    assert list(visible_models(officer)) == [model]
    assert not visible_models(colleague).exists()
    assert not visible_models(outsider).exists()


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recording_a_model_from_the_page(client, officer, commune, areas, patrol):
    client.force_login(officer)
    response = client.post(
        reverse("movement:model-create"),
        {
            "unit": commune.pk,
            "name": "Tổ tuần tra nhân dân thôn 1",
            "model_type": patrol.pk,
            "covered": [areas[0].pk],
            "started_on": "15/01/2026",
            "members": "12",
        },
    )
    model = MovementModel.objects.get()
    assert response.status_code == 302 and response["Location"] == model.get_absolute_url()
    assert model.members == 12 and list(model.covered.all()) == [areas[0]]


@pytest.mark.django_db
def test_a_bad_form_changes_nothing_and_says_why(client, officer, commune, camera):
    client.force_login(officer)
    response = client.post(
        reverse("movement:model-create"),
        {"unit": commune.pk, "name": "Camera", "model_type": camera.pk, "started_on": "15/01/2026"},
    )
    assert response.status_code == 200
    assert "camera" in response.content.decode()
    assert not MovementModel.objects.exists()


@pytest.mark.django_db
def test_the_entry_page_of_xa1_shows_the_communes_models(client, officer, commune, add_model):
    from django.apps import apps

    from certification.data.tt124 import load_tt124_sets
    from certification.services.campaigns import open_campaign
    from certification.services.entry import start_assessment

    load_tt124_sets(apps)
    campaign = open_campaign(year=datetime.date.today().year, province=commune.parent)
    add_model(commune, name="Hòm thư tố giác tội phạm xã")
    assessment = start_assessment(campaign=campaign, unit=commune, by=officer)
    client.force_login(officer)
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert page.count("data-movement-panel") == 1  # beside XA-1 only
    assert "Hòm thư tố giác tội phạm xã" in page


@pytest.mark.django_db
def test_the_superuser_sees_every_model(add_model, commune, superuser):
    model = add_model(commune)
    assert list(visible_models(superuser)) == [model]


@pytest.mark.django_db
def test_the_register_is_in_use_per_kind_of_unit(add_model, commune, officer):
    """Communes' models recorded: communes get a fact, the enterprises of the province not yet."""
    enterprise = make_unit("18823-DN1", "Công ty Hải Phát", Unit.Kind.ENTERPRISE, commune)
    add_model(commune)
    assert effective_models([commune.pk, enterprise.pk], YEAR) == {commune.pk: False}


@pytest.mark.django_db
def test_a_province_administrator_adds_a_type_of_their_province_only(client, province, make_user, commune):
    from django.contrib.auth.models import Permission

    from movement.models import ModelType
    from movement.selectors.registry import types_for

    admin_user = make_user("tinh_admin", "admin", province, is_staff=True)
    admin_user.user_permissions.set(Permission.objects.filter(codename__endswith="_modeltype"))
    client.force_login(admin_user)
    url = reverse("admin:movement_modeltype_add")
    response = client.post(url, {"code": "doi-tu-quan", "name": "Đội tự quản an ninh", "province": ""})
    assert response.status_code == 200 and not ModelType.objects.filter(code="doi-tu-quan").exists()
    client.post(url, {"code": "doi-tu-quan", "name": "Đội tự quản an ninh", "province": province.pk})
    added = ModelType.objects.get(code="doi-tu-quan")
    assert added.province == province and added in types_for(commune)


@pytest.mark.django_db
def test_changing_a_model_records_before_and_after(add_model, commune, areas, officer, colleague):
    from movement.services.models import change_model

    model = add_model(commune, members=10)
    with pytest.raises(WorkflowError):
        change_model(by=colleague, model=model, members=99)
    change_model(by=officer, model=model, members=14, covered=[areas[1]])
    model.refresh_from_db()
    assert model.members == 14 and list(model.covered.all()) == [areas[1]]
    last = AuditEvent.objects.filter(action=Action.MOVEMENT_MODEL).order_by("pk").last()
    assert '"members": "10"' in last.old and '"members": "14"' in last.new and areas[1].code in last.new
