"""Workflow transitions: submit, return, appraise, recognize / not recognize, revoke."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import nfc
from certification.audit import actor_or_none, atomic_deferred, log_change
from certification.documents.certificates import create_certificates, revoke_certificates
from certification.documents.decisions import issue_decision
from certification.models import Assessment, Campaign, Criterion, Decision
from certification.services.rules import (
    DOSSIER,
    FIGURE_FIELDS,
    Role,
    Status,
    Value,
    _bump,
    _check_points,
    _check_value,
    _check_version,
    _lock,
    _require,
    _require_entry_open,
    _rescore,
    _set_status,
    _to_date,
    _to_decimal,
    entered_criteria,
    is_approver_of,
    recognizing_authority,
)
from units.access import can_see
from units.models import Unit


def missing_for_submission(assessment: Assessment) -> list[str]:
    """What still blocks submission, as readable sentences (empty when it can be submitted)."""
    problems = []
    entered = {c.pk for c in entered_criteria(assessment.criteria_set)}
    answers = list(assessment.answers.select_related("criterion").order_by("criterion__order"))
    unanswered = [a.criterion.code for a in answers if a.criterion_id in entered and not a.value]
    if unanswered:
        problems.append(_("Criteria not answered: %(codes)s.") % {"codes": ", ".join(unanswered)})
    needs_figures = any(a.criterion.answer_type == Criterion.AnswerType.COMPARISON for a in answers)
    if needs_figures and any(getattr(assessment, f) is None for f in FIGURE_FIELDS):
        problems.append(_("Enter this year's crime, social-evil and violation figures."))
    if not (assessment.meeting_date and assessment.meeting_chair and assessment.meeting_attendees):
        problems.append(_("Enter the meeting minutes: date, chair and attendees."))
    return problems


@atomic_deferred
def submit_assessment(*, assessment: Assessment, by, expected_version: int | None = None) -> Assessment:
    """Officer → appraisal. All leaf answers given, minutes present; locks the assessment."""
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    _check_version(assessment, expected_version)
    if not assessment.is_editable:
        raise WorkflowError(
            _("Only a draft or returned assessment can be submitted (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    problems = missing_for_submission(assessment)
    if problems:
        raise WorkflowError(" ".join(problems))
    _bump(assessment, by)
    returned = list(assessment.answers.filter(is_returned=True).select_related("criterion"))
    for answer in returned:
        log_change(
            answer, by=by, action="answer", field="is_returned", old=True, new=False, assessment=assessment
        )
    if returned:
        assessment.answers.filter(pk__in=[a.pk for a in returned]).update(is_returned=False)
    _set_status(assessment, by, Status.SUBMITTED, submitted_at=timezone.now(), dossier_returned=False)
    _rescore(assessment)
    return assessment


@atomic_deferred
def return_assessment(*, assessment: Assessment, by, items: dict[str, str]) -> Assessment:
    """Appraiser sends the assessment back; only ``items`` (criterion code → reason, or
    ``DOSSIER`` → reason) reopen for the officer."""
    _require(by, assessment.unit, Role.APPRAISER)
    assessment = _lock(assessment)
    if assessment.status not in (Status.SUBMITTED, Status.APPRAISED):
        raise WorkflowError(
            _("Only a submitted or appraised assessment can be returned (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    items = {nfc(code): nfc(reason) for code, reason in (items or {}).items()}
    if not items:
        raise WorkflowError(_("Choose at least one item to return, with a reason."))
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    for code, reason in items.items():
        if code != DOSSIER and code not in answers:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        if code in answers and answers[code].criterion.answer_type == Criterion.AnswerType.DERIVED:
            raise WorkflowError(_("%(code)s is computed from the units' results.") % {"code": code})
        if not reason:
            raise WorkflowError(_("Give the reason for returning %(code)s.") % {"code": _label(code)})
    _bump(assessment, by)
    assessment.answers.update(is_returned=False, return_reason="")
    for code, reason in items.items():
        if code == DOSSIER:
            continue
        answer = answers[code]
        answer.is_returned, answer.return_reason = True, reason
        answer.save(update_fields=["is_returned", "return_reason", "updated_at"])
        log_change(answer, by=by, action="returned", field="return_reason", new=reason, assessment=assessment)
    dossier_reason = items.get(DOSSIER, "")
    if dossier_reason:
        log_change(
            assessment, by=by, action="returned", field="dossier", new=dossier_reason, assessment=assessment
        )
    summary = "\n".join(f"{_label(code)}: {reason}" for code, reason in items.items())
    _set_status(
        assessment,
        by,
        Status.RETURNED,
        return_reason=summary,
        dossier_returned=bool(dossier_reason),
        dossier_return_reason=dossier_reason,
        appraised_at=None,
    )
    _rescore(assessment)
    return assessment


def _label(code: str) -> str:
    return _("Dossier") if code == DOSSIER else code


@atomic_deferred
def appraise_assessment(
    *, assessment: Assessment, by, values: dict[str, dict] | None = None, note: str = ""
) -> Assessment:
    """Appraiser confirms the dossier; ``values`` (code → {appraised_value, appraised_points})
    records where the appraisal differs from the self-assessment (kept apart)."""
    _require(by, assessment.unit, Role.APPRAISER)
    assessment = _lock(assessment)
    if assessment.status != Status.SUBMITTED:
        raise WorkflowError(
            _("Only a submitted assessment can be appraised (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    plan = []
    for code, data in (values or {}).items():
        answer = answers.get(nfc(code))
        if answer is None:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        if "appraised_value" in data:
            new = _check_value(answer.criterion, data["appraised_value"])
            if new != answer.appraised_value:
                plan.append((answer, "appraised_value", answer.appraised_value, new))
        if "appraised_points" in data:
            points = _check_points(answer.criterion, _to_decimal(data["appraised_points"], code))
            if points != answer.appraised_points:
                plan.append((answer, "appraised_points", answer.appraised_points, points))
    _bump(assessment, by)
    for answer, name, old, new in plan:
        setattr(answer, name, new)
        answer.save(update_fields=[name, "updated_at"])
        log_change(answer, by=by, action="appraisal", field=name, old=old, new=new, assessment=assessment)
    fields = {"appraised_at": timezone.now()}
    if nfc(note) != assessment.appraisal_note:
        log_change(
            assessment,
            by=by,
            action="appraisal",
            field="appraisal_note",
            old=assessment.appraisal_note,
            new=nfc(note),
            assessment=assessment,
        )
        fields["appraisal_note"] = nfc(note)
    _set_status(assessment, by, Status.APPRAISED, **fields)
    _rescore(assessment)
    return assessment


def unmet_codes(assessment: Assessment) -> list[str]:
    """Entered criteria whose effective answer (appraised over self) is not met or empty."""
    entered = {c.pk for c in entered_criteria(assessment.criteria_set)}
    return [
        a.criterion.code
        for a in assessment.answers.select_related("criterion").order_by("criterion__order")
        if a.criterion_id in entered and a.effective_value not in (Value.MET, Value.NOT_APPLICABLE)
    ]


def _lock_for_decision(assessments, by, issuer: Unit) -> list[Assessment]:
    ids = sorted({a.pk for a in assessments})
    if not ids:
        raise WorkflowError(_("Choose at least one assessment."))
    locked = list(
        Assessment.objects.select_for_update(of=("self",))
        .select_related("unit", "campaign")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len({a.campaign_id for a in locked}) > 1:
        raise WorkflowError(_("One decision covers one campaign: choose assessments of the same year."))
    if not is_approver_of(by, issuer):
        raise WorkflowError(_("Only an approver of %(issuer)s can sign its decisions.") % {"issuer": issuer})
    for a in locked:
        if not can_see(by, a.unit):
            raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": a.unit})
        authority = recognizing_authority(a.unit, a.campaign.year)
        if authority is None or authority.pk != issuer.pk:
            raise WorkflowError(
                _("%(unit)s is recognized by %(authority)s, not by %(issuer)s.")
                % {"unit": a.unit, "authority": authority or "?", "issuer": issuer}
            )
        if a.status != Status.APPRAISED:
            raise WorkflowError(
                _("%(unit)s is %(status)s; only appraised assessments can be decided.")
                % {"unit": a.unit, "status": a.get_status_display()}
            )
    return locked


def _new_decision(*, campaign: Campaign, kind: str, by, issuer: Unit, **fields) -> Decision:
    for required in ("issued_on", "signer_title", "signer_name"):
        if not fields.get(required):
            raise WorkflowError(_("Enter the decision's date, the signer's title and name."))
    clean = {k: nfc(v) if isinstance(v, str) else v for k, v in fields.items() if v is not None}
    clean["issued_on"] = _to_date(clean["issued_on"], _("Issued on"))
    decision = Decision.objects.create(
        campaign=campaign, issuer=issuer, kind=kind, year=campaign.year, created_by=actor_or_none(by), **clean
    )
    log_change(decision, by=by, action="decision", field="kind", new=kind)
    return decision


@transaction.atomic
def recognize(
    *,
    assessments,
    by,
    issuer: Unit,
    issued_on: datetime.date,
    signer_title: str,
    signer_name: str,
    place: str = "",
    signed_for: str = "",
    legal_bases: str = "",
    recipients: str = "",
    symbol: str | None = None,
) -> Decision:
    """One recognition decision for many appraised assessments (e.g. a commune's residential
    areas); issues it (numbered) and creates the certificates. Running it twice (double
    click) finds the assessments already recognized and refuses."""
    locked = _lock_for_decision(assessments, by, issuer)
    failing = {a.unit: unmet_codes(a) for a in locked}
    failing = {unit: codes for unit, codes in failing.items() if codes}
    if failing:
        unit, codes = next(iter(failing.items()))
        raise WorkflowError(
            _("%(unit)s does not meet %(codes)s; record a non-recognition instead.")
            % {"unit": unit, "codes": ", ".join(codes)}
        )
    extra = {"symbol": symbol} if symbol else {}
    decision = _new_decision(
        campaign=locked[0].campaign,
        kind=Decision.Kind.RECOGNITION,
        by=by,
        issuer=issuer,
        issued_on=issued_on,
        signer_title=signer_title,
        signer_name=signer_name,
        place=place,
        signed_for=signed_for,
        legal_bases=legal_bases,
        recipients=recipients,
        **extra,
    )
    now = timezone.now()
    for a in locked:
        _bump(a, by)
        log_change(a, by=by, action="decision", field="decision", new=decision.pk, assessment=a)
        _set_status(a, by, Status.RECOGNIZED, decision=decision, decided_at=now)
    decision = issue_decision(decision=decision, by=by)
    create_certificates(decision=decision, by=by)
    for a in locked:
        _rescore(a)
    return decision


@transaction.atomic
def not_recognize(
    *,
    assessments,
    by,
    issuer: Unit,
    reason: str,
    issued_on: datetime.date,
    signer_title: str,
    signer_name: str,
    place: str = "",
    signed_for: str = "",
    legal_bases: str = "",
    recipients: str = "",
) -> Decision:
    """Record that appraised assessments are not recognized, through a non-recognition decision."""
    if not nfc(reason):
        raise WorkflowError(_("Give the reason for not recognizing."))
    locked = _lock_for_decision(assessments, by, issuer)
    decision = _new_decision(
        campaign=locked[0].campaign,
        kind=Decision.Kind.NON_RECOGNITION,
        by=by,
        issuer=issuer,
        reason=reason,
        issued_on=issued_on,
        signer_title=signer_title,
        signer_name=signer_name,
        place=place,
        signed_for=signed_for,
        legal_bases=legal_bases,
        recipients=recipients,
    )
    now = timezone.now()
    for a in locked:
        _bump(a, by)
        log_change(a, by=by, action="decision", field="decision", new=decision.pk, assessment=a)
        _set_status(a, by, Status.NOT_RECOGNIZED, decision=decision, decided_at=now)
    decision = issue_decision(decision=decision, by=by)
    for a in locked:
        _rescore(a)
    return decision


@transaction.atomic
def revoke_assessment(
    *, assessment: Assessment, by, reason: str, reference: str, revoking_decision: Decision | None = None
) -> Assessment:
    """Withdraw a recognition (no national rule; REGULATION §6.6): reason and reference required."""
    assessment = _lock(assessment)
    if not can_see(by, assessment.unit):
        raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": assessment.unit})
    authority = recognizing_authority(assessment.unit, assessment.campaign.year)
    if authority is None or not is_approver_of(by, authority):
        raise WorkflowError(
            _("Only an approver of %(issuer)s can revoke this recognition.") % {"issuer": authority or "?"}
        )
    if assessment.status != Status.RECOGNIZED:
        raise WorkflowError(
            _("Only a recognized assessment can be revoked (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    reason, reference = nfc(reason), nfc(reference)
    if not reason or not reference:
        raise WorkflowError(_("Give the reason and the reference of the revocation."))
    _bump(assessment, by)
    log_change(
        assessment, by=by, action="revocation", field="revoke_reference", new=reference, assessment=assessment
    )
    _set_status(
        assessment,
        by,
        Status.REVOKED,
        revoke_reason=reason,
        revoke_reference=reference,
        revoked_at=timezone.now(),
    )
    revoke_certificates(assessment=assessment, by=by, reason=reason, revoking_decision=revoking_decision)
    _rescore(assessment)
    return assessment
