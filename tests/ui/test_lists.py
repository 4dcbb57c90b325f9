"""Shared list plumbing: sorting whitelist, pagination keeping the filters, diacritic-free
search, the filter form, and the Excel export every list offers."""

import datetime
import io
import unicodedata
from decimal import Decimal

import django_filters
import openpyxl
import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from antt.web.exports import xlsx_response
from antt.web.listing import SearchFilter, list_context, paginate, sort_queryset, wants_export
from units.models import Unit

pytestmark = pytest.mark.django_db
SORTS = {"name": "name", "code": "code"}


def get(**params):
    return RequestFactory().get("/units/", params)


def read_xlsx(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_export_is_a_valid_workbook_with_vietnamese_headers_and_values():
    rows = [
        ("18823-TDP01", "Tổ dân phố 1", 101, Decimal("72.50"), datetime.date(2026, 11, 12), True),
        ("18832-T01", "Thôn Tân Hoa", None, None, None, False),
    ]

    response = xlsx_response(
        "Danh sách đơn vị.xlsx", ["Mã", "Tên", "Số hộ", "Tỷ lệ", "Ngày công nhận", "Đạt"], iter(rows)
    )

    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert (
        "filename*=utf-8''Danh%20s%C3%A1ch%20%C4%91%C6%A1n%20v%E1%BB%8B.xlsx"
        in response["Content-Disposition"]
    )
    sheet = read_xlsx(response).active
    assert [c.value for c in sheet[1]] == ["Mã", "Tên", "Số hộ", "Tỷ lệ", "Ngày công nhận", "Đạt"]
    assert sheet["B2"].value == "Tổ dân phố 1"
    assert sheet["C2"].value == 101 and float(sheet["D2"].value) == 72.5
    assert sheet["E2"].value == datetime.datetime(2026, 11, 12) and sheet["E2"].number_format == "DD/MM/YYYY"
    assert sheet["F2"].value is True
    assert sheet["C3"].value is None
    assert sheet.freeze_panes == "A2"
    assert sheet[1][0].font.bold


def test_the_export_writes_text_in_nfc_and_never_as_a_formula():
    decomposed = unicodedata.normalize("NFD", "Xã Kỳ Hoa")

    sheet = read_xlsx(xlsx_response("x", ["Tên", "Ghi chú"], [(decomposed, '=HYPERLINK("http://x")')])).active

    assert sheet["A2"].value == "Xã Kỳ Hoa" and unicodedata.is_normalized("NFC", sheet["A2"].value)
    assert sheet["B2"].data_type == "s"


def test_the_export_streams_a_generator_of_many_rows():
    rows = ((i, f"Thôn {i}") for i in range(5000))
    sheet = read_xlsx(xlsx_response("big", ["Số", "Tên"], rows)).active
    assert sheet.max_row == 5001
    assert sheet.cell(5001, 2).value == "Thôn 4999"


def test_sorting_accepts_only_whitelisted_keys(province, commune, other_commune):
    qs = Unit.objects.filter(kind=Unit.Kind.COMMUNE)

    ordered, order = sort_queryset(get(o="-name"), qs, SORTS, default="code")
    assert order == "-name" and [u.name for u in ordered] == ["Vũng Áng", "Kỳ Hoa"]

    ordered, order = sort_queryset(get(o="password"), qs, SORTS, default="code")
    assert order == "code" and [u.code for u in ordered] == ["18823", "18832"]


def test_a_junk_page_number_gives_a_page_not_an_error(province):
    page = paginate(get(page="abc"), list(range(120)), per_page=50)
    assert page.number == 1
    page = paginate(get(page="99"), list(range(120)), per_page=50)
    assert page.number == 3


def test_the_pagination_links_keep_the_filters_and_the_sorting():
    request = get(kind="school", o="-name", page="2")
    context = list_context(request, list(range(1000)), order="-name")

    html = render_to_string("includes/pagination.html", context, request=request)

    assert 'aria-current="page"' in html
    assert "?kind=school&amp;o=-name&amp;page=3" in html
    assert "?kind=school&amp;o=-name&amp;page=1" in html
    assert "…" in html and "page=20" in html  # 20 pages: 1 2 3 4 … 20


def test_the_export_link_keeps_the_filters_and_drops_the_page():
    request = get(kind="school", page="2")
    html = render_to_string("includes/export_link.html", {}, request=request)
    assert "?kind=school&amp;export=xlsx" in html
    assert wants_export(get(kind="school", export="xlsx"))


class UnitFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["search_name"])
    kind = django_filters.ChoiceFilter(choices=Unit.Kind.choices)

    class Meta:
        model = Unit
        fields = ["q", "kind"]


@pytest.mark.parametrize("typed", ["ky hoa", "KỲ HOA", "Kỳ Hoà", "xa ky"])
def test_search_ignores_case_and_diacritics(typed, commune, other_commune):
    found = UnitFilter({"q": typed}, queryset=Unit.objects.all()).qs
    assert [u.name for u in found] == ["Kỳ Hoa"]


def test_the_filter_form_partial_renders_every_field_and_keeps_the_sorting(commune):
    request = get(q="ky", o="name")
    f = UnitFilter(request.GET, queryset=Unit.objects.all())

    html = render_to_string(
        "includes/filter_form.html", {"form": f.form, "export": True, "count": 1}, request=request
    )

    assert 'method="get"' in html
    assert 'name="q"' in html and 'name="kind"' in html
    assert '<input type="hidden" name="o" value="name">' in html
    assert "export=xlsx" in html
    assert "1 result" in html
