"""The re-arrangement of residential areas for province staff (administrators of a subtree):
upload a resolution's annex → preview (the tree before and after, counts, what happens to each
registration, assessment and certificate) → apply; undo until the effective date. The parsed
rows wait server-side (``MEDIA_ROOT/rearrangements/<token>.json``, the uploader's id inside),
never re-sent by the browser, and are validated again when applied."""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from antt.web.actions import attempt
from antt.web.downloads import name_download
from certification.selectors import rearrangement as selectors
from certification.services import rearrangement
from units import access, services
from units.exchange import previews
from units.exchange.imports import ImportFileError
from units.exchange.rearrangement import build_template, read_upload, validate
from units.models import RoleAssignment, Unit

MAX_BYTES = 5 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "The resolution's annex in the template (sheet “Sắp xếp”, .xlsx), at most 5 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


def _require_admin(user) -> None:
    if not services.is_user_admin(user):
        raise PermissionDenied


def _pending(user, token: str) -> tuple[Path, dict]:
    """The administrator's uploaded file ``token`` waiting to be applied: (its path, its rows);
    403 for anyone but an administrator, 404 when gone, expired or someone else's."""
    _require_admin(user)
    try:
        return previews.load_preview(user, token, folder=previews.REARRANGEMENTS)
    except previews.PreviewGone:
        raise Http404 from None


@login_required
@require_safe
def template_download(request: HttpRequest) -> HttpResponse:
    _require_admin(request.user)
    code = request.GET.get("commune", "").strip()
    commune = Unit.objects.filter(code=code, kind=Unit.Kind.COMMUNE, valid_to__isnull=True).first()
    if commune is None or not access.has_role(request.user, commune, RoleAssignment.Role.ADMIN):
        raise Http404
    response = HttpResponse(
        build_template(commune),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return name_download(response, f"sap-xep-{commune.code}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _require_admin(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_upload(form.cleaned_data["file"].name, form.cleaned_data["file"].read())
        except ImportFileError as e:
            form.add_error("file", str(e))
        else:
            name = form.cleaned_data["file"].name
            token = previews.store_preview(request.user, name, rows, folder=previews.REARRANGEMENTS)
            return redirect("certification:rearrangement-preview", token)
    return render(
        request,
        "certification/rearrangement/upload.html",
        {"form": form, "undoable": selectors.undoable(request.user)},
    )


def _plan(request: HttpRequest, payload: dict):
    rows = [(int(number), {str(k): str(v) for k, v in values.items()}) for number, values in payload["rows"]]
    return validate(rows, user=request.user)


@login_required
@require_safe
def preview(request: HttpRequest, token: str) -> HttpResponse:
    _path, payload = _pending(request.user, token)
    plan = _plan(request, payload)
    return render(
        request,
        "certification/rearrangement/preview.html",
        {
            "plan": plan,
            "token": token,
            "filename": payload.get("filename", ""),
            "impact": selectors.impact(plan.rows) if plan.ok else [],
        },
    )


@login_required
@require_POST
def apply(request: HttpRequest, token: str) -> HttpResponse:
    path, payload = _pending(request.user, token)
    # Validated again: the tree or the user's roles may have changed since the preview.
    plan = _plan(request, payload)
    if not plan.ok or not plan.rows:
        return redirect("certification:rearrangement-preview", token)
    with attempt(request):
        outcome = rearrangement.apply(rows=plan.rows, by=request.user)
        path.unlink(missing_ok=True)
        messages.success(
            request,
            _(
                "Re-arrangement applied: %(summary)s; %(registrations)s registrations and %(assessments)s assessments carried over, %(reentry)s answers to enter again."
            )
            % {
                "summary": plan.summary(),
                "registrations": outcome.registrations,
                "assessments": outcome.assessments,
                "reentry": outcome.reentry,
            },
        )
        return redirect("certification:rearrangement-upload")
    return redirect("certification:rearrangement-preview", token)


@login_required
@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    _require_admin(request.user)
    reference = request.POST.get("reference", "")
    if reference not in {entry["reference"] for entry in selectors.undoable(request.user)}:
        raise Http404
    with attempt(request):
        removed = rearrangement.undo(reference=reference, by=request.user)
        messages.success(
            request, _("Re-arrangement undone: %(count)s new units removed.") % {"count": removed}
        )
    return redirect("certification:rearrangement-upload")
