"""Assessment entry: start, answers/figures/dossier with optimistic locking, evidence, and the
approver's entry exception after the deadline."""

import datetime
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.database.compiled import KeptUpdate
from antt.errors import WorkflowError
from antt.text import tidy
from certification.audit import Action, Actor, actor_or_none, atomic_deferred
from certification.exchange.evidence import evidence_fields, store_evidence
from certification.models import Answer, Assessment, Campaign, Criterion, Evidence
from certification.selectors.assessments import answers_of, figures_are_open, item_is_open
from certification.selectors.criteria import answerable_criteria
from certification.services.rules import (
    ANSWER_FIELDS,
    ASSESSMENT_ROW,
    DOSSIER_FIELDS,
    Role,
    audit_value,
    bump_version,
    changes_seen_since,
    check_answer,
    check_items,
    check_points,
    check_version,
    local_today,
    lock,
    log_event,
    parse_date,
    parse_decimal,
    parse_int,
    require_entry_open,
    require_open_campaign,
    require_role_on,
    require_status,
    rescore,
    version_values,
    write_assessment,
)
from units.models import Unit

# One answer's UPDATE, kept (issue 23, round 9); with the assessment's new version as its ``also``:
# the inline save writes both in one statement. No post_save: nothing listens to Answer.
_ANSWER_ROW = KeptUpdate(Answer)


@atomic_deferred
def start_assessment(*, campaign: Campaign, unit: Unit, by: Actor) -> Assessment:
    """Open the unit's assessment for the campaign, pinned to the campaign's criteria set for
    its kind, with one empty answer per leaf criterion. Starting twice returns the same one."""
    require_role_on(by, unit, Role.OFFICER)
    existing = Assessment.objects.filter(campaign=campaign, unit=unit).first()
    if existing is not None:
        return existing
    require_open_campaign(campaign)
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
    leaves = answerable_criteria(criteria_set)
    if not leaves:
        raise WorkflowError(_("The criteria set %(set)s has no criteria.") % {"set": criteria_set})
    assessment = Assessment.objects.create(campaign=campaign, unit=unit, criteria_set=criteria_set)
    Answer.objects.bulk_create([Answer(assessment=assessment, criterion=c) for c in leaves])
    log_event(assessment, by, Action.CREATED, "criteria_set", new=str(criteria_set))
    rescore(assessment)
    return assessment


def _plan_answer_changes(
    assessment: Assessment, changes: dict[str, dict[str, Any]], answers: dict[str, Answer]
) -> list[tuple[Answer, str, Any, Any]]:
    plan = []
    for code, data in changes.items():
        code = tidy(code)
        answer = answers.get(code)
        if answer is None:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        criterion = answer.criterion
        if criterion.answer_type == Criterion.AnswerType.DERIVED:
            raise WorkflowError(_("%(code)s is computed from the units' results.") % {"code": code})
        if not item_is_open(assessment, answer):
            raise WorkflowError(
                _("%(code)s was not returned for correction and stays locked.") % {"code": code}
            )
        new: dict[str, Any] = {}
        if "value" in data:
            new["value"] = check_answer(criterion, data["value"])
        if "number" in data:
            new["number"] = parse_int(data["number"], code)
        if "note" in data:
            new["note"] = tidy(data["note"])
        if "self_points" in data:
            new["self_points"] = check_points(criterion, parse_decimal(data["self_points"], code))
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
        name, role = tidy(item.get("name")), tidy(item.get("role"))
        if not name and not role:
            continue
        if not name:
            raise WorkflowError(_("Each attendee needs a name."))
        rows.append({"name": name, "role": role})
    return rows


def _plan_fields(
    assessment: Assessment, figures: dict[str, Any] | None, dossier: dict[str, Any] | None
) -> list[tuple[str, Any, Any]]:
    plan: list[tuple[str, Any]] = []
    if figures:
        if not figures_are_open(assessment):
            raise WorkflowError(_("The figures were not returned for correction and stay locked."))
        for name, value in figures.items():
            if name not in Assessment.FIGURE_FIELDS:
                raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": name})
            label = str(cast("Field[Any, Any]", Assessment._meta.get_field(name)).verbose_name)
            plan.append((name, parse_int(value, label)))
    if dossier:
        if not item_is_open(assessment, None):
            raise WorkflowError(_("The dossier was not returned for correction and stays locked."))
        for name, value in dossier.items():
            if name not in DOSSIER_FIELDS:
                raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": name})
            label = str(cast("Field[Any, Any]", Assessment._meta.get_field(name)).verbose_name)
            if name in ("meeting_date", "submission_date"):
                value = parse_date(value, label)
            elif name == "meeting_attendees":
                value = _clean_attendees(value)
            else:
                value = tidy(value)
            plan.append((name, value))
    return [
        (name, getattr(assessment, name), value) for name, value in plan if getattr(assessment, name) != value
    ]


def _lock_for_entry(assessment: Assessment, by: Actor, expected_version: int | None = None) -> Assessment:
    """What every change of the entry checks first: the officer's role, the lock, the version
    (when given), an editable status and the entry deadline."""
    require_role_on(by, assessment.unit, Role.OFFICER)
    assessment = lock(assessment)
    check_version(assessment, expected_version)
    require_status(
        assessment, Assessment.EDITABLE_STATUSES, _("The assessment is %(status)s and cannot be edited.")
    )
    require_entry_open(assessment)
    return assessment


@atomic_deferred
def save_answers(
    *,
    assessment: Assessment,
    by: Actor,
    expected_version: int,
    changes: dict[str, dict[str, Any]] | None = None,
    changes_by_answer: dict[int, dict[str, Any]] | None = None,
    figures: dict[str, Any] | None = None,
    dossier: dict[str, Any] | None = None,
) -> Assessment:
    """Save answers (``{code: {value, number, note, self_points}}``, only the keys given),
    this year's figures and dossier fields, while the assessment is editable and entry is open.
    ``changes_by_answer``: the same keyed by answer id, as the entry form posts them (ids of
    other assessments' answers are ignored).

    ``expected_version`` is the version the caller saw. The check is per item: refused
    (ConflictError, nothing written) only when someone else changed one of the criteria or
    fields being changed now after that version, or the status changed since; a colleague's
    save of another criterion meanwhile is no conflict."""
    require_role_on(by, assessment.unit, Role.OFFICER)
    assessment = lock(assessment)
    seen_since = changes_seen_since(assessment, expected_version)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    require_entry_open(assessment)
    # Only the answers being saved when they come by id (the form's inline save: one row, not the
    # whole form; issue 23, round 9); by code (the API, an import), all of them.
    if changes:
        found = answers_of(assessment)
    else:
        found = answers_of(assessment, changes_by_answer or ())
    answers = {a.criterion.code: a for a in found}
    changes = dict(changes or {})
    if changes_by_answer:
        code_of = {a.pk: code for code, a in answers.items()}
        changes.update({code_of[pk]: data for pk, data in changes_by_answer.items() if pk in code_of})
    answer_plan = _plan_answer_changes(assessment, changes, answers)
    field_plan = _plan_fields(assessment, figures, dossier)
    if not answer_plan and not field_plan:
        return assessment
    check_items(
        assessment,
        seen_since,
        {(Action.ANSWER.value, answer.criterion.code) for answer, *_rest in answer_plan}
        | {
            (Action.FIGURES.value if name in Assessment.FIGURE_FIELDS else Action.DOSSIER.value, name)
            for name, _old, _new in field_plan
        },
    )
    # The new version is written with the assessment's own fields, else with the one answer
    # saved, else alone: one UPDATE of the assessment either way, and none of its own for the
    # inline save (round 9: 9 → 8 queries).
    bump_version(assessment, by, write=False)
    version_pending = not field_plan
    touched = {}
    for answer, name, old, new in answer_plan:
        setattr(answer, name, new)
        touched[answer.pk] = answer
        log_event(assessment, by, Action.ANSWER, name, old=old, new=new, on=answer)
    if touched:
        now = timezone.now()
        for answer in touched.values():
            answer.updated_by, answer.updated_at = actor_or_none(by), now
        fields = [*ANSWER_FIELDS, "updated_by", "updated_at"]
        if len(touched) == 1:
            # One answer (the form's inline save): a plain UPDATE; bulk_update's CASE per field
            # costs ~2 ms of CPU to build for one row (issue 23).
            [answer] = touched.values()
            values = {name: getattr(answer, name) for name in ANSWER_FIELDS}
            values.update(updated_by_id=answer.updated_by_id, updated_at=now)
            bumped = (ASSESSMENT_ROW, assessment.pk, version_values(assessment)) if version_pending else None
            _ANSWER_ROW(answer.pk, values, also=bumped)
            version_pending = False
        else:
            Answer.objects.bulk_update(touched.values(), fields)
    if version_pending:
        ASSESSMENT_ROW(assessment.pk, version_values(assessment))
    for name, old, new in field_plan:
        setattr(assessment, name, new)
        action = Action.FIGURES if name in Assessment.FIGURE_FIELDS else Action.DOSSIER
        log_event(assessment, by, action, name, old=audit_value(old), new=audit_value(new))
    if field_plan:
        write_assessment(assessment, [*(name for name, _old, _new in field_plan), "version"])
    rescore(assessment)
    return assessment


@atomic_deferred
def add_evidence(
    *, assessment: Assessment, by: Actor, file: "UploadedFile[Any]", criterion_code: str = ""
) -> Evidence:
    """Attach a PDF/JPEG/PNG (checked by content and size) to the assessment or one criterion."""
    assessment = _lock_for_entry(assessment, by)
    criterion = None
    if criterion_code:
        answer = assessment.answers.select_related("criterion").filter(criterion__code=criterion_code).first()
        if answer is None:
            raise WorkflowError(
                _("%(code)s is not a criterion of this assessment.") % {"code": criterion_code}
            )
        if not item_is_open(assessment, answer):
            raise WorkflowError(
                _("%(code)s was not returned for correction and stays locked.") % {"code": criterion_code}
            )
        criterion = answer.criterion
    elif not item_is_open(assessment, None):
        raise WorkflowError(_("The dossier was not returned for correction and stays locked."))
    evidence = Evidence(assessment=assessment, criterion=criterion, **evidence_fields(file, by))
    code = criterion.code if criterion else ""
    store_evidence(
        evidence,
        file,
        lambda: log_event(assessment, by, Action.EVIDENCE, code, new=evidence.original_name, on=evidence),
    )
    return evidence


@atomic_deferred
def delete_evidence(*, evidence: Evidence, by: Actor) -> None:
    assessment = evidence.assessment
    assessment = _lock_for_entry(assessment, by)
    answer = None  # the dossier's files
    if evidence.criterion_id:  # a criterion's files (a criterion without an answer was not returned)
        answer = assessment.answers.filter(criterion_id=evidence.criterion_id).first() or Answer()
    if not item_is_open(assessment, answer):
        raise WorkflowError(_("This file belongs to an item that was not returned and stays locked."))
    log_event(assessment, by, Action.EVIDENCE_REMOVED, old=evidence.original_name, on=evidence)
    storage, name = evidence.file.storage, cast(str, evidence.file.name)
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


@atomic_deferred
def open_entry_exception(*, assessment: Assessment, by: Actor, until: datetime.date | None) -> Assessment:
    """An approver reopens entry for one unit after the campaign's deadline, until ``until``."""
    require_role_on(by, assessment.unit, Role.APPROVER)
    assessment = lock(assessment)
    until = parse_date(until, _("Open until"))
    if until is None or until < local_today():
        raise WorkflowError(_("The exception must last until today or later."))
    if assessment.status in Assessment.DECIDED_STATUSES:
        raise WorkflowError(_("A decision was already taken for this assessment."))
    old = assessment.entry_exception_until
    bump_version(assessment, by)
    assessment.entry_exception_until = until
    assessment.save(update_fields=["entry_exception_until", "updated_at"])
    before = old.isoformat() if old else ""
    log_event(assessment, by, Action.EXCEPTION, "entry_exception_until", old=before, new=until.isoformat())
    return assessment
