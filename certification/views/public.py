"""Public certificate verification: no login, rate-limited per client address (the address the
login lockout counts: ``antt.accounts.lockout``), shows the certificate as issued and its status,
nothing else about the unit."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from antt.accounts.lockout import rate_limited
from certification.documents.verification import check_pdf
from certification.forms.documents import PdfUploadForm
from certification.models import Certificate
from certification.selectors.rearrangement import unit_now
from units.models import Unit

CODE_MAX_LENGTH = 40


@never_cache
@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    if rate_limited(request, "verify", settings.VERIFY_RATE_LIMIT):
        response = render(request, "public/verify_rate_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    certificate = None
    if 10 <= len(code) <= CODE_MAX_LENGTH:
        certificate = (
            Certificate.objects.filter(code=code)
            .select_related("replaced_by", "revoking_decision")
            .only(
                "code",
                "unit",
                "status",
                "snapshot",
                "revoked_on",
                "revoke_reason",
                "revoke_reference",
                "replaced_by__code",
                "revoking_decision__number",
                "revoking_decision__symbol",
                "revoking_decision__issued_on",
            )
            .first()
        )
    if certificate is None:
        return render(request, "public/verify_not_found.html", {"code": code[:CODE_MAX_LENGTH]}, status=404)
    # A residential area re-arranged since: say what it is now (only names and dates, public anyway).
    now = unit_now(Unit.objects.only("valid_from", "valid_to", "path").get(pk=certificate.unit_id))
    return render(
        request,
        "public/verify.html",
        {
            "certificate": certificate,
            "s": certificate.snapshot,
            "now": [(u.full_name, u.valid_from) for u in now],
        },
    )


def _too_many(request: HttpRequest) -> HttpResponse | None:
    if rate_limited(request, "verify", settings.VERIFY_RATE_LIMIT):
        response = render(request, "public/verify_rate_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify_pdf(request: HttpRequest) -> HttpResponse:
    """Anyone may upload a PDF and learn whether it is a genuine, unaltered document of the
    register and whether it is still in force (NĐ 30/2020 Art. 21(2)(a))."""
    form = PdfUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST":
        if (limited := _too_many(request)) is not None:
            return limited
        if form.is_valid():
            result = check_pdf(form.cleaned_data["file"])
    return render(request, "public/verify_pdf.html", {"form": form, "result": result})
