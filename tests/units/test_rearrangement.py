"""The re-arrangement of residential areas: the Excel contract, the command, apply and undo."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from certification.audit import Action, SystemActor
from certification.models import AuditEvent
from certification.services import rearrangement
from tests.units.conftest import xlsx
from units.exchange.rearrangement import (
    COLUMNS,
    SHEET_NAME,
    build_template,
    parse_households,
    read_upload,
    validate,
)
from units.models import Unit, UnitChange

REF = "Nghị quyết số 45/NQ-HĐND ngày 20/1/2027"
DAY = "01/03/2027"
TODAY = datetime.date(2026, 12, 6)


def row(name, form, old, households="", kind="Tổ dân phố", commune="18823", day=DAY, ref=REF):
    return [commune, name, kind, form, old, households, day, ref]


def keep(*numbers):
    return [row(f"Tổ dân phố {i}", "Giữ nguyên", f"18823-TDP0{i}") for i in numbers]


def plan_of(rows, user=None):
    with translation.override("vi"):
        return validate(
            read_upload("a.xlsx", xlsx(rows, header=COLUMNS, sheet=SHEET_NAME)), user=user, today=TODAY
        )


def messages(plan):
    return [(e.row, e.message) for e in plan.errors]


@pytest.mark.parametrize("text", ["1250", "1.250", "1,250", "1 250", "1\u00a0250"])
def test_households_are_read_with_any_thousands_separator(text):
    assert parse_households(text) == 1250


def test_a_merge_a_split_a_rename_and_the_rest_kept_are_a_valid_plan(areas):
    plan = plan_of(
        [
            row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; Tổ dân phố 2", "203"),
            row("Tổ dân phố 3A", "Chia tách", "18823-TDP03", "50"),
            row("Tổ dân phố 3B", "Chia tách", "18823-TDP03", "53"),
            row("Tổ dân phố Hải Tây", "Đổi tên", "18823-TDP04"),
            *keep(5),
        ]
    )
    assert plan.ok, messages(plan)
    assert [r.form for r in plan.rows] == ["merge", "split", "split", "rename", "keep"]
    assert [len(c.before) for c in plan.communes] == [5]
    assert [len(c.after) for c in plan.communes] == [5]
    assert plan.rows[3].household_count == 104  # a rename keeps the households


def test_every_bad_row_is_reported_with_its_number_in_vietnamese(areas, other_commune):
    plan = plan_of(
        [
            row(
                "Tổ dân phố Mới", "Sáp nhập", "18823-TDP01; 18823-TDP02", "1.000"
            ),  # 2: they have 203 households
            row("Tổ dân phố X", "Giữ nguyên", "18823-TDP01"),  # 3: TDP01 used twice
            row("Tổ dân phố 4", "Đổi tên", "18823-TDP03"),  # 4: name taken by TDP04 (kept)
            row("Tổ dân phố Y", "Giữ nguyên", "Thôn Không Có"),  # 5: unknown old unit
            row("Tổ dân phố Z", "Giữ nguyên", "18823-TDP04", commune="99999"),  # 6: unknown commune
            row("Tổ dân phố 4", "Giữ nguyên", "18823-TDP04", day="01/03/2028"),  # 7: outside 2027
        ]
    )
    found = messages(plan)
    rows = plan.error_rows()
    assert rows == [2, 3, 4, 5, 6, 7]
    text = "\n".join(m for _r, m in found)
    assert "203" in text  # the merged units' households
    assert "99999" in text
    assert "Thôn Không Có" in text
    assert "2028" in text
    # TDP05 is in no row: left out
    assert "18823-TDP05" in text


def test_a_split_whose_parts_do_not_add_up_is_refused(areas):
    plan = plan_of(
        [
            row("Tổ dân phố 3A", "Chia tách", "18823-TDP03", "50"),
            row("Tổ dân phố 3B", "Chia tách", "18823-TDP03", "1 000"),
            *keep(1, 2, 4, 5),
        ]
    )
    assert plan.error_rows() == [2]
    assert "103" in plan.errors[0].message


def test_the_template_lists_the_communes_current_units_kept(areas, commune):
    workbook = load_workbook(io.BytesIO(build_template(commune, today=TODAY)))
    sheet = workbook[SHEET_NAME]
    values = [[c or "" for c in r] for r in sheet.iter_rows(values_only=True) if any(r)]
    assert values[0] == COLUMNS
    assert [r[4] for r in values[1:]] == [f"18823-TDP0{i}" for i in range(1, 6)]
    assert {r[3] for r in values[1:]} == {"Giữ nguyên"}


def test_apply_creates_the_new_units_ends_the_old_links_them_and_audits(areas, commune):
    plan = plan_of(
        [row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02", "203"), *keep(3, 4, 5)]
    )
    outcome = rearrangement.apply(rows=plan.rows, by=SystemActor())
    new = outcome.created[2]
    new.refresh_from_db()
    assert new.valid_from == datetime.date(2027, 3, 1) and new.parent == commune
    assert new.household_count == 203 and new.path.startswith(commune.path)
    old = Unit.objects.filter(code__in=["18823-TDP01", "18823-TDP02"])
    assert {u.valid_to for u in old} == {datetime.date(2027, 3, 1)}
    assert Unit.objects.get(code="18823-TDP03").valid_to is None
    links = UnitChange.objects.filter(successor=new)
    assert {(link.kind, link.reference) for link in links} == {("merge", REF)}
    assert AuditEvent.objects.filter(action=Action.REARRANGEMENT_APPLIED).count() == 1
    assert AuditEvent.objects.filter(action=Action.UNIT_CREATED, object_id=str(new.pk)).count() == 1
    assert AuditEvent.objects.filter(action=Action.UNIT_CHANGED).count() == 2


def test_undo_before_the_effective_date_restores_the_tree(areas):
    plan = plan_of([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    new = rearrangement.apply(rows=plan.rows, by=SystemActor()).created[2]
    assert rearrangement.undo(reference=REF, by=SystemActor(), today=TODAY) == 1
    assert not Unit.objects.filter(pk=new.pk).exists()
    assert not UnitChange.objects.exists()
    assert set(Unit.objects.filter(code__startswith="18823-TDP").values_list("valid_to", flat=True)) == {None}
    assert AuditEvent.objects.filter(action=Action.REARRANGEMENT_UNDONE).exists()


def test_undo_on_or_after_the_effective_date_is_refused(areas):
    from antt.errors import WorkflowError

    plan = plan_of([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    rearrangement.apply(rows=plan.rows, by=SystemActor())
    with pytest.raises(WorkflowError):
        rearrangement.undo(reference=REF, by=SystemActor(), today=datetime.date(2027, 3, 1))
    assert UnitChange.objects.count() == 2


def merge_workbook() -> bytes:
    """The re-arrangement file of the tests: Hải Đông formed from TDP01 and TDP02, 3-5 kept."""
    return xlsx(
        [row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)],
        header=COLUMNS,
        sheet=SHEET_NAME,
    )


def test_the_command_dry_run_writes_nothing_and_the_real_run_applies(areas, tmp_path):
    path = tmp_path / "nq45.xlsx"
    path.write_bytes(merge_workbook())
    out = io.StringIO()
    call_command("import_rearrangement", str(path), "--dry-run", stdout=out)
    assert not UnitChange.objects.exists()
    assert "5" in out.getvalue()
    call_command("import_rearrangement", str(path), stdout=io.StringIO())
    assert UnitChange.objects.count() == 2


def test_the_command_lists_bad_rows_and_writes_nothing(areas, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        xlsx([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01")], header=COLUMNS, sheet=SHEET_NAME)
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_rearrangement", str(path), stderr=err)
    assert "Dòng 2" in err.getvalue()
    assert not UnitChange.objects.exists()


def test_the_command_with_user_refuses_a_commune_outside_their_scope(areas, tmp_path, outsider_admin):
    path = tmp_path / "nq45.xlsx"
    path.write_bytes(merge_workbook())
    with pytest.raises(CommandError):
        call_command(
            "import_rearrangement", str(path), "--user", outsider_admin.username, stderr=io.StringIO()
        )
    assert not UnitChange.objects.exists()


def test_the_upload_previews_the_tree_and_applying_writes_it(areas, commune_admin, login):
    from django.urls import reverse

    client = login(commune_admin)
    data = merge_workbook()
    upload = io.BytesIO(data)
    upload.name = "nq45.xlsx"
    response = client.post(reverse("certification:rearrangement-upload"), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    page = preview.content.decode()
    assert "Tổ dân phố Hải Đông" in page and "Sáp nhập" in page
    assert not UnitChange.objects.exists()  # a preview writes nothing
    applied = client.post(response["Location"] + "apply/")
    assert applied.status_code == 302
    assert UnitChange.objects.count() == 2


def test_a_bad_file_previews_every_error_and_cannot_be_applied(areas, commune_admin, login):
    from django.urls import reverse

    client = login(commune_admin)
    upload = io.BytesIO(
        xlsx([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01")], header=COLUMNS, sheet=SHEET_NAME)
    )
    upload.name = "nq45.xlsx"
    response = client.post(reverse("certification:rearrangement-upload"), {"file": upload})
    page = client.get(response["Location"]).content.decode()
    assert "18823-TDP05" in page  # left out
    client.post(response["Location"] + "apply/")
    assert not UnitChange.objects.exists()


def test_the_template_download_is_only_for_a_commune_in_scope(areas, commune_admin, outsider_admin, login):
    from django.urls import reverse

    url = reverse("certification:rearrangement-template") + "?commune=18823"
    assert login(commune_admin).get(url).status_code == 200
    assert login(outsider_admin).get(url).status_code == 404


def test_a_transfer_moves_an_area_to_another_commune_and_a_rename_keeps_the_old_unit(areas, other_commune):
    plan = plan_of(
        [
            row("Tổ dân phố 1", "Điều chỉnh", "18823-TDP01", commune=other_commune.code),
            row("Tổ dân phố Hải Tây", "Đổi tên", "18823-TDP02"),
            *keep(3, 4, 5),
        ]
    )
    assert plan.ok, messages(plan)
    created = rearrangement.apply(rows=plan.rows, by=SystemActor()).created
    moved, renamed = created[2], created[3]
    assert moved.parent == other_commune and moved.household_count == 101
    assert UnitChange.objects.get(successor=moved).kind == "transfer"
    assert UnitChange.objects.get(successor=renamed).kind == "rename"
    old = Unit.objects.get(code="18823-TDP02")
    assert old.name == "Tổ dân phố 2" and old.valid_to == datetime.date(2027, 3, 1)  # history kept


def test_the_command_acts_as_the_given_user(areas, tmp_path, commune_admin):
    path = tmp_path / "nq45.xlsx"
    path.write_bytes(merge_workbook())
    call_command("import_rearrangement", str(path), "--user", commune_admin.username, stdout=io.StringIO())
    event = AuditEvent.objects.get(action=Action.REARRANGEMENT_APPLIED)
    assert event.actor == commune_admin


def test_the_administrator_undoes_a_resolution_before_its_effective_date(
    areas, commune_admin, outsider_admin, login
):
    from django.urls import reverse

    plan = plan_of([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    rearrangement.apply(rows=plan.rows, by=SystemActor())
    url = reverse("certification:rearrangement-undo")
    assert login(outsider_admin).post(url, {"reference": REF}).status_code == 404  # not their subtree
    assert UnitChange.objects.count() == 2
    page = login(commune_admin).get(reverse("certification:rearrangement-upload")).content.decode()
    assert REF in page
    assert login(commune_admin).post(url, {"reference": REF}).status_code == 302
    assert not UnitChange.objects.exists()
    assert Unit.objects.get(code="18823-TDP01").valid_to is None
