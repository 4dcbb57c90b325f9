"""Shared list-view plumbing: whitelisted sorting (``?o=``), pagination that keeps the filters,
diacritic-insensitive search, and the "export this list to Excel" switch (``?export=xlsx``).

A list view with django-filter::

    SORTS = {"name": "unit__search_name", "status": "status", "submitted": ("submitted_at", "pk")}

    @login_required
    def assessment_list(request):
        qs = scope_queryset(request.user, Assessment.objects.select_related("unit"))
        f = AssessmentFilter(request.GET, queryset=qs)
        qs, order = sort_queryset(request, f.qs, SORTS, default="-submitted")
        if wants_export(request):
            return xlsx_response("danh-gia.xlsx", HEADERS, (row(a) for a in qs.iterator()))
        return render(request, "…", {"filter": f, **list_context(request, qs, order=order)})

and in the template::

    {% include "includes/filter_form.html" with form=filter.form export=True count=page_obj.paginator.count %}
    <table class="table"><thead><tr>{% sort_th "name" _("Name") %}…</tr></thead>…</table>
    {% include "includes/pagination.html" %}
"""

from collections.abc import Mapping, Sequence

import django_filters
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from antt.text import search_key

PER_PAGE = 50
MAX_PER_PAGE = 200

SortSpec = Mapping[str, str | Sequence[str]]


def sort_queryset(
    request: HttpRequest, queryset: QuerySet, allowed: SortSpec, *, default: str = ""
) -> tuple[QuerySet, str]:
    """Order ``queryset`` by ``?o=key`` or ``?o=-key`` where ``key`` is in ``allowed``.

    ``allowed`` maps public keys to model field paths (or tuples of them), so users never
    order by arbitrary fields. Returns the queryset and the key actually used ("" if none).
    """
    order = request.GET.get("o", "") or default
    key = order.removeprefix("-")
    if key not in allowed:
        order = default
        key = order.removeprefix("-")
        if key not in allowed:
            return queryset, ""
    descending = order.startswith("-")
    fields = allowed[key]
    fields = [fields] if isinstance(fields, str) else list(fields)
    # The primary key last keeps pages stable when values repeat.
    ordering = [f"-{f}" if descending and not f.startswith("-") else f for f in fields] + ["pk"]
    return queryset.order_by(*ordering), order


def paginate(request: HttpRequest, items, *, per_page: int = PER_PAGE) -> Page:
    """The requested page (``?page=``); out-of-range or junk numbers give the nearest page."""
    try:
        per_page = max(1, min(MAX_PER_PAGE, int(request.GET.get("per_page", per_page))))
    except ValueError:
        pass
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def list_context(request: HttpRequest, items, *, order: str = "", per_page: int = PER_PAGE) -> dict:
    """Context names the shared partials expect (same as Django's ListView)."""
    page = paginate(request, items, per_page=per_page)
    return {
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "object_list": page.object_list,
        "order": order,
    }


def wants_export(request: HttpRequest) -> bool:
    return request.GET.get("export") == "xlsx"


def search_filter(queryset: QuerySet, fields: Sequence[str], text: str) -> QuerySet:
    """Rows where every word of ``text`` occurs in one of ``fields``, ignoring case and diacritics.

    ``fields`` must hold text already stored through ``antt.text.search_key`` (e.g.
    ``Unit.search_name``), so "ky long", "Kỳ Long" and "KỲ LONG" all match "Phường Kỳ Long".
    """
    for word in search_key(text).split():
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__contains": word})
        queryset = queryset.filter(condition)
    return queryset


class SearchFilter(django_filters.CharFilter):
    """django-filter field for :func:`search_filter`: ``q = SearchFilter(fields=["unit__search_name"])``."""

    def __init__(self, *args, fields: Sequence[str] = ("search_name",), **kwargs):
        kwargs.setdefault("label", _("Search"))
        super().__init__(*args, **kwargs)
        self.search_fields = list(fields)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        return search_filter(qs, self.search_fields, value)
