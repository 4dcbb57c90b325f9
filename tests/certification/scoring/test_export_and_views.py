"""The results workbook (contract) and the scoring pages, as insider, colleague and outsider."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from certification.models import ScoringRun
from certification.scoring import results
from certification.scoring.export import HEADER, write_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(campaign, province, commune, other_commune, areas, other_area, assess, make_institution):
    for unit in areas[:4]:
        assess(unit, status="recognized")
    assess(areas[4], answers={"KDC-3a": "not_met", "KDC-5": "not_met"})
    make_institution("DN-S", "enterprise", enterprise_size="micro")
    assess(commune)
    results.score_chunk(campaign, [province.pk, commune.pk, other_commune.pk])
    results.summarize_province(campaign)
    return campaign


def rows_of(data) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)["Kết quả"]
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_has_the_contract_header_and_one_row_per_unit_communes_included(scored, commune, areas):
    out = io.BytesIO()
    count = write_results([scored], out)
    rows = rows_of(out.getvalue())
    # The data contract, as the sheet's header row reads (a typo here is a contract change).
    expected = "Mã | Tên | Loại | Mã đơn vị quản lý | Kết quả | Dự báo | Điểm | Xếp loại | Tiêu chí chưa đạt | Giải thích"
    assert rows[0] == tuple(expected.split(" | "))
    assert tuple(HEADER) == rows[0]
    by_code = {row[0]: row for row in rows[1:]}
    assert count == len(rows) - 1 == 9  # 2 communes, 5 + 1 areas, 1 small enterprise
    assert by_code[commune.code][2:6] == ("Xã, phường, đặc khu", "42", "Đạt", "Có")
    assert by_code[areas[0].code][4:6] == ("Đạt", None)  # decided: no forecast
    failed = by_code[areas[4].code]
    assert (failed[4], failed[5], failed[8]) == ("Chưa đạt", "Có", "KDC-3a, KDC-5")
    assert failed[9].startswith("Chưa đạt 2 tiêu chí: KDC-3a, KDC-5")
    assert by_code["DN-S"][4] == "Không thuộc đối tượng"


def test_export_command_writes_the_file(scored, province, tmp_path):
    target = tmp_path / "ket-qua.xlsx"
    out = io.StringIO()
    call_command("export_results", year=scored.year, province=province.code, output=str(target), stdout=out)
    assert rows_of(target)[0] == tuple(HEADER)
    assert "Đã ghi 9 dòng" in out.getvalue()


def test_export_command_refuses_another_extension(scored, tmp_path):
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("export_results", year=scored.year, output=str(tmp_path / "a.csv"))


# --- views --------------------------------------------------------------------------------------


def test_province_staff_see_the_summary_and_the_score_button(client, scored, province_approver):
    client.force_login(province_approver)
    page = client.get(reverse("certification:scoring-campaign", args=[scored.pk]))
    assert page.status_code == 200
    assert reverse("certification:scoring-run-start", args=[scored.pk]) in page.content.decode()
    assert "Khu dân cư" in page.content.decode()


def test_a_commune_officer_sees_only_their_commune(client, scored, officer, commune, other_commune):
    client.force_login(officer)
    page = client.get(reverse("certification:scoring-campaign", args=[scored.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert commune.code in html and other_commune.code not in html
    assert reverse("certification:scoring-run-start", args=[scored.pk]) not in html


def test_an_outsider_gets_404_everywhere(client, scored, outsider):
    client.force_login(outsider)
    run = ScoringRun.objects.create(campaign=scored)
    for url in (
        reverse("certification:scoring-campaign", args=[scored.pk]),
        reverse("certification:scoring-export", args=[scored.pk]),
        reverse("certification:scoring-run-start", args=[scored.pk]),
        reverse("certification:scoring-run-detail", args=[run.pk]),
        reverse("certification:scoring-run-progress", args=[run.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_colleague_exports_only_the_units_of_their_commune(
    client, scored, colleague, other_commune, other_area
):
    client.force_login(colleague)
    response = client.get(reverse("certification:scoring-export", args=[scored.pk]))
    assert response.status_code == 200
    codes = [row[0] for row in rows_of(b"".join(response.streaming_content))[1:]]
    assert codes == [other_commune.code, other_area.code]


def test_a_commune_user_cannot_start_or_follow_a_province_run(client, scored, approver):
    client.force_login(approver)
    assert client.get(reverse("certification:scoring-run-start", args=[scored.pk])).status_code == 403
    assert client.post(reverse("certification:scoring-run-start", args=[scored.pk])).status_code == 403
    run = ScoringRun.objects.create(campaign=scored)
    assert client.get(reverse("certification:scoring-run-detail", args=[run.pk])).status_code == 404
    assert not ScoringRun.objects.exclude(pk=run.pk).exists()


def test_a_province_viewer_follows_runs_but_cannot_start_one(client, scored, province_viewer):
    client.force_login(province_viewer)
    assert client.post(reverse("certification:scoring-run-start", args=[scored.pk])).status_code == 403
    run = ScoringRun.objects.create(campaign=scored, total=10, done=4, status="running")
    assert client.get(reverse("certification:scoring-run-progress", args=[run.pk])).json() == {
        "status": "running",
        "percent": 40,
        "done": 4,
        "total": 10,
        "message": "",
    }


def test_score_now_asks_first_then_runs_and_shows_progress(
    client, scored, province_approver, django_capture_on_commit_callbacks
):
    client.force_login(province_approver)
    url = reverse("certification:scoring-run-start", args=[scored.pk])
    assert client.get(url).status_code == 200
    assert not ScoringRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    run = ScoringRun.objects.get()
    assert response.url == reverse("certification:scoring-run-detail", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "<progress" in page
    assert reverse("certification:scoring-run-progress", args=[run.pk]) in page
    data = client.get(reverse("certification:scoring-run-progress", args=[run.pk])).json()
    assert data["status"] == "done" and data["percent"] == 100
    assert data["redirect"] == reverse("certification:scoring-campaign", args=[scored.pk])
