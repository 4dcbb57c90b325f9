"""Reads of the register of models and of the team ratings, scoped to the user (units.access).

History across the re-arrangements: a model stays attached to the unit that kept it when it was
recorded; when that unit was merged into another (``units.UnitChange``, up to ``HOPS``
generations: the 1/7/2025 communes and the 2026 residential areas), the model **follows** it:
the successor's officers see it, and it counts for the successor's XA-1. Nothing is rewritten,
so undoing a re-arrangement needs nothing here (units.history is read, never copied).
"""

import datetime

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.audit import Action, Actor
from certification.models import AuditEvent
from movement.models import (
    Level,
    ModelRating,
    ModelType,
    MovementModel,
    SecurityTeam,
    TeamRating,
    TeamRatingRound,
    excellent_cap,
)
from units.access import Role, has_role, is_global, scope_filter
from units.models import Unit

HOPS = 2
# The units that keep models: a commune, an agency, an enterprise, a school (XA-1, CQDN-1, CSGD-1).
KEEPER_KINDS = (Unit.Kind.COMMUNE, *Unit.INSTITUTION_KINDS)
MODEL_ROLES = (Role.OFFICER, Role.ADMIN)
TEAM_ENTRY_ROLES = (Role.OFFICER,)
TEAM_REVIEW_ROLES = (Role.APPRAISER,)
TEAM_DECISION_ROLES = (Role.APPROVER,)


def successor_fields(field: str = "unit") -> list[str]:
    """``unit``, ``unit__successor_links__successor``, …: the unit and what it became."""
    fields = [field]
    for _hop in range(HOPS):
        fields.append(fields[-1] + "__successor_links__successor")
    return fields


def scope_q(user: Actor, field: str = "unit") -> Q:
    """Models kept in the user's subtree, or kept by units that became part of it."""
    if is_global(user):  # Q() | … would keep only the other side: the whole country, said once
        return Q()
    q = Q(pk__in=[])
    for name in successor_fields(field):
        q |= scope_filter(user, name)
    return q


def visible_models(user: Actor) -> QuerySet[MovementModel]:
    ids = MovementModel.objects.filter(scope_q(user)).values("pk")
    return (
        MovementModel.objects.filter(pk__in=ids)
        .select_related("unit", "model_type")
        .prefetch_related("covered", Prefetch("ratings", queryset=ModelRating.objects.order_by("-year")))
    )


def types_for(unit: Unit) -> QuerySet[ModelType]:
    """The national catalogue and the additions of the unit's province."""
    province = unit.province()
    return ModelType.objects.filter(Q(province__isnull=True) | Q(province=province))


def models_of_unit(unit: Unit, year: int | None = None) -> list[MovementModel]:
    """The models a unit keeps (its subtree's, and those of the units it was formed from)."""
    q = Q(pk__in=[])
    for name in successor_fields():
        q |= Q(**{f"{name}__path__startswith": unit.path})
    ids = MovementModel.objects.filter(q).values("pk")
    found = list(
        MovementModel.objects.filter(pk__in=ids)
        .select_related("unit", "model_type")
        .prefetch_related("ratings", "covered")
    )
    if year is not None:
        found = [m for m in found if m.runs_in(year)]
    return found


def rating_of(model: MovementModel, year: int) -> ModelRating | None:
    return next((r for r in model.ratings.all() if r.year == year), None)


def can_keep(user: Actor, unit: Unit) -> bool:
    return has_role(user, unit, *MODEL_ROLES)


def history(model: MovementModel) -> list[tuple[AuditEvent, str]]:
    """The model's own audit events (recorded, changed, rated, files), oldest first."""
    kinds = [
        "movement.movementmodel",
        "movement.modelrating",
        "movement.modelevidence",
    ]
    ids = [str(model.pk), *[str(pk) for pk in model.ratings.values_list("pk", flat=True)]]
    ids += [str(pk) for pk in model.evidence.values_list("pk", flat=True)]
    events = (
        AuditEvent.objects.filter(object_type__in=kinds, object_id__in=ids)
        .filter(action__in=[Action.MOVEMENT_MODEL, Action.MOVEMENT_RATING, Action.EVIDENCE])
        .select_related("actor")
        .order_by("at", "pk")
    )
    return [(e, Action.label_of(e.action)) for e in events]


# --- teams ------------------------------------------------------------------------------------


def commune_of(unit: Unit) -> Unit | None:
    return unit if unit.kind == Unit.Kind.COMMUNE else unit.ancestor_of_kind(Unit.Kind.COMMUNE)


def teams_of_commune(commune: Unit) -> QuerySet[SecurityTeam]:
    return (
        SecurityTeam.objects.filter(unit__path__startswith=commune.path)
        .select_related("unit")
        .prefetch_related("members")
    )


def visible_rounds(user: Actor) -> QuerySet[TeamRatingRound]:
    return TeamRatingRound.objects.filter(scope_filter(user, "commune")).select_related("commune")


def visible_teams(user: Actor) -> QuerySet[SecurityTeam]:
    return SecurityTeam.objects.filter(scope_filter(user, "unit")).select_related("unit")


def round_rows(round_: TeamRatingRound) -> list[TeamRating]:
    """Each team, then its members."""
    return list(
        round_.ratings.select_related("team", "team__unit", "member").order_by(
            "team__name", "team_id", F("member_id").asc(nulls_first=True)
        )
    )


def counts(ratings: list[TeamRating]) -> dict[str, dict[str, int]]:
    """{"teams"|"members": {level: n}}."""
    found: dict[str, dict[str, int]] = {"teams": {}, "members": {}}
    for r in ratings:
        if r.level:
            side = found["members" if r.member_id else "teams"]
            side[r.level] = side.get(r.level, 0) + 1
    return found


def cap_problems(ratings: list[TeamRating]) -> list[str]:
    """The sides (teams, members) with more "xuất sắc" than 20 % of their "tốt" allows."""
    problems = []
    labels = {"teams": _("teams"), "members": _("members")}
    for side, by_level in counts(ratings).items():
        excellent, good = by_level.get(Level.EXCELLENT, 0), by_level.get(Level.GOOD, 0)
        if excellent > excellent_cap(good):
            problems.append(
                _(
                    "%(excellent)s %(side)s rated “excellently completed”, but at most %(cap)s are allowed: "
                    "20 %% of the %(good)s rated “well completed”, rounded down."
                )
                % {"excellent": excellent, "side": labels[side], "cap": excellent_cap(good), "good": good}
            )
    return problems


def round_permissions(user: Actor, round_: TeamRatingRound) -> dict[str, bool]:
    S = TeamRatingRound.Status
    commune = round_.commune
    return {
        "can_edit": round_.status == S.DRAFT and has_role(user, commune, *TEAM_ENTRY_ROLES),
        "can_submit": round_.status == S.DRAFT and has_role(user, commune, *TEAM_ENTRY_ROLES),
        "can_review": round_.status == S.SUBMITTED and has_role(user, commune, *TEAM_REVIEW_ROLES),
        "can_return": round_.status in (S.SUBMITTED, S.REVIEWED)
        and has_role(user, commune, *TEAM_REVIEW_ROLES, *TEAM_DECISION_ROLES),
        "can_decide": round_.status == S.REVIEWED and has_role(user, commune, *TEAM_DECISION_ROLES),
        "is_decided": round_.status == S.DECIDED,
    }


def round_history(round_: TeamRatingRound) -> list[tuple[AuditEvent, str, str, str]]:
    """The round's steps and every level changed in it, oldest first: (event, action, before,
    after), statuses and levels in words."""
    words = {**dict(TeamRatingRound.Status.choices), **dict(Level.choices)}
    rows = [str(pk) for pk in round_.ratings.values_list("pk", flat=True)]
    events = (
        AuditEvent.objects.filter(
            Q(object_type="movement.teamratinground", object_id=str(round_.pk))
            | Q(object_type="movement.teamrating", object_id__in=rows)
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    return [
        (e, Action.label_of(e.action), str(words.get(e.old, e.old)), str(words.get(e.new, e.new)))
        for e in events
    ]


def today() -> datetime.date:
    return timezone.localdate()
