"""File names from hostile text (a unit named like a path or a header, a decision symbol with
quotes) stay names: one RFC 6266 ``Content-Disposition`` without ``/\\"*:<>?|``, zip entries
that cannot climb out of the folder they are unpacked into."""

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.urls import reverse

from antt.web.downloads import content_disposition, safe_filename, unique_names
from certification.models import Decision, PrintJob
from tests.builders import make_areas

HOSTILE = '../../..\\evil"; filename="x.html\r\n<b>*?:|\u202egpj.exe'
UNSAFE = set('/\\"*:<>?|;')
DISPOSITION = re.compile(
    r"(attachment|inline); filename=\"([^\"\\]*)\"(?:; filename\*=utf-8''([A-Za-z0-9%._~-]+))?"
)


def names_in(header: str) -> list[str]:
    """The file names a browser may take from the header; fails when it is not one clean value."""
    match = DISPOSITION.fullmatch(header)
    assert match, header
    return [match[2]] + ([unquote(match[3])] if match[3] else [])


def assert_safe(name: str) -> None:
    assert name and not UNSAFE & set(name), name
    assert not any(ord(ch) < 32 or 0x202A <= ord(ch) <= 0x202E for ch in name), name
    assert not name.startswith("."), name


@pytest.fixture
def areas(commune):
    areas = make_areas(commune, 5, code="TDP")
    areas[0].name = HOSTILE
    areas[0].save()
    return areas


@pytest.mark.parametrize(
    "raw",
    [
        HOSTILE,
        "../../../../etc/cron.d/antt.pdf",
        "..\\..\\windows\\system32\\x.pdf",
        "/etc/passwd",
        'a"; filename="evil.html',
        "Quyết định: 12/QĐ-UBND <bản chính>?.pdf",
        "....",
        "",
        "x" * 400 + ".pdf",
        "tab\there\x00nul\x7f.pdf",
    ],
)
def test_every_hostile_name_becomes_one_safe_name_in_the_header(raw):
    name = safe_filename(raw)
    assert_safe(name)
    assert len(name) <= 150
    for header_name in names_in(content_disposition(raw)):
        assert_safe(header_name)
    assert names_in(content_disposition(raw, inline=True))


def test_a_safe_name_is_kept_and_vietnamese_goes_in_the_rfc_8187_parameter():
    assert (
        safe_filename("giay-cong-nhan-2026-0001-to-dan-pho-1.pdf")
        == "giay-cong-nhan-2026-0001-to-dan-pho-1.pdf"
    )
    assert content_disposition("Báo cáo Đồng Nai.xlsx") == (
        "attachment; filename=\"Bao cao Dong Nai.xlsx\"; filename*=utf-8''B%C3%A1o%20c%C3%A1o%20%C4%90%E1%BB%93ng%20Nai.xlsx"
    )
    assert safe_filename("x" * 400 + ".pdf").endswith(".pdf")


def test_zip_entries_are_unique_whatever_the_names():
    assert unique_names(["a.pdf", "A.pdf", "../a.pdf", "b"]) == ["a.pdf", "A (2).pdf", "a (3).pdf", "b"]


@pytest.mark.django_db
def test_a_certificate_of_a_hostile_unit_name_downloads_under_a_safe_name(client, decision, clerk):
    certificate = decision.certificates.get(unit__code__endswith="01")
    assert HOSTILE[:10] in certificate.snapshot["unit_name"]
    client.force_login(clerk)
    response = client.get(reverse("certification:certificate-pdf", args=[certificate.pk]))
    assert response.status_code == 200
    for name in names_in(response["Content-Disposition"]):
        assert_safe(name)
        assert name.startswith("giay-cong-nhan-2026-") and name.endswith(".pdf")


@pytest.mark.django_db
def test_a_decision_with_a_hostile_symbol_downloads_under_a_safe_name(client, decision, clerk):
    Decision.objects.filter(pk=decision.pk).update(symbol='QĐ/"UBND"*:<x>?|\\')
    client.force_login(clerk)
    response = client.get(reverse("certification:decision-pdf", args=[decision.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("inline;")
    for name in names_in(response["Content-Disposition"]):
        assert_safe(name)


@pytest.mark.django_db
def test_the_zip_of_a_hostile_unit_name_has_only_plain_entries(
    client, decision, clerk, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certification:print-start", args=[decision.pk]))
    job = PrintJob.objects.get()
    assert job.status == PrintJob.Status.DONE, job.error
    response = client.get(reverse("certification:print-download", args=[job.pk, "zip"]))
    for name in names_in(response["Content-Disposition"]):
        assert_safe(name)
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names)) == 5
    for name in names:
        assert_safe(name)
        assert name.startswith("giay-cong-nhan-2026-")


def test_no_product_code_writes_a_file_name_header_but_the_one_helper():
    """``Content-Disposition`` is written in one place: a new download cannot forget the rules."""
    root = Path(__file__).resolve().parents[3]
    helper = root / "antt" / "web" / "downloads.py"
    offenders = [
        f"{path.relative_to(root)}: {needle}"
        for folder in ("antt", "certification", "units")
        for path in (root / folder).rglob("*.py")
        if path != helper
        for needle in ("Content-Disposition", "as_attachment", "content_disposition_header")
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
