"""The Excel import of models (the units import's conventions: every bad row with its number,
all or nothing, preview → confirm, a command) and the movement's part of the yearly summary."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from certification.documents.reports import build_report, report_context, summary_pdf, summary_xlsx
from movement.exchange.models_excel import COLUMNS, SHEET_NAME, build_template, read_upload, run_import
from movement.models import Level, MovementModel, TeamRating
from movement.services import teams
from movement.services.models import rate_model
from tests.units.conftest import xlsx

YEAR = 2026


def workbook(rows: list[list[str]]) -> bytes:
    return xlsx(rows, header=COLUMNS, sheet=SHEET_NAME)


def good_rows(commune, areas):
    return [
        [
            commune.code,
            "Camera an ninh tổ 1",
            "Camera an ninh",
            f"{areas[0].code}, {areas[1].code}",
            "15/01/2026",
            "",
            "24",
            "",
        ],
        [
            commune.code,
            "Tổ liên gia tự quản tổ 2",
            "to-lien-gia-tu-quan",
            areas[1].code,
            "2026-02-01",
            "1.250",
            "",
            "Ghi chú",
        ],
    ]


@pytest.mark.django_db
def test_a_good_file_records_every_model(commune, areas, officer):
    plan = run_import(read_upload("mo-hinh.xlsx", workbook(good_rows(commune, areas))), user=officer)
    assert plan.ok and len(plan.created) == 2
    camera = MovementModel.objects.get(name="Camera an ninh tổ 1")
    assert camera.cameras == 24 and set(camera.covered.all()) == {areas[0], areas[1]}
    assert MovementModel.objects.get(name="Tổ liên gia tự quản tổ 2").members == 1250


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_number_and_nothing_is_written(
    commune, areas, other_commune, officer
):
    rows = [
        *good_rows(commune, areas),
        [commune.code, "Camera không số", "Camera an ninh", "", "15/01/2026", "", "", ""],  # row 4
        [other_commune.code, "Ngoài địa bàn", "Tổ tuần tra nhân dân", "", "15/01/2026", "", "", ""],  # row 5
        [commune.code, "Loại lạ", "Mô hình không có", "", "31/02/2026", "mười", "", ""],  # row 6
    ]
    plan = run_import(read_upload("mo-hinh.xlsx", workbook(rows)), user=officer)
    assert plan.error_rows() == [4, 5, 6]
    messages = " ".join(e.message for e in plan.errors if e.row == 6)
    assert "Mô hình không có" in messages and "Ngày bắt đầu" in messages and "Số thành viên" in messages
    assert not MovementModel.objects.exists()


@pytest.mark.django_db
def test_the_template_reads_back_with_its_example_row():
    rows = read_upload("mau.xlsx", build_template())
    assert rows[0].values["Loại mô hình"] == "Camera an ninh"


@pytest.mark.django_db
def test_preview_then_confirm_on_the_pages(client, officer, commune, areas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(officer)
    upload = io.BytesIO(workbook(good_rows(commune, areas)))
    upload.name = "mo-hinh.xlsx"
    preview = client.post(reverse("movement:import-upload"), {"file": upload})
    assert preview.status_code == 200 and not MovementModel.objects.exists()
    token = preview.context["token"]
    assert client.post(reverse("movement:import-confirm"), {"token": token}).status_code == 302
    assert MovementModel.objects.count() == 2
    # The preview is used up: confirming twice writes nothing more.
    client.post(reverse("movement:import-confirm"), {"token": token})
    assert MovementModel.objects.count() == 2


@pytest.mark.django_db
def test_the_command_refuses_a_bad_file_listing_its_rows(tmp_path, commune, areas):
    path = tmp_path / "mo-hinh.xlsx"
    path.write_bytes(workbook([[commune.code, "", "Camera an ninh", "", "", "", "", ""]]))
    with pytest.raises(CommandError):
        call_command("import_models", str(path))
    path.write_bytes(workbook(good_rows(commune, areas)))
    call_command("import_models", str(path))
    assert MovementModel.objects.count() == 2


@pytest.mark.django_db
def test_the_yearly_summary_counts_models_cameras_and_teams_beside_last_year(
    province, commune, areas, officer, appraiser, approver, add_model, camera
):
    old = add_model(commune, name="Tổ tuần tra cũ", started=datetime.date(2024, 1, 1))
    rate_model(by=officer, model=old, year=YEAR - 1, effective=True)
    rate_model(by=officer, model=old, year=YEAR, effective=True)
    add_model(commune, name="Camera", model_type=camera, cameras=30, started=datetime.date(YEAR, 3, 1))
    teams.add_team(by=officer, unit=areas[0], name="Tổ bảo vệ 1", members=[("Nguyễn Văn An", "Tổ trưởng")])
    round_ = teams.start_round(by=officer, commune=commune, year=YEAR)
    teams.save_levels(by=officer, round_=round_, levels={r.pk: Level.GOOD for r in TeamRating.objects.all()})
    teams.submit_round(by=officer, round_=round_)
    teams.review_round(by=appraiser, round_=round_)
    teams.decide_round(by=approver, round_=round_, signer_name="Trần Văn Bình")

    report = build_report(scope=province, year=YEAR)
    by_type, by_commune, by_level = report.extra
    assert ["Camera an ninh", 1, 0, 30, 0, 0] in by_type.rows
    assert ["Tổ tuần tra nhân dân", 1, 1, None, 1, 1] in by_type.rows
    assert by_type.rows[-1] == ["Tổng cộng", 2, 1, 30, 1, 1]
    assert by_commune.rows == [[commune.name, 2, 1]]
    assert ["Hoàn thành tốt nhiệm vụ", 1, 0, 1, 0] in by_level.rows
    assert report_context(report)["extra_tables"] == report.extra

    from tests.certification.documents.conftest import pdf_text

    text = pdf_text(summary_pdf(report))
    for phrase in ("PHONG TRÀO TOÀN DÂN BẢO VỆ AN NINH TỔ QUỐC", "Camera an ninh", "Hoàn thành tốt nhiệm vụ"):
        assert phrase in text, phrase

    book = load_workbook(io.BytesIO(summary_xlsx(report)))
    sheet = book["Mô hình"]
    assert [c.value for c in sheet[1]][:3] == ["Loại mô hình", f"Số mô hình {YEAR}", f"Hiệu quả {YEAR}"]
    assert "Tổ bảo vệ ANTT" in book.sheetnames
