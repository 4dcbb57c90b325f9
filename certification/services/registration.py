"""Q1 registration (hồ sơ đăng ký, TT 124 Art. 9(2)(a))."""

import datetime
from typing import Any

from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import tidy
from certification.audit import Action, Actor, actor_or_none, atomic_deferred, log_change
from certification.models import Assessment, Campaign, Registration
from certification.selectors.assessments import registration_is_locked
from certification.services.rules import (
    Role,
    local_today,
    parse_date,
    parse_int,
    require_open_campaign,
    require_role_on,
    rescore,
)
from units.models import Unit


@atomic_deferred
def register_unit(
    *,
    campaign: Campaign,
    unit: Unit,
    by: Actor,
    registered_on: datetime.date | None,
    households_total: int | None = None,
    households_registered: int | None = None,
    resolution_ref: str = "",
    plan_ref: str = "",
    pledge_ref: str = "",
    note: str = "",
) -> Registration:
    """Record (or correct) that ``unit`` registered for ``campaign`` (hồ sơ đăng ký, Art. 9(2)(a))."""
    require_role_on(by, unit, Role.OFFICER)
    require_open_campaign(campaign)
    if not unit.is_within(campaign.province):
        raise WorkflowError(_("%(unit)s is not in the campaign's province.") % {"unit": unit})
    if unit.kind not in Unit.ASSESSED_KINDS:
        raise WorkflowError(_("%(unit)s is not a kind of unit that is assessed.") % {"unit": unit})
    if not unit.is_eligible:
        raise WorkflowError(
            _("%(unit)s is not covered: %(reason)s") % {"unit": unit, "reason": unit.ineligible_reason}
        )
    if registration_is_locked(campaign.pk, unit.pk):
        raise WorkflowError(
            _(
                "The registration of %(unit)s for %(year)s is locked: the recognition decision was "
                "taken on these data, so they can no longer change."
            )
            % {"unit": unit, "year": campaign.year}
        )
    registered_on = parse_date(registered_on, _("Registration date"))
    if registered_on is None:
        raise WorkflowError(_("Enter the registration date."))
    if registered_on > local_today():
        raise WorkflowError(_("The registration date cannot be in the future."))
    total = parse_int(households_total, _("Households"))
    registered = parse_int(households_registered, _("Households registered"))
    if unit.kind == Unit.Kind.RESIDENTIAL_AREA:
        if total is None or registered is None:
            raise WorkflowError(_("For a residential area enter the households and how many registered."))
        if registered > total:
            raise WorkflowError(_("More households registered than there are households."))
    elif total is not None or registered is not None:
        raise WorkflowError(_("Households are recorded only for residential areas."))

    values: dict[str, Any] = {
        "registered_on": registered_on,
        "households_total": total,
        "households_registered": registered,
        "resolution_ref": tidy(resolution_ref),
        "plan_ref": tidy(plan_ref),
        "pledge_ref": tidy(pledge_ref),
        "note": tidy(note),
    }
    assessment = Assessment.objects.filter(campaign=campaign, unit=unit).first()
    registration = Registration.objects.select_for_update().filter(campaign=campaign, unit=unit).first()
    if registration is None:
        registration = Registration.objects.create(
            campaign=campaign, unit=unit, created_by=actor_or_none(by), **values
        )
        log_change(
            registration,
            by=by,
            action=Action.REGISTRATION,
            field="registered_on",
            new=registered_on.isoformat(),
            assessment=assessment,
        )
    else:
        changed = [name for name, value in values.items() if getattr(registration, name) != value]
        for name in changed:
            old = getattr(registration, name)
            setattr(registration, name, values[name])
            log_change(
                registration,
                by=by,
                action=Action.REGISTRATION,
                field=name,
                old=old.isoformat() if isinstance(old, datetime.date) else old,
                new=values[name].isoformat() if isinstance(values[name], datetime.date) else values[name],
                assessment=assessment,
            )
        if changed:
            registration.save(update_fields=changed)
    rescore(unit.pk, campaign.pk)
    return registration
