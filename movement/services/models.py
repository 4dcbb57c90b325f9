"""Writes of the register of models: record, rate a year, attach evidence. Keyword-only, atomic,
scoped (``rules.require_role_on``) and audited (``certification.audit``); rating a model asks the
engine to rescore the unit that keeps it (XA-1/CQDN-1/CSGD-1 read the register)."""

import datetime
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import tidy
from certification.audit import Action, Actor, actor_or_none, atomic_deferred, log_change, log_diff, snapshot
from certification.exchange.evidence import evidence_fields, store_evidence
from certification.models import Campaign
from certification.services.rules import require_role_on
from certification.services.scoring import schedule_rescore
from movement.models import ModelEvidence, ModelRating, ModelType, MovementModel
from movement.selectors.registry import KEEPER_KINDS, MODEL_ROLES, types_for
from units.models import Unit

SNAPSHOT = ["unit", "name", "model_type", "started_on", "ended_on", "members", "cameras", "note"]


def _check(
    *, unit: Unit, model_type: ModelType, covered: list[Unit], started_on: datetime.date | None, **counts: Any
) -> None:
    if unit.kind not in KEEPER_KINDS:
        raise WorkflowError(_("A model is kept by a commune, an agency, an enterprise or a school."))
    if not types_for(unit).filter(pk=model_type.pk).exists():
        raise WorkflowError(_("This type of model is not in your province's catalogue."))
    if started_on is None:
        raise WorkflowError(_("Enter the date the model started."))
    for other in covered:
        if not other.path.startswith(unit.path):
            raise WorkflowError(_("%(unit)s is not part of the unit keeping the model.") % {"unit": other})
    if model_type.counts_cameras and not counts.get("cameras"):
        raise WorkflowError(_("Enter the number of cameras of a camera model."))
    ended_on = counts.get("ended_on")
    if ended_on is not None and ended_on < started_on:
        raise WorkflowError(_("The end date is before the start date."))


def _rescore(unit: Unit, year: int) -> None:
    """Rescore the unit keeping the model after the commit (``schedule_rescore`` takes its
    ancestors too: a commune counts the models of its subtree)."""
    province = unit.province()
    campaign = Campaign.objects.filter(province=province, year=year).first() if province else None
    if campaign is not None:
        schedule_rescore(unit_id=unit.pk, campaign_id=campaign.pk)


@atomic_deferred
def record_model(
    *,
    by: Actor,
    unit: Unit,
    name: str,
    model_type: ModelType,
    started_on: datetime.date | None,
    covered: list[Unit] | None = None,
    members: int | None = None,
    cameras: int | None = None,
    ended_on: datetime.date | None = None,
    note: str = "",
) -> MovementModel:
    require_role_on(by, unit, *MODEL_ROLES)
    name = tidy(name)
    if not name:
        raise WorkflowError(_("Enter the model's name."))
    covered = covered or []
    _check(
        unit=unit,
        model_type=model_type,
        covered=covered,
        started_on=started_on,
        cameras=cameras,
        ended_on=ended_on,
    )
    model = MovementModel.objects.create(
        unit=unit,
        name=name,
        model_type=model_type,
        started_on=cast(datetime.date, started_on),
        ended_on=ended_on,
        members=members,
        cameras=cameras,
        note=tidy(note),
    )
    model.covered.set(covered)
    log_diff(model, by=by, action=Action.MOVEMENT_MODEL, old=None, new=_snapshot(model))
    return model


def _snapshot(model: MovementModel) -> dict[str, str]:
    found = snapshot(model, SNAPSHOT)
    found["covered"] = ", ".join(sorted(u.code for u in model.covered.all()))
    return found


@atomic_deferred
def change_model(*, by: Actor, model: MovementModel, **fields: Any) -> MovementModel:
    model = MovementModel.objects.select_for_update().get(pk=model.pk)
    require_role_on(by, model.unit, *MODEL_ROLES)
    before = _snapshot(model)
    covered = fields.pop("covered", None)
    for name, value in fields.items():
        setattr(model, name, tidy(value) if isinstance(value, str) else value)
    _check(
        unit=model.unit,
        model_type=model.model_type,
        covered=list(covered) if covered is not None else list(model.covered.all()),
        started_on=model.started_on,
        cameras=model.cameras,
        ended_on=model.ended_on,
    )
    model.save()
    if covered is not None:
        model.covered.set(covered)
    log_diff(model, by=by, action=Action.MOVEMENT_MODEL, old=before, new=_snapshot(model))
    return model


@atomic_deferred
def rate_model(
    *,
    by: Actor,
    model: MovementModel,
    year: int,
    effective: bool,
    rater_title: str = "",
    rated_on: datetime.date | None = None,
    note: str = "",
) -> ModelRating:
    """The year's rating (hiệu quả / chưa hiệu quả); rating again replaces it, audited before → after."""
    model = MovementModel.objects.select_for_update().select_related("unit").get(pk=model.pk)
    require_role_on(by, model.unit, *MODEL_ROLES)
    if not model.runs_in(year):
        raise WorkflowError(_("The model did not run in %(year)s.") % {"year": year})
    rating = ModelRating.objects.filter(model=model, year=year).first()
    old = snapshot(rating, ["effective", "rater_title", "note"]) if rating else None
    if rating is None:
        rating = ModelRating(model=model, year=year)
    rating.effective = effective
    rating.rated_by = actor_or_none(by)
    rating.rater_title = tidy(rater_title)
    rating.rated_on = rated_on or timezone.localdate()
    rating.note = tidy(note)
    rating.save()
    log_diff(
        rating,
        by=by,
        action=Action.MOVEMENT_RATING,
        old=old,
        new=snapshot(rating, ["effective", "rater_title", "note"]),
    )
    _rescore(model.unit, year)
    return rating


@atomic_deferred
def add_model_evidence(*, by: Actor, model: MovementModel, file: "UploadedFile[Any]") -> ModelEvidence:
    """A PDF/JPEG/PNG, checked by content and size as the certification's evidence."""
    require_role_on(by, model.unit, *MODEL_ROLES)
    evidence = ModelEvidence(model=model, **evidence_fields(file, by))
    store_evidence(
        evidence,
        file,
        lambda: log_change(evidence, by=by, action=Action.EVIDENCE, field="file", new=evidence.original_name),
    )
    return evidence
