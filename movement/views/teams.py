"""Pages of the security teams and their yearly rating: entry (levels) → submit → review →
decision (the commune chairman) → the decision PDF. Scoped: 404 outside the user's subtree,
403 without the role of the step (the services check it again)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from antt.web.actions import attempt
from antt.web.downloads import name_download
from movement.documents.teams import round_pdf as render_round_pdf
from movement.forms.registry import LEVEL_CHOICES, DecideForm, ReturnForm, StartRoundForm, TeamForm
from movement.models import TeamRatingRound, excellent_cap
from movement.selectors import registry
from movement.services import teams
from units.access import get_for_user, visible_units
from units.models import Unit

STEPS = ("submit", "review", "return", "decide")


def _round(request: HttpRequest, pk: int) -> TeamRatingRound:
    return get_for_user(
        request.user, TeamRatingRound.objects.select_related("commune"), pk, unit_field="commune"
    )


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    can_enter = visible_units(request.user, roles=registry.TEAM_ENTRY_ROLES).exists()
    return render(
        request,
        "movement/team_list.html",
        {
            "teams": registry.visible_teams(request.user).prefetch_related("members"),
            "rounds": registry.visible_rounds(request.user),
            "can_enter": can_enter,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    units = visible_units(request.user, roles=registry.TEAM_ENTRY_ROLES).filter(
        kind__in=(Unit.Kind.COMMUNE, Unit.Kind.RESIDENTIAL_AREA), valid_to__isnull=True
    )
    if not units.exists():
        raise PermissionDenied
    form = TeamForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):
            teams.add_team(
                by=request.user,
                unit=form.cleaned_data["unit"],
                name=form.cleaned_data["name"],
                members=form.cleaned_data["members"],
            )
            messages.success(request, _("Team recorded."))
            return redirect("movement:team-list")
    return render(request, "movement/team_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def round_start(request: HttpRequest) -> HttpResponse:
    communes = visible_units(request.user, roles=registry.TEAM_ENTRY_ROLES).filter(
        kind=Unit.Kind.COMMUNE, valid_to__isnull=True
    )
    if not communes.exists():
        raise PermissionDenied
    form = StartRoundForm(request.POST or None, communes=communes, initial={"year": registry.today().year})
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):
            round_ = teams.start_round(by=request.user, **form.cleaned_data)
            return redirect(round_.get_absolute_url())
    return render(request, "movement/round_start.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    permissions = registry.round_permissions(request.user, round_)
    if request.method == "POST":
        if not permissions["can_edit"]:
            raise PermissionDenied
        levels = {}
        for key, value in request.POST.items():
            if key.startswith("level-"):
                try:
                    levels[int(key[6:])] = value
                except ValueError:
                    continue
        with attempt(request):
            teams.save_levels(by=request.user, round_=round_, levels=levels)
            messages.success(request, _("Levels saved."))
        return redirect(round_.get_absolute_url())
    rows = registry.round_rows(round_)
    counts = registry.counts(rows)
    return render(
        request,
        "movement/round_detail.html",
        {
            "round": round_,
            "rows": rows,
            "levels": LEVEL_CHOICES,
            "counts": counts,
            "caps": {side: excellent_cap(by_level.get("good", 0)) for side, by_level in counts.items()},
            "problems": registry.cap_problems(rows),
            "events": registry.round_history(round_),
            "decide_form": DecideForm(),
            "return_form": ReturnForm(),
            **permissions,
        },
    )


@login_required
@require_http_methods(["POST"])
def round_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    round_ = _round(request, pk)
    if step not in STEPS:
        raise Http404
    permissions = registry.round_permissions(request.user, round_)
    allowed = {
        "submit": permissions["can_submit"],
        "review": permissions["can_review"],
        "return": permissions["can_return"],
        "decide": permissions["can_decide"],
    }
    if not allowed[step]:
        raise PermissionDenied
    with attempt(request):
        if step == "submit":
            teams.submit_round(by=request.user, round_=round_)
            messages.success(request, _("Submitted for review."))
        elif step == "review":
            teams.review_round(by=request.user, round_=round_)
            messages.success(request, _("Reviewed: waiting for the chairman's decision."))
        elif step == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say what needs correcting."))
                return redirect(round_.get_absolute_url())
            teams.return_round(by=request.user, round_=round_, reason=form.cleaned_data["reason"])
            messages.success(request, _("Returned for correction."))
        else:
            form = DecideForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Enter the name of the person signing and a valid date."))
                return redirect(round_.get_absolute_url())
            teams.decide_round(by=request.user, round_=round_, **form.cleaned_data)
            messages.success(request, _("Decision issued."))
    return redirect(round_.get_absolute_url())


@login_required
def round_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    response = HttpResponse(render_round_pdf(round_), content_type="application/pdf")
    state = round_.number if round_.number else "du-thao"
    return name_download(response, f"quyet-dinh-xep-loai-to-bao-ve-{round_.year}-{state}.pdf", inline=True)
