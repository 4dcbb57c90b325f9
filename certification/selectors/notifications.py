"""The notifications list: derived on the fly from what needs the user's action (no table).

Assessments returned to me, waiting for my appraisal or my decision, deadlines in the next
week, and the scoring runs and print jobs I started (finished, failed or still running).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


class Queue(NamedTuple):
    """Assessments waiting for the user's action in one role."""

    role: RoleAssignment.Role
    assessments: Callable[[User], QuerySet[Assessment]]
    kind: str
    icon: str
    text: Promise  # "%(unit)s"
    since: str  # the field saying since when it waits


class JobSource(NamedTuple):
    """The jobs of one kind the user started."""

    model: type[ScoringRun] | type[PrintJob]
    subject: str  # the field naming what the job works on (also the text's placeholder)
    started: str  # the field saying when it was asked for
    kind: str
    icon: str
    text: Promise  # "%(<subject>)s", "%(status)s", "%(percent)d"
    url_name: str


QUEUES = (
    Queue(
        Role.APPRAISER,
        appraisal_queue,
        "appraise",
        "assessment",
        gettext_lazy("%(unit)s is waiting for your appraisal."),
        "submitted_at",
    ),
    Queue(
        Role.APPROVER,
        decision_queue,
        "decide",
        "decision",
        gettext_lazy("%(unit)s is waiting for your decision."),
        "appraised_at",
    ),
)
JOBS = (
    JobSource(
        ScoringRun,
        "campaign",
        "started_at",
        "scoring",
        "report",
        gettext_lazy("Scoring of %(campaign)s: %(status)s (%(percent)d %%)."),
        "certification:scoring-run-detail",
    ),
    JobSource(
        PrintJob,
        "decision",
        "created_at",
        "printing",
        "printer",
        gettext_lazy("Printing the certificates of %(decision)s: %(status)s (%(percent)d %%)."),
        "certification:print-detail",
    ),
)


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
    for queue in QUEUES:
        if queue.role.value in roles:
            for a in queue.assessments(user).select_related("unit")[:LIMIT]:
                items.append(
                    Notification(
                        kind=queue.kind,
                        icon=queue.icon,
                        text=str(queue.text) % {"unit": a.unit},
                        url=_assessment_url(a.pk),
                        when=getattr(a, queue.since) or a.updated_at,
                        state=a.status,
                        state_label=a.get_status_display(),
                    )
                )
    for source in JOBS:
        started = {f"{source.started}__gte": since}
        jobs = source.model.objects.filter(requested_by=user, **started).select_related(source.subject)
        for job in jobs[:LIMIT]:
            items.append(
                Notification(
                    kind=source.kind,
                    icon=source.icon,
                    text=str(source.text)
                    % {
                        source.subject: getattr(job, source.subject),
                        "status": job.get_status_display(),
                        "percent": job.percent,
                    },
                    detail=job.error,
                    url=reverse(source.url_name, args=[job.pk]),
                    when=job.finished_at or getattr(job, source.started),
                    state=job.status,
                    state_label=job.get_status_display(),
                )
            )
    items.sort(key=lambda n: n.when, reverse=True)
    return items
