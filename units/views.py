"""Browse units, import them from Excel, manage users and roles of one's subtree."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from antt.errors import WorkflowError
from antt.text import sort_key
from antt.web.actions import attempt
from antt.web.downloads import name_download
from antt.web.uploads import import_upload_step, preview_page
from units import access, services
from units.authority import decide_authority
from units.exchange import imports, previews
from units.filters import UnitFilter, order_units
from units.forms import ImportUploadForm, RoleForm, UserCreateForm
from units.history import ancestors_history, unit_history
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
PAGE_SIZE = 50
CHILDREN_SHOWN = 300


# Browsing --------------------------------------------------------------------------------


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    unit_filter = UnitFilter(request.GET, queryset=access.visible_units(request.user), request=request)
    units = unit_filter.qs if unit_filter.is_valid() else Unit.objects.none()
    units = order_units(units, request.GET.get("o", ""))
    page = Paginator(units.select_related("parent"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "units/unit_list.html",
        {
            "filter": unit_filter,
            "page_obj": page,
            "can_import": services.is_user_admin(request.user),
        },
    )


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = access.get_for_user(request.user, Unit.objects.select_related("parent"), pk)
    children = unit.children.order_by("kind", "search_name")
    children_count = children.count()
    # Kind, then the name as people sort it ("Thôn 2" before "Thôn 10"); the first ones shown.
    shown = sorted(children[: CHILDREN_SHOWN * 10], key=lambda c: (c.kind, sort_key(c.name), c.label))
    year = _last_campaign_year(unit)
    ancestors = list(unit.ancestors())
    history = unit_history(unit)
    earlier = ancestors_history(unit)
    linked = [e.unit.pk for e in history.predecessors + history.successors]
    linked += [e.unit.pk for _ancestor, h in earlier for e in h.predecessors]
    visible_ids = set(access.visible_units(request.user).filter(pk__in=linked).values_list("pk", flat=True))
    return render(
        request,
        "units/unit_detail.html",
        {
            "unit": unit,
            "ancestors": [(a, access.can_see(request.user, a)) for a in ancestors],
            "children": shown[:CHILDREN_SHOWN],
            "children_count": children_count,
            "children_more": children_count > CHILDREN_SHOWN,
            "history": history,
            "ancestors_history": earlier,
            "visible_ids": visible_ids,
            "authority": decide_authority(unit, year),
            "previous_authority": decide_authority(unit, year - 1),
            "year": year,
        },
    )


def _last_campaign_year(unit: Unit) -> int:
    """This year, or for a unit that no longer exists the last year it could be recognized
    (recognition happens in November: a unit ended on 1/7/2025 was last recognized in 2024)."""
    year = timezone.localdate().year
    if unit.valid_to is not None and unit.valid_to <= timezone.localdate():
        ended = unit.valid_to
        year = ended.year if (ended.month, ended.day) > (11, 20) else ended.year - 1
    return year


# Import ------------------------------------------------------------------------------------


def _require_importer(user) -> None:
    if not services.is_user_admin(user):
        raise PermissionDenied


def _load_upload(user, token: str) -> tuple[Path, dict]:
    try:
        return previews.load_preview(user, token)
    except previews.PreviewGone:
        raise Http404 from None


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    _require_importer(request.user)
    response = HttpResponse(
        imports.build_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return name_download(response, "mau-nhap-don-vi.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request.user)
    return import_upload_step(
        request,
        ImportUploadForm(request.POST or None, request.FILES or None),
        read=imports.read_upload,
        refused=imports.ImportFileError,
        validate=lambda rows: imports.validate(rows, user=request.user),
        keep=lambda name, rows: previews.store_unit_rows(request.user, name, rows),
        templates=("units/import_upload.html", "units/import_preview.html"),
        upload_url=reverse("units:import-upload"),
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    _require_importer(request.user)
    path, payload = _load_upload(request.user, request.POST.get("token", ""))
    rows = [imports.RawRow.from_json(r) for r in payload.get("rows", [])]
    # Validated again: the tree or the user's roles may have changed since the preview.
    plan = imports.run_import(rows, user=request.user, commit=True)
    if not plan.ok:
        return preview_page(
            request,
            "units/import_preview.html",
            plan=plan,
            rows_count=len(rows),
            upload_url=reverse("units:import-upload"),
            filename=payload.get("filename", ""),
        )
    path.unlink(missing_ok=True)
    messages.success(request, _("Import done: %(summary)s.") % {"summary": imports.summarize(plan)})
    return redirect("units:unit-list")


# Users and roles -------------------------------------------------------------------------


def _require_user_admin(user) -> None:
    if not services.is_user_admin(user):
        raise PermissionDenied


def _managed_user_or_404(request: HttpRequest, user_pk: int):
    try:
        return services.managed_users(request.user).get(pk=user_pk)
    except (get_user_model().DoesNotExist, ValueError):
        raise Http404 from None


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_user_admin(request.user)
    page = Paginator(services.managed_users(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    targets = list(page.object_list)
    by_user: dict[int, list[RoleAssignment]] = {}
    assignments = services.managed_assignments(request.user).filter(user__in=[t.pk for t in targets])
    for assignment in assignments.order_by("unit__path"):
        by_user.setdefault(assignment.user_id, []).append(assignment)
    page.object_list = [(target, by_user.get(target.pk, [])) for target in targets]
    return render(request, "units/user_list.html", {"page_obj": page})


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require_user_admin(request.user)
    form = UserCreateForm(request.POST or None, units=services.grantable_units(request.user))
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):  # the form's fields are the service's parameters
            with transaction.atomic():
                user = services.create_user_with_role(by=request.user, **form.cleaned_data)
                link = services.issue_password_link(by=request.user, user=user)
            messages.success(request, _("User %(username)s created.") % {"username": user.username})
            return _show_password_link(request, user, link)
    return render(request, "units/user_form.html", {"form": form})


def _show_password_link(request: HttpRequest, user, link: str) -> HttpResponse:
    """The one-time link, shown this once (never stored, never cached)."""
    response = render(
        request, "units/user_password_link.html", {"target": user, "link": request.build_absolute_uri(link)}
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def user_password_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The administrator issues a one-time link instead of knowing the user's password."""
    _require_user_admin(request.user)
    target = _managed_user_or_404(request, pk)
    try:
        link = services.issue_password_link(by=request.user, user=target)
    except WorkflowError as e:
        messages.error(request, str(e))
        return redirect("units:user-detail", target.pk)
    messages.success(
        request,
        _("One-time link issued for %(username)s: their old password no longer works.")
        % {"username": target.username},
    )
    return _show_password_link(request, target, link)


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_user_admin(request.user)
    target = _managed_user_or_404(request, pk)
    roles = services.managed_assignments(request.user).filter(user=target).order_by("unit__path")
    can_change = services.can_change_roles_of(request.user, target)
    form = RoleForm(units=services.grantable_units(request.user)) if can_change else None
    return render(
        request,
        "units/user_detail.html",
        {
            "target": target,
            "roles": [(a, can_change and services.can_grant(request.user, a.unit, a.role)) for a in roles],
            "form": form,
            "can_change": can_change,
            "last_role": getattr(target, "last_role", None) if not roles else None,
        },
    )


@login_required
@require_POST
def role_add(request: HttpRequest, pk: int) -> HttpResponse:
    _require_user_admin(request.user)
    target = _managed_user_or_404(request, pk)
    form = RoleForm(request.POST, units=services.grantable_units(request.user))
    if form.is_valid():
        with attempt(request):
            services.grant_role(
                by=request.user,
                user=target,
                unit=form.cleaned_data["unit"],
                role=form.cleaned_data["role"],
                title=form.cleaned_data["title"],
            )
            messages.success(request, _("Role added."))
    else:
        messages.error(request, _("Choose a unit of your subtree and a role."))
    return redirect("units:user-detail", target.pk)


@login_required
@require_http_methods(["GET", "POST"])
def role_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = access.get_for_user(request.user, RoleAssignment.objects.select_related("user", "unit"), pk)
    if not services.can_grant(request.user, assignment.unit, assignment.role):
        raise PermissionDenied
    if request.method == "POST":
        with attempt(request):
            services.revoke_role(by=request.user, assignment=assignment)
            messages.success(request, _("Role removed."))
        if services.managed_users(request.user).filter(pk=assignment.user_id).exists():
            return redirect("units:user-detail", assignment.user_id)
        return redirect("units:user-list")
    return render(request, "units/role_confirm_remove.html", {"assignment": assignment})
