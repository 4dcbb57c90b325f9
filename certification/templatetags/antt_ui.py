"""UI template tags shared by every page: ``{% load antt_ui %}``.

- ``{% icon "name" %}``: an icon of ``static/icons/sprite.svg`` (decorative unless ``label`` is given).
- ``{% nav_url "ns:name" arg… as var %}``: the URL; an unknown name raises ``NoReverseMatch``
  (``{% url … as var %}`` would give "", a dead link).
- ``{% main_nav %}``: the top navigation for the current user's roles.
- ``{% sort_th "field" "Label" %}``: a sortable ``<th>`` toggling ``?o=field`` / ``?o=-field``.
- ``{% badge state label %}``: ``<span class="badge badge-<state>">``.
- ``{% answer_radios row not_assessed %}``: the radio buttons of one row of the entry form.
- ``{{ value|percent }}``: "72 %" (Vietnamese style, no decimals); ``{{ days|days_left }}``.
"""

from typing import Any

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from antt.text import person_name
from units.access import Role, user_roles

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "", cls: str = "") -> str:
    href = f"{static('icons/sprite.svg')}#{name}"
    if label:
        return format_html(
            '<svg class="icon {}" role="img" aria-label="{}" focusable="false"><use href="{}"></use></svg>',
            cls,
            label,
            href,
        )
    return format_html(
        '<svg class="icon {}" aria-hidden="true" focusable="false"><use href="{}"></use></svg>', cls, href
    )


@register.simple_tag
def nav_url(name: str, *args) -> str:
    return reverse(name, args=args or None)


# (icon, label, URL name, roles that see it; None = every signed-in user)
NAV_ITEMS = [
    ("home", pgettext_lazy("main menu", "Home"), "home", None),
    ("units", pgettext_lazy("main menu", "Units"), "units:unit-list", None),
    ("assessment", pgettext_lazy("main menu", "Assessments"), "certification:assessment-list", None),
    (
        "tasks",
        pgettext_lazy("main menu", "My tasks"),
        "certification:my-tasks",
        {Role.OFFICER, Role.APPRAISER, Role.APPROVER},
    ),
    (
        "decision",
        pgettext_lazy("main menu", "Decisions"),
        "certification:decision-list",
        {Role.APPROVER, Role.CLERK, Role.VIEWER, Role.ADMIN},
    ),
    (
        "report",
        pgettext_lazy("main menu", "Reports"),
        "certification:report-index",
        {Role.APPROVER, Role.CLERK, Role.VIEWER, Role.ADMIN},
    ),
    (
        "criteria",
        pgettext_lazy("main menu", "Criteria"),
        "certification:criteria-set-list",
        {Role.OFFICER, Role.ADMIN, Role.APPRAISER, Role.APPROVER, Role.VIEWER},
    ),
    (
        "calendar",
        pgettext_lazy("main menu", "Campaigns"),
        "certification:campaign-list",
        {Role.ADMIN, Role.APPRAISER, Role.APPROVER, Role.VIEWER},
    ),
    (
        "star",
        pgettext_lazy("main menu", "Movement"),
        "movement:model-list",
        {Role.OFFICER, Role.ADMIN, Role.APPRAISER, Role.APPROVER, Role.VIEWER},
    ),
    ("user", pgettext_lazy("main menu", "Users"), "units:user-list", {Role.ADMIN}),
    ("bell", pgettext_lazy("main menu", "Notifications"), "certification:notifications", None),
]


# NAV_ITEMS with their URLs, reversed once per URLconf and script prefix; the rendered menus by
# language and what they show (icons, URLs, the active entry): the same for every user with the
# same entries, rendered once per process (issue 23: ~0.5 ms of every page).
_NAV_URLS: dict[tuple[object, ...], list[tuple[str, Any, str, frozenset[str] | None]]] = {}
_NAV_HTML: dict[tuple[object, ...], SafeString] = {}
_NAV_KEPT_MAX = 512


def _nav_entries() -> list[tuple[str, Any, str, frozenset[str] | None]]:
    key = (settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    entries = _NAV_URLS.get(key)
    if entries is None:
        entries = [
            (icon_name, label, reverse(name), None if allowed is None else frozenset(str(r) for r in allowed))
            for icon_name, label, name, allowed in NAV_ITEMS
        ]
        if len(_NAV_URLS) >= _NAV_KEPT_MAX:
            _NAV_URLS.clear()
        _NAV_URLS[key] = entries
    return entries


def nav_items(user, path: str = "") -> list[dict]:
    """The entries ``user`` may use, each {icon, label, url, active}; the longest matching URL is active."""
    roles = user_roles(user)
    items = [
        {"icon": icon_name, "label": label, "url": url, "active": False}
        for icon_name, label, url, allowed in _nav_entries()
        if allowed is None or roles & allowed
    ]
    matches = [i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items


@register.simple_tag(takes_context=True)
def main_nav(context) -> SafeString:
    """``includes/nav.html`` for the user's entries, kept by language and what it shows."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    items = nav_items(user, request.path if request else "")
    key = (get_language(), tuple((i["icon"], i["url"], i["active"]) for i in items))
    html = _NAV_HTML.get(key)
    if html is None:
        html = get_template("includes/nav.html").render({"items": items})
        if len(_NAV_HTML) >= _NAV_KEPT_MAX:
            _NAV_HTML.clear()
        _NAV_HTML[key] = html
    return html


@register.inclusion_tag("includes/sort_th.html", takes_context=True)
def sort_th(context, field: str, label: str, cls: str = "") -> dict:
    """A column header sorting by ``field``: first click ascending, next click descending."""
    request = context["request"]
    current = request.GET.get("o", context.get("order", ""))
    direction = ""
    if current == field:
        direction, target = "ascending", f"-{field}"
    elif current == f"-{field}":
        direction, target = "descending", field
    else:
        target = field
    params = request.GET.copy()
    params["o"] = target
    params.pop("page", None)
    params.pop("export", None)
    return {"href": f"?{params.urlencode()}", "label": label, "direction": direction, "cls": cls}


@register.simple_tag
def badge(state: str, label: str = "") -> str:
    return format_html('<span class="badge badge-{}">{}</span>', state or "draft", label or state)


@register.filter
def person(user) -> str:
    """``{{ user|person }}``: the name in the Vietnamese order (``antt.text.person_name``)."""
    return person_name(user) if user else ""


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "–"
    return f"{round(float(value))} %"


@register.filter
def days_left(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return str(_("today"))
    if days > 0:
        return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    return ngettext("%(n)d day ago", "%(n)d days ago", -days) % {"n": -days}


@register.simple_tag
def elided_pages(page_obj, on_each_side: int = 2, on_ends: int = 1) -> list:
    """Page numbers with "…" gaps: 1 … 4 5 [6] 7 8 … 20."""
    return list(
        page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=on_each_side, on_ends=on_ends)
    )


@register.simple_tag
def answer_radios(row: dict, not_assessed: str) -> SafeString:
    """The radio buttons of one criterion on the entry form (a row of
    ``certification.selectors.assessments.entry_rows``), built here rather than by a template
    loop: ~25 template variables per criterion were a fifth of the page's CPU (issue 23). The
    values and the row key are plain ASCII; the labels are escaped."""
    answer, key = row["answer"], row["key"]
    disabled = "" if row["editable"] else " disabled"
    parts = [
        f'<input type="radio" name="value-{key}" id="v-{key}-{value}" value="{value}"'
        f"{' checked' if answer.value == value else ''}{disabled}>"
        f'<label for="v-{key}-{value}">{escape(label)}</label>'
        for value, label in row["choices"]
    ]
    if row["editable"]:
        parts.append(
            f'<input type="radio" name="value-{key}" id="v-{key}-none" value=""'
            f'{"" if answer.value else " checked"}><label for="v-{key}-none">{escape(not_assessed)}</label>'
        )
    return mark_safe("\n            ".join(parts))  # noqa: S308 - built from escaped parts above


ROWS_TEMPLATE = "certification/assessments/_criteria_rows.html"
ROW_SEPARATOR = "\x00"  # in no rendered row (PostgreSQL's text holds no NUL)
ROWS_KEPT_SECONDS = 3600  # as the upload inputs' fragment (detail.html); a row changed gets another key


@register.simple_tag
def criteria_rows(rows: list[dict], assessment_id: int) -> SafeString:
    """The entry form's criteria rows, each kept under ``criterion_row_key`` (issue 23, round 9),
    all of an assessment's in one cache entry (one read, and one entry rather than fifty in a
    per-process cache that holds 300): the rows not kept are rendered in one pass of
    ``ROWS_TEMPLATE``, which puts ``ROW_SEPARATOR`` before each, and the entry is replaced by the
    rows shown now."""
    from antt.web.fragments import fragment_key
    from certification.selectors.assessments import criterion_row_key

    entry = fragment_key("criteria-rows", assessment_id)
    keys = [criterion_row_key(row) for row in rows]
    kept = cache.get(entry) or {}
    missing = [i for i, key in enumerate(keys) if key not in kept]
    if missing:
        html = render_to_string(ROWS_TEMPLATE, {"rows": [rows[i] for i in missing], "sep": ROW_SEPARATOR})
        kept.update(zip((keys[i] for i in missing), html.split(ROW_SEPARATOR)[1:], strict=True))
        kept = {key: kept[key] for key in keys}
        cache.set(entry, kept, ROWS_KEPT_SECONDS)
    return mark_safe("".join(kept[key] for key in keys))  # noqa: S308 - rendered by the template
