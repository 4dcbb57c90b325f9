"""Assessment entry: start, answers/figures/dossier with optimistic locking, evidence, and the
approver's entry exception after the deadline."""

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import nfc
from certification.audit import Actor, actor_or_none, atomic_deferred, log_change
from certification.exchange.evidence import read_head, safe_filename, sniff_content_type
from certification.models import Answer, Assessment, Campaign, Criterion, Evidence
from certification.services.rules import (
    ANSWER_FIELDS,
    DOSSIER_FIELDS,
    FIGURE_FIELDS,
    Role,
    Status,
    _audit_value,
    _bump,
    _check_points,
    _check_value,
    _check_version,
    _lock,
    _require,
    _require_entry_open,
    _require_open_campaign,
    _rescore,
    _to_date,
    _to_decimal,
    _to_int,
    _today,
    leaf_criteria,
)
from units.models import Unit


@atomic_deferred
def start_assessment(*, campaign: Campaign, unit: Unit, by: Actor) -> Assessment:
    """Open the unit's assessment for the campaign, pinned to the campaign's criteria set for
    its kind, with one empty answer per leaf criterion. Starting twice returns the same one."""
    _require(by, unit, Role.OFFICER)
    existing = Assessment.objects.filter(campaign=campaign, unit=unit).first()
    if existing is not None:
        return existing
    _require_open_campaign(campaign)
    if not unit.is_within(campaign.province):
        raise WorkflowError(_("%(unit)s is not in the campaign's province.") % {"unit": unit})
    if not unit.is_eligible:
        raise WorkflowError(
            _("%(unit)s is not covered: %(reason)s") % {"unit": unit, "reason": unit.ineligible_reason}
        )
    criteria_set = campaign.criteria_set_for(unit.kind)
    if criteria_set is None:
        raise WorkflowError(
            _("The campaign has no criteria set for %(kind)s.") % {"kind": unit.get_kind_display()}
        )
    leaves = leaf_criteria(criteria_set)
    if not leaves:
        raise WorkflowError(_("The criteria set %(set)s has no criteria.") % {"set": criteria_set})
    assessment = Assessment.objects.create(campaign=campaign, unit=unit, criteria_set=criteria_set)
    Answer.objects.bulk_create([Answer(assessment=assessment, criterion=c) for c in leaves])
    log_change(
        assessment,
        by=by,
        action="created",
        field="criteria_set",
        new=str(criteria_set),
        assessment=assessment,
    )
    _rescore(assessment)
    return assessment


def _plan_answer_changes(
    assessment: Assessment, changes: dict[str, Any], answers: dict[str, Answer]
) -> list[Any]:
    plan = []
    for code, data in changes.items():
        code = nfc(code)
        answer = answers.get(code)
        if answer is None:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        criterion = answer.criterion
        if criterion.answer_type == Criterion.AnswerType.DERIVED:
            raise WorkflowError(_("%(code)s is computed from the units' results.") % {"code": code})
        if assessment.status == Status.RETURNED and not answer.is_returned:
            raise WorkflowError(
                _("%(code)s was not returned for correction and stays locked.") % {"code": code}
            )
        new = {}
        if "value" in data:
            new["value"] = _check_value(criterion, data["value"])
        if "number" in data:
            new["number"] = _to_int(data["number"], code)
        if "note" in data:
            new["note"] = nfc(data["note"])
        if "self_points" in data:
            new["self_points"] = _check_points(criterion, _to_decimal(data["self_points"], code))
        unknown = set(data) - set(ANSWER_FIELDS)
        if unknown:
            raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
        for name, value in new.items():
            if getattr(answer, name) != value:
                plan.append((answer, name, getattr(answer, name), value))
    return plan


def _clean_attendees(value: object) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise WorkflowError(_("Attendees must be a list of names and roles."))
    rows = []
    for item in value:
        if isinstance(item, str):
            item = {"name": item, "role": ""}
        name, role = nfc(item.get("name")), nfc(item.get("role"))
        if not name and not role:
            continue
        if not name:
            raise WorkflowError(_("Each attendee needs a name."))
        rows.append({"name": name, "role": role})
    return rows


def _plan_fields(
    assessment: Assessment, figures: dict[str, Any] | None, dossier: dict[str, Any] | None
) -> list[Any]:
    plan = []
    if figures:
        if (
            assessment.status == Status.RETURNED
            and not assessment.answers.filter(
                is_returned=True, criterion__answer_type=Criterion.AnswerType.COMPARISON
            ).exists()
        ):
            raise WorkflowError(_("The figures were not returned for correction and stay locked."))
        for name, value in figures.items():
            if name not in FIGURE_FIELDS:
                raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": name})
            label = str(Assessment._meta.get_field(name).verbose_name)
            plan.append((name, _to_int(value, label)))
    if dossier:
        if assessment.status == Status.RETURNED and not assessment.dossier_returned:
            raise WorkflowError(_("The dossier was not returned for correction and stays locked."))
        for name, value in dossier.items():
            if name not in DOSSIER_FIELDS:
                raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": name})
            label = str(Assessment._meta.get_field(name).verbose_name)
            if name in ("meeting_date", "submission_date"):
                value = _to_date(value, label)
            elif name == "meeting_attendees":
                value = _clean_attendees(value)
            else:
                value = nfc(value)
            plan.append((name, value))
    return [
        (name, getattr(assessment, name), value) for name, value in plan if getattr(assessment, name) != value
    ]


@atomic_deferred
def save_answers(
    *,
    assessment: Assessment,
    by: Actor,
    expected_version: int,
    changes: dict[str, dict[str, Any]] | None = None,
    figures: dict[str, Any] | None = None,
    dossier: dict[str, Any] | None = None,
) -> Assessment:
    """Save answers (``{code: {value, number, note, self_points}}``, only the keys given),
    this year's figures and dossier fields. Refused unless the caller holds the current
    version (ConflictError), the assessment is editable and entry is open."""
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    _check_version(assessment, expected_version)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    answer_plan = _plan_answer_changes(assessment, changes or {}, answers)
    field_plan = _plan_fields(assessment, figures, dossier)
    if not answer_plan and not field_plan:
        return assessment
    _bump(assessment, by)
    touched = {}
    for answer, name, old, new in answer_plan:
        setattr(answer, name, new)
        touched[answer.pk] = answer
        log_change(answer, by=by, action="answer", field=name, old=old, new=new, assessment=assessment)
    if touched:
        now = timezone.now()
        for answer in touched.values():
            answer.updated_by, answer.updated_at = actor_or_none(by), now
        Answer.objects.bulk_update(touched.values(), [*ANSWER_FIELDS, "updated_by", "updated_at"])
    for name, old, new in field_plan:
        setattr(assessment, name, new)
        log_change(
            assessment,
            by=by,
            action="figures" if name in FIGURE_FIELDS else "dossier",
            field=name,
            old=_audit_value(old),
            new=_audit_value(new),
            assessment=assessment,
        )
    if field_plan:
        assessment.save(update_fields=[name for name, _old, _new in field_plan] + ["updated_at"])
    _rescore(assessment)
    return assessment


@transaction.atomic
def add_evidence(
    *, assessment: Assessment, by: Actor, file: "UploadedFile[Any]", criterion_code: str = ""
) -> Evidence:
    """Attach a PDF/JPEG/PNG (checked by content and size) to the assessment or one criterion."""
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    criterion = None
    if criterion_code:
        answer = assessment.answers.select_related("criterion").filter(criterion__code=criterion_code).first()
        if answer is None:
            raise WorkflowError(
                _("%(code)s is not a criterion of this assessment.") % {"code": criterion_code}
            )
        if assessment.status == Status.RETURNED and not answer.is_returned:
            raise WorkflowError(
                _("%(code)s was not returned for correction and stays locked.") % {"code": criterion_code}
            )
        criterion = answer.criterion
    elif assessment.status == Status.RETURNED and not assessment.dossier_returned:
        raise WorkflowError(_("The dossier was not returned for correction and stays locked."))
    size = file.size
    limit = settings.EVIDENCE_MAX_BYTES
    if not size:
        raise WorkflowError(_("The file is empty."))
    if size > limit:
        raise WorkflowError(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": f"{size / 1048576:.1f}", "max": f"{limit / 1048576:g}"}
        )
    content_type = sniff_content_type(read_head(file))
    if content_type is None:
        raise WorkflowError(_("Only PDF, JPEG and PNG files are accepted."))
    evidence = Evidence(
        assessment=assessment,
        criterion=criterion,
        token=secrets.token_hex(20),
        original_name=safe_filename(getattr(file, "name", "") or "", content_type),
        content_type=content_type,
        size=size,
        uploaded_by=actor_or_none(by),
    )
    # Files are not transactional: a failure below removes the stored file again.
    evidence.file.save(evidence.token, file, save=False)
    try:
        evidence.save()
        log_change(
            evidence,
            by=by,
            action="evidence",
            field=criterion.code if criterion else "",
            new=evidence.original_name,
            assessment=assessment,
        )
    except Exception:
        evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def delete_evidence(*, evidence: Evidence, by: Actor) -> None:
    assessment = evidence.assessment
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    if assessment.status == Status.RETURNED:
        returned = (
            evidence.criterion_id
            and assessment.answers.filter(criterion_id=evidence.criterion_id, is_returned=True).exists()
        )
        if not (returned or (not evidence.criterion_id and assessment.dossier_returned)):
            raise WorkflowError(_("This file belongs to an item that was not returned and stays locked."))
    log_change(evidence, by=by, action="evidence-removed", old=evidence.original_name, assessment=assessment)
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def open_entry_exception(*, assessment: Assessment, by: Actor, until: datetime.date) -> Assessment:
    """An approver reopens entry for one unit after the campaign's deadline, until ``until``."""
    _require(by, assessment.unit, Role.APPROVER)
    assessment = _lock(assessment)
    until = _to_date(until, _("Open until"))
    if until is None or until < _today():
        raise WorkflowError(_("The exception must last until today or later."))
    if assessment.status in Assessment.DECIDED_STATUSES:
        raise WorkflowError(_("A decision was already taken for this assessment."))
    old = assessment.entry_exception_until
    _bump(assessment, by)
    assessment.entry_exception_until = until
    assessment.save(update_fields=["entry_exception_until", "updated_at"])
    log_change(
        assessment,
        by=by,
        action="exception",
        field="entry_exception_until",
        old=old.isoformat() if old else "",
        new=until.isoformat(),
        assessment=assessment,
    )
    return assessment
