"""The write endpoints: the same services as the web pages (same checks, same audit, the same
version conflicts, answered 409), and the imports the Excel pages have, with their row errors."""

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile

from antt.errors import WorkflowError
from antt.spreadsheets import SpreadsheetRefused, check_size
from api import schemas
from api.http import token_user
from api.read import _assessments, assessment_detail_row
from certification.exchange import assessment_excel as excel
from certification.models import Assessment, ImportJob
from certification.services import imports as import_jobs
from certification.services.entry import save_answers
from certification.services.transitions import submit_assessment
from units.access import get_for_user, is_global, require_role, user_roles
from units.exchange import imports as unit_imports
from units.models import RoleAssignment
from units.services import is_user_admin

router = Router()
Role = RoleAssignment.Role
WRITE = {400: schemas.ImportProblems, 403: schemas.Problem, 404: schemas.Problem, 409: schemas.Conflict}


def _assessment_of_officer(request: HttpRequest, assessment_id: int) -> Assessment:
    """As the entry page: 404 outside the caller's area, 403 without the officer's role."""
    user = token_user(request)
    assessment = get_for_user(user, _assessments(request), assessment_id)
    require_role(user, assessment.unit, Role.OFFICER)
    return assessment


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@router.post(
    "/assessments/{int:assessment_id}/answers",
    response={200: schemas.AssessmentDetail, **WRITE},
    tags=["assessments"],
)
def assessment_save(request: HttpRequest, assessment_id: int, body: schemas.SaveAnswersIn) -> dict[str, Any]:
    """Save answers (``{code: {value, number, note, self_points}}``, only the fields given) and the
    year's figures, as the entry page does. ``version`` is the version read: a change by someone
    else of the same criterion since then is refused with 409 and nothing is written."""
    assessment = _assessment_of_officer(request, assessment_id)
    changes = {
        code: {name: _text(value) for name, value in answer.model_dump(exclude_unset=True).items()}
        for code, answer in body.answers.items()
    }
    figures = {name: _text(value) for name, value in body.figures.items()} if body.figures else None
    saved = save_answers(
        assessment=assessment,
        by=token_user(request),
        expected_version=body.version,
        changes=changes,
        figures=figures,
    )
    return assessment_detail_row(_assessments(request).get(pk=saved.pk))


@router.post(
    "/assessments/{int:assessment_id}/submit",
    response={200: schemas.AssessmentDetail, **WRITE},
    tags=["assessments"],
)
def assessment_submit(request: HttpRequest, assessment_id: int, body: schemas.SubmitIn) -> dict[str, Any]:
    """Submit for appraisal (the officer's "Nộp hồ sơ"); the assessment is then locked."""
    assessment = _assessment_of_officer(request, assessment_id)
    submit_assessment(assessment=assessment, by=token_user(request), expected_version=body.version)
    return assessment_detail_row(_assessments(request).get(pk=assessment.pk))


@router.post("/units/import", response={200: schemas.ImportResult, **WRITE}, tags=["units"])
def units_import(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> dict[str, Any] | Status[dict[str, Any]]:
    """The units file of the "Nhập đơn vị" page (xlsx or csv, same template): checked whole, every
    bad row reported with its number and nothing written; ``dry_run``: check only."""
    user = token_user(request)
    if not is_user_admin(user):
        raise PermissionDenied
    try:
        rows = unit_imports.read_upload(file.name or "", file.read())
    except unit_imports.ImportFileError as e:
        raise WorkflowError(str(e)) from None
    plan = unit_imports.run_import(rows, user=user, commit=not dry_run)
    if not plan.ok:
        problems = [_("Row %(row)s: %(message)s") % {"row": e.row, "message": e.message} for e in plan.errors]
        return Status(400, {"detail": _("The file was refused; nothing was imported."), "errors": problems})
    return {"detail": unit_imports.summarize(plan), "count": len(plan.rows), "job_id": None}


@router.post(
    "/assessments/import",
    response={200: schemas.ImportResult, 202: schemas.ImportResult, **WRITE},
    tags=["assessments"],
)
def assessments_import(
    request: HttpRequest, year: Form[int], file: File[UploadedFile], dry_run: Form[bool] = False
) -> Status[dict[str, Any]]:
    """The assessment workbook of the Excel page: checked whole (every bad cell with its row and
    column, nothing written), then applied all-or-nothing by a worker (202 and the job's id)."""
    user = token_user(request)
    if not (is_global(user) or Role.OFFICER in user_roles(user)):
        raise PermissionDenied
    try:
        check_size(file.size or 0)
    except SpreadsheetRefused as e:
        raise WorkflowError(str(e)) from None
    report = excel.parse_workbook(file, year=year, user=user)
    if not report.ok:
        errors = [str(e) for e in report.errors]
        return Status(400, {"detail": _("The file was refused; nothing was imported."), "errors": errors})
    count = len(report.changed_plans)
    if dry_run or not count:
        return Status(200, {"detail": _("%(count)s units would change.") % {"count": count}, "count": count})
    file.seek(0)
    path = default_storage.save(f"imports/{secrets.token_hex(16)}.xlsx", ContentFile(file.read()))
    with transaction.atomic():
        job = import_jobs.start_import_job(path=path, year=year, by=user)
    return Status(202, {"detail": _("The import is queued."), "count": count, "job_id": job.pk})


@router.get("/assessments/import/{int:job_id}", response=schemas.ImportJobOut, tags=["assessments"])
def assessments_import_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """A queued import of the caller (nobody else's): its status, progress and report."""
    job = get_object_or_404(ImportJob, pk=job_id, user=token_user(request))
    return {
        "id": job.pk,
        "status": job.status,
        "percent": job.percent,
        "error": job.error,
        "report": job.report,
    }
