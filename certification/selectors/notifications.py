"""The notifications list: derived on the fly from what needs the user's action (no table).

Assessments returned to me, waiting for my appraisal or my decision, deadlines in the next
week, and the scoring runs and print jobs I started (finished, failed or still running).
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Answer, Assessment, PrintJob, ScoringRun
from certification.selectors.dashboard import (
    appraisal_queue,
    campaign_deadlines,
    current_campaigns,
    decision_queue,
)
from units.access import scope_queryset, user_roles
from units.models import RoleAssignment

Role = RoleAssignment.Role
LIMIT = 50
RECENT_DAYS = 14
DEADLINE_DAYS = 7


@dataclass
class Notification:
    kind: str
    icon: str
    text: str
    url: str
    when: datetime.datetime
    state: str = ""
    state_label: str = ""
    detail: str = ""
    unread: bool = False  # set by the view: newer than the user's last look at the list


def _assessment_url(pk: int) -> str:
    return reverse("certification:assessment-detail", args=[pk])


def notifications_for(user: User) -> list[Notification]:
    """Newest first; a constant number of queries."""
    roles = user_roles(user)
    now = timezone.now()
    since = now - datetime.timedelta(days=RECENT_DAYS)
    items: list[Notification] = []
    if Role.OFFICER.value in roles:
        returned = scope_queryset(
            user, Assessment.objects.filter(status=Assessment.Status.RETURNED), roles=[Role.OFFICER]
        )
        returned_answers = Answer.objects.filter(is_returned=True).select_related("criterion")
        returned = returned.select_related("unit").prefetch_related(Prefetch("answers", returned_answers))
        for a in returned.order_by("-updated_at")[:LIMIT]:
            items.append(
                Notification(
                    kind="returned",
                    icon="return",
                    text=_("%(unit)s was returned for correction.") % {"unit": a.unit},
                    detail=a.return_reason,
                    url=_assessment_url(a.pk),
                    when=a.updated_at,
                    state="returned",
                    state_label=a.get_status_display(),
                )
            )
        today = timezone.localdate()
        for campaign in current_campaigns(user)[:1]:
            for d in campaign_deadlines(campaign, today):
                if 0 <= d.days <= DEADLINE_DAYS:
                    items.append(
                        Notification(
                            kind="deadline",
                            icon="calendar",
                            text=_("Deadline on %(date)s: %(what)s.")
                            % {"date": d.date.strftime("%d/%m/%Y"), "what": d.label},
                            url=reverse("home"),
                            when=now + datetime.timedelta(days=d.days),  # upcoming ones first
                            state="pending",
                            state_label=_("Soon"),
                        )
                    )
    if Role.APPRAISER.value in roles:
        for a in appraisal_queue(user).select_related("unit")[:LIMIT]:
            items.append(
                Notification(
                    kind="appraise",
                    icon="assessment",
                    text=_("%(unit)s is waiting for your appraisal.") % {"unit": a.unit},
                    url=_assessment_url(a.pk),
                    when=a.submitted_at or a.updated_at,
                    state="submitted",
                    state_label=a.get_status_display(),
                )
            )
    if Role.APPROVER.value in roles:
        for a in decision_queue(user).select_related("unit")[:LIMIT]:
            items.append(
                Notification(
                    kind="decide",
                    icon="decision",
                    text=_("%(unit)s is waiting for your decision.") % {"unit": a.unit},
                    url=_assessment_url(a.pk),
                    when=a.appraised_at or a.updated_at,
                    state="appraised",
                    state_label=a.get_status_display(),
                )
            )
    for run in ScoringRun.objects.filter(requested_by=user, started_at__gte=since).select_related("campaign")[
        :LIMIT
    ]:
        items.append(
            Notification(
                kind="scoring",
                icon="report",
                text=_("Scoring of %(campaign)s: %(status)s (%(percent)d %%).")
                % {"campaign": run.campaign, "status": run.get_status_display(), "percent": run.percent},
                detail=run.error,
                url=reverse("certification:scoring-run-detail", args=[run.pk]),
                when=run.finished_at or run.started_at,
                state=run.status,
                state_label=run.get_status_display(),
            )
        )
    for job in PrintJob.objects.filter(requested_by=user, created_at__gte=since).select_related("decision")[
        :LIMIT
    ]:
        items.append(
            Notification(
                kind="printing",
                icon="printer",
                text=_("Printing the certificates of %(decision)s: %(status)s (%(percent)d %%).")
                % {"decision": job.decision, "status": job.get_status_display(), "percent": job.percent},
                detail=job.error,
                url=reverse("certification:print-detail", args=[job.pk]),
                when=job.finished_at or job.created_at,
                state=job.status,
                state_label=job.get_status_display(),
            )
        )
    items.sort(key=lambda n: n.when, reverse=True)
    return items
