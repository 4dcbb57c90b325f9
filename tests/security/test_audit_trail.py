"""The audit trail cannot be changed or deleted through the application.

Covered elsewhere, not repeated here: ``save()``/``delete()`` of one event refuse and a raw SQL
UPDATE or DELETE is reported by ``manage.py verify_audit``
(tests/certification/workflow/test_audit.py); the admin lists events read-only
(tests/certification/workflow/test_admin.py). This file closes the bulk paths and the cascades.
"""

import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import ProtectedError
from django.urls import reverse

from certification import audit
from certification.models import AuditEvent
from tests.builders import KDC, XA, make_campaign, make_set
from units.exchange.imports import CODE, COLUMNS, HOUSEHOLDS, KIND, MANAGER, NAME, RawRow, run_import
from units.models import Unit


def trail() -> list[tuple]:
    return list(AuditEvent.objects.order_by("id").values_list("id", "action", "old", "new", "hash"))


@pytest.mark.django_db
def test_bulk_update_delete_and_bulk_update_of_events_are_refused_and_change_nothing(small_world):
    before = trail()
    assert len(before) >= 2
    events = AuditEvent.objects.all()
    with pytest.raises(RuntimeError):
        events.update(new="đã sửa")
    with pytest.raises(RuntimeError):
        events.filter(pk=before[0][0]).delete()
    first = events.first()
    first.new = "đã sửa"
    with pytest.raises(RuntimeError):
        AuditEvent.objects.bulk_update([first], ["new"])
    assert trail() == before
    assert audit.verify_chain() == (True, None)


@pytest.mark.django_db
def test_deleting_an_audited_assessment_or_user_is_refused_so_no_event_disappears_by_cascade(small_world):
    before = trail()
    side = small_world.sides["in"]
    with pytest.raises(ProtectedError):
        side.draft.delete()
    with pytest.raises(ProtectedError):
        get_user_model().objects.filter(pk=side.member.pk).delete()
    assert trail() == before


@pytest.mark.django_db
def test_even_a_superuser_cannot_change_or_delete_an_event_in_the_admin(small_world, admin_client):
    event = AuditEvent.objects.first()
    change = admin_client.post(
        reverse("admin:certification_auditevent_change", args=[event.pk]), {"new": "đã sửa"}
    )
    delete = admin_client.post(
        reverse("admin:certification_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:certification_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert change.status_code == 403 and delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, new=event.new).exists()
    assert audit.verify_chain() == (True, None)


# Everything audited (issue 19, class 5): imports, the admin and the commands that write --------


def events(action: str, obj=None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action).order_by("id")
    if obj is not None:
        found = found.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(found)


def before_after(event: AuditEvent) -> tuple[dict, dict]:
    return json.loads(event.old or "{}"), json.loads(event.new or "{}")


def import_row(number: int, code: str, name: str, manager: str, households: str = "") -> RawRow:
    values = dict.fromkeys(COLUMNS, "")
    values.update({CODE: code, NAME: name, KIND: "Tổ dân phố", MANAGER: manager, HOUSEHOLDS: households})
    return RawRow(number=number, values=values)


@pytest.mark.django_db
def test_a_unit_import_leaves_who_and_before_after_for_each_rename_move_and_household_change(
    province_admin, commune, other_commune, areas
):
    renamed, moved, recounted, untouched = areas[:4]
    rows = [
        import_row(2, renamed.code, "Tổ dân phố Hải Đông", commune.code, "101"),
        import_row(3, moved.code, "Tổ dân phố 2", other_commune.code, "102"),
        import_row(4, recounted.code, "Tổ dân phố 3", commune.code, "250"),
        import_row(5, untouched.code, "Tổ dân phố 4", commune.code, "104"),
        import_row(6, "18823-MOI", "Tổ dân phố Mới", commune.code, "80"),
    ]
    plan = run_import(rows, user=province_admin)
    assert plan.ok and plan.committed

    (event,) = events("unit_changed", renamed)
    assert event.actor == province_admin
    assert before_after(event) == ({"name": "Tổ dân phố 1"}, {"name": "Tổ dân phố Hải Đông"})
    (event,) = events("unit_changed", moved)
    assert before_after(event) == ({"parent": commune.code}, {"parent": other_commune.code})
    (event,) = events("unit_changed", recounted)
    assert before_after(event) == ({"household_count": "103"}, {"household_count": "250"})
    assert events("unit_changed", untouched) == []
    (created,) = events("unit_created")
    assert created.object_repr == "Tổ dân phố Mới" and created.actor == province_admin
    assert before_after(created)[1]["parent"] == commune.code
    assert audit.verify_chain() == (True, None)


@pytest.mark.django_db
def test_a_refused_or_dry_run_import_leaves_no_event(province_admin, commune, areas):
    rows = [import_row(2, areas[0].code, "Tổ dân phố Hải Đông", commune.code, "101")]
    run_import(rows, user=province_admin, commit=False)
    run_import([*rows, import_row(3, "", "Không mã", commune.code)], user=province_admin)
    assert events("unit_changed") == [] and events("unit_created") == []


def admin_form_data(response) -> dict:
    """What the admin change page would post back unchanged: the main form and its inlines."""
    data = {}

    def put(form) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            data[key] = (
                "on" if value is True else ([str(v) for v in value] if isinstance(value, list) else value)
            )

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        put(inline.formset.management_form)
        for form in inline.formset.forms:
            put(form)
    return data


@pytest.mark.django_db
def test_a_unit_changed_in_the_admin_is_audited_with_before_and_after(
    client, superuser, areas, other_commune
):
    unit = areas[0]
    client.force_login(superuser)
    page = reverse("admin:units_unit_change", args=[unit.pk])
    data = admin_form_data(client.get(page))
    data.update(household_count="321", parent=str(other_commune.pk))
    assert client.post(page, data).status_code == 302
    (event,) = events("unit_changed", unit)
    assert event.actor == superuser
    assert before_after(event) == (
        {"parent": "18823", "household_count": "101"},
        {"parent": "18832", "household_count": "321"},
    )


@pytest.mark.django_db
def test_a_campaign_changed_and_a_group_added_in_the_admin_are_audited(client, superuser, province):
    kdc, xa = make_set("residential_area", "KDC", KDC), make_set("commune", "XA", XA)
    campaign = make_campaign(province, 2026, [kdc], entry_end=datetime.date(2026, 10, 31))
    client.force_login(superuser)
    page = reverse("admin:certification_campaign_change", args=[campaign.pk])
    data = admin_form_data(client.get(page))
    data.update(name="Đợt xét năm 2026", registration_deadline="2026-04-30", criteria_sets=[kdc.pk, xa.pk])
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    fields, sets = events("record_changed", campaign)
    assert fields.actor == superuser == sets.actor
    old, new = before_after(fields)
    assert new == {"name": "Đợt xét năm 2026", "registration_deadline": "2026-04-30"}
    assert old["name"] == "" and old["registration_deadline"] != "2026-04-30"
    assert before_after(sets) == ({"criteria_sets": f"{kdc.pk}"}, {"criteria_sets": f"{kdc.pk},{xa.pk}"})

    client.post(reverse("admin:auth_group_add"), {"name": "Kiểm tra"})
    (added,) = events("record_added")
    assert added.object_repr == "Kiểm tra" and added.actor == superuser
    assert audit.verify_chain() == (True, None)


@pytest.mark.django_db
def test_the_import_command_is_audited_as_the_named_user_or_as_the_system(
    tmp_path, province_admin, commune, areas
):
    path = tmp_path / "don-vi.csv"

    def write(name: str) -> None:
        lines = [",".join(COLUMNS), f"{areas[0].code},{name},Tổ dân phố,{commune.code},101,,,,"]
        path.write_text("\n".join(lines), encoding="utf-8")

    write("Tổ dân phố Bến Đò")
    call_command("import_units", str(path), "--user", province_admin.username, stdout=io.StringIO())
    write("Tổ dân phố Bến Đò Mới")
    call_command("import_units", str(path), stdout=io.StringIO())
    named, system = events("unit_changed", areas[0])
    assert named.actor == province_admin and before_after(named)[1] == {"name": "Tổ dân phố Bến Đò"}
    assert system.actor is None and before_after(system) == (
        {"name": "Tổ dân phố Bến Đò"},
        {"name": "Tổ dân phố Bến Đò Mới"},
    )
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit chain intact" in out.getvalue()


@pytest.mark.django_db
def test_loading_the_divisions_is_audited_as_the_operator(make_user):
    operator = make_user("van-hanh")
    call_command("load_divisions", "--province", "42", "--by", "van-hanh", stdout=io.StringIO())
    created = events("unit_created")
    assert len(created) == Unit.objects.count() > 50
    assert {event.actor for event in created} == {operator}
    call_command("load_divisions", "--province", "42", stdout=io.StringIO())  # nothing changed
    assert len(events("unit_created")) == len(created) and events("unit_changed") == []


@pytest.mark.django_db
def test_inline_rows_changed_and_deleted_in_the_admin_are_audited_row_by_row(client, superuser):
    draft = make_set("residential_area", "KDC", KDC, status="draft")
    kept, removed = draft.criteria.get(code="KDC-1"), draft.criteria.get(code="KDC-5")
    client.force_login(superuser)
    page = reverse("admin:certification_criteriaset_change", args=[draft.pk])
    response = client.get(page)
    data = admin_form_data(response)
    formset = response.context["inline_admin_formsets"][0].formset
    for form in formset.forms:
        if form.instance.pk == kept.pk:
            data[form.add_prefix("text")] = "Không có tội phạm nghiêm trọng"
        if form.instance.pk == removed.pk:
            data[form.add_prefix("DELETE")] = "on"
    response = client.post(page, data)
    assert response.status_code == 302
    (changed,) = events("record_changed", kept)
    assert before_after(changed) == ({"text": "Tiêu chí KDC-1"}, {"text": "Không có tội phạm nghiêm trọng"})
    (deleted,) = events("record_deleted", removed)
    assert deleted.actor == superuser and before_after(deleted)[0]["code"] == "KDC-5"
    assert not draft.criteria.filter(pk=removed.pk).exists()
