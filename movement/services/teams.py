"""The yearly rating of grassroots security teams (Hướng dẫn 01/HD-BCA-V05): the commune police
enter the levels (draft), submit; an appraiser reviews (or returns); the commune chairman (the
approver of the commune) decides, which takes the commune's next decision number
(``certification.documents.numbering``) and makes the decision PDF
(``movement.documents.teams``). Every step is audited before → after with the certification's
audit chain and its ``require_role_on`` / ``WorkflowError`` checks.

The cap: "xuất sắc" at most 20 % of those rated "tốt", counted separately for teams and for
members, rounded down (``models.excellent_cap``). Saving a draft over the cap is allowed (the
page says so); submitting, reviewing and deciding are refused until it holds.
"""

import datetime
from collections.abc import Mapping

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import tidy
from certification.audit import Action, Actor, atomic_deferred, log_change
from certification.documents.numbering import next_number
from certification.services.rules import require_role_on
from movement.models import Level, SecurityTeam, TeamMember, TeamRating, TeamRatingRound
from movement.selectors.registry import (
    TEAM_DECISION_ROLES,
    TEAM_ENTRY_ROLES,
    TEAM_REVIEW_ROLES,
    cap_problems,
    commune_of,
    round_rows,
    teams_of_commune,
)
from units.models import Unit

SERIES = "team_rating"  # the decision counter's series (certification.models.DecisionCounter)
S = TeamRatingRound.Status


def _lock(round_: TeamRatingRound) -> TeamRatingRound:
    return TeamRatingRound.objects.select_for_update(of=("self",)).select_related("commune").get(pk=round_.pk)


def _require_status(round_: TeamRatingRound, allowed: tuple[str, ...], message: str) -> None:
    if round_.status not in allowed:
        raise WorkflowError(message % {"status": round_.get_status_display()})


def _set_status(round_: TeamRatingRound, by: Actor, new: str, **fields: object) -> None:
    old = round_.status
    round_.status = new
    for name, value in fields.items():
        setattr(round_, name, value)
    round_.save(update_fields=["status", *fields])
    log_change(round_, by=by, action=Action.STATUS, field="status", old=old, new=new)


@atomic_deferred
def add_team(*, by: Actor, unit: Unit, name: str, members: list[tuple[str, str]]) -> SecurityTeam:
    """A team in a residential area (or the commune) with its members (full name, position)."""
    require_role_on(by, unit, *TEAM_ENTRY_ROLES)
    if commune_of(unit) is None:
        raise WorkflowError(_("A security team works in a commune or one of its residential areas."))
    name = tidy(name)
    if not name:
        raise WorkflowError(_("Enter the team's name."))
    team = SecurityTeam.objects.create(unit=unit, name=name)
    TeamMember.objects.bulk_create(
        [TeamMember(team=team, full_name=tidy(n), position=tidy(p)) for n, p in members if tidy(n)]
    )
    log_change(
        team, by=by, action=Action.TEAM_RATING, field="members", new=[tidy(n) for n, _p in members if tidy(n)]
    )
    return team


@atomic_deferred
def start_round(*, by: Actor, commune: Unit, year: int) -> TeamRatingRound:
    """The commune's rating of ``year``, one row per team and member (empty levels)."""
    require_role_on(by, commune, *TEAM_ENTRY_ROLES)
    if commune.kind != Unit.Kind.COMMUNE:
        raise WorkflowError(_("Teams are rated by the commune."))
    try:
        round_ = TeamRatingRound.objects.create(commune=commune, year=year)
    except IntegrityError:
        raise WorkflowError(_("The rating of %(year)s has already been started.") % {"year": year}) from None
    rows = []
    for team in teams_of_commune(commune):
        rows.append(TeamRating(round=round_, team=team))
        rows += [TeamRating(round=round_, team=team, member=m) for m in team.members.all()]
    if not rows:
        raise WorkflowError(_("Record the commune's security teams first."))
    TeamRating.objects.bulk_create(rows)
    log_change(round_, by=by, action=Action.STATUS, field="status", old="", new=round_.status)
    return round_


@atomic_deferred
def save_levels(*, by: Actor, round_: TeamRatingRound, levels: Mapping[int, str]) -> TeamRatingRound:
    """``levels``: rating id → level ("" clears it). Audited per changed row."""
    round_ = _lock(round_)
    require_role_on(by, round_.commune, *TEAM_ENTRY_ROLES)
    _require_status(round_, (S.DRAFT,), _("The rating is %(status)s: it can no longer be changed."))
    allowed = set(Level.values) | {""}
    rows = {r.pk: r for r in round_.ratings.select_related("team", "member")}
    for pk, level in levels.items():
        if pk not in rows:
            raise WorkflowError(_("This row is not part of the rating."))
        if level not in allowed:
            raise WorkflowError(_("Choose one of the four levels."))
        row = rows[pk]
        if row.level != level:
            log_change(row, by=by, action=Action.TEAM_RATING, field="level", old=row.level, new=level)
            row.level = level
            row.save(update_fields=["level"])
    return round_


def _require_complete(round_: TeamRatingRound) -> None:
    rows = round_rows(round_)
    empty = [str(r) for r in rows if not r.level]
    if empty:
        raise WorkflowError(
            _("Rate every team and member first: %(names)s.") % {"names": ", ".join(empty[:10])}
        )
    problems = cap_problems(rows)
    if problems:
        raise WorkflowError(" ".join(problems))


@atomic_deferred
def submit_round(*, by: Actor, round_: TeamRatingRound) -> TeamRatingRound:
    round_ = _lock(round_)
    require_role_on(by, round_.commune, *TEAM_ENTRY_ROLES)
    _require_status(round_, (S.DRAFT,), _("The rating is %(status)s: only a draft can be submitted."))
    _require_complete(round_)
    _set_status(round_, by, S.SUBMITTED, return_reason="")
    return round_


@atomic_deferred
def review_round(*, by: Actor, round_: TeamRatingRound) -> TeamRatingRound:
    round_ = _lock(round_)
    require_role_on(by, round_.commune, *TEAM_REVIEW_ROLES)
    _require_status(
        round_, (S.SUBMITTED,), _("The rating is %(status)s: only a submitted one can be reviewed.")
    )
    _require_complete(round_)
    _set_status(round_, by, S.REVIEWED)
    return round_


@atomic_deferred
def return_round(*, by: Actor, round_: TeamRatingRound, reason: str) -> TeamRatingRound:
    round_ = _lock(round_)
    require_role_on(by, round_.commune, *TEAM_REVIEW_ROLES, *TEAM_DECISION_ROLES)
    _require_status(round_, (S.SUBMITTED, S.REVIEWED), _("The rating is %(status)s: it cannot be returned."))
    reason = tidy(reason)
    if not reason:
        raise WorkflowError(_("Say what needs correcting."))
    _set_status(round_, by, S.DRAFT, return_reason=reason)
    return round_


@atomic_deferred
def decide_round(
    *,
    by: Actor,
    round_: TeamRatingRound,
    signer_name: str,
    signer_title: str = "Chủ tịch",
    decided_on: datetime.date | None = None,
) -> TeamRatingRound:
    """The commune chairman's decision: the next number of the commune's series, the date, the signer."""
    round_ = _lock(round_)
    require_role_on(by, round_.commune, *TEAM_DECISION_ROLES)
    _require_status(round_, (S.REVIEWED,), _("The rating is %(status)s: only a reviewed one can be decided."))
    _require_complete(round_)
    signer_name = tidy(signer_name)
    if not signer_name:
        raise WorkflowError(_("Enter the name of the person signing."))
    number = next_number(issuer=round_.commune, year=round_.year, series=SERIES)
    _set_status(
        round_,
        by,
        S.DECIDED,
        number=number,
        decided_on=decided_on or timezone.localdate(),
        signer_name=signer_name,
        signer_title=tidy(signer_title) or "Chủ tịch",
    )
    log_change(round_, by=by, action=Action.DECISION_ISSUED, field="number", new=number)
    return round_
