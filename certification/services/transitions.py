"""Workflow transitions: submit, return, appraise, recognize / not recognize, revoke (REGULATION §6).

Every function here, in ``entry`` and in ``registration`` is keyword-only and atomic, checks role, scope, state and deadline
first, and raises ``WorkflowError`` (translated) before writing anything. Every change of an
answer, a status or a document is written to the audit chain (``audit.log_change``).

States::

    draft ──submit──▶ submitted ──appraise──▶ appraised ──recognize──▶ recognized ──revoke──▶ revoked
      ▲                  │    ▲                  │      └─not_recognize─▶ not recognized
      └── returned ◀─return┘    └──── resubmit ───┘ (return is possible from both)

Optimistic concurrency: every change bumps ``Assessment.version`` and writes one "version"
audit event first; a writer holding an older version gets ``ConflictError`` listing the
events written since.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, Required, TypedDict, Unpack

from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import nfc
from certification.audit import Action, Actor, actor_or_none, atomic_deferred, log_change
from certification.documents.certificates import create_certificates, revoke_certificates
from certification.documents.decisions import issue_decision
from certification.models import Answer, Assessment, Campaign, Criterion, Decision
from certification.selectors import reasons
from certification.selectors.assessments import (
    APPRAISABLE,
    DECIDABLE,
    RETURNABLE,
    REVOCABLE,
    SUBMITTABLE,
    answer_states,
    is_approver_of,
    missing_for_submission,
    unmet_codes,
)
from certification.services.rules import (
    DOSSIER,
    Role,
    Status,
    bump_version,
    check_answer,
    check_points,
    check_version,
    lock,
    log_event,
    parse_date,
    parse_decimal,
    require_entry_open,
    require_role_on,
    require_status,
    rescore,
    set_status,
)
from certification.services.scoring import score_now
from units.access import can_see
from units.authority import recognizing_authority
from units.models import Unit


@atomic_deferred
def submit_assessment(
    *, assessment: Assessment, by: Actor, expected_version: int | None = None
) -> Assessment:
    """Officer → appraisal. All leaf answers given, minutes present; locks the assessment."""
    require_role_on(by, assessment.unit, Role.OFFICER)
    assessment = lock(assessment)
    check_version(assessment, expected_version)
    require_status(
        assessment, SUBMITTABLE, _("Only a draft or returned assessment can be submitted (it is %(status)s).")
    )
    require_entry_open(assessment)
    # The answers read once, their criteria from the set's kept tree (issue 23: one query), with
    # only the columns checked and written here (round 9).
    answers = answer_states(assessment)
    problems = missing_for_submission(assessment, answers)
    if problems:
        raise WorkflowError(" ".join(problems))
    # The new version is written with the status: one UPDATE of the locked row (issue 23).
    bump_version(assessment, by, write=False)
    returned = [a for a in answers if a.is_returned]
    for answer in returned:
        log_event(assessment, by, Action.ANSWER, "is_returned", old=True, new=False, on=answer)
    if returned:
        assessment.answers.filter(pk__in=[a.pk for a in returned]).update(is_returned=False)
    set_status(assessment, by, Status.SUBMITTED, submitted_at=timezone.now(), version=assessment.version)
    rescore(assessment)
    return assessment


@atomic_deferred
def return_assessment(*, assessment: Assessment, by: Actor, items: dict[str, str]) -> Assessment:
    """Appraiser sends the assessment back; only ``items`` (criterion code → reason, or
    ``DOSSIER`` → reason) reopen for the officer."""
    require_role_on(by, assessment.unit, Role.APPRAISER)
    assessment = lock(assessment)
    require_status(
        assessment,
        RETURNABLE,
        _("Only a submitted or appraised assessment can be returned (it is %(status)s)."),
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
    bump_version(assessment, by)
    assessment.answers.update(is_returned=False, return_reason="")
    for code, reason in items.items():
        if code == DOSSIER:
            continue
        answer = answers[code]
        answer.is_returned, answer.return_reason = True, reason
        answer.save(update_fields=["is_returned", "return_reason", "updated_at"])
        log_event(assessment, by, Action.RETURNED, "return_reason", new=reason, on=answer)
    dossier_reason = items.get(DOSSIER, "")
    if dossier_reason:
        log_event(assessment, by, Action.RETURNED, "dossier", new=dossier_reason)
    set_status(assessment, by, Status.RETURNED, dossier_return_reason=dossier_reason, appraised_at=None)
    rescore(assessment)
    return assessment


def _label(code: str) -> str:
    return _("Dossier") if code == DOSSIER else code


@atomic_deferred
def appraise_assessment(
    *, assessment: Assessment, by: Actor, values: dict[str, dict[str, Any]] | None = None, note: str = ""
) -> Assessment:
    """Appraiser confirms the dossier; ``values`` (code → {appraised_value, appraised_points})
    records where the appraisal differs from the self-assessment (kept apart)."""
    require_role_on(by, assessment.unit, Role.APPRAISER)
    assessment = lock(assessment)
    require_status(
        assessment, APPRAISABLE, _("Only a submitted assessment can be appraised (it is %(status)s).")
    )
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    plan: list[tuple[Answer, str, Any, Any]] = []
    for code, data in (values or {}).items():
        answer = answers.get(nfc(code))
        if answer is None:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        if "appraised_value" in data:
            new = check_answer(answer.criterion, data["appraised_value"])
            if new != answer.appraised_value:
                plan.append((answer, "appraised_value", answer.appraised_value, new))
        if "appraised_points" in data:
            points = check_points(answer.criterion, parse_decimal(data["appraised_points"], code))
            if points != answer.appraised_points:
                plan.append((answer, "appraised_points", answer.appraised_points, points))
    bump_version(assessment, by)
    for answer, name, old, new in plan:
        setattr(answer, name, new)
        answer.save(update_fields=[name, "updated_at"])
        log_event(assessment, by, Action.APPRAISAL, name, old=old, new=new, on=answer)
    fields: dict[str, Any] = {"appraised_at": timezone.now()}
    if nfc(note) != assessment.appraisal_note:
        log_event(
            assessment, by, Action.APPRAISAL, "appraisal_note", old=assessment.appraisal_note, new=nfc(note)
        )
        fields["appraisal_note"] = nfc(note)
    set_status(assessment, by, Status.APPRAISED, **fields)
    rescore(assessment)
    return assessment


def _lock_for_decision(assessments: Iterable[Assessment], by: Actor, issuer: Unit) -> list[Assessment]:
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
        if a.status not in DECIDABLE:
            raise WorkflowError(
                _("%(unit)s is %(status)s; only appraised assessments can be decided.")
                % {"unit": a.unit, "status": a.get_status_display()}
            )
    return locked


def _new_decision(*, campaign: Campaign, kind: str, by: Actor, issuer: Unit, **fields: Any) -> Decision:
    for required in ("issued_on", "signer_title", "signer_name"):
        if not fields.get(required):
            raise WorkflowError(_("Enter the decision's date, the signer's title and name."))
    clean = {k: nfc(v) if isinstance(v, str) else v for k, v in fields.items() if v is not None}
    clean["issued_on"] = parse_date(clean["issued_on"], _("Issued on"))
    decision = Decision.objects.create(
        campaign=campaign, issuer=issuer, kind=kind, year=campaign.year, created_by=actor_or_none(by), **clean
    )
    log_change(decision, by=by, action=Action.DECISION, field="kind", new=kind)
    return decision


class DecisionDocument(TypedDict, total=False):
    """What a recognition or non-recognition decision says besides its verdict (NĐ 30/2020)."""

    issued_on: Required[datetime.date]
    signer_title: Required[str]
    signer_name: Required[str]
    place: str
    signed_for: str  # "TM." or "KT."
    legal_bases: str
    recipients: str


@atomic_deferred
def recognize(
    *,
    assessments: Iterable[Assessment],
    by: Actor,
    issuer: Unit,
    symbol: str | None = None,
    overrides: Mapping[int, str] | None = None,
    **document: Unpack[DecisionDocument],
) -> Decision:
    """One recognition decision for many appraised assessments (e.g. a commune's residential
    areas); issues it (numbered) and creates the certificates. Running it twice (double
    click) finds the assessments already recognized and refuses.

    A unit whose appraised answers say "not met" is refused (record a non-recognition). A unit
    the engine scores as failing for another reason (figures up on last year, households below
    the threshold, XA-4 short) is recognized only with a written reason in ``overrides``
    (assessment id → reason), recorded in the audit as ``RECOGNITION_OVERRIDE``."""
    locked = _lock_for_decision(assessments, by, issuer)
    failing = {a.unit: unmet_codes(a) for a in locked}
    failing = {unit: codes for unit, codes in failing.items() if codes}
    if failing:
        unit, codes = next(iter(failing.items()))
        raise WorkflowError(
            _("%(unit)s does not meet %(codes)s; record a non-recognition instead.")
            % {"unit": unit, "codes": ", ".join(codes)}
        )
    given = {int(pk): nfc(text or "") for pk, text in (overrides or {}).items()}
    score_now(locked)
    verdicts = reasons.for_assessments(locked)
    against = [a for a in locked if verdicts[a.pk].engine_fails]
    for a in against:
        if not given.get(a.pk):
            raise WorkflowError(
                _(
                    "The computed result of %(unit)s is “%(result)s”. To recognize it anyway, "
                    "write the reason for departing from the computed result."
                )
                % {"unit": a.unit, "result": verdicts[a.pk].sentence}
            )
    numbered_as = {"symbol": symbol} if symbol else {}  # else the model's default, "QĐ-UBND"
    decision = _decide(
        locked, kind=Decision.Kind.RECOGNITION, by=by, issuer=issuer, **numbered_as, **document
    )
    for a in against:
        log_change(
            a,
            by=by,
            action=Action.RECOGNITION_OVERRIDE,
            field="override_reason",
            old=verdicts[a.pk].sentence,
            new=given[a.pk],
            assessment=a,
        )
    return decision


@atomic_deferred
def not_recognize(
    *,
    assessments: Iterable[Assessment],
    by: Actor,
    issuer: Unit,
    reason: str,
    **document: Unpack[DecisionDocument],
) -> Decision:
    """Record that appraised assessments are not recognized, through a non-recognition decision."""
    if not nfc(reason):
        raise WorkflowError(_("Give the reason for not recognizing."))
    locked = _lock_for_decision(assessments, by, issuer)
    return _decide(
        locked, kind=Decision.Kind.NON_RECOGNITION, by=by, issuer=issuer, reason=reason, **document
    )


# The status a decision of each kind gives its assessments.
DECIDED_STATUS: dict[str, str] = {
    Decision.Kind.RECOGNITION: Status.RECOGNIZED,
    Decision.Kind.NON_RECOGNITION: Status.NOT_RECOGNIZED,
}


def _decide(locked: list[Assessment], *, kind: str, by: Actor, issuer: Unit, **fields: Any) -> Decision:
    """One decision of ``kind`` over the ``locked`` assessments, which move to its status
    (``DECIDED_STATUS``); the decision is issued (numbered), with its certificates for a recognition."""
    decision = _new_decision(campaign=locked[0].campaign, kind=kind, by=by, issuer=issuer, **fields)
    now = timezone.now()
    for a in locked:
        bump_version(a, by)
        log_event(a, by, Action.DECISION, "decision", new=decision.pk)
        set_status(a, by, DECIDED_STATUS[kind], decision=decision, decided_at=now)
    decision = issue_decision(decision=decision, by=by)
    if kind == Decision.Kind.RECOGNITION:
        create_certificates(decision=decision, by=by)
    for a in locked:
        rescore(a)
    return decision


@atomic_deferred
def revoke_assessment(
    *,
    assessment: Assessment,
    by: Actor,
    reason: str,
    issued_on: datetime.date | str | None = None,
    signer_title: str = "",
    signer_name: str = "",
    place: str = "",
    signed_for: str = "",
    legal_bases: str = "",
    recipients: str = "",
) -> Decision:
    """Withdraw a recognition through its own numbered revocation decision (NĐ 30 Art. 18(3): a
    decision is replaced by a document of the same form; REGULATION §6.6, §13): the decision is
    issued by the recognizing body (number of its yearly series), the certificates point to it,
    and the assessment's ``revoke_reference`` is its number. Returns the revocation decision."""
    assessment = lock(assessment)
    if not can_see(by, assessment.unit):
        raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": assessment.unit})
    authority = recognizing_authority(assessment.unit, assessment.campaign.year)
    if authority is None or not is_approver_of(by, authority):
        raise WorkflowError(
            _("Only an approver of %(issuer)s can revoke this recognition.") % {"issuer": authority or "?"}
        )
    require_status(
        assessment, REVOCABLE, _("Only a recognized assessment can be revoked (it is %(status)s).")
    )
    reason = nfc(reason)
    if not reason:
        raise WorkflowError(_("Give the reason for the revocation."))
    decision = _new_decision(
        campaign=assessment.campaign,
        kind=Decision.Kind.REVOCATION,
        by=by,
        issuer=authority,
        reason=reason,
        issued_on=issued_on,
        signer_title=signer_title,
        signer_name=signer_name,
        place=place,
        signed_for=signed_for,
        legal_bases=legal_bases,
        recipients=recipients,
    )
    decision = issue_decision(decision=decision, by=by)
    bump_version(assessment, by)
    log_event(assessment, by, Action.REVOCATION, "revoke_reference", new=decision.reference)
    set_status(
        assessment,
        by,
        Status.REVOKED,
        revoke_reason=reason,
        revoke_reference=decision.reference,
        revoked_at=timezone.now(),
    )
    revoke_certificates(assessment=assessment, by=by, reason=reason, revoking_decision=decision)
    rescore(assessment)
    return decision
