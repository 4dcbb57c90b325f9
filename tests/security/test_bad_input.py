"""Random and hostile input (hypothesis) at every form, import and list parameter.

The forms are not listed by hand: every page of the permission matrix is opened as a user who
may see it, and every ``<form method="post">`` on it is posted back with its fields filled
from a hostile pool (huge, empty, NUL, right-to-left, SQL, HTML, template syntax, impossible
dates, huge numbers, other rows' ids) or from the options the page itself offered, so examples
also get past the first check. Properties, for every request:

* never a 500 (the test client re-raises any exception);
* a refused request writes nothing: the database fingerprint is unchanged unless the page
  says it succeeded;
* any error shown is in Vietnamese (the page is served with ``Content-Language: vi``).

Example counts are bounded (``EXAMPLES``) so the file runs in well under a minute on SQLite.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from certification.models import (
    Answer,
    Assessment,
    AuditEvent,
    Campaign,
    Certificate,
    CriteriaSet,
    Criterion,
    Decision,
    Evidence,
    PrintJob,
    Registration,
    ScoringRun,
)
from tests.security.test_permission_matrix import MATRIX, expected
from tests.security.world import (
    ADMIN,
    ANON,
    APPRAISER,
    APPROVER,
    CLERK,
    OFFICER,
    PDF_BYTES,
    PROVINCE,
    SUPER,
    World,
)
from units.models import RoleAssignment, Unit

EXAMPLES = 5  # per form; a few forms get more (FOCUS)
FOCUS = {"/save/": 20, "recognize": 10, "users/new": 10, "login": 8}
# Who fills in the forms of a page: the first role of this list that may open it.
FILLERS = (OFFICER, APPRAISER, APPROVER, ADMIN, PROVINCE, CLERK, SUPER, ANON)
VI_LETTERS = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I)
ENGLISH_ERRORS = re.compile(
    r"This field is required|Enter a valid|Select a valid choice|Ensure this value|is not a valid|"
    r"Not Found|Forbidden|Bad Request|Server Error",
)

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999999",
    "-9223372036854775809",
    "١٢٣",
    "１２３",
    "null",
    "[]",
    "{'a': 1}",
    "' OR 1=1; DROP TABLE units_unit; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "%s%s%n",
    "../../../../etc/passwd",
    "a\x00b",
    "\x00",
    "\u202egnp.exe",
    "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Cộng hòa xã hội chủ nghĩa Việt Nam",  # NFD
    "2026-02-30",
    "31/12/2026",
    "9999-12-31",
    "0001-01-01",
    "x" * 3000,
]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))


def hostile_file() -> st.SearchStrategy:
    contents = st.one_of(
        st.binary(max_size=300),
        st.just(PDF_BYTES),
        st.just(b"<html><script>alert(1)</script></html>"),
        st.just(_xlsx([["Mã", "Tên"], ["=1+1", "=cmd|' /C calc'!A0"], ["1" * 40, None]])),
        st.just(b"PK\x03\x04" + b"\x00" * 50),  # a truncated zip (xlsx)
        st.just('Mã,Tên\n"unterminated,x\n'.encode()),
    )
    names = st.sampled_from(["a.xlsx", "a.csv", "a.pdf", "../../x.xlsx", "\x00.xlsx", "a" * 300, ""])
    return st.tuples(names, contents)


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- finding the forms ------------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    role: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name → values the page offered
    files: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return re.sub(r"/\d+/", "/<id>/", self.action)


class FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.forms, self.current = page, [], None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = Form(page=self.page, action=a.get("action") or self.page, role="")
            self.forms.append(self.current)
        if self.current is None:
            return
        name = a.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            if a.get("type") == "file":
                self.current.files.add(name)
            else:
                self.current.fields.setdefault(name, []).append(a.get("value") or "")
        elif tag == "textarea" and name:
            self.current.fields.setdefault(name, []).append("")
        elif tag == "select" and name:
            self.select = name
            self.current.fields.setdefault(name, [])
        elif tag == "option" and self.select:
            self.current.fields[self.select].append(a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


NOT_HTML = re.compile(r"pdf|export|download|template|progress|status|healthz|verify")


def pages(world: World) -> list[tuple[str, str]]:
    """(url, role) of every GET page of the matrix on side "in", plus the pages of the other
    assessment states, as the first role of FILLERS that may open them."""
    side = world.sides["in"]
    found = []
    for name, rule in MATRIX.items():
        if rule.method != "get" or name == "logout" or NOT_HTML.search(name):
            continue
        role = next((r for r in FILLERS if expected(rule, r, "in") == 200), None)
        if role is None:
            continue
        url = reverse(name, kwargs=rule.kwargs(side, world) if rule.kwargs else None)
        query = rule.query(side, world) if rule.query else ""
        found.append((f"{url}?{query}" if query else url, role))
    extra = [
        ("certification:assessment-detail", side.recognized.pk, OFFICER),
        ("certification:assessment-appraise", side.appraised.pk, APPRAISER),
        ("certification:assessment-return", side.appraised.pk, APPRAISER),
        ("certification:assessment-revoke", side.recognized.pk, APPROVER),
    ]
    found += [(reverse(name, args=[pk]), role) for name, pk, role in extra]
    return found


def discover_forms(world: World, clients: dict[str, Client]) -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for url, role in pages(world):
        response = clients[role].get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser(url.split("?")[0])
        parser.feed(response.content.decode())
        for form in parser.forms:
            form.role = role
            if form.action.startswith(reverse("logout")):
                continue
            if form.key in forms:  # the same form on several pages: merge what they offer
                for name, values in form.fields.items():
                    forms[form.key].fields.setdefault(name, []).extend(values)
                forms[form.key].files |= form.files
            else:
                forms[form.key] = form
    return forms


# --- properties -------------------------------------------------------------------------------


def fingerprint() -> tuple:
    """Everything a refused request must leave as it was."""
    counts = tuple(
        m.objects.count()
        for m in (
            get_user_model(),
            RoleAssignment,
            Unit,
            Campaign,
            CriteriaSet,
            Criterion,
            Assessment,
            Answer,
            Evidence,
            Registration,
            Decision,
            Certificate,
            PrintJob,
            ScoringRun,
            AuditEvent,
        )
    )
    rows = (
        tuple(Assessment.objects.order_by("pk").values_list("status", "version", "entry_exception_until")),
        tuple(
            Answer.objects.order_by("pk").values_list(
                "value", "appraised_value", "number", "note", "self_points", "is_returned", "return_reason"
            )
        ),
        tuple(Campaign.objects.order_by("pk").values_list(*Campaign.default_dates(2000))),
        tuple(CriteriaSet.objects.order_by("pk").values_list("status", "year_from")),
        tuple(RoleAssignment.objects.order_by("pk").values_list("user_id", "unit_id", "role")),
        tuple(Certificate.objects.order_by("pk").values_list("status")),
    )
    return counts, rows


def _texts(pattern: str, html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", m).strip() for m in re.findall(pattern, html, re.S)]


def errors_shown(response) -> list[str]:
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        data = response.json()
        return [] if data.get("ok", True) else [data.get("message", "")]
    if "text/html" not in content_type:
        return []
    html = response.content.decode()
    found = _texts(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html)
    messages = "".join(re.findall(r'<ul class="messages">(.*?)</ul>', html, re.S))  # django.contrib.messages
    found += _texts(r'<li class="msg msg-(?:error|warning)"[^>]*>(.*?)</li>', messages)
    found += _texts(r'<div class="msg msg-error" role="alert">(.*?)</div>', html)  # non-field errors
    if response.status_code >= 400:
        found += _texts(r"<h1>(.*?)</h1>", html)
    return [t for t in found if t]


def succeeded(response) -> bool:
    if "json" in response.get("Content-Type", ""):
        return response.json().get("ok") is True
    messages = "".join(re.findall(r'<ul class="messages">(.*?)</ul>', response.content.decode(), re.S))
    return response.status_code == 200 and "msg msg-success" in messages


def check(response, before: tuple, after: tuple, what: str) -> None:
    assert response.status_code < 500, what
    shown = errors_shown(response)
    for text in shown:
        assert VI_LETTERS.search(text) and not ENGLISH_ERRORS.search(text), (
            f"{what}: not Vietnamese: {text!r}"
        )
    if "text/html" in response.get("Content-Type", "") or shown:
        assert response.get("Content-Language") == "vi", what
    if after != before:
        assert succeeded(response) and not shown, f"{what}: wrote although it did not succeed: {shown}"


REQUESTS = {"count": 0}


def post(client: Client, form: Form, data: dict, files: dict, *, as_json: bool) -> tuple:
    REQUESTS["count"] += 1
    payload = dict(data)
    for name, (filename, content) in files.items():
        payload[name] = SimpleUploadedFile(filename or "x", content)
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    with transaction.atomic():
        before = fingerprint()
        response = client.post(form.action, payload, follow=True, **headers)
        after = fingerprint()
        transaction.set_rollback(True)
    return response, before, after


def field_values(form: Form) -> st.SearchStrategy:
    strategies = {}
    for name, offered in form.fields.items():
        options = [v for v in offered if v != ""] or [""]
        value = st.one_of(st.sampled_from(options), hostile_text)
        several = st.lists(value, max_size=3)
        strategies[name] = st.one_of(value, several, st.none())
    return st.fixed_dictionaries(strategies).map(lambda d: {k: v for k, v in d.items() if v is not None})


def examples_for(form: Form) -> int:
    return next((n for key, n in FOCUS.items() if key in form.action), EXAMPLES)


def clients_for(world: World) -> dict[str, Client]:
    clients = {}
    for role in FILLERS:
        client = Client()
        if role != ANON:
            client.force_login(world.users[role])
        clients[role] = client
    return clients


@pytest.mark.django_db
def test_every_form_survives_hostile_posts_without_500_or_partial_writes_and_answers_in_vietnamese(
    world, quiet, settings
):
    settings.AXES_ENABLED = False  # hundreds of failed logins are the point here
    clients = clients_for(world)
    forms = discover_forms(world, clients)
    expected_actions = {"/save/", "recognize", "users/new", "registrations/new", "campaigns/open"}
    missing = [a for a in expected_actions if not any(a in key for key in forms)]
    assert not missing, (missing, sorted(forms))
    timings: dict[str, float] = {}
    for key, form in sorted(forms.items()):
        started = time.monotonic()
        fuzz_form(clients[form.role], form)
        timings[key] = time.monotonic() - started
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:5]
    print(f"\nhostile posts: {len(forms)} forms, {REQUESTS['count']} posts in {sum(timings.values()):.1f} s")
    print(f"slowest: {slowest}")


def fuzz_form(client: Client, form: Form) -> None:
    @settings_for(form)
    @given(
        data=field_values(form),
        files=st.fixed_dictionaries({n: hostile_file() for n in form.files}),
        as_json=st.booleans(),
    )
    def fuzz(data, files, as_json):
        response, before, after = post(client, form, data, files, as_json=as_json)
        check(response, before, after, f"POST {form.action} as {form.role} with {data!r}")

    fuzz()


def settings_for(form: Form):
    return hsettings(
        max_examples=examples_for(form),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# --- imports ----------------------------------------------------------------------------------


IMPORTS = {
    # url name → (role, file field, extra fields)
    "units:import-upload": (ADMIN, "file", {}),
    "certification:assessments-excel-upload": (
        OFFICER,
        "file",
        {"year": st.sampled_from(["2026", "0", "x"])},
    ),
    "certification:criteria-set-import": (PROVINCE, "file", {}),
}


def excel_rows() -> st.SearchStrategy:
    cell = st.one_of(st.none(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True), hostile_text)
    header = st.sampled_from(
        [
            ["Mã", "Tên", "Loại", "Mã đơn vị cha"],
            ["Mã đơn vị", "Năm", "Mã tiêu chí", "Kết quả"],
            ["Mã", "Nội dung"],
        ]
    )
    return st.tuples(header, st.lists(st.lists(cell, max_size=6), max_size=6))


def workbook(header, rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for title in ("Đơn vị", "Đánh giá", "Tiêu chí"):
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fuzz_import(client: Client, name: str, role: str, file_field: str, extra: dict) -> None:
    url = reverse(name)

    @hsettings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        content=st.one_of(
            excel_rows().map(lambda hr: workbook(*hr)),
            hostile_file().map(lambda f: f[1]),
            st.lists(st.lists(hostile_text, max_size=4), max_size=5).map(
                lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
            ),
        ),
        filename=st.sampled_from(["don-vi.xlsx", "don-vi.csv", "danh-gia.xlsx", "x.pdf"]),
        data=st.fixed_dictionaries(extra),
    )
    def fuzz(content, filename, data):
        form = Form(page=url, action=url, role=role, files={file_field})
        response, before, after = post(client, form, data, {file_field: (filename, content)}, as_json=False)
        what = f"import {name} ({filename}, {len(content)} bytes)"
        check(response, before, after, what)
        # An upload only previews (the criteria import creates a draft set at most).
        if name != "certification:criteria-set-import":
            assert after == before, what

    fuzz()


@pytest.mark.django_db
def test_imports_survive_random_and_hostile_files_and_write_nothing_before_confirmation(world, quiet):
    clients = clients_for(world)
    for name, (role, file_field, extra) in IMPORTS.items():
        fuzz_import(clients[role], name, role, file_field, extra)

    # Confirming an import with a forged, stale or hostile token.
    confirms = [
        (reverse("units:import-confirm"), ADMIN),
        (reverse("certification:assessments-excel-upload"), OFFICER),
    ]

    @hsettings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(token=hostile_text, target=st.sampled_from(confirms))
    def confirm(token, target):
        url, role = target
        form = Form(page=url, action=url, role=role)
        response, before, after = post(clients[role], form, {"token": token}, {}, as_json=False)
        check(response, before, after, f"confirm {url} token={token!r}")
        assert after == before

    confirm()


# --- query parameters -------------------------------------------------------------------------


LISTS = [
    ("units:unit-list", OFFICER),
    ("certification:assessment-list", OFFICER),
    ("certification:decision-list", CLERK),
    ("certification:campaign-list", OFFICER),
    ("certification:criteria-set-list", OFFICER),
    ("certification:my-tasks", APPRAISER),
    ("certification:report-summary", CLERK),
    ("certification:recognize-batch", APPROVER),
    ("certification:notifications", OFFICER),
    ("units:user-list", ADMIN),
]
PARAMS = [
    "o",
    "page",
    "per_page",
    "export",
    "q",
    "kind",
    "status",
    "campaign",
    "year",
    "unit",
    "format",
    "issuer",
    "commune",
    "parent",
    "eligible",
    "assessment",
    "label",
    "valid",
]


def fuzz_list(client: Client, name: str, query: st.SearchStrategy) -> None:
    url = reverse(name)

    @hsettings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(params=query)
    def fuzz(params):
        REQUESTS["count"] += 1
        response = client.get(url, [(k, v.replace("\x00", "")) for k, v in params] or None)
        what = f"GET {name} {params!r}"
        assert response.status_code in (200, 302, 400, 403, 404), what
        for text in errors_shown(response):
            assert VI_LETTERS.search(text), f"{what}: {text!r}"

    fuzz()


@pytest.mark.django_db
def test_list_filters_sort_and_page_parameters_never_fail(world, quiet):
    clients = clients_for(world)
    key = st.one_of(st.sampled_from(PARAMS), st.text(min_size=1, max_size=10))
    value = st.one_of(
        hostile_text, st.sampled_from(["-name", "name", "-updated", "2", "1000000", "xlsx", "pdf"])
    )
    query = st.lists(st.tuples(key, value), max_size=5)

    for name, role in LISTS:
        fuzz_list(clients[role], name, query)
    print(f"\nbad input so far in this file: {REQUESTS['count']} requests")


def test_the_hostile_pool_holds_the_classic_attacks():
    joined = "".join(HOSTILE)
    assert "\x00" in joined and "<script>" in joined and "DROP TABLE" in joined and "\u202e" in joined
    assert zipfile.is_zipfile(io.BytesIO(_xlsx([["a"]])))


@pytest.mark.django_db
def test_an_id_beyond_64_bits_is_bad_input_not_a_server_error(world, client, quiet):
    """SQLite cannot bind it (OverflowError); PostgreSQL finds no row. Either way: no 500."""
    side = world.sides["in"]
    client.force_login(world.users[APPROVER])
    huge = "9" * 30
    response = client.post(
        reverse("certification:recognize-batch"),
        {"issuer": side.commune.pk, "assessments": [huge], "outcome": "recognize"},
    )
    assert response.status_code in (200, 400)
    assert response["Content-Language"] == "vi"
    assert VI_LETTERS.search(" ".join(errors_shown(response)))
    assert Decision.objects.count() == 2  # one per side, as built


@pytest.mark.django_db
def test_nul_bytes_in_free_text_posted_outside_django_forms_are_dropped_not_a_server_error(world, client):
    """PostgreSQL refuses NUL in text; the entry, return and appraisal pages read raw POST data
    (no form field to reject it), so the services' text normalisation drops it."""
    side = world.sides["in"]
    draft, appraised = side.draft, side.appraised
    draft.refresh_from_db()
    note_answer = draft.answers.order_by("pk").first()
    returned = appraised.answers.order_by("pk").first()
    cases = [
        (
            OFFICER,
            reverse("certification:assessment-save", args=[draft.pk]),
            {f"note-{note_answer.pk}": "ghi\x00chú"},
        ),
        (OFFICER, reverse("certification:assessment-save", args=[draft.pk]), {"meeting_chair": "Ông\x00An"}),
        (
            OFFICER,
            reverse("certification:assessment-save", args=[draft.pk]),
            {"attendee-name": "B\x00", "attendee-role": "x"},
        ),
        (
            APPRAISER,
            reverse("certification:assessment-return", args=[appraised.pk]),
            {f"reason-{returned.pk}": "thiếu\x00"},
        ),
        (APPRAISER, reverse("certification:assessment-appraise", args=[appraised.pk]), {"note": "\x00"}),
    ]
    for role, url, data in cases:
        client.force_login(world.users[role])
        draft.refresh_from_db()
        response = client.post(url, {"version": draft.version, **data})
        assert response.status_code in (200, 302), url
    note_answer.refresh_from_db()
    draft.refresh_from_db()
    assert note_answer.note == "ghichú" and draft.meeting_chair == "ÔngAn"
    assert "\x00" not in str(draft.meeting_attendees)
