"""Views: decisions, certificates, bulk printing and summary reports.

Decisions are scoped by their issuing body's subtree, certificates by their unit's subtree.
Clerks, approvers and viewers download (``selectors.documents.DOCUMENT_ROLES``); the viewer
does not print (``PRINT_ROLES``); only approvers revoke. Every download is audited, and a print
job's files are served only while every certificate in them is still valid.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antt.database.replica import report_reads
from antt.errors import WorkflowError
from antt.web.actions import attempt
from antt.web.downloads import name_download
from antt.web.exports import XLSX_CONTENT_TYPE
from antt.web.listing import list_context, sort_queryset
from certification.documents import pdf, printing, reports
from certification.documents.certificates import certificate_pdf as render_certificate
from certification.documents.certificates import pdf_filename
from certification.documents.decisions import decision_filename
from certification.documents.decisions import decision_pdf as render_decision
from certification.forms.documents import PdfUploadForm, RevokeCertificateForm, SummaryReportForm
from certification.models import Certificate, Decision, PrintJob
from certification.selectors import reasons
from certification.selectors.assessments import is_approver_of
from certification.selectors.documents import DOCUMENT_ROLES, PRINT_ROLES, SIGN_ROLES, can_print
from certification.services.printing import record_download, start_print_job
from certification.services.signatures import register_signed_decision
from certification.services.transitions import revoke_assessment
from certification.views.assessment_actions import PREVIEW, revocation_draft, signer_initial
from units.access import can_see, get_for_user, has_role, require_role, scope_queryset, visible_units
from units.models import Unit

DECISION_SORTS = {
    "issued": ("issued_on", "number"),
    "number": ("year", "number"),
    "issuer": "issuer__search_name",
    "certificates": "n_certificates",
}


def _decisions(user):
    return scope_queryset(user, Decision.objects.select_related("issuer", "campaign"), unit_field="issuer")


def _file_response(
    data: bytes, filename: str, *, content_type: str = "application/pdf", attachment: bool = False
) -> HttpResponse:
    return name_download(HttpResponse(data, content_type=content_type), filename, inline=not attachment)


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    decisions = _decisions(request.user).annotate(
        n_certificates=Count("certificates", filter=Q(certificates__status=Certificate.Status.VALID))
    )
    year = request.GET.get("year", "")
    if year.isdigit():
        decisions = decisions.filter(year=int(year))
    decisions, order = sort_queryset(request, decisions, DECISION_SORTS, default="-issued")
    years = _decisions(request.user).order_by("-year").values_list("year", flat=True).distinct()
    context = {"years": list(years), "year": year, **list_context(request, decisions, order=order)}
    return render(request, "certification/documents/decision_list.html", context)


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_for_user(request.user, _decisions(request.user), pk, unit_field="issuer")
    certificates = decision.certificates.select_related("unit", "replaced_by").order_by("register_number")
    context = {
        "decision": decision,
        "certificates": certificates,
        "can_download": has_role(request.user, decision.issuer, *DOCUMENT_ROLES),
        "can_revoke": is_approver_of(request.user, decision.issuer),
        "can_print": can_print(request.user, decision),
        "can_sign": decision.status == Decision.Status.ISSUED
        and has_role(request.user, decision.issuer, *SIGN_ROLES),
        "print_jobs": decision.print_jobs.all()[:5],
        "overrides": reasons.overrides_for(decision),
        "revoked": decision.revoked_certificates.select_related("unit", "decision").order_by(
            "register_number"
        ),
    }
    return render(request, "certification/documents/decision_detail.html", context)


@login_required
def decision_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_for_user(request.user, _decisions(request.user), pk, unit_field="issuer")
    require_role(request.user, decision.issuer, *DOCUMENT_ROLES)
    data, filename = render_decision(decision), decision_filename(decision)
    record_download(document=decision, by=request.user, filename=filename)
    return _file_response(data, filename)


@login_required
def decision_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The clerk uploads the decision the competent person signed with his own token; it is kept
    as the original once its signatures, its content and its certificates check out."""
    decision = get_for_user(request.user, _decisions(request.user), pk, unit_field="issuer")
    require_role(request.user, decision.issuer, *SIGN_ROLES)
    form = PdfUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            register_signed_decision(decision=decision, by=request.user, data=form.cleaned_data["file"])
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The signed original of the decision is registered."))
            return redirect(decision.get_absolute_url())
    return render(request, "certification/documents/decision_sign.html", {"decision": decision, "form": form})


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_for_user(request.user, Certificate.objects.select_related("unit"), pk)
    require_role(request.user, certificate.unit, *DOCUMENT_ROLES)
    if certificate.status != Certificate.Status.VALID:
        messages.error(request, _("This certificate is no longer in force and cannot be printed."))
        return redirect(certificate.get_verify_url())
    data, filename = render_certificate(certificate), pdf_filename(certificate)
    record_download(document=certificate, by=request.user, filename=filename)
    return _file_response(data, filename)


@login_required
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_for_user(
        request.user,
        Certificate.objects.select_related("unit", "decision__issuer", "decision__campaign", "assessment"),
        pk,
    )
    issuer = certificate.decision.issuer
    # Like the service: an approver *of* the issuing body, not one higher up.
    if not is_approver_of(request.user, issuer):
        raise PermissionDenied
    form = RevokeCertificateForm(request.POST or None, initial=signer_initial(request, issuer))
    if request.method == "POST" and form.is_valid():
        if PREVIEW in request.POST:
            return revocation_draft(certificate.assessment, issuer, form.cleaned_data)
        try:
            revocation = revoke_assessment(
                assessment=certificate.assessment, by=request.user, **form.cleaned_data
            )
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The certificate was revoked by decision %(ref)s; its verification page says so.")
                % {"ref": revocation.reference},
            )
            if can_see(request.user, revocation.issuer):
                return redirect(revocation)
            return redirect(certificate.get_verify_url())
    return render(
        request, "certification/documents/certificate_revoke.html", {"certificate": certificate, "form": form}
    )


# --- bulk printing ------------------------------------------------------------------------


@require_POST
@login_required
def print_start(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_for_user(request.user, _decisions(request.user), pk, unit_field="issuer")
    require_role(request.user, decision.issuer, *PRINT_ROLES)
    with attempt(request):
        job = start_print_job(decision=decision, by=request.user)
        return redirect("certification:print-detail", job.pk)
    return redirect(decision.get_absolute_url())


def _job(request: HttpRequest, pk: int) -> PrintJob:
    job = get_for_user(
        request.user, PrintJob.objects.select_related("decision__issuer"), pk, unit_field="decision__issuer"
    )
    require_role(request.user, job.decision.issuer, *DOCUMENT_ROLES)
    return job


@login_required
def print_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return render(
        request,
        "certification/documents/print_job.html",
        {
            "job": job,
            "decision": job.decision,
            "zip_state": _zip_state(job),
            "message": job.error if job.status == PrintJob.Status.FAILED else "",
            "outdated": job.status == PrintJob.Status.DONE and not printing.is_current(job),
            "skipped": printing.skipped(job),
            "can_print": can_print(request.user, job.decision),
        },
    )


def _zip_state(job: PrintJob) -> str:
    """The zip of single PDFs follows the merged PDF in its own task: "ready", "failed" (its
    error is on the job, which stays done), "pending"; "" while the job itself is not done."""
    if job.status != PrintJob.Status.DONE:
        return ""
    if job.zip:
        return "ready"
    return "failed" if job.error else "pending"


@login_required
def print_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = _job(request, pk)
    zip_state = _zip_state(job)
    if request.GET.get("part") == "zip":  # the zip's own progress box (includes/progress.html)
        status = {"ready": "done", "failed": "failed", "pending": "running"}.get(zip_state, "queued")
        return JsonResponse(
            {
                "percent": 100 if zip_state == "ready" else 0,
                "status": status,
                "message": _("The zip file could not be prepared.") if zip_state == "failed" else "",
            }
        )
    message = job.error if job.status == PrintJob.Status.FAILED else ""
    return JsonResponse(
        {
            "percent": job.percent,
            "status": job.status,
            "done": job.done,
            "total": job.total,
            "message": message,
            "zip": zip_state,
        }
    )


@login_required
def print_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    job = _job(request, pk)
    field = {"pdf": job.pdf, "zip": job.zip}.get(kind)
    if kind == "zip" and _zip_state(job) == "pending":
        messages.info(request, _("The zip file is still being prepared: try again in a few seconds."))
        return redirect("certification:print-detail", job.pk)
    if job.status != PrintJob.Status.DONE or field is None or not pdf.exists(field.name):
        raise Http404
    # Checked at the moment of the download: a certificate revoked or replaced after the job
    # finished (or while it ran) must not be obtainable from its files.
    if not printing.is_current(job):  # the page says why and offers to print again
        return redirect("certification:print-detail", job.pk)
    filename = field.name.rsplit("/", 1)[-1]
    content_type = "application/pdf" if kind == "pdf" else "application/zip"
    response = FileResponse(open(pdf.storage_path(field.name), "rb"), content_type=content_type)
    record_download(document=job, by=request.user, filename=filename)
    return name_download(response, filename)


# --- summary report -----------------------------------------------------------------------


@login_required
def summary_report(request: HttpRequest) -> HttpResponse:
    units = visible_units(request.user, roles=DOCUMENT_ROLES).filter(
        kind__in=[Unit.Kind.PROVINCE, Unit.Kind.COMMUNE], valid_to__isnull=True
    )
    form = SummaryReportForm(request.GET or None, units=units.order_by("depth", "search_name"))
    context: dict = {"form": form}
    if form.is_bound and form.is_valid():
        scope, year = form.cleaned_data["unit"], form.cleaned_data["year"]
        require_role(request.user, scope, *DOCUMENT_ROLES)
        fmt = request.GET.get("format", "")
        with report_reads():  # after the access checks: the report itself may come from the replica
            report = reports.build_report(scope=scope, year=year)
            if fmt == "pdf":
                return _file_response(reports.summary_pdf(report), reports.filename(report, "pdf"))
            if fmt == "xlsx":
                return _file_response(
                    reports.summary_xlsx(report),
                    reports.filename(report, "xlsx"),
                    content_type=XLSX_CONTENT_TYPE,
                    attachment=True,
                )
            rate_chart = report.rate_chart()
            trend_chart = report.trend_chart() if len(report.trend) > 1 else ""
        query = request.GET.copy()
        query.pop("format", None)
        context.update(
            report=report,
            rate_chart=rate_chart,
            trend_chart=trend_chart,
            pdf_url=f"{reverse('certification:report-summary')}?{query.urlencode()}&format=pdf",
            xlsx_url=f"{reverse('certification:report-summary')}?{query.urlencode()}&format=xlsx",
        )
    elif not form.is_bound and units.count() == 0:
        raise PermissionDenied
    return render(request, "certification/documents/summary_report.html", context)
