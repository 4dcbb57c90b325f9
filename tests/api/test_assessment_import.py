"""The assessment workbook through the API: checked whole (every bad cell with its row and
column, nothing written), then applied all-or-nothing by the same job as the Excel page."""

import io

import pytest
from openpyxl import load_workbook

from certification.exchange import assessment_excel as excel
from certification.models import Answer, AuditEvent, ImportJob
from tests.api.conftest import bearer, make_token
from tests.builders import make_open_campaign, make_test_sets
from tests.certification.workflow.conftest import xlsx

URL = "/api/v1/assessments/import"


@pytest.fixture
def campaign(province, commune, areas):
    return make_open_campaign(province, make_test_sets())


def filled(officer, campaign, area, value: str = "Đạt") -> io.BytesIO:
    data = excel.build_workbook(campaign=campaign, units=excel.units_for_export(officer, campaign))
    rows = [list(r) for r in load_workbook(io.BytesIO(data))["Đánh giá"].iter_rows(values_only=True)]
    for row in rows[1:]:
        if row[0] == area.code:
            row[5] = value
    upload = xlsx(rows)
    upload.name = "danh-gia.xlsx"
    return upload


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_the_import_runs_as_a_job_of_its_user(
    officer, colleague, campaign, areas, django_capture_on_commit_callbacks
):
    client = bearer(make_token(officer, can_write=True))
    dry = client.post(
        URL, {"file": filled(officer, campaign, areas[0]), "year": campaign.year, "dry_run": "true"}
    )
    assert dry.status_code == 200, dry.content
    assert dry.json()["count"] == 1
    assert not Answer.objects.filter(value="met").exists() and not ImportJob.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(URL, {"file": filled(officer, campaign, areas[0]), "year": campaign.year})
    assert queued.status_code == 202, queued.content
    job_id = queued.json()["job_id"]
    job = client.get(f"{URL}/{job_id}").json()
    assert job["status"] == ImportJob.Status.DONE, job
    answer = Answer.objects.get(assessment__unit=areas[0], criterion__code="KDC-1")
    assert answer.value == "met"
    assert AuditEvent.objects.filter(field="value", new="met", actor=officer).exists()
    # The job is its user's alone.
    assert bearer(make_token(colleague)).get(f"{URL}/{job_id}").status_code == 404


@pytest.mark.django_db
def test_a_bad_cell_is_reported_with_its_row_and_column_and_nothing_is_written(
    officer, campaign, areas, settings
):
    settings.LANGUAGE_CODE = "vi"
    client = bearer(make_token(officer, can_write=True))
    response = client.post(
        URL, {"file": filled(officer, campaign, areas[0], value="Tốt"), "year": campaign.year}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and errors[0].startswith("Dòng ") and "cột F" in errors[0], errors
    assert not ImportJob.objects.exists() and not Answer.objects.filter(value="met").exists()
