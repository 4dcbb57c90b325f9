"""Views: campaign results (summary, "score now", export) and scoring-run progress."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from antt.database.replica import report_reads
from antt.web.downloads import name_download
from certification.documents.wording import KIND_LABELS
from certification.models import Campaign, Result, ScoringRun
from certification.scoring.engine import format_percent
from certification.scoring.export import write_results
from certification.selectors.campaigns import can_manage_province, get_campaign_for_user
from certification.services.scoring import start_scoring_run
from units.access import can_see, is_global, visible_units
from units.models import Unit


def _province_level(user, campaign: Campaign) -> bool:
    return is_global(user) or can_see(user, campaign.province)


def _kind_rows(summary: dict) -> list[dict]:
    rows = []
    for kind in (Unit.Kind.COMMUNE, *Unit.MANAGED_KINDS):
        counts = summary.get("kinds", {}).get(kind)
        if not counts or not counts.get("units"):
            continue
        eligible = counts.get("eligible", 0)
        rows.append(
            {
                "label": KIND_LABELS[kind],
                **counts,
                "rate": format_percent(counts.get("pass", 0), eligible) if eligible else "",
            }
        )
    return rows


@login_required
def campaign_results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk)
    province_level = _province_level(request.user, campaign)
    can_score = can_manage_province(request.user, campaign.province)
    with report_reads():  # the results (lazy querysets, read while rendering) from the replica
        summary = {}
        if province_level:
            summary = (
                Result.objects.filter(campaign=campaign, unit=campaign.province)
                .values_list("rollup", flat=True)
                .first()
                or {}
            )
        communes = (
            Result.objects.filter(
                campaign=campaign, unit__kind=Unit.Kind.COMMUNE, unit__in=visible_units(request.user)
            )
            .select_related("unit")
            .order_by("unit__path")
        )
        return render(
            request,
            "certification/scoring/campaign_results.html",
            {
                "campaign": campaign,
                "province_level": province_level,
                "kind_rows": _kind_rows(summary),
                "is_forecast": summary.get("is_forecast", False),
                "communes": communes,
                "runs": campaign.scoring_runs.all()[:5] if province_level else [],
                "can_score": can_score,
            },
        )


@login_required
@require_http_methods(["GET", "POST"])
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation, POST queues a run of the whole campaign."""
    campaign = get_campaign_for_user(request.user, pk)
    if not can_manage_province(request.user, campaign.province):
        raise PermissionDenied
    if request.method == "POST":
        run = start_scoring_run(campaign=campaign, by=request.user, trigger="ui")
        messages.success(request, _("Scoring has started; results update as chunks finish."))
        return redirect("certification:scoring-run-detail", run.pk)
    return render(request, "certification/scoring/run_confirm.html", {"campaign": campaign})


def _run_for_user(user, pk: int) -> ScoringRun:
    run = ScoringRun.objects.select_related("campaign__province").filter(pk=pk).first()
    if run is None or not _province_level(user, run.campaign):
        raise Http404
    return run


def _message(run: ScoringRun) -> str:
    if run.status == ScoringRun.Status.FAILED:
        return run.error or _("The scoring run failed.")
    return ""


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for_user(request.user, pk)
    return render(
        request,
        "certification/scoring/run_detail.html",
        {
            "run": run,
            "campaign": run.campaign,
            "status_url": reverse("certification:scoring-run-progress", args=[run.pk]),
            "done_url": reverse("certification:scoring-campaign", args=[run.campaign_id]),
            "message": _message(run),
        },
    )


@login_required
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    run = _run_for_user(request.user, pk)
    data = {
        "status": run.status,
        "percent": run.percent,
        "done": run.done,
        "total": run.total,
        "message": _message(run),
    }
    if run.status == ScoringRun.Status.DONE:
        data["redirect"] = reverse("certification:scoring-campaign", args=[run.campaign_id])
    return JsonResponse(data)


@login_required
def results_export(request: HttpRequest, pk: int) -> FileResponse:
    """The results workbook of the units the user may see (a commune officer: their commune)."""
    campaign = get_campaign_for_user(request.user, pk)
    units = None if is_global(request.user) else visible_units(request.user)
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    with report_reads():
        write_results([campaign], handle, units=units)
    handle.seek(0)
    response = FileResponse(
        handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return name_download(response, f"ket-qua-{campaign.year}-{campaign.province.code}.xlsx")
