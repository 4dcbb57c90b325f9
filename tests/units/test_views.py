import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.builders import make_legacy_district, make_unit
from tests.units.conftest import xlsx
from units.exchange.imports import COLUMNS
from units.models import RoleAssignment, Unit, UnitChange

Role = RoleAssignment.Role


def upload(client, rows, name="don-vi.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = xlsx(rows)
    return client.post(reverse("units:import-upload"), {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def ky_long(commune):
    return make_unit("18823-T07", "Thôn Kỳ Long", Unit.Kind.RESIDENTIAL_AREA, commune, label="Thôn")


@pytest.fixture
def small_enterprise(commune):
    size = Unit.EnterpriseSize.SMALL
    return make_unit(
        "18823-DN1", "Công ty TNHH Hải Phát", Unit.Kind.ENTERPRISE, commune, enterprise_size=size
    )


# Browsing --------------------------------------------------------------------------------


def test_the_list_needs_a_login(client, db):
    response = client.get(reverse("units:unit-list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_list_shows_the_insider_only_the_own_subtree(login, officer, areas, other_area):
    response = login(officer).get(reverse("units:unit-list"))
    assert response.status_code == 200
    listed = {u.pk for u in response.context["page_obj"].object_list}
    assert {a.pk for a in areas} <= listed
    assert other_area.pk not in listed
    assert other_area.name not in response.content.decode()


def test_a_colleague_and_an_outsider_never_see_the_communes_units(
    login, colleague, outsider, areas, other_area
):
    for user in (colleague, outsider):
        body = login(user).get(reverse("units:unit-list")).content.decode()
        assert "18823-TDP01" not in body
    assert "18832-T01" in login(colleague).get(reverse("units:unit-list")).content.decode()


def test_searching_without_diacritics_finds_the_unit(login, officer, ky_long, areas):
    response = login(officer).get(reverse("units:unit-list"), {"q": "ky long"})
    assert [u.pk for u in response.context["page_obj"].object_list] == [ky_long.pk]
    response = login(officer).get(reverse("units:unit-list"), {"q": "18823-T07"})
    assert [u.pk for u in response.context["page_obj"].object_list] == [ky_long.pk]


def test_the_list_filters_by_kind_eligibility_and_commune(
    login, province_viewer, areas, other_area, small_enterprise, commune, other_commune
):
    client = login(province_viewer)

    def objects(**q):
        return {u.pk for u in client.get(reverse("units:unit-list"), q).context["page_obj"].object_list}

    assert objects(kind="enterprise") == {small_enterprise.pk}
    assert objects(is_eligible="false") == {small_enterprise.pk}
    assert objects(commune=other_commune.pk) == {other_commune.pk, other_area.pk}
    assert objects(kind="residential_area", o="-households")
    ordered = [
        u.pk
        for u in client.get(
            reverse("units:unit-list"),
            {"kind": "residential_area", "o": "-households", "commune": commune.pk},
        )
        .context["page_obj"]
        .object_list
    ]
    assert ordered == [a.pk for a in reversed(areas)]


def test_a_commune_outside_the_scope_cannot_be_used_as_a_filter(login, colleague, commune, areas):
    response = login(colleague).get(reverse("units:unit-list"), {"commune": commune.pk})
    assert not response.context["page_obj"].object_list
    response = login(colleague).get(reverse("units:unit-list"), {"within": commune.pk})
    assert not response.context["page_obj"].object_list


def test_in_a_scope_too_large_for_a_drop_down_the_commune_filter_takes_a_code(
    login, province_viewer, colleague, commune, other_commune, areas, other_area, monkeypatch
):
    from units import filters

    monkeypatch.setattr(filters, "COMMUNE_SELECT_LIMIT", 1)  # instead of 300 communes
    client = login(province_viewer)
    page = client.get(reverse("units:unit-list"))
    html = page.content.decode()
    assert '<select name="commune"' not in html  # no list of every commune in each page
    assert 'type="text" name="commune"' in html and 'placeholder="Mã xã, ví dụ 18823"' in html

    found = client.get(reverse("units:unit-list"), {"commune": f" {other_commune.code} "})
    assert {u.pk for u in found.context["page_obj"].object_list} == {other_commune.pk, other_area.pk}
    typed = client.get(reverse("units:unit-list"), {"commune": other_commune.code}).content.decode()
    assert f'value="{other_commune.code}"' in typed  # the box keeps what was typed

    unknown = client.get(reverse("units:unit-list"), {"commune": "99999"})
    assert unknown.status_code == 200
    assert "Không có xã nào có mã “99999” trong phạm vi của bạn." in unknown.content.decode()
    assert not unknown.context["page_obj"].object_list


def test_former_units_are_hidden_unless_asked_for(login, province_viewer, commune, areas):
    old = areas[0]
    Unit.objects.filter(pk=old.pk).update(valid_to="2025-07-01")
    client = login(province_viewer)
    current = {u.pk for u in client.get(reverse("units:unit-list")).context["page_obj"].object_list}
    former = {
        u.pk
        for u in client.get(reverse("units:unit-list"), {"status": "former"}).context["page_obj"].object_list
    }
    assert old.pk not in current and former == {old.pk}


def test_the_list_is_paginated(login, officer, commune):
    Unit.objects.bulk_create(
        [
            Unit(
                code=f"P{i}",
                name=f"Thôn {i}",
                kind=Unit.Kind.RESIDENTIAL_AREA,
                parent=commune,
                path=f"{commune.path}x{i}/",
            )
            for i in range(60)
        ]
    )
    response = login(officer).get(reverse("units:unit-list"), {"page": 2})
    assert response.context["page_obj"].number == 2
    assert len(response.context["page_obj"].object_list) == 61 - 50


def test_the_unit_page_shows_the_insider_its_details_children_and_authority(
    login, officer, commune, areas, province
):
    response = login(officer).get(commune.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tổ dân phố 1" in body
    assert response.context["authority"].authority == province
    assert login(officer).get(areas[0].get_absolute_url()).context["authority"].authority == commune


def test_the_unit_page_is_404_for_a_colleague_and_an_outsider(login, colleague, outsider, area):
    for user in (colleague, outsider):
        assert login(user).get(area.get_absolute_url()).status_code == 404
    assert login(colleague).get(reverse("units:unit-detail", args=[999999])).status_code == 404


def test_an_ineligible_unit_shows_its_reason(login, officer, small_enterprise):
    from django.utils import translation

    client = login(officer)
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        body = client.get(small_enterprise.get_absolute_url()).content.decode()
    assert response_has_reason(body)


def response_has_reason(body: str) -> bool:
    return "Art. 1(2)(b)" in body or "Điều 1" in body


def test_the_unit_page_shows_where_it_came_from(login, province_viewer, commune):
    _legacy_province, district = make_legacy_district()
    ky_long = make_unit(
        "L-18835", "Kỳ Long", Unit.Kind.COMMUNE, district, label="Phường", valid_to="2025-07-01"
    )
    UnitChange.objects.create(predecessor=ky_long, successor=commune, effective_on="2025-07-01")
    area = make_unit("18823-A", "Tổ dân phố 9", Unit.Kind.RESIDENTIAL_AREA, commune, label="Tổ dân phố")
    body = login(province_viewer).get(commune.get_absolute_url()).content.decode()
    assert "Phường Kỳ Long" in body and "Thị xã Kỳ Anh" in body
    # The legacy unit is outside the viewer's scope: named, never linked.
    assert ky_long.get_absolute_url() not in body
    body = login(province_viewer).get(area.get_absolute_url()).content.decode()
    assert "Phường Kỳ Long" in body  # the commune it belongs to was formed from Kỳ Long


# Import ----------------------------------------------------------------------------------

GOOD_ROWS = [
    ["18823-T01", "Thôn Đông Hải", "Thôn", "18823", 120, None, None, None, None],
    ["18823-GD1", "Trường THCS Kỳ Long", "Cơ sở giáo dục", "18823", None, None, "THCS", None, None],
]


def test_upload_preview_confirm_writes_the_units(login, commune_admin, commune, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(commune_admin)
    assert client.get(reverse("units:import-upload")).status_code == 200
    response = upload(client, GOOD_ROWS)
    assert response.status_code == 200
    plan, token = response.context["plan"], response.context["token"]
    assert plan.ok and len(plan.creates) == 2 and token
    assert not Unit.objects.filter(code="18823-T01").exists()  # the preview writes nothing
    stored = json.loads((tmp_path / "imports" / f"{token}.json").read_text())
    assert stored["user"] == commune_admin.pk
    response = client.post(reverse("units:import-confirm"), {"token": token})
    assert response.status_code == 302
    assert Unit.objects.get(code="18823-T01").parent == commune
    assert not (tmp_path / "imports" / f"{token}.json").exists()
    # The same token cannot be used twice.
    assert client.post(reverse("units:import-confirm"), {"token": token}).status_code == 404


def test_a_bad_file_shows_every_bad_row_and_offers_no_confirmation(
    login, commune_admin, commune, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    rows = [
        *GOOD_ROWS,
        ["18823-X", "", "Thôn", "18823", None, None, None, None, None],
        ["18823-Y", "Y", "Xóm", "18823"],
    ]
    response = upload(login(commune_admin), rows)
    assert response.context["plan"].error_rows() == [4, 5]
    assert response.context["token"] == ""
    assert b"import/confirm" not in response.content
    assert not Unit.objects.filter(code__startswith="18823-").exists()


def test_an_unreadable_upload_is_answered_with_a_form_error(login, commune_admin, commune):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(commune_admin).post(
        reverse("units:import-upload"), {"file": SimpleUploadedFile("a.xlsx", b"junk")}
    )
    assert response.status_code == 200 and response.context["form"].errors


def test_the_confirmation_is_rechecked_and_bound_to_the_uploader(
    login, commune_admin, make_user, commune, other_commune, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    token = upload(login(commune_admin), GOOD_ROWS).context["token"]
    other_admin = make_user("other_admin", Role.ADMIN, commune)
    assert login(other_admin).post(reverse("units:import-confirm"), {"token": token}).status_code == 404
    assert (
        login(other_admin).post(reverse("units:import-confirm"), {"token": "../../etc/passwd"}).status_code
        == 404
    )
    # Before confirming, the uploader is moved to another commune: the rows are out of scope now.
    RoleAssignment.objects.filter(user=commune_admin).update(unit=other_commune)
    response = login(commune_admin).post(reverse("units:import-confirm"), {"token": token})
    assert response.status_code == 200
    assert response.context["plan"].error_rows() == [2, 3]
    assert not Unit.objects.filter(code="18823-T01").exists()
    # Without any administrator role the confirmation is refused outright.
    RoleAssignment.objects.filter(user=commune_admin).update(role=Role.VIEWER)
    assert login(commune_admin).post(reverse("units:import-confirm"), {"token": token}).status_code == 403


def test_an_outsider_administrator_cannot_import_into_the_commune(
    login, outsider_admin, commune, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    response = upload(login(outsider_admin), GOOD_ROWS)
    assert response.context["plan"].error_rows() == [2, 3]
    assert not Unit.objects.filter(code="18823-T01").exists()


def test_import_pages_are_403_for_users_who_administer_nothing(login, officer, colleague, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for user in (officer, colleague):
        client = login(user)
        assert client.get(reverse("units:import-upload")).status_code == 403
        assert client.get(reverse("units:import-template")).status_code == 403
        assert client.post(reverse("units:import-confirm"), {"token": "x" * 32}).status_code == 403


def test_the_template_download_is_the_contract_workbook(login, commune_admin):
    response = login(commune_admin).get(reverse("units:import-template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook["Đơn vị"][1]] == COLUMNS


# Users and roles -------------------------------------------------------------------------


def test_an_administrator_lists_the_users_of_the_own_subtree_only(
    login, commune_admin, officer, colleague, province_approver
):
    response = login(commune_admin).get(reverse("units:user-list"))
    assert response.status_code == 200
    names = {target.username for target, _roles in response.context["page_obj"].object_list}
    assert "officer" in names
    assert "colleague" not in names and "province_approver" not in names


def test_user_pages_are_403_for_non_administrators(login, officer, colleague):
    for user in (officer, colleague):
        client = login(user)
        assert client.get(reverse("units:user-list")).status_code == 403
        assert client.get(reverse("units:user-create")).status_code == 403
        assert client.get(reverse("units:user-detail", args=[user.pk])).status_code == 403


def test_an_administrator_creates_a_user_with_a_role_below(login, commune_admin, commune):
    client = login(commune_admin)
    data = {
        "username": "canbo2",
        "last_name": "Nguyễn Văn",
        "first_name": "An",
        "unit": commune.pk,
        "role": Role.OFFICER,
        "title": "Công an phường",
    }
    response = client.post(reverse("units:user-create"), data)
    assert response.status_code == 200  # the one-time link to hand over, shown once
    assert "/password-reset/" in response.content.decode()
    assignment = RoleAssignment.objects.get(user__username="canbo2")
    assert (assignment.unit, assignment.role, assignment.title) == (commune, Role.OFFICER, "Công an phường")
    assert not assignment.user.has_usable_password()  # the administrator never knows it


def test_an_administrator_cannot_create_a_peer_or_a_role_outside(
    login, commune_admin, commune, other_commune
):
    client = login(commune_admin)
    base = {"username": "x1", "role": Role.ADMIN, "unit": commune.pk}
    response = client.post(reverse("units:user-create"), base)
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        reverse("units:user-create"), {**base, "role": Role.OFFICER, "unit": other_commune.pk}
    )
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not RoleAssignment.objects.filter(user__username="x1").exists()


def test_a_province_administrator_may_create_a_commune_administrator(login, province_admin, commune):
    response = login(province_admin).post(
        reverse("units:user-create"),
        {"username": "adm2", "role": Role.ADMIN, "unit": commune.pk},
    )
    assert response.status_code == 200
    assert RoleAssignment.objects.filter(user__username="adm2", unit=commune, role=Role.ADMIN).exists()


def test_user_detail_and_role_changes_are_404_for_an_outsider_administrator(
    login, outsider_admin, officer, commune
):
    client = login(outsider_admin)
    assert client.get(reverse("units:user-detail", args=[officer.pk])).status_code == 404
    assignment = officer.roles.get()
    assert client.get(reverse("units:role-remove", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("units:role-remove", args=[assignment.pk])).status_code == 404
    other = outsider_admin.roles.get().unit
    assert (
        client.post(
            reverse("units:role-add", args=[officer.pk]), {"unit": other.pk, "role": Role.VIEWER}
        ).status_code
        == 404
    )
    assert officer.roles.count() == 1


def test_the_insider_administrator_adds_and_removes_a_role(login, commune_admin, officer, commune, areas):
    client = login(commune_admin)
    response = client.get(reverse("units:user-detail", args=[officer.pk]))
    assert response.status_code == 200
    response = client.post(
        reverse("units:role-add", args=[officer.pk]),
        {"unit": commune.pk, "role": Role.VIEWER, "title": "Trưởng công an"},
    )
    assert response.status_code == 302
    added = RoleAssignment.objects.get(user=officer, role=Role.VIEWER)
    assert client.get(reverse("units:role-remove", args=[added.pk])).status_code == 200
    assert client.post(reverse("units:role-remove", args=[added.pk])).status_code == 302
    assert not RoleAssignment.objects.filter(pk=added.pk).exists()


def test_a_colleague_cannot_remove_a_role_of_the_commune_and_an_officer_gets_403(
    login, colleague, officer, appraiser
):
    assignment = appraiser.roles.get()
    assert login(colleague).post(reverse("units:role-remove", args=[assignment.pk])).status_code == 404
    assert login(officer).post(reverse("units:role-remove", args=[assignment.pk])).status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_an_administrator_cannot_remove_the_own_or_a_peer_admin_role(
    login, commune_admin, make_user, commune
):
    peer = make_user("peer", Role.ADMIN, commune)
    client = login(commune_admin)
    for assignment in (commune_admin.roles.get(), peer.roles.get()):
        assert client.post(reverse("units:role-remove", args=[assignment.pk])).status_code == 403
    assert RoleAssignment.objects.filter(role=Role.ADMIN, unit=commune).count() == 2


def test_role_changes_are_audited(login, commune_admin, officer, commune):
    from certification.models import AuditEvent

    login(commune_admin).post(
        reverse("units:role-add", args=[officer.pk]), {"unit": commune.pk, "role": Role.VIEWER}
    )
    event = AuditEvent.objects.get(action="grant_role")
    assert event.actor == commune_admin and event.new == f"viewer@{commune.code}"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("units:unit-list", []),
        ("units:unit-detail", [1]),
        ("units:import-upload", []),
        ("units:import-template", []),
        ("units:import-confirm", []),
        ("units:user-list", []),
        ("units:user-create", []),
        ("units:user-detail", [1]),
        ("units:role-add", [1]),
        ("units:role-remove", [1]),
    ],
)
def test_every_page_needs_a_login(client, db, name, args):
    response = (
        client.post(reverse(name, args=args))
        if "confirm" in name or "add" in name
        else client.get(reverse(name, args=args))
    )
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_colleague_cannot_add_roles(login, colleague, officer, commune):
    response = login(colleague).post(
        reverse("units:role-add", args=[officer.pk]), {"unit": commune.pk, "role": Role.VIEWER}
    )
    assert response.status_code == 403
    assert officer.roles.count() == 1
