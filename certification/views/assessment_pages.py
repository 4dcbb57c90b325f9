"""Views: registration, "Việc cần làm" and offline entry through Excel."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from antt.spreadsheets import SpreadsheetRefused, check_size
from antt.web.actions import attempt
from antt.web.downloads import name_download
from certification.exchange import assessment_excel as excel
from certification.forms.assessments import ExcelUploadForm, RegistrationForm
from certification.models import Assessment, Campaign, ImportJob, Registration
from certification.selectors import worklist
from certification.selectors.assessments import registration_is_locked
from certification.selectors.campaigns import get_campaign_for_user, visible_campaigns
from certification.services import imports, registration
from certification.views.assessments import TEMPLATES, Role, _to_detail, has_any_role
from units.access import get_for_user, require_role, visible_units
from units.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_SESSION_KEY = "assessment_excel_imports"

# --- registration --------------------------------------------------------------------------


def _officer_units(user):
    return visible_units(user, roles=[Role.OFFICER]).filter(
        kind__in=Unit.ASSESSED_KINDS, is_eligible=True, valid_to__isnull=True
    )


@login_required
def registration_create(request: HttpRequest) -> HttpResponse:
    if not has_any_role(request.user, Role.OFFICER) and not request.user.is_superuser:
        raise PermissionDenied
    campaigns = visible_campaigns(request.user).filter(status=Campaign.Status.OPEN).order_by("-year", "pk")
    units = _officer_units(request.user).order_by("path")
    # The open campaign is chosen already (never "---------", never a closed year).
    initial: dict = {"campaign": _default_campaign(request.user)}
    unit_id, campaign_id = request.GET.get("unit"), request.GET.get("campaign")
    if unit_id:
        unit = get_for_user(request.user, Unit, unit_id)
        require_role(request.user, unit, Role.OFFICER)
        initial["unit"] = unit
        campaign = campaigns.filter(pk=campaign_id).first() if campaign_id else None
        campaign = campaign or campaigns.filter(province__in=unit.ancestors(include_self=True)).first()
        initial["campaign"] = campaign or initial["campaign"]
        existing = Registration.objects.filter(campaign=campaign, unit=unit).first() if campaign else None
        if existing:
            for name in (
                "registered_on",
                "households_total",
                "households_registered",
                "resolution_ref",
                "plan_ref",
                "pledge_ref",
                "note",
            ):
                initial[name] = getattr(existing, name)
        elif unit.kind == Unit.Kind.RESIDENTIAL_AREA:
            initial["households_total"] = unit.household_count
    form = RegistrationForm(request.POST or None, campaigns=campaigns, units=units, initial=initial)
    campaign, unit = initial.get("campaign"), initial.get("unit")  # the open campaign is always chosen
    locked = bool(campaign and unit and registration_is_locked(campaign.pk, unit.pk))
    if locked:  # shown read-only; the service refuses a change anyway
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        with attempt(request):
            registration.register_unit(by=request.user, **form.cleaned_data)
            unit, campaign = form.cleaned_data["unit"], form.cleaned_data["campaign"]
            messages.success(request, _("Registration of %(unit)s recorded.") % {"unit": unit})
            assessment = Assessment.objects.filter(campaign=campaign, unit=unit).first()
            if assessment:
                return _to_detail(assessment)
            # The next step first: the page whose one button opens the assessment.
            return redirect(
                reverse("certification:assessment-start") + f"?unit={unit.pk}&campaign={campaign.pk}"
            )
    return render(request, TEMPLATES + "registration_form.html", {"form": form, "locked": locked})


# --- my tasks ------------------------------------------------------------------------------


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    groups = worklist.task_groups(request.user)
    return render(
        request, TEMPLATES + "tasks.html", {"groups": groups, "total": sum(g.count for g in groups[:3])}
    )


# --- Excel ---------------------------------------------------------------------------------


def _default_campaign(user) -> Campaign | None:
    return visible_campaigns(user).filter(status=Campaign.Status.OPEN).order_by("-year").first()


@login_required
def excel_download(request: HttpRequest) -> HttpResponse:
    if not has_any_role(request.user, Role.OFFICER) and not request.user.is_superuser:
        raise PermissionDenied
    if request.GET.get("campaign"):
        campaign = get_campaign_for_user(request.user, request.GET["campaign"])
    else:
        campaign = _default_campaign(request.user)
    if campaign is None:
        messages.error(request, _("There is no open campaign."))
        return redirect("certification:assessment-list")
    data = excel.build_workbook(campaign=campaign, units=excel.units_for_export(request.user, campaign))
    return name_download(HttpResponse(data, content_type=XLSX), excel.export_filename(campaign))


def _pending_imports(request: HttpRequest) -> dict:
    return request.session.setdefault(EXCEL_SESSION_KEY, {})


@login_required
def excel_upload(request: HttpRequest) -> HttpResponse:
    """Upload → preview (nothing written) → confirm (atomic import)."""
    if not has_any_role(request.user, Role.OFFICER) and not request.user.is_superuser:
        raise PermissionDenied
    default = _default_campaign(request.user)
    if request.method == "POST" and request.POST.get("token"):
        return _excel_confirm(request)
    form = ExcelUploadForm(
        request.POST or None, request.FILES or None, initial={"year": default.year if default else None}
    )
    if request.method != "POST" or not form.is_valid():
        return render(request, TEMPLATES + "excel_upload.html", {"form": form, "campaign": default})
    upload = form.cleaned_data["file"]
    try:
        check_size(upload.size)
    except SpreadsheetRefused as e:
        form.add_error("file", str(e))
        return render(request, TEMPLATES + "excel_upload.html", {"form": form, "campaign": default})
    year = form.cleaned_data["year"]
    report = excel.parse_workbook(upload, year=year, user=request.user)
    context = {"report": report, "year": year, "name": upload.name}
    if report.ok and report.changed_plans:
        token = secrets.token_hex(16)
        upload.seek(0)
        path = default_storage.save(f"imports/{token}.xlsx", upload)
        pending = _pending_imports(request)
        pending[token] = {"path": path, "year": year}
        request.session.modified = True
        context["token"] = token
    return render(request, TEMPLATES + "excel_preview.html", context)


def _excel_confirm(request: HttpRequest) -> HttpResponse:
    """Check the stored file again (the time of a preview) and queue its import: a worker applies
    it (``tasks.imports``); the user follows it on the job's page."""
    pending = _pending_imports(request)
    entry = pending.pop(request.POST.get("token", ""), None)  # a post without one: "expired", not a 500
    request.session.modified = True
    if entry is None:
        messages.error(request, _("This import was already done or has expired; upload the file again."))
        return redirect("certification:assessments-excel-upload")
    try:
        with default_storage.open(entry["path"], "rb") as fh:
            report = excel.parse_workbook(fh, year=entry["year"], user=request.user)
    except FileNotFoundError:  # swept after IMPORT_PREVIEW_TTL_SECONDS (manage.py sweep_imports)
        messages.error(request, _("This import was already done or has expired; upload the file again."))
        return redirect("certification:assessments-excel-upload")
    if not report.ok:  # something changed since the preview
        default_storage.delete(entry["path"])
        return render(request, TEMPLATES + "excel_preview.html", {"report": report, "year": entry["year"]})
    job = imports.start_import_job(path=entry["path"], year=entry["year"], by=request.user)
    return redirect("certification:assessments-excel-job", pk=job.pk)


@login_required
def excel_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmed import: "importing…" (the page refreshes itself), then its report. Only the
    user who confirmed it sees it."""
    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    failed = job.status == ImportJob.Status.FAILED
    context = {"job": job, "report": job.report, "running": running, "failed": failed}
    return render(request, TEMPLATES + "excel_job.html", context)
