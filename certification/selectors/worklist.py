"""“Việc cần làm”: the assessments waiting for a user, by what they wait for.

Also used by the dashboard and notifications: ``task_counts(user)``.
"""

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from certification.models import Assessment, Campaign
from certification.selectors.dashboard import decision_queue, recognized_by
from units.access import home_units, is_global, scope_queryset
from units.authority import recognizing_authority
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status


@dataclass
class TaskGroup:
    key: str
    title: str
    assessments: list[Assessment]

    @property
    def count(self) -> int:
        return len(self.assessments)


def _base(user: User, role: str) -> QuerySet[Assessment]:
    return scope_queryset(
        user,
        Assessment.objects.select_related("unit", "campaign").filter(campaign__status=Campaign.Status.OPEN),
        roles=[role],
    ).order_by("unit__path")


def returned_to(user: User) -> QuerySet[Assessment]:
    return _base(user, Role.OFFICER).filter(status=Status.RETURNED)


def drafts_of(user: User) -> QuerySet[Assessment]:
    return _base(user, Role.OFFICER).filter(status=Status.DRAFT)


def awaiting_appraisal(user: User) -> QuerySet[Assessment]:
    return _base(user, Role.APPRAISER).filter(status=Status.SUBMITTED)


def awaiting_decision(user: User) -> QuerySet[Assessment]:
    """Appraised assessments of open campaigns waiting for ``user``'s decision."""
    return (
        decision_queue(user)
        .filter(campaign__status=Campaign.Status.OPEN)
        .select_related("unit", "campaign")
        .order_by("unit__path")
    )


def with_authority(user: User, waiting: QuerySet[Assessment]) -> list[Assessment]:
    """``waiting`` (from ``awaiting_decision``) with ``a.authority``, the body that decides: one
    query per body the user is an approver of (the whole country's look-ups for a superuser)."""
    assessments = list(waiting)
    if is_global(user):
        for a in assessments:
            a.authority = recognizing_authority(a.unit, a.campaign.year)
        return assessments
    by_pk = {a.pk: a for a in assessments}
    for unit in home_units(user, [Role.APPROVER]):
        for pk in waiting.filter(recognized_by(unit)).values_list("pk", flat=True):
            by_pk[pk].authority = unit
    return assessments


@dataclass
class DecisionBatch:
    """What the "one decision for several units" page offers: the bodies the user signs for,
    the chosen one, the communes of its waiting assessments, the chosen commune, and the
    assessments that may go into the decision."""

    issuers: list[Unit]
    issuer: Unit | None
    communes: list[Unit]
    commune: Unit | None
    candidates: QuerySet[Assessment]


def decision_batch(
    user: User, *, issuer_id: str | None = None, commune_id: str | None = None
) -> DecisionBatch:
    """Raises ``Http404`` for an issuer the user does not sign for."""
    waiting = awaiting_decision(user)
    issuers = home_units(user, [Role.APPROVER])
    if is_global(user):  # the whole country: every body with an assessment waiting
        authorities = (a.authority for a in with_authority(user, waiting))
        issuers = [*issuers, *(authority for authority in authorities if authority is not None)]
    issuers = sorted({u.pk: u for u in issuers}.values(), key=lambda u: u.path)
    issuer = next((u for u in issuers if str(u.pk) == issuer_id), None)
    if issuer_id and issuer is None:
        raise Http404
    if issuer is None and len(issuers) == 1:
        issuer = issuers[0]
    candidates = waiting.filter(recognized_by(issuer)) if issuer is not None else waiting.none()
    communes = sorted(
        cast("set[Unit]", {a.unit.ancestor_of_kind(Unit.Kind.COMMUNE) for a in candidates} - {None}),
        key=lambda u: u.name,
    )
    commune = next((u for u in communes if str(u.pk) == commune_id), None)
    if commune is not None:
        candidates = candidates.filter(unit__path__startswith=commune.path)
    return DecisionBatch(issuers, issuer, communes, commune, candidates)


def task_groups(user: User) -> list[TaskGroup]:
    return [
        TaskGroup("returned", str(_("Returned to me for correction")), list(returned_to(user))),
        TaskGroup("appraisal", str(_("Waiting for my appraisal")), list(awaiting_appraisal(user))),
        TaskGroup(
            "decision", str(_("Waiting for my decision")), with_authority(user, awaiting_decision(user))
        ),
        TaskGroup("drafts", str(_("Drafts still to submit")), list(drafts_of(user))),
    ]


def task_counts(user: User) -> dict[str, int]:
    return {
        "returned": returned_to(user).count(),
        "appraisal": awaiting_appraisal(user).count(),
        "decision": awaiting_decision(user).count(),
        "drafts": drafts_of(user).count(),
    }
