"""Views: criteria sets (read-only browser for officers; authoring for province staff and
national administrators), Excel export/import, version diff, "what must this unit meet"."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antt.web.actions import attempt
from antt.web.downloads import name_download
from certification.exchange.criteria_excel import (
    CriteriaImportError,
    ParsedSet,
    export_filename,
    export_set_xlsx,
    import_set_xlsx,
)
from certification.forms.criteria import CloneForYearForm, ImportSetForm, ProvinceCriterionForm
from certification.models import CriteriaSet, ScoreSheet
from certification.models.criteria import UnitKind
from certification.selectors import criteria as selectors
from certification.selectors.campaigns import (
    can_manage_province,
    criteria_set_for_unit,
    get_set_for_user,
    managed_provinces,
    visible_sets,
)
from certification.services import criteria as services
from units.access import get_for_user, is_global
from units.models import Unit

SetView = Callable[[HttpRequest, CriteriaSet], HttpResponse]
AuthorView = Callable[[HttpRequest, int], HttpResponse]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIN_YEAR, MAX_YEAR = 2000, 2100


def can_author(user, criteria_set: CriteriaSet | None = None, province: Unit | None = None) -> bool:
    """National sets: global administrators; a province's sets: that province's staff."""
    province = province or (criteria_set.province if criteria_set is not None else None)
    if province is None:
        return is_global(user)
    return can_manage_province(user, province)


def _require_author(user, criteria_set: CriteriaSet) -> None:
    if not can_author(user, criteria_set):
        raise PermissionDenied


@login_required
def set_list(request: HttpRequest) -> HttpResponse:
    sets = list(visible_sets(request.user).order_by("unit_kind", "province__name", "family", "-version"))
    labels = dict(UnitKind.choices)
    groups = [(labels[kind], [s for s in sets if s.unit_kind == kind]) for kind in UnitKind.values]
    return render(
        request,
        "certification/criteria/set_list.html",
        {
            "groups": groups,
            "can_import": is_global(request.user) or managed_provinces(request.user).exists(),
        },
    )


def _score_items(criteria_set: CriteriaSet) -> tuple[ScoreSheet | None, dict]:
    sheet = ScoreSheet.objects.filter(criteria_set=criteria_set).first()
    if sheet is None:
        return None, {}
    return sheet, {item.criterion_id: item for item in sheet.items.all()}


def _rows(criteria_set: CriteriaSet) -> list[dict]:
    sheet, items = _score_items(criteria_set)
    return [
        {"node": node, "c": node.criterion, "score": items.get(node.criterion.pk)}
        for node in selectors.flatten_tree(selectors.criteria_tree(criteria_set))
    ]


@login_required
def set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    criteria_set = get_set_for_user(request.user, pk)
    versions = [v for v in selectors.family_versions(criteria_set)]
    visible = set(visible_sets(request.user).values_list("pk", flat=True))
    previous = next((v for v in versions if v.version < criteria_set.version), None)
    sheet, _items = _score_items(criteria_set)
    return render(
        request,
        "certification/criteria/set_detail.html",
        {
            "criteria_set": criteria_set,
            "rows": _rows(criteria_set),
            "sheet": sheet,
            "versions": versions,
            "previous": previous,
            "derived_sets": [s for s in criteria_set.derived_sets.all() if s.pk in visible],
            "can_author": can_author(request.user, criteria_set),
            "can_add_province_criterion": managed_provinces(request.user).exists()
            and (criteria_set.province_id is None or can_author(request.user, criteria_set)),
            "problems": services.validate_set(criteria_set) if criteria_set.is_editable else [],
        },
    )


@login_required
def set_diff(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    a = get_set_for_user(request.user, pk)
    b = get_set_for_user(request.user, other_pk)
    return render(
        request,
        "certification/criteria/set_diff.html",
        {"diff": selectors.diff_sets(a, b), "a": a, "b": b},
    )


@login_required
def set_export(request: HttpRequest, pk: int) -> HttpResponse:
    criteria_set = get_set_for_user(request.user, pk)
    response = HttpResponse(export_set_xlsx(criteria_set), content_type=XLSX)
    return name_download(response, export_filename(criteria_set))


@login_required
def set_import(request: HttpRequest) -> HttpResponse:
    if not (is_global(request.user) or managed_provinces(request.user).exists()):
        raise PermissionDenied
    errors: list[str] = []
    form = ImportSetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():

        def authorize(parsed: ParsedSet) -> None:
            if not can_author(request.user, province=parsed.province):
                raise CriteriaImportError(
                    [_("You may not author the criteria set %(family)s.") % {"family": parsed.family}]
                )

        try:
            criteria_set = import_set_xlsx(form.cleaned_data["file"], by=request.user, authorize=authorize)
        except CriteriaImportError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("Imported as draft version %(version)d. Check it, then publish it.")
                % {"version": criteria_set.version},
            )
            return redirect("certification:criteria-set-detail", criteria_set.pk)
    return render(request, "certification/criteria/set_import.html", {"form": form, "errors": errors})


def _author_confirms(*, title: str, question: str, button: str) -> Callable[[SetView], AuthorView]:
    """A state change of a set, for its author only: GET shows the confirmation page
    (``title``, ``question``, ``button``), POST runs the view with the set."""

    def decorate(view: SetView) -> AuthorView:
        @login_required
        @wraps(view)
        def confirmed(request: HttpRequest, pk: int) -> HttpResponse:
            criteria_set = get_set_for_user(request.user, pk)
            _require_author(request.user, criteria_set)
            if request.method == "POST":
                return view(request, criteria_set)
            context = {"criteria_set": criteria_set, "title": title, "question": question, "button": button}
            return render(request, "certification/criteria/set_confirm.html", context)

        return confirmed

    return decorate


@_author_confirms(
    title=gettext_lazy("Publish criteria set"),
    question=gettext_lazy("Once published, this version can no longer be changed. Publish it?"),
    button=gettext_lazy("Publish"),
)
def set_publish(request: HttpRequest, criteria_set: CriteriaSet) -> HttpResponse:
    with attempt(request):
        services.publish_set(criteria_set, request.user)
        messages.success(request, _("Criteria set published."))
    return redirect("certification:criteria-set-detail", criteria_set.pk)


@_author_confirms(
    title=gettext_lazy("New version"),
    question=gettext_lazy(
        "A draft copy with the next version number will be created. Assessments keep the "
        "version they were filled against. Continue?"
    ),
    button=gettext_lazy("Create new version"),
)
def set_new_version(request: HttpRequest, criteria_set: CriteriaSet) -> HttpResponse:
    with attempt(request):
        copy = services.new_version(criteria_set, request.user)
        messages.success(request, _("Draft version %(version)d created.") % {"version": copy.version})
        return redirect("certification:criteria-set-detail", copy.pk)
    return redirect("certification:criteria-set-detail", criteria_set.pk)


@login_required
def set_clone(request: HttpRequest, pk: int) -> HttpResponse:
    criteria_set = get_set_for_user(request.user, pk)
    _require_author(request.user, criteria_set)
    form = CloneForYearForm(request.POST or None, criteria_set=criteria_set)
    if request.method == "POST" and form.is_valid():
        with attempt(request):
            copy = services.clone_for_year(criteria_set, form.cleaned_data["year"], request.user)
            messages.success(request, _("Draft version %(version)d created.") % {"version": copy.version})
            return redirect("certification:criteria-set-detail", copy.pk)
    return render(
        request, "certification/criteria/set_clone.html", {"criteria_set": criteria_set, "form": form}
    )


@login_required
def province_criterion_add(request: HttpRequest, pk: int) -> HttpResponse:
    criteria_set = get_set_for_user(request.user, pk)
    provinces = managed_provinces(request.user)
    if not provinces.exists() or (criteria_set.province_id and not can_author(request.user, criteria_set)):
        raise PermissionDenied
    form = ProvinceCriterionForm(request.POST or None, criteria_set=criteria_set, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):  # the form's fields are the service's parameters
            criterion = services.add_province_criterion(criteria_set, by=request.user, **form.cleaned_data)
            messages.success(
                request,
                _("Criterion %(code)s added to the draft %(set)s.")
                % {"code": criterion.code, "set": criterion.criteria_set},
            )
            return redirect("certification:criteria-set-detail", criterion.criteria_set_id)
    return render(
        request,
        "certification/criteria/province_criterion_form.html",
        {"criteria_set": criteria_set, "form": form},
    )


@login_required
def criteria_for_unit(request: HttpRequest, unit_pk: int, year: int) -> HttpResponse:
    """What exactly must this unit (thôn, school…) meet this year?"""
    if not MIN_YEAR <= year <= MAX_YEAR:  # the years a criteria set can apply to (forms/criteria.py)
        raise Http404
    unit = get_for_user(request.user, Unit, unit_pk)
    criteria_set, campaign = criteria_set_for_unit(unit, year)
    return render(
        request,
        "certification/criteria/for_unit.html",
        {
            "unit": unit,
            "year": year,
            "campaign": campaign,
            "criteria_set": criteria_set,
            "rows": _rows(criteria_set) if criteria_set else [],
            "is_pinned": bool(
                campaign and criteria_set and campaign.criteria_sets.filter(pk=criteria_set.pk).exists()
            ),
        },
    )
