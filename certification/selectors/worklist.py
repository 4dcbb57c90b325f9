"""“Việc cần làm”: the assessments waiting for a user, by what they wait for.

Also used by the dashboard and notifications: ``task_counts(user)``.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from certification.models import Assessment, Campaign
from certification.services import is_approver_of, recognizing_authority
from units.access import scope_queryset
from units.models import RoleAssignment

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


def awaiting_decision(user: User) -> list[Assessment]:
    """Appraised assessments whose recognizing authority has this user as an approver."""
    candidates = _base(user, Role.APPROVER).filter(status=Status.APPRAISED)
    authorities: dict[tuple[int, int], bool] = {}
    result = []
    for a in candidates:
        authority = recognizing_authority(a.unit, a.campaign.year)
        if authority is None:
            continue
        key = (authority.pk, a.campaign.year)
        if key not in authorities:
            authorities[key] = is_approver_of(user, authority)
        if authorities[key]:
            a.authority = authority
            result.append(a)
    return result


def task_groups(user: User) -> list[TaskGroup]:
    return [
        TaskGroup("returned", str(_("Returned to me for correction")), list(returned_to(user))),
        TaskGroup("appraisal", str(_("Waiting for my appraisal")), list(awaiting_appraisal(user))),
        TaskGroup("decision", str(_("Waiting for my decision")), awaiting_decision(user)),
        TaskGroup("drafts", str(_("Drafts still to submit")), list(drafts_of(user))),
    ]


def task_counts(user: User) -> dict[str, int]:
    return {
        "returned": returned_to(user).count(),
        "appraisal": awaiting_appraisal(user).count(),
        "decision": len(awaiting_decision(user)),
        "drafts": drafts_of(user).count(),
    }
