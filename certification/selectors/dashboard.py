"""Role home pages: what each user sees first (``home_context(user)`` for ``templates/home.html``).

- officer: my units with their state for the current campaign, what is missing, days left;
- appraiser: assessments waiting for my appraisal; approver: waiting for my decision (oldest first);
- clerk: the latest decisions to print;
- leader (viewer, admin, approver): the province or commune at a glance — rates per kind and
  per commune, forecast against decided, communes at risk of failing XA-4 and why, the trend.

Every number comes from aggregate queries: the number of queries does not grow with the data.
"""

import datetime
import functools
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antt.database.compiled import Compiled, prepared_value, raw_instances
from antt.database.replica import report_reads
from antt.text import sort_key
from antt.web import charts
from antt.web.fragments import fragment_key
from certification.models import (
    Answer,
    Assessment,
    Campaign,
    CriteriaSet,
    Criterion,
    Decision,
    Evidence,
    Registration,
    Result,
)
from certification.models.criteria import UnitKind
from certification.scoring.engine import DEFAULT_THRESHOLD
from certification.scoring.fingerprint import rows_stamp
from certification.selectors.criteria import answerable_criteria
from certification.selectors.reasons import Reasons, for_assessments, xa4_of_commune, xa4_of_communes
from units.access import home_units, is_global, scope_filter, scope_paths, scope_queryset, user_roles
from units.authority import default_authority_q
from units.models import RecognizingAuthority, RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status
Kind = Unit.Kind

KIND_ORDER = Case(
    *(When(kind=k, then=Value(i)) for i, k in enumerate(Unit.ASSESSED_KINDS)), output_field=IntegerField()
)
UNIT_LIMIT = 300
QUEUE_LIMIT = 50

# Officer's view of a unit's state: (key, label, badge state).
STATE_LABELS = {
    "not_registered": (gettext_lazy("Not registered"), "pending"),
    "registered": (gettext_lazy("Registered, not assessed"), "draft"),
    Status.DRAFT: (gettext_lazy("Being assessed"), "draft"),
    Status.SUBMITTED: (gettext_lazy("Submitted"), "submitted"),
    Status.RETURNED: (gettext_lazy("Returned for correction"), "returned"),
    Status.APPRAISED: (gettext_lazy("Appraised"), "appraised"),
    Status.RECOGNIZED: (gettext_lazy("Recognized"), "recognized"),
    Status.NOT_RECOGNIZED: (gettext_lazy("Not recognized"), "not_recognized"),
    Status.REVOKED: (gettext_lazy("Revoked"), "revoked"),
}
KIND_GROUPS = [
    (UnitKind.RESIDENTIAL_AREA, (Kind.RESIDENTIAL_AREA,)),
    (UnitKind.COMMUNE, (Kind.COMMUNE,)),
    (UnitKind.AGENCY_ENTERPRISE, (Kind.AGENCY, Kind.ENTERPRISE)),
    (UnitKind.SCHOOL, (Kind.SCHOOL,)),
]
# Short names for chart legends (they must fit a third of a phone-wide chart).
SHORT_KIND_LABELS = {
    UnitKind.RESIDENTIAL_AREA: gettext_lazy("Residential"),
    UnitKind.COMMUNE: gettext_lazy("Communes"),
    UnitKind.AGENCY_ENTERPRISE: gettext_lazy("Agencies, firms"),
    UnitKind.SCHOOL: gettext_lazy("Schools"),
}


@dataclass
class Deadline:
    label: str
    date: datetime.date
    days: int

    @property
    def is_past(self) -> bool:
        return self.days < 0

    @property
    def is_soon(self) -> bool:
        return 0 <= self.days <= 14


@dataclass
class UnitRow:
    unit: Unit
    state: str
    label: str
    badge: str
    assessment_id: int | None
    url: str
    missing: list[str]
    deadline: datetime.date | None
    days_left: int | None
    forecast: str = ""
    reasons: Reasons | None = None  # the engine's reasons: what fails and what is needed


@dataclass
class Meter:
    """One bar of a "forecast against decided" chart."""

    label: str
    total: int
    registered: int
    recognized: int
    forecast: int
    url: str = ""
    threshold: int = DEFAULT_THRESHOLD
    reasons: list[str] = field(default_factory=list)
    fails_own: bool = False  # a commune failing its own criteria (XA-1..3), whatever its units do

    @property
    def recognized_rate(self) -> float:
        return 100 * self.recognized / self.total if self.total else 0.0

    @property
    def forecast_rate(self) -> float:
        return 100 * self.forecast / self.total if self.total else 0.0

    @property
    def registered_rate(self) -> float:
        return 100 * self.registered / self.total if self.total else 0.0

    @property
    def needed(self) -> int:
        return math.ceil(self.threshold * self.total / 100)

    @property
    def at_risk(self) -> bool:
        return bool(self.total) and (self.forecast < self.needed or self.registered < self.total)


# --- campaign ------------------------------------------------------------------------------


def province_ids(user: User) -> list[int] | None:
    """Provinces of the user's roles (the root of each path); None for a global user."""
    if is_global(user):
        return None
    return sorted({int(u.path.split("/", 1)[0]) for u in home_units(user) if u.path})


def _campaigns_of(ids: list[int] | None) -> QuerySet[Campaign]:
    qs = Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("province")
    if ids is not None:
        qs = qs.filter(province_id__in=ids)
    return qs.order_by("-year", "province__name")


_SETS = Compiled(lambda *ids: CriteriaSet.objects.filter(pk__in=ids))
# The user of one province (nearly everyone): compiled once per process (issue 23).
_PROVINCE_CAMPAIGNS = Compiled(lambda province_id: _campaigns_of([province_id]))


def current_campaigns(user: User) -> list[Campaign]:
    """The latest non-draft campaign year in the user's provinces (one campaign per province)."""
    ids = province_ids(user)
    campaigns = _PROVINCE_CAMPAIGNS(ids[0]) if ids is not None and len(ids) == 1 else list(_campaigns_of(ids))
    return [c for c in campaigns if c.year == campaigns[0].year] if campaigns else []


def campaign_deadlines(campaign: Campaign, today: datetime.date) -> list[Deadline]:
    dates = [
        (_("Registration (Q1)"), campaign.registration_deadline),
        (_("Residential areas: end of the assessment period"), campaign.residential_period_end),
        (_("Residential areas: recognition decision"), campaign.residential_decision_deadline),
        (_("Communes, agencies, schools: end of the assessment period"), campaign.other_period_end),
        (_("Communes, agencies, schools: recognition decision"), campaign.other_decision_deadline),
    ]
    return sorted((Deadline(label, d, (d - today).days) for label, d in dates), key=lambda d: d.date)


# --- officer -------------------------------------------------------------------------------


def _unit_annotations(year: int) -> dict[str, Any]:
    """Per-unit facts for ``year`` as correlated subqueries (one SQL statement for all units)."""
    assessment = Assessment.objects.filter(unit=OuterRef("pk"), campaign__year=year)
    answers = Answer.objects.filter(assessment__unit=OuterRef("pk"), assessment__campaign__year=year)
    return {
        "reg": Exists(Registration.objects.filter(unit=OuterRef("pk"), campaign__year=year)),
        "a_id": Subquery(assessment.values("pk")[:1]),
        "a_campaign": Subquery(assessment.values("campaign_id")[:1]),
        "a_status": Subquery(assessment.values("status")[:1]),
        "a_set": Subquery(assessment.values("criteria_set_id")[:1]),
        "a_meeting": Subquery(assessment.values("meeting_date")[:1]),
        "a_exception": Subquery(assessment.values("entry_exception_until")[:1]),
        "answered": Subquery(
            answers.exclude(value="").order_by().values("assessment").annotate(n=Count("pk")).values("n")[:1]
        ),
        "returned_items": Subquery(
            answers.filter(is_returned=True)
            .order_by()
            .values("assessment")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        "evidence_count": Subquery(
            Evidence.objects.filter(assessment__unit=OuterRef("pk"), assessment__campaign__year=year)
            .order_by()
            .values("assessment")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        "outcome": Subquery(
            Result.objects.filter(unit=OuterRef("pk"), campaign__year=year).values("outcome")[:1]
        ),
    }


def _to_answer_counts(criteria_sets: Iterable[CriteriaSet]) -> dict[int, int]:
    """Criteria set id → how many items an officer answers in it: a published set's from its
    tree, kept per process (no query, issue 23); the draft sets' by one query."""
    counts = {s.pk: len(answerable_criteria(s)) for s in criteria_sets if not s.is_editable}
    drafts = [s.pk for s in criteria_sets if s.is_editable]
    if drafts:
        rows = (
            Criterion.objects.filter(criteria_set_id__in=drafts)
            .exclude(answer_type__in=[Criterion.AnswerType.GROUP, Criterion.AnswerType.DERIVED])
            .values("criteria_set_id")
            .annotate(n=Count("pk"))
        )
        counts.update({r["criteria_set_id"]: r["n"] for r in rows})
    return counts


def _missing(u: Any, campaign: Campaign, today: datetime.date, to_answer: dict[int, int]) -> list[str]:
    if not u.reg:
        if today > campaign.registration_deadline:
            return [_("Not registered; the registration deadline has passed")]
        return [_("Not registered yet")]
    if not u.a_id:
        return [_("Assessment not started")]
    if u.a_status not in Assessment.EDITABLE_STATUSES:
        return []
    missing = []
    total, answered = to_answer.get(u.a_set, 0), u.answered or 0
    if total and answered < total:
        missing.append(
            _("%(n)d of %(total)d criteria not answered") % {"n": total - answered, "total": total}
        )
    if u.returned_items:
        missing.append(_("%(n)d returned item(s) to correct") % {"n": u.returned_items})
    if not u.a_meeting:
        missing.append(_("Meeting minutes missing"))
    if not u.evidence_count:
        missing.append(_("No evidence attached"))
    deadline = campaign.entry_deadline_for(u.kind)
    if today > deadline and not (u.a_exception and u.a_exception >= today):
        missing.append(_("Entry closed on %(date)s") % {"date": deadline.strftime("%d/%m/%Y")})
    return missing


def _officer_counts(units: QuerySet[Unit]) -> dict[str, int]:
    """The counts of ``officer_section`` by the database (``officer_counts_of`` says the same)."""
    return units.aggregate(
        total=Count("pk"),
        not_registered=Count("pk", filter=Q(reg=False)),
        not_started=Count("pk", filter=Q(reg=True, a_id__isnull=True)),
        draft=Count("pk", filter=Q(a_status=Status.DRAFT)),
        submitted=Count("pk", filter=Q(a_status=Status.SUBMITTED)),
        returned=Count("pk", filter=Q(a_status=Status.RETURNED)),
        appraised=Count("pk", filter=Q(a_status=Status.APPRAISED)),
        recognized=Count("pk", filter=Q(a_status=Status.RECOGNIZED)),
        decided=Count("pk", filter=Q(a_status__in=Assessment.DECIDED_STATUSES)),
        managed=Count("pk", filter=Q(kind__in=Unit.MANAGED_KINDS)),
        managed_registered=Count("pk", filter=Q(kind__in=Unit.MANAGED_KINDS, reg=True)),
        managed_recognized=Count("pk", filter=Q(kind__in=Unit.MANAGED_KINDS, a_status=Status.RECOGNIZED)),
        managed_forecast=Count(
            "pk",
            filter=Q(kind__in=Unit.MANAGED_KINDS)
            & (Q(outcome=Result.Outcome.PASS) | Q(a_status=Status.RECOGNIZED)),
        ),
    )


def officer_counts_of(units: Iterable[Any]) -> dict[str, int]:
    """``_officer_counts`` computed from the annotated units themselves (all of them)."""
    counts = dict.fromkeys(
        (
            "total",
            "not_registered",
            "not_started",
            "draft",
            "submitted",
            "returned",
            "appraised",
            "recognized",
            "decided",
            "managed",
            "managed_registered",
            "managed_recognized",
            "managed_forecast",
        ),
        0,
    )
    by_status = {  # status value → its count
        Status.DRAFT.value: "draft",
        Status.SUBMITTED.value: "submitted",
        Status.RETURNED.value: "returned",
        Status.APPRAISED.value: "appraised",
        Status.RECOGNIZED.value: "recognized",
    }
    for u in units:
        managed = u.kind in Unit.MANAGED_KINDS
        recognized = u.a_status == Status.RECOGNIZED
        counts["total"] += 1
        counts["not_registered"] += not u.reg
        counts["not_started"] += bool(u.reg and u.a_id is None)
        if u.a_status in by_status:
            counts[by_status[u.a_status]] += 1
        counts["decided"] += u.a_status in Assessment.DECIDED_STATUSES
        counts["managed"] += managed
        counts["managed_registered"] += managed and bool(u.reg)
        counts["managed_recognized"] += managed and recognized
        counts["managed_forecast"] += managed and (u.outcome == Result.Outcome.PASS or recognized)
    return counts


# What needs the officer's hand first, then by kind and by name as people sort (antt.text.sort_key):
# the units of ``_unit_annotations`` as one plain SQL statement, the same facts under the same names.
# The campaigns of the year are read once (``y``), not joined in each unit's subqueries: a hash of
# the campaigns per unit and per subquery was half of PostgreSQL's time (issue 23, round 7).
_OFFICER_UNITS_SQL = """
SELECT u.*, g.reg, a.id AS a_id, a.campaign_id AS a_campaign, a.status AS a_status,
       a.criteria_set_id AS a_set,
       a.meeting_date AS a_meeting, a.entry_exception_until AS a_exception,
       (SELECT NULLIF(count(*), 0) FROM certification_answer x
        WHERE x.assessment_id = a.id AND x.value <> '') AS answered,
       (SELECT NULLIF(count(*), 0) FROM certification_answer x
        WHERE x.assessment_id = a.id AND x.is_returned) AS returned_items,
       (SELECT NULLIF(count(*), 0) FROM certification_evidence e
        WHERE e.assessment_id = a.id) AS evidence_count,
       (SELECT res.outcome FROM certification_result res
        WHERE res.unit_id = u.id AND res.campaign_id = ANY(y.campaigns) LIMIT 1) AS outcome,
       CASE WHEN a.status = %(returned)s THEN 0 WHEN NOT g.reg THEN 1 WHEN a.id IS NULL THEN 2
            WHEN a.status = %(draft)s THEN 3 WHEN a.status = %(submitted)s THEN 4
            WHEN a.status = %(appraised)s THEN 5 ELSE 6 END AS action_rank,
       array_position(%(kinds)s, u.kind::text) - 1 AS kind_rank
FROM (SELECT ARRAY(SELECT id FROM certification_campaign WHERE year = %(year)s) AS campaigns) y
CROSS JOIN units_unit u {scope_join}
CROSS JOIN LATERAL (
    SELECT EXISTS (SELECT 1 FROM certification_registration r
                   WHERE r.unit_id = u.id AND r.campaign_id = ANY(y.campaigns)) AS reg
) g
LEFT JOIN LATERAL (
    SELECT s.id, s.campaign_id, s.status, s.criteria_set_id, s.meeting_date, s.entry_exception_until
    FROM certification_assessment s
    WHERE s.unit_id = u.id AND s.campaign_id = ANY(y.campaigns) LIMIT 1
) a ON TRUE
WHERE u.kind = ANY(%(kinds)s) AND u.valid_to IS NULL AND u.is_eligible AND ({scope})
ORDER BY action_rank, kind_rank, length(u.search_name), u.search_name, u.id
LIMIT {limit}
"""
# The officer's subtrees: the units below each root (by id), found through the index of ``path``
# (``varchar_pattern_ops``) by a range that holds every path starting with the root's, checked
# exactly by ``starts_with``. No path among the parameters: the statement runs prepared and its
# generic plan uses the index like a custom one (round 8; ``u.path LIKE $1`` cannot use an index
# in a generic plan, so PostgreSQL planned it anew at each call, ~0.65 ms).
_SCOPE_JOIN = """JOIN units_unit p ON p.id IN ({roots}) AND u.path ~>=~ p.path
    AND u.path ~<~ (p.path || chr(1114111)) AND starts_with(u.path, p.path)"""


def _officer_queryset(user: User, year: int) -> QuerySet[Unit]:
    """The officer's units of ``year`` with the facts of ``_unit_annotations``."""
    return (
        Unit.objects.filter(scope_filter(user, roles=[Role.OFFICER]))
        .filter(kind__in=Unit.ASSESSED_KINDS, valid_to__isnull=True, is_eligible=True)
        .annotate(**_unit_annotations(year))
    )


def _officer_units_orm(user: User, year: int) -> list[Any]:
    """``_officer_units`` through the ORM: the reference of the plain SQL (a test compares them
    row for row) and the path on databases other than PostgreSQL (the SQLite demo)."""
    action_order = Case(
        When(a_status=Status.RETURNED, then=Value(0)),
        When(reg=False, then=Value(1)),
        When(a_id__isnull=True, then=Value(2)),
        When(a_status=Status.DRAFT, then=Value(3)),
        When(a_status=Status.SUBMITTED, then=Value(4)),
        When(a_status=Status.APPRAISED, then=Value(5)),
        default=Value(6),
        output_field=IntegerField(),
    )
    return list(
        _officer_queryset(user, year)
        .annotate(action_rank=action_order, kind_rank=KIND_ORDER)
        .order_by("action_rank", "kind_rank", Length("search_name"), "search_name", "pk")[: UNIT_LIMIT + 1]
    )


def _officer_units(user: User, year: int) -> list[Any]:
    """The officer's units of ``year`` (``UNIT_LIMIT`` + 1 at most), each with the facts of
    ``_unit_annotations`` and its ``action_rank`` and ``kind_rank``."""
    if connection.vendor != "postgresql":
        return _officer_units_orm(user, year)
    params: dict[str, Any] = {
        "year": year,
        "kinds": [str(k) for k in Unit.ASSESSED_KINDS],
        "returned": Status.RETURNED.value,
        "draft": Status.DRAFT.value,
        "submitted": Status.SUBMITTED.value,
        "appraised": Status.APPRAISED.value,
    }
    scope, scope_join = "TRUE", ""
    if not is_global(user):
        by_path = {u.path: u.pk for u in home_units(user, [Role.OFFICER])}
        roots = [by_path[path] for path in scope_paths(user, [Role.OFFICER])]
        params.update({f"root{i}": pk for i, pk in enumerate(roots)})
        if roots:
            scope_join = _SCOPE_JOIN.format(roots=", ".join(f"%(root{i})s" for i in range(len(roots))))
        else:
            scope = "FALSE"
    sql = _OFFICER_UNITS_SQL.format(scope=scope, scope_join=scope_join, limit=int(UNIT_LIMIT + 1))
    return raw_instances(Unit, sql, params, prepare=True)


def officer_section(user: User, campaigns: list[Campaign], today: datetime.date) -> dict[str, Any]:
    by_province: dict[int | None, Campaign] = {c.province_id: c for c in campaigns}
    campaign = campaigns[0] if campaigns else None
    if campaign is None:
        return {"campaign": None}
    own = home_units(user, [Role.OFFICER])
    province_id = int(own[0].path.split("/", 1)[0]) if own and own[0].path else None
    campaign = by_province.get(province_id, campaign)
    # One row more than shown: when it does not come, the rows are all the units and the counts
    # above the list are taken from them (issue 23: the aggregate repeated the nine correlated
    # subqueries for ~10 ms of CPU); a larger area is counted by the database. The rows come from
    # plain SQL (``_OFFICER_UNITS_SQL``): building and compiling the annotated queryset cost more
    # CPU than PostgreSQL's work (issue 23, round 4).
    listed = _officer_units(user, campaign.year)
    if len(listed) > UNIT_LIMIT:
        listed = listed[:UNIT_LIMIT]
        summary = _officer_counts(_officer_queryset(user, campaign.year))
    else:
        summary = officer_counts_of(listed)
    listed.sort(key=lambda u: (u.action_rank, u.kind_rank, sort_key(u.name), sort_key(u.full_name)))
    # The listed assessments' criteria sets, one query: the items to answer and the criteria's
    # texts are kept per published set (no query for them).
    set_ids = sorted({u.a_set for u in listed if u.a_set})
    found = _SETS(*set_ids) if 0 < len(set_ids) <= 8 else CriteriaSet.objects.filter(pk__in=set_ids)
    sets = {s.pk: s for s in found}
    to_answer = _to_answer_counts(sets.values())
    # Why the forecast fails, in the engine's words (one query for all the listed units). The
    # rows carry what ``for_assessments`` reads of each assessment: no query for them.
    why = for_assessments(
        Assessment(pk=u.a_id, campaign_id=u.a_campaign, unit_id=u.pk, criteria_set=sets[u.a_set])
        for u in listed
        if u.a_id
    )
    rows = []
    paths: dict[str, str] = {}
    for u in listed:
        state = u.a_status or ("registered" if u.reg else "not_registered")
        label, badge = STATE_LABELS[state]
        deadline = campaign.entry_deadline_for(u.kind)
        rows.append(
            UnitRow(
                unit=u,
                state=state,
                label=str(label),
                badge=badge,
                assessment_id=u.a_id,
                url=_next_step_url(u, campaign, paths),
                missing=_missing(u, campaign, today, to_answer),
                deadline=deadline,
                days_left=(deadline - today).days,
                forecast=u.outcome or "",
                reasons=why.get(u.a_id) if u.a_id else None,
            )
        )
    xa4 = Meter(
        label=str(_("Units managed by the commune")),
        total=summary["managed"],
        registered=summary["managed_registered"],
        recognized=summary["managed_recognized"],
        forecast=summary["managed_forecast"],
        threshold=_threshold([campaign])[0],
    )
    links = _counter_links(campaign)
    xa4_reasons = _xa4_reasons(user, campaign, own)
    deadlines = campaign_deadlines(campaign, today)
    rows_key = fragment_key([(r, r.unit.kind) for r in rows])
    return {
        "campaign": campaign,
        "links": links,
        "xa4_reasons": xa4_reasons,
        "deadlines": deadlines,
        "rows": rows,
        "rows_key": rows_key,
        # The rendered section is kept under a key made of everything it shows (issue 23): the
        # rows (``rows_key``), the counters and their links (the list's URL with them), the
        # deadlines, XA-4 and the icons' sprite. Rendering it cost ~0.8 ms besides the rows (round 8).
        "key": fragment_key(
            rows_key,
            campaign.year,
            links,
            summary,
            deadlines,
            xa4,
            [(commune.pk, commune.full_name, sentences) for commune, sentences in xa4_reasons],
            static("icons/sprite.svg"),
        ),
        "summary": summary,
        "truncated": summary["total"] > len(rows),
        "xa4": xa4,
        "todo": [r for r in rows if r.missing],
    }


def _xa4_reasons(user: User, campaign: Campaign, own: list[Unit]) -> list[tuple[Unit, list[str]]]:
    """The XA-4 sentences of the first five communes in the officer's area. An officer of one
    unit below the province (the usual case) has at most one commune: that unit itself."""
    if not is_global(user) and len(own) == 1 and own[0].kind not in (Kind.PROVINCE, Kind.DISTRICT):
        return xa4_of_commune(campaign, own[0].pk)
    communes = Unit.objects.filter(scope_filter(user, roles=[Role.OFFICER])).filter(
        kind=Unit.Kind.COMMUNE, valid_to__isnull=True
    )
    return xa4_of_communes(campaign, communes.order_by("search_name", "pk")[:5])


def _next_step_url(u: Any, campaign: Campaign, paths: dict[str, str]) -> str:
    """Where a unit's row leads: its assessment; the registration form when it is not
    registered; the page that opens its assessment when it is registered but not started.
    ``paths``: the pages without arguments, reversed once per home page (issue 23: ~20 µs a
    ``reverse()``, and most rows of a campaign's start lead to the same two pages)."""
    if u.a_id:
        return reverse("certification:assessment-detail", args=[u.a_id])
    name = "certification:assessment-start" if u.reg else "certification:registration-create"
    if name not in paths:
        paths[name] = reverse(name)
    return paths[name] + f"?unit={u.pk}&campaign={campaign.pk}"


def _counter_links(campaign: Campaign) -> dict[str, str]:
    """Each counter of the officer's home opens the list it counts."""
    base = reverse("certification:assessment-list") + f"?campaign={campaign.pk}"
    return {
        "not_registered": base + "&registration=missing#not-started",
        "being_assessed": base + f"&status={Status.DRAFT}",
        "returned": base + f"&status={Status.RETURNED}",
        "waiting": base + "&status=waiting",
        "decided": base + "&status=decided",
    }


# --- queues --------------------------------------------------------------------------------


def decision_authority_filter(user: User) -> Q:
    """Appraised assessments whose recognizing body is a unit where ``user`` is an approver: the
    ``RecognizingAuthority`` rule in force for the year wins, otherwise the default
    (``units.authority.default_authority_q``)."""
    if is_global(user):
        return Q()
    condition = Q(pk__in=[])
    for unit in home_units(user, [Role.APPROVER]):
        condition |= recognized_by(unit)
    return condition


def recognized_by(unit: Unit) -> Q:
    """Assessments (annotated by ``_with_rule_authority``) whose recognizing body is ``unit``."""
    default = default_authority_q(unit, unit="unit", year="campaign__year")
    return Q(rule_authority=unit.pk) | (Q(rule_authority__isnull=True) & default)


def _with_rule_authority(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    rules = (
        RecognizingAuthority.objects.in_force(OuterRef("campaign__year"))
        .filter(unit=OuterRef("unit"))
        .order_by("-from_year")
    )
    return qs.annotate(rule_authority=Subquery(rules.values("authority")[:1]))


def appraisal_queue(user: User) -> QuerySet[Assessment]:
    qs = Assessment.objects.filter(status=Status.SUBMITTED)
    return scope_queryset(user, qs, roles=[Role.APPRAISER]).order_by("submitted_at", "pk")


def decision_queue(user: User) -> QuerySet[Assessment]:
    """Appraised assessments waiting for ``user``'s decision: their recognizing body is a unit where
    ``user`` is an approver (every one for a superuser)."""
    qs = _with_rule_authority(Assessment.objects.filter(status=Status.APPRAISED))
    qs = scope_queryset(user, qs, roles=[Role.APPROVER]) if not is_global(user) else qs
    return qs.filter(decision_authority_filter(user)).order_by("appraised_at", "pk")


def _queue(qs: QuerySet[Assessment], since_field: str, now: datetime.datetime) -> dict[str, Any]:
    items: list[Any] = list(  # annotated instances with a few attributes added below
        qs.select_related("unit", "unit__parent", "campaign").annotate(
            returned_items=Count("answers", filter=Q(answers__is_returned=True))
        )[:QUEUE_LIMIT]
    )
    count = qs.count() if len(items) == QUEUE_LIMIT else len(items)
    for a in items:
        since = getattr(a, since_field) or a.updated_at
        a.waiting_days = (now - since).days if since else None
        a.url = reverse("certification:assessment-detail", args=[a.pk])
    return {"items": items, "count": count, "truncated": count > len(items)}


# --- clerk ---------------------------------------------------------------------------------


def clerk_section(user: User) -> dict[str, Any]:
    decisions: list[Any] = list(  # annotated instances with their url added below
        scope_queryset(user, Decision.objects.filter(status=Decision.Status.ISSUED), unit_field="issuer")
        .select_related("issuer")
        .annotate(certificate_count=Count("certificates", distinct=True))
        .order_by("-issued_on", "-pk")[:10]
    )
    for d in decisions:
        d.url = reverse("certification:decision-detail", args=[d.pk])
    return {"decisions": decisions}


# --- leader --------------------------------------------------------------------------------


def _outcome_joins(campaign_ids: list[int]) -> dict[str, Any]:
    """Each unit's registration, recognized assessment and passing result in ``campaign_ids``.

    ``LEFT JOIN``s on the campaigns' ids rather than correlated ``EXISTS`` per unit: the same
    counts in one pass over the units (~0.2-0.3 s per aggregate → ~20 ms at national scale).
    """
    return {
        "reg": FilteredRelation("registrations", condition=Q(registrations__campaign_id__in=campaign_ids)),
        "rec": FilteredRelation(
            "assessments",
            condition=Q(assessments__campaign_id__in=campaign_ids, assessments__status=Status.RECOGNIZED),
        ),
        "fc": FilteredRelation(
            "results",
            condition=Q(results__campaign_id__in=campaign_ids, results__outcome=Result.Outcome.PASS),
        ),
    }


def _outcome_counts(campaign_ids: list[int]) -> dict[str, Any]:
    # One row per (campaign, unit) in each table: with one campaign a join adds at most one row
    # per unit. Several campaigns (a global user, or roles in two provinces) could repeat a unit.
    distinct = len(campaign_ids) > 1
    return {
        "total": Count("pk", distinct=distinct),
        "registered": Count("pk", distinct=distinct, filter=Q(reg__isnull=False)),
        "recognized": Count("pk", distinct=distinct, filter=Q(rec__isnull=False)),
        "forecast": Count("pk", distinct=distinct, filter=Q(fc__isnull=False) | Q(rec__isnull=False)),
    }


COUNT_KEYS = ("total", "registered", "recognized", "forecast")


def _sum_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {key: sum(r[key] for r in rows) for key in COUNT_KEYS}


def _commune_sets(campaign_ids: Iterable[int]) -> QuerySet[CriteriaSet]:
    return CriteriaSet.objects.filter(campaign__in=campaign_ids, unit_kind=UnitKind.COMMUNE).order_by(
        "-province_id", "-version"
    )


# One campaign (the officer's home): compiled once per process (issue 23).
_COMMUNE_SET = Compiled(lambda campaign_id: _commune_sets([campaign_id])[:1])


def _threshold(campaigns: list[Campaign]) -> tuple[int, str]:
    """The 70 % rule of the commune criteria set in use (threshold, base)."""
    criteria_set: CriteriaSet | None = None
    if len(campaigns) == 1:
        criteria_set = next(iter(_COMMUNE_SET(campaigns[0].pk)), None)
    elif campaigns:
        criteria_set = _commune_sets([c.pk for c in campaigns]).first()
    if criteria_set is None:
        return DEFAULT_THRESHOLD, CriteriaSet.RollupBase.ALL_KINDS
    return criteria_set.rollup_threshold_percent, criteria_set.rollup_base


def _reasons(meter: Meter, outcome_row: dict[str, Any] | None) -> list[str]:
    reasons = []
    if meter.registered < meter.total:
        reasons.append(
            _("%(n)d of %(total)d units not registered (XA-4 needs 100 %%)")
            % {"n": meter.total - meter.registered, "total": meter.total}
        )
    if meter.forecast < meter.needed:
        reasons.append(
            _("%(forecast)d of %(total)d forecast to be recognized (%(rate)d %%); needs at least %(needed)d")
            % {
                "forecast": meter.forecast,
                "total": meter.total,
                "rate": round(meter.forecast_rate),
                "needed": meter.needed,
            }
        )
    if outcome_row and outcome_row.get("unmet"):
        reasons.append(_("Criteria not met: %(codes)s") % {"codes": ", ".join(outcome_row["unmet"])})
    return reasons


TREND_CACHE_SECONDS = 600
# (year, kind, count) rows of the registrations and of the recognitions.
TrendRows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _trend_rows(user: User, campaign: Campaign) -> TrendRows:
    """(year, kind, registered) and (year, kind, recognized or revoked) rows in the user's scope,
    for the years the chart shows (two queries).

    Only finished years are shown, whose rows hardly change, while the queries scan every
    registration and assessment of the country (~65 ms at national scale): the rows are cached
    for ``TREND_CACHE_SECONDS`` per scope and campaign state (a late change to a past year shows
    within that time)."""
    scope = "*" if is_global(user) else "|".join(scope_paths(user))
    key = "antt:trend:" + hashlib.sha256(f"{scope}:{campaign.pk}:{campaign.status}".encode()).hexdigest()
    cached: TrendRows | None = cache.get(key)
    if cached is not None:
        return cached
    years_shown = Q() if campaign.status == Campaign.Status.CLOSED else ~Q(campaign__year=campaign.year)
    registered = (
        scope_queryset(user, Registration.objects.filter(years_shown))
        .values_list("campaign__year", "unit__kind")
        .annotate(n=Count("pk"))
    )
    recognized = (
        scope_queryset(
            user, Assessment.objects.filter(years_shown, status__in=[Status.RECOGNIZED, Status.REVOKED])
        )
        .values_list("campaign__year", "unit__kind")
        .annotate(n=Count("pk"))
    )
    rows = (list(registered), list(recognized))
    cache.set(key, rows, TREND_CACHE_SECONDS)
    return rows


def _trend(user: User, campaign: Campaign) -> str:
    """Recognized / registered per year and kind, as an SVG line chart.

    The running year is left out until its campaign closes: half-decided, it would look like a fall.
    """
    registered, recognized = _trend_rows(user, campaign)
    group_of = {k: g for g, kinds in KIND_GROUPS for k in kinds}
    reg: defaultdict[tuple[Any, Any], int]
    rec: defaultdict[tuple[Any, Any], int]
    reg, rec = defaultdict(int), defaultdict(int)
    for year, kind, n in registered:
        reg[(year, group_of.get(kind))] += n
    for year, kind, n in recognized:
        rec[(year, group_of.get(kind))] += n
    years = sorted({y for y, _g in reg} | {y for y, _g in rec})
    if len(years) < 2:
        return ""
    years = list(range(years[0], years[-1] + 1))[-10:]
    series = []
    for group, _kinds in KIND_GROUPS:
        points = [
            (str(y), 100 * rec[(y, group)] / reg[(y, group)] if reg[(y, group)] else None) for y in years
        ]
        if any(v is not None for _y, v in points):
            series.append((str(SHORT_KIND_LABELS[group]), points))
    if not series:
        return ""
    svg = charts.line_chart(
        series, width=360, height=230, font_size=10, title=str(_("Recognition rate by year (%)"))
    )
    return mark_safe(svg.replace("<svg ", '<svg class="chart" ', 1))  # noqa: S308 - built by antt.web.charts, labels escaped


def overview_section(user: User, campaigns: list[Campaign]) -> dict[str, Any]:
    if not campaigns:
        return {"campaign": None}
    year = campaigns[0].year
    threshold, base = _threshold(campaigns)
    campaign_ids = [c.pk for c in campaigns]
    # One aggregate for both breakdowns: per (kind, parent), summed per kind and per commune.
    rows = list(
        Unit.objects.filter(
            scope_filter(user), kind__in=Unit.ASSESSED_KINDS, valid_to__isnull=True, is_eligible=True
        )
        .alias(**_outcome_joins(campaign_ids))
        .values("kind", "parent", "parent__kind")
        .annotate(**_outcome_counts(campaign_ids))
        .order_by()
    )
    # Rates per kind.
    kinds = []
    for group, members in KIND_GROUPS:
        in_group = [r for r in rows if r["kind"] in members]
        if in_group:
            kinds.append(Meter(label=str(group.label), threshold=threshold, **_sum_counts(in_group)))
    # Per commune: the units each commune manages (XA-4's base), and the commune's own result.
    managed = (
        (Kind.RESIDENTIAL_AREA,) if base == CriteriaSet.RollupBase.RESIDENTIAL_ONLY else Unit.MANAGED_KINDS
    )
    by_parent = defaultdict(list)
    for r in rows:
        if r["kind"] in managed and r["parent__kind"] == Kind.COMMUNE:
            by_parent[r["parent"]].append(r)
    per_commune = {parent: _sum_counts(in_commune) for parent, in_commune in by_parent.items()}
    communes = (
        Unit.objects.filter(scope_filter(user), kind=Kind.COMMUNE, valid_to__isnull=True)
        .annotate(
            outcome=Subquery(
                Result.objects.filter(unit=OuterRef("pk"), campaign_id__in=campaign_ids).values("outcome")[:1]
            ),
            unmet=Subquery(
                Result.objects.filter(unit=OuterRef("pk"), campaign_id__in=campaign_ids).values(
                    "unmet_codes"
                )[:1]
            ),
        )
        .values("pk", "name", "label", "outcome", "unmet")
        .order_by("search_name")
    )
    commune_meters = []
    for c in communes:
        counts = per_commune.get(c["pk"], dict.fromkeys(COUNT_KEYS, 0))
        label = Unit.compose_full_name(c["name"], c["label"])
        meter = Meter(
            label=label.strip(),
            threshold=threshold,
            url=reverse("units:unit-detail", args=[c["pk"]]),
            **counts,
        )
        unmet = c["unmet"] if isinstance(c["unmet"], list) else []
        outcome_row = {"unmet": unmet if c["outcome"] == Result.Outcome.FAIL else []}
        meter.reasons = _reasons(meter, outcome_row)
        meter.fails_own = bool(outcome_row["unmet"])
        commune_meters.append(meter)
    at_risk = sorted(
        (m for m in commune_meters if m.at_risk or m.fails_own),
        key=lambda m: (m.forecast_rate, sort_key(m.label)),
    )
    totals = Meter(
        label=str(_("All units")),
        threshold=threshold,
        **{key: sum(getattr(m, key) for m in kinds) for key in COUNT_KEYS},
    )
    return {
        "campaign": campaigns[0],
        "year": year,
        "threshold": threshold,
        "kinds": kinds,
        "totals": totals,
        "communes": sorted(commune_meters, key=lambda m: (m.forecast_rate, sort_key(m.label))),
        "at_risk": at_risk,
        "trend_svg": _trend(user, campaigns[0]),
    }


# --- entry point ---------------------------------------------------------------------------


def keeps_home(user: User) -> bool:
    """Whether the home page may be kept whole (issue 23, round 9: ``antt.web.fragments.kept_page``):
    for a user whose only role is commune officer, the page of the deadline burst; the other
    roles' sections read rows ``home_key`` does not stamp (queues, the leaders' aggregates)."""
    return (
        not is_global(user)
        and user_roles(user) == {Role.OFFICER.value}
        and all(u.kind == Kind.COMMUNE for u in home_units(user, [Role.OFFICER]))
    )


@functools.cache
def _home_key_sql(roots: int) -> str:
    """The stamps (``rows_stamp``: count and hash of id, xmin, cmin) of every row a commune
    officer's home shows, in one statement: the units of the communes (``_SCOPE_JOIN``'s range on
    ``path``), their assessments and files, registrations and results (the forecasts, the
    reasons, XA-4), the campaigns with their sets (deadlines, the 70 % rule) and the criteria of
    draft sets; the user and their roles (the header, the menu). Not the answers (the counts of
    the rows): only the services write them, each bumping the assessment's version
    (``services.rules.bump_version``), so the assessment's stamp changes with them; stamping the
    1,100 answers of a commune of 50 units was half of the statement's time."""
    units, assessments = Unit._meta.db_table, Assessment._meta.db_table
    # The roots one by one (as ``_SCOPE_JOIN``), not ``= ANY(array)``: PostgreSQL keeps a generic
    # plan of this statement then, and planned it anew at each call with the array (~1 ms).
    in_roots = ", ".join(f"%(root{i})s" for i in range(roots)) or "NULL"
    sets, links = CriteriaSet._meta.db_table, Campaign.criteria_sets.through._meta.db_table
    stamps = [
        rows_stamp(units, "t.id IN (SELECT id FROM s)"),
        rows_stamp(assessments, "t.id IN (SELECT id FROM a)"),
        rows_stamp(Evidence._meta.db_table, "t.assessment_id IN (SELECT id FROM a)"),
        rows_stamp(Registration._meta.db_table, "t.unit_id IN (SELECT id FROM s)"),
        rows_stamp(Result._meta.db_table, "t.unit_id IN (SELECT id FROM s)"),
        rows_stamp(Campaign._meta.db_table),
        rows_stamp(links),
        rows_stamp(sets),
        rows_stamp(
            Criterion._meta.db_table,
            f"t.criteria_set_id IN (SELECT d.id FROM {sets} d WHERE d.status = '{CriteriaSet.Status.DRAFT}')",
        ),
        rows_stamp(User._meta.db_table, "t.id = %(user)s"),
        rows_stamp(RoleAssignment._meta.db_table, "t.user_id = %(user)s"),
    ]
    return f"""WITH s AS (
    SELECT u.id FROM {units} u JOIN {units} p ON p.id IN ({in_roots}) AND u.path ~>=~ p.path
        AND u.path ~<~ (p.path || chr(1114111)) AND starts_with(u.path, p.path)
), a AS (SELECT x.id FROM {assessments} x WHERE x.unit_id IN (SELECT id FROM s))
SELECT concat_ws('|', {", ".join(stamps)})"""


def home_key(user: User) -> str:
    """The key of the home page of ``user`` (``keeps_home``): the stamps of its rows, read in one
    prepared statement, with the day (days left, deadlines passed)."""
    roots = sorted(u.pk for u in home_units(user, [Role.OFFICER]))
    params = {f"root{i}": pk for i, pk in enumerate(roots)}
    stamps = prepared_value(_home_key_sql(len(roots)), {**params, "user": user.pk})
    return fragment_key("home", user.pk, timezone.localdate(), stamps)


def home_context(user: User) -> dict[str, Any]:
    """Everything ``templates/home.html`` shows for ``user``, by role."""
    roles = user_roles(user)
    today = timezone.localdate()
    now = timezone.now()
    campaigns = current_campaigns(user) if roles else []
    context: dict[str, Any] = {
        "roles": roles,
        "today": today,
        "campaign": campaigns[0] if campaigns else None,
    }
    if Role.APPRAISER.value in roles:
        context["appraisal_queue"] = _queue(appraisal_queue(user), "submitted_at", now)
    if Role.APPROVER.value in roles:
        context["decision_queue"] = _queue(decision_queue(user), "appraised_at", now)
    if Role.OFFICER.value in roles:
        context["officer"] = officer_section(user, campaigns, today)
    if Role.CLERK.value in roles:
        context["clerk"] = clerk_section(user)
    if roles & {Role.VIEWER.value, Role.ADMIN.value, Role.APPROVER.value}:
        with report_reads():  # the leaders' dashboard: aggregates that may come from the replica
            context["overview"] = overview_section(user, campaigns)
    return context
