"""Reading assessments: who may take which step of the workflow (the predicates the services
enforce and the pages ask to show their buttons), what still blocks submission, the criteria not met, the timeline, what
other writers changed since a version, and last year's assessment."""

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from antt.database.compiled import Compiled, prepared_value
from antt.text import person_name
from antt.web.fragments import fragment_key
from certification import extensions
from certification.audit import Action, Actor
from certification.models import (
    Answer,
    Assessment,
    AuditEvent,
    Campaign,
    Certificate,
    CriteriaSet,
    Criterion,
    Decision,
    Evidence,
    Registration,
    Result,
    ScoreItem,
)
from certification.scoring.fingerprint import rows_stamp
from certification.selectors import history
from certification.selectors.criteria import (
    answerable_criteria,
    criteria_tree,
    criterion_text,
    flatten_tree,
    kept_for_published,
    ordered_criteria,
)
from units.access import has_role, has_role_at
from units.authority import recognizing_authority
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status
Value = Answer.Value

# The state each transition starts from (the services refuse any other).
SUBMITTABLE = Assessment.EDITABLE_STATUSES
APPRAISABLE = (Status.SUBMITTED,)
RETURNABLE = (Status.SUBMITTED, Status.APPRAISED)
DECIDABLE = (Status.APPRAISED,)
REVOCABLE = (Status.RECOGNIZED,)


def is_approver_of(user: Actor, authority: Unit) -> bool:
    """An approver *of* the recognizing body itself (a role higher up does not count), as the
    actor's assignments say (an API token's narrowed ones: a token limited to units below the
    body does not act for the body)."""
    return has_role_at(user, authority, Role.APPROVER)


def can_submit(user: User, assessment: Assessment) -> bool:
    return assessment.status in SUBMITTABLE and has_role(user, assessment.unit, Role.OFFICER)


def can_appraise(user: User, assessment: Assessment) -> bool:
    return assessment.status in APPRAISABLE and has_role(user, assessment.unit, Role.APPRAISER)


def can_return(user: User, assessment: Assessment) -> bool:
    return assessment.status in RETURNABLE and has_role(user, assessment.unit, Role.APPRAISER)


def can_decide(user: User, assessment: Assessment, authority: Unit | None) -> bool:
    """Recognize or not: ``authority`` is the assessment's recognizing body."""
    return assessment.status in DECIDABLE and authority is not None and is_approver_of(user, authority)


def can_revoke(user: User, assessment: Assessment, authority: Unit | None) -> bool:
    return assessment.status in REVOCABLE and authority is not None and is_approver_of(user, authority)


@dataclass(frozen=True)
class Change:
    at: datetime.datetime
    actor: str
    subject: str
    field: str
    old: str
    new: str
    action: str = ""


def changes_since(assessment: Assessment, version: int) -> list[Change]:
    """What other writers changed after ``version`` (answers, figures, dossier, status)."""
    return changes_after(assessment, version) or []


def changes_after(assessment: Assessment, version: int) -> list[Change] | None:
    """The changes after ``version``, oldest first; None when ``version`` is not one this
    assessment went through (nothing can be said about what happened since)."""
    mark = (
        AuditEvent.objects.filter(assessment=assessment, action=Action.VERSION, old=str(version))
        .order_by("id")
        .first()
    )
    if mark is None:
        return None
    events = (
        AuditEvent.objects.filter(assessment=assessment, id__gt=mark.id)
        .exclude(action=Action.VERSION)
        .select_related("actor")
        .order_by("id")
    )
    return [
        Change(
            at=e.at,
            actor=person_name(e.actor) if e.actor else _("system"),
            subject=e.object_repr.split(":")[0] if e.object_type == "certification.answer" else "",
            field=e.field,
            old=e.old,
            new=e.new,
            action=e.action,
        )
        for e in events
    ]


_PREVIOUS = Compiled(
    lambda unit_id, year: Assessment.objects.filter(unit_id=unit_id, campaign__year=year).order_by("pk")[:1]
)


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The same unit's assessment in the previous year (for KDC-4a: this year vs last year); its
    campaign is not read (its year is this year's minus one)."""
    found = _PREVIOUS(assessment.unit_id, assessment.campaign.year - 1)
    return found[0] if found else None


_ANSWER_VALUES = Compiled(
    lambda assessment_id: Answer.objects.filter(assessment_id=assessment_id).only(
        "id", "criterion_id", "value", "is_returned"
    )
)


def missing_for_submission(assessment: Assessment, answers: Iterable[Answer] | None = None) -> list[str]:
    """What still blocks submission, as readable sentences (empty when it can be submitted).
    ``answers``: the assessment's answers with their criterion, when the caller has them."""
    problems = []
    entered = {c.pk for c in answerable_criteria(assessment.criteria_set)}
    # (criterion, answer id, value): without ``answers``, only these (and ``is_returned``, for the
    # submission's ``answer_states``) are read, in a query compiled once (issue 23, round 7: no
    # other column loaded), and the criteria come from the
    # set's tree (kept for a published set); an answer of a criterion outside the tree is left out.
    rows: list[tuple[Criterion, int, str | None]]
    if answers is None:
        in_tree = {c.pk: c for c in ordered_criteria(assessment.criteria_set)}
        rows = [
            (in_tree[a.criterion_id], a.pk, a.value)
            for a in _ANSWER_VALUES(assessment.pk)
            if a.criterion_id in in_tree
        ]
    else:
        rows = [(a.criterion, a.pk, a.value) for a in answers]
    rows.sort(key=lambda row: (row[0].order, row[1]))
    unanswered = [c.code for c, _pk, value in rows if c.pk in entered and not value]
    if unanswered:
        problems.append(_("Criteria not answered: %(codes)s.") % {"codes": ", ".join(unanswered)})
    needs_figures = any(c.answer_type == Criterion.AnswerType.COMPARISON for c, _pk, _value in rows)
    if needs_figures and any(getattr(assessment, f) is None for f in Assessment.FIGURE_FIELDS):
        problems.append(_("Enter this year's crime, social-evil and violation figures."))
    if not (assessment.meeting_date and assessment.meeting_chair and assessment.meeting_attendees):
        problems.append(_("Enter the meeting minutes: date, chair and attendees."))
    return problems


def unmet_codes(assessment: Assessment) -> list[str]:
    """Entered criteria whose effective answer (appraised over self) is not met or empty."""
    entered = {c.pk for c in answerable_criteria(assessment.criteria_set)}
    return [
        a.criterion.code
        for a in assessment.answers.select_related("criterion").order_by("criterion__order")
        if a.criterion_id in entered and a.effective_value not in (Value.MET, Value.NOT_APPLICABLE)
    ]


def revocation_of(assessment: Assessment) -> Decision | None:
    """The revocation decision that withdrew the assessment's certificates (None before)."""
    if assessment.status != Status.REVOKED:
        return None
    certificate = (
        Certificate.objects.filter(assessment=assessment, revoking_decision__isnull=False)
        .select_related("revoking_decision")
        .order_by("-revoked_on", "-pk")
        .first()
    )
    return certificate.revoking_decision if certificate else None


def registration_is_locked(campaign_id: int, unit_id: int) -> bool:
    """Registration data (households, resolution, plan, pledge) are what the decision was taken
    on: once the unit's assessment is decided (recognized, not recognized or revoked) they no
    longer change (the service refuses, the form shows them read-only)."""
    return Assessment.objects.filter(
        campaign_id=campaign_id, unit_id=unit_id, status__in=Assessment.DECIDED_STATUSES
    ).exists()


def entry_deadline(assessment: Assessment) -> datetime.date:
    return assessment.campaign.entry_deadline_for(assessment.unit.kind)


def entry_is_open(assessment: Assessment, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    if today <= entry_deadline(assessment):
        return True
    return bool(assessment.entry_exception_until and assessment.entry_exception_until >= today)


def item_is_open(assessment: Assessment, answer: Answer | None) -> bool:
    """May this item of an editable assessment change? Everything of a draft; of a returned
    assessment only what the appraiser returned: the ``answer``, or the dossier (``None``)."""
    if assessment.status != Status.RETURNED:
        return True
    return assessment.dossier_returned if answer is None else answer.is_returned


def figures_are_open(assessment: Assessment) -> bool:
    """This year's figures follow the comparison criterion (KDC-4a): open in a draft, and in a
    returned assessment when that criterion was returned."""
    if assessment.status != Status.RETURNED:
        return True
    return assessment.answers.filter(
        is_returned=True, criterion__answer_type=Criterion.AnswerType.COMPARISON
    ).exists()


# --- the entry page ---------------------------------------------------------------------------


def value_choices(criterion: Criterion) -> list[tuple[str, str | Promise]]:
    choices: list[tuple[str, str | Promise]] = [
        (Answer.Value.MET, Answer.Value.MET.label),
        (Answer.Value.NOT_MET, Answer.Value.NOT_MET.label),
    ]
    if criterion.na_allowed:
        choices.append((Answer.Value.NOT_APPLICABLE, Answer.Value.NOT_APPLICABLE.label))
    return choices


def max_points_by_criterion(criteria_set: CriteriaSet) -> dict[int, object]:
    """criterion id → its maximum points on the set's score sheet (kept for a published set)."""

    def read() -> dict[int, object]:
        return dict(
            ScoreItem.objects.filter(sheet__criteria_set=criteria_set).values_list(
                "criterion_id", "max_points"
            )
        )

    return kept_for_published(criteria_set, "max_points", read)


# What the entry form reads on every reload, compiled once per process (issue 23, round 5).
_ASSESSMENT = Compiled(
    lambda pk: Assessment.objects.select_related("unit", "campaign", "criteria_set", "decision").filter(pk=pk)
)
_ID_MAX = 2**63 - 1  # the ids' column (bigint)


def assessment_by_id(pk: int) -> Assessment | None:
    """The assessment with its unit, campaign, criteria set and decision; None when there is none
    (whether the user may see it is the caller's question: ``units.access.can_see``)."""
    if not 0 < pk <= _ID_MAX:
        return None
    found = _ASSESSMENT(pk)
    return found[0] if found else None


_ANSWERS = Compiled(lambda assessment_id: Answer.objects.filter(assessment_id=assessment_id))


# A few of them by id (at most seven: the assessment's id is the eighth argument).
_SOME_ANSWERS = Compiled(
    lambda assessment_id, *ids: Answer.objects.filter(assessment_id=assessment_id, pk__in=ids)
)
SOME_ANSWERS_MAX = 7


def answer_states(assessment: Assessment) -> list[Answer]:
    """The assessment's answers with only their criterion, value and ``is_returned`` read (the
    other columns deferred), each with its criterion from the set's tree: what a submission
    checks and writes, in a query kept once per process (issue 23, round 9: the other nine
    columns of 15-40 rows were read and converted for nothing)."""
    criteria = {c.pk: c for c in ordered_criteria(assessment.criteria_set)}
    answers = _ANSWER_VALUES(assessment.pk)
    for answer in answers:
        criterion = criteria.get(answer.criterion_id)
        if criterion is not None:  # else read when asked for, as the ORM would
            answer.criterion = criterion
    return answers


def answers_of(assessment: Assessment, ids: Iterable[int] | None = None) -> list[Answer]:
    """The assessment's answers, unordered, in one query compiled once per process, each with its
    criterion from the set's tree (kept for a published set: issue 23, round 6). The criteria are
    shared: callers must not change them. ``ids``: only those of them (ids of other assessments'
    answers, or out of the column's range, are not found), in a query kept for up to
    ``SOME_ANSWERS_MAX`` ids: the inline save reads its one answer, not the 15-40 rows of the
    form (issue 23, round 9)."""
    criteria = {c.pk: c for c in ordered_criteria(assessment.criteria_set)}
    if ids is None:
        answers = _ANSWERS(assessment.pk)
    else:
        wanted = sorted({pk for pk in ids if 0 < pk <= _ID_MAX})
        if not wanted:
            return []
        if len(wanted) <= SOME_ANSWERS_MAX:
            answers = _SOME_ANSWERS(assessment.pk, *wanted)
        else:  # the whole form: all of them, kept, rather than a query compiled at each call
            chosen = set(wanted)
            answers = [a for a in _ANSWERS(assessment.pk) if a.pk in chosen]
    for answer in answers:
        criterion = criteria.get(answer.criterion_id)
        if criterion is not None:  # else read when asked for, as the ORM would
            answer.criterion = criterion
    return answers


_EVIDENCE = Compiled(
    lambda assessment_id: Evidence.objects.filter(assessment_id=assessment_id).order_by("uploaded_at")
)
_REGISTRATION = Compiled(
    lambda campaign_id, unit_id: Registration.objects.filter(
        campaign_id=campaign_id, unit_id=unit_id
    ).order_by("pk")[:1]
)


def registration_of(assessment: Assessment) -> Registration | None:
    """The registration of the assessment's unit in its campaign."""
    found = _REGISTRATION(assessment.campaign_id, assessment.unit_id)
    return found[0] if found else None


def evidence_by_criterion(assessment: Assessment) -> dict[int | None, list[Evidence]]:
    """The assessment's files by criterion id (``None``: the dossier's), oldest first."""
    evidence: dict[int | None, list[Evidence]] = {}
    for e in _EVIDENCE(assessment.pk):
        evidence.setdefault(e.criterion_id, []).append(e)
    return evidence


def entry_rows(
    assessment: Assessment, *, can_edit: bool, evidence: dict[int | None, list[Evidence]] | None = None
) -> list[dict[str, Any]]:
    # Who last changed an answer is not shown on the form: no user row per answer (issue 23).
    answers = {a.criterion_id: a for a in _ANSWERS(assessment.pk)}
    if evidence is None:
        evidence = evidence_by_criterion(assessment)
    points = max_points_by_criterion(assessment.criteria_set)
    # The labels translated once per page (two lists, with and without "not applicable"): lazy
    # labels would be translated again for every criterion's radio buttons.
    choices: dict[bool, list[tuple[str, str]]] = {}
    rows = []
    unit, year = assessment.unit, assessment.campaign.year
    for node in flatten_tree(criteria_tree(assessment.criteria_set)):
        c = node.criterion
        answer = answers.get(c.pk)
        if answer is not None:
            answer.criterion = c  # the tree's row: nothing more to read (missing_for_submission)
        editable = bool(answer and can_edit and item_is_open(assessment, answer))
        if c.na_allowed not in choices:
            choices[c.na_allowed] = [(value, str(label)) for value, label in value_choices(c)]
        rows.append(
            {
                "criterion": c,
                "depth": node.depth,
                "text": criterion_text(c),
                "is_group": c.answer_type == Criterion.AnswerType.GROUP,
                "is_computed": c.answer_type == Criterion.AnswerType.DERIVED,
                "answer": answer,
                # The answer's id as text once: the row's ids and names repeat it ten times.
                "key": str(answer.pk) if answer else "",
                "has_hints": bool(c.na_condition or c.evidence_hint),
                "editable": editable,
                "choices": choices[c.na_allowed],
                "show_number": c.answer_type == Criterion.AnswerType.COUNT_THRESHOLD,
                "max_points": points.get(c.pk),
                "evidence": evidence.get(c.pk, []),
                # What other apps show beside the criterion (their data: part of the block's key).
                # The providers render their own templates (autoescaped): the HTML is safe as it comes.
                "panel": mark_safe(extensions.criterion_panel(unit, year, c.code)) if answer else "",  # noqa: S308
            }
        )
    return rows


@functools.cache
def _page_key_sql(assessment: str = "%(assessment)s", user: str = "%(user)s") -> str:
    """The stamps (``rows_stamp``: count and hash of id, xmin, cmin) of every row the entry form
    shows, in one statement: the assessment with its unit, campaign, set and decision, its
    answers, files, registration, last year's assessment, timeline and the actors in it, result
    (the reasons), certificates and the decisions that revoked them; the user and their roles
    (the header, the menu, the buttons). ``assessment`` and ``user``: the SQL of the two ids
    (named parameters by default; the outer row's id and ``%s`` in ``_ASSESSMENT_WITH_KEY``)."""
    table = {
        m: m._meta.db_table
        for m in (Assessment, Answer, Campaign, CriteriaSet, Decision, Evidence, Registration, Result)
    }
    events, certificates = AuditEvent._meta.db_table, Certificate._meta.db_table
    stamps = [
        rows_stamp(table[Assessment], "t.id = a.id"),
        rows_stamp(Unit._meta.db_table, "t.id = a.unit_id"),
        rows_stamp(table[Campaign], "t.id = a.campaign_id"),
        rows_stamp(table[CriteriaSet], "t.id = a.criteria_set_id"),
        rows_stamp(table[Decision], "t.id = a.decision_id"),
        rows_stamp(table[Answer], "t.assessment_id = a.id"),
        rows_stamp(table[Evidence], "t.assessment_id = a.id"),
        rows_stamp(table[Registration], "t.campaign_id = a.campaign_id AND t.unit_id = a.unit_id"),
        rows_stamp(
            table[Assessment],
            f"t.unit_id = a.unit_id AND t.campaign_id IN"
            f" (SELECT p.id FROM {table[Campaign]} p WHERE p.year = c.year - 1)",
        ),
        # The history: events are never changed or deleted by the application and are appended
        # under the audit chain's lock, held until commit (``audit._append``), so a new one always
        # has the highest id: the count and the last id tell every change, without hashing each
        # event's row (an assessment saved answer by answer has hundreds: issue 23, round 10).
        # The people named: the actors of the changes shown (``history.ON_FORM``), read through
        # the (assessment, id) index backwards.
        f"(SELECT count(*)::text || ':' || COALESCE(max(t.id), 0)::text FROM {events} t"
        " WHERE t.assessment_id = a.id)",
        rows_stamp(
            User._meta.db_table,
            f"t.id IN (SELECT e.actor_id FROM {events} e WHERE e.assessment_id = a.id"
            f" ORDER BY e.id DESC LIMIT {history.ON_FORM + 1})",
        ),
        rows_stamp(table[Result], "t.campaign_id = a.campaign_id AND t.unit_id = a.unit_id"),
        rows_stamp(certificates, "t.assessment_id = a.id"),
        rows_stamp(
            table[Decision],
            f"t.id IN (SELECT x.revoking_decision_id FROM {certificates} x WHERE x.assessment_id = a.id)",
        ),
        rows_stamp(User._meta.db_table, f"t.id = {user}"),
        rows_stamp(RoleAssignment._meta.db_table, f"t.user_id = {user}"),
    ]
    return (
        f"SELECT concat_ws('|', {', '.join(stamps)}) FROM {table[Assessment]} a"
        f" JOIN {table[Campaign]} c ON c.id = a.campaign_id WHERE a.id = {assessment}"
    )


# The entry form's assessment and its page's stamps in one statement (issue 23, round 10: a
# reload made two round trips, the assessment and then its key): the stamps as a subquery of the
# outer row, read in the same snapshot; the user's id is the second argument.
_ASSESSMENT_WITH_KEY = Compiled(
    lambda pk, user: (
        Assessment.objects.select_related("unit", "campaign", "criteria_set", "decision")
        .annotate(
            page_stamps=RawSQL(
                _page_key_sql(f'"{Assessment._meta.db_table}"."id"', "%s"),
                (user, user),
                output_field=TextField(),
            )
        )
        .filter(pk=pk)
    )
)


def assessment_with_page_key(pk: int, user: User) -> Assessment | None:
    """``assessment_by_id`` with the stamps of the page ``user`` would see (``page_key`` reads
    them from it instead of asking again). Read them only to serve a kept page: the caller
    still checks that the user may see the assessment."""
    if not 0 < pk <= _ID_MAX:
        return None
    found = _ASSESSMENT_WITH_KEY(pk, user.pk)
    if not found:
        return None
    found[0].page_stamps_of = user.pk  # type: ignore[attr-defined]
    return found[0]


def page_key(assessment: Assessment, user: User) -> str:
    """The key of the entry form as ``user`` sees it (``antt.web.fragments.kept_page``, issue 23,
    round 9): the stamps of its rows, read in one prepared statement, with the day (the entry
    period, the days left). Not for a unit whose criteria show other apps' panels: their rows
    are not in it (``keeps_page``)."""
    if getattr(assessment, "page_stamps_of", None) == user.pk:  # assessment_with_page_key
        stamps = assessment.page_stamps  # type: ignore[attr-defined]
    else:
        stamps = prepared_value(_page_key_sql(), {"assessment": assessment.pk, "user": user.pk})
    return fragment_key("entry-form", assessment.pk, user.pk, timezone.localdate(), stamps)


def keeps_page(assessment: Assessment) -> bool:
    """Whether the entry form may be kept whole: a residential area's, whose criteria show no
    other app's panel (the movement register's panels are for communes and institutions: their
    rows are not in ``page_key``)."""
    return assessment.unit.kind == Unit.Kind.RESIDENTIAL_AREA


_ANSWER_FIELDS = [f.attname for f in Answer._meta.concrete_fields]


def criterion_row_key(row: dict[str, Any]) -> str:
    """The cache key of one rendered row of the entry form (``antt_ui.criteria_rows``, issue 23,
    round 9): the criterion of its published set, the answer's every field, whether it is
    editable, its files and points, the other apps' panel. After one saved answer, the first view
    renders that row only (the whole block took ~5 ms of CPU, a third of that view)."""
    answer, criterion = row["answer"], row["criterion"]
    return fragment_key(
        "criterion-row",
        criterion.criteria_set_id,
        criterion.pk,
        row["depth"],
        row["editable"],
        row["max_points"],
        [(e.pk, e.original_name) for e in row["evidence"]],
        row["panel"],
        [getattr(answer, name) for name in _ANSWER_FIELDS] if answer else None,
    )


def permissions(user: User, assessment: Assessment) -> dict[str, Any]:
    unit = assessment.unit
    is_officer = has_role(user, unit, Role.OFFICER)
    entry_open = entry_is_open(assessment)
    can_edit = is_officer and assessment.is_editable and entry_open
    # Who decides matters only once the assessment is appraised (decide) or recognized (revoke):
    # the drafts and submissions officers open all day skip those queries.
    authority = None
    if assessment.status in (*DECIDABLE, *REVOCABLE):
        authority = recognizing_authority(unit, assessment.campaign.year)
    return {
        "is_officer": is_officer,
        "entry_open": entry_open,
        "can_edit": can_edit,
        "can_edit_figures": can_edit and figures_are_open(assessment),
        "can_edit_dossier": can_edit and item_is_open(assessment, None),
        "can_submit": can_submit(user, assessment),
        "can_appraise": can_appraise(user, assessment),
        "can_return": can_return(user, assessment),
        "can_decide": can_decide(user, assessment, authority),
        "can_revoke": can_revoke(user, assessment, authority),
        "can_open_exception": has_role(user, unit, Role.APPROVER)
        and assessment.status not in Assessment.DECIDED_STATUSES
        and not entry_open,
        "authority": authority,
    }
