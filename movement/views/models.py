"""Pages of the register of models: list, record, change, rate, files, Excel import. Every
lookup starts from the user's scope (``selectors.registry.visible_models``: 404 outside it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from antt.web.actions import attempt
from antt.web.downloads import name_download, stored_file_response
from antt.web.uploads import import_upload_step, preview_page
from movement.exchange import models_excel
from movement.forms.registry import EvidenceForm, ImportForm, ModelForm, RatingForm
from movement.models import ModelEvidence, ModelType, MovementModel
from movement.selectors import registry
from movement.services.models import add_model_evidence, change_model, rate_model, record_model
from units.access import visible_units
from units.exchange.imports import ImportFileError
from units.exchange.previews import PreviewGone
from units.models import Unit

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _model(request: HttpRequest, pk: int) -> MovementModel:
    try:
        return registry.visible_models(request.user).get(pk=pk)
    except MovementModel.DoesNotExist:
        raise Http404 from None


def _keepers(user):
    units = visible_units(user, roles=registry.MODEL_ROLES).filter(
        kind__in=registry.KEEPER_KINDS, valid_to__isnull=True
    )
    if not units.exists():
        raise PermissionDenied
    return units


def _form(request: HttpRequest, keepers, unit: Unit | None = None, **kwargs) -> ModelForm:
    first = unit or keepers.first()
    types = registry.types_for(first) if first else ModelType.objects.none()
    covered = visible_units(request.user).filter(kind=Unit.Kind.RESIDENTIAL_AREA, valid_to__isnull=True)
    return ModelForm(
        request.POST or None, keepers=keepers, types=types, covered=covered.order_by("path"), **kwargs
    )


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    year = registry.today().year
    models = registry.visible_models(request.user).order_by("unit__path", "name")
    page = Paginator(models, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(m, registry.rating_of(m, year)) for m in page.object_list]
    can_add = (
        visible_units(request.user, roles=registry.MODEL_ROLES)
        .filter(kind__in=registry.KEEPER_KINDS)
        .exists()
    )
    return render(
        request,
        "movement/model_list.html",
        {"page_obj": page, "rows": rows, "year": year, "can_add": can_add},
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_create(request: HttpRequest) -> HttpResponse:
    keepers = _keepers(request.user)
    form = _form(request, keepers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with attempt(request, form=form):
            model = record_model(
                by=request.user,
                unit=data["unit"],
                name=data["name"],
                model_type=data["model_type"],
                started_on=data["started_on"],
                covered=list(data["covered"]),
                members=data["members"],
                cameras=data["cameras"],
                ended_on=data["ended_on"],
                note=data["note"],
            )
            messages.success(request, _("Model recorded."))
            return redirect(model.get_absolute_url())
    return render(request, "movement/model_form.html", {"form": form, "model": None})


@login_required
@require_http_methods(["GET", "POST"])
def model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    if not registry.can_keep(request.user, model.unit):
        raise PermissionDenied
    keepers = Unit.objects.filter(pk=model.unit_id)
    initial = {
        "unit": model.unit,
        "name": model.name,
        "model_type": model.model_type,
        "covered": list(model.covered.all()),
        "started_on": model.started_on,
        "ended_on": model.ended_on,
        "members": model.members,
        "cameras": model.cameras,
        "note": model.note,
    }
    form = _form(request, keepers, model.unit, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("unit")
        data["covered"] = list(data["covered"])
        with attempt(request, form=form):
            change_model(by=request.user, model=model, **data)
            messages.success(request, _("Model saved."))
            return redirect(model.get_absolute_url())
    return render(request, "movement/model_form.html", {"form": form, "model": model})


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    year = registry.today().year
    return render(
        request,
        "movement/model_detail.html",
        {
            "model": model,
            "ratings": model.ratings.select_related("rated_by").order_by("-year"),
            "evidence": model.evidence.order_by("uploaded_at"),
            "events": registry.history(model),
            "can_keep": registry.can_keep(request.user, model.unit),
            "rating_form": RatingForm(initial={"year": year}),
            "evidence_form": EvidenceForm(),
            "followed": model.unit.valid_to is not None,
            "successors": list(model.unit.successor_links.select_related("successor")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_rate(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    if not registry.can_keep(request.user, model.unit):
        raise PermissionDenied
    form = RatingForm(request.POST or None, initial={"year": registry.today().year})
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):
            rate_model(by=request.user, model=model, **form.cleaned_data)
            messages.success(request, _("Rating saved."))
            return redirect(model.get_absolute_url())
    return render(request, "movement/model_rate.html", {"form": form, "model": model})


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    if not registry.can_keep(request.user, model.unit):
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        with attempt(request):
            add_model_evidence(by=request.user, model=model, file=form.cleaned_data["file"])
            messages.success(request, _("File added."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect(model.get_absolute_url())


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = _evidence(request, pk)
    return stored_file_response(evidence.file, evidence.content_type, evidence.original_name)


def _evidence(request: HttpRequest, pk: int) -> ModelEvidence:
    try:
        return ModelEvidence.objects.filter(model__in=registry.visible_models(request.user).values("pk")).get(
            pk=pk
        )
    except ModelEvidence.DoesNotExist:
        raise Http404 from None


# --- import -----------------------------------------------------------------------------------


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    _keepers(request.user)
    return name_download(
        HttpResponse(models_excel.build_template(), content_type=XLSX), "mau-nhap-mo-hinh.xlsx"
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _keepers(request.user)
    return import_upload_step(
        request,
        ImportForm(request.POST or None, request.FILES or None),
        read=models_excel.read_upload,
        refused=ImportFileError,
        validate=lambda rows: models_excel.validate(rows, user=request.user),
        keep=lambda name, rows: models_excel.store_preview(request.user, name, rows),
        templates=("movement/import_upload.html", "movement/import_preview.html"),
        upload_url=reverse("movement:import-upload"),
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    _keepers(request.user)
    try:
        rows = models_excel.load_preview(request.user, request.POST.get("token", ""))
    except PreviewGone:
        messages.error(request, _("This preview has expired or was already used: upload the file again."))
        return redirect("movement:import-upload")
    # Checked again: the tree or the user's roles may have changed since the preview.
    plan = models_excel.run_import(rows, user=request.user, commit=True)
    if not plan.ok:
        return preview_page(
            request,
            "movement/import_preview.html",
            plan=plan,
            rows_count=len(rows),
            upload_url=reverse("movement:import-upload"),
        )
    messages.success(request, _("Import done: %(count)s models recorded.") % {"count": len(plan.created)})
    return redirect("movement:model-list")
