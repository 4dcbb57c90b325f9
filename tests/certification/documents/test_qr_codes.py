"""The certificate's QR code scans from paper: standard quiet zone, large enough to decode from a
coarse render (72 dpi, what a phone photo of a print resolves to), and it carries the address the
site is really served at."""

import io
import os
import subprocess
import sys

import pytest
from django.db import connection
from PIL import Image

from certification.documents import pdf
from certification.documents.certificates import (
    certificate_pdf,
    keep_qr_codes,
    render_certificates_pdf,
    replace_certificate,
    verify_url,
)
from certification.models import Certificate, PrintJob
from tests.certification.documents.conftest import ROOT, pdf_text, print_decision

# Codes are random; these cover short and long verification addresses (QR versions 4 and 5).
CODES = ["A5nkeuUwcJnB6cdvH1iUmQ", "f93IARUcocZstd_HH6skeQ", "AdNczZpwadvo-ldcOIO6-Q"]


def _decode(data: bytes, dpi: int, tmp_path) -> list[str]:
    """The QR codes zbarimg finds on each page of ``data`` rendered by pdftoppm at ``dpi``."""
    pdf_file = tmp_path / "certificates.pdf"
    pdf_file.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), pdf_file, tmp_path / f"p{dpi}"], check=True)
    found = []
    for page in sorted(tmp_path.glob(f"p{dpi}-*.png")):
        out = subprocess.run(["zbarimg", "--raw", "-q", page], capture_output=True, text=True)
        found.append(out.stdout.strip())
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("base", ["https://antt.example.vn", "https://antt.congan.hatinh.gov.vn"])
def test_the_qr_code_decodes_from_renders_at_72_100_and_300_dpi(certificate, settings, tmp_path, base):
    settings.SITE_BASE_URL = base
    data = render_certificates_pdf([Certificate(snapshot=certificate.snapshot, code=code) for code in CODES])
    expected = [f"{base}/verify/{code}" for code in CODES]
    for dpi in (72, 100, 300):
        assert _decode(data, dpi, tmp_path) == expected, dpi


@pytest.mark.django_db
def test_the_certificate_prints_the_verification_address_too(certificate, settings):
    settings.SITE_BASE_URL = "https://antt.congan.hatinh.gov.vn"
    text = pdf_text(render_certificates_pdf([certificate]))
    assert verify_url(certificate.code) in text.replace(" ", "")
    assert verify_url(certificate.code).startswith("https://antt.congan.hatinh.gov.vn/verify/")


def _decode_png(png: bytes, tmp_path) -> str:
    image = tmp_path / "qr.png"
    image.write_bytes(png)
    return subprocess.run(["zbarimg", "--raw", "-q", image], capture_output=True, text=True).stdout.strip()


@pytest.fixture
def no_drawing(monkeypatch):
    """From here on, drawing a QR code fails the test: printing must reuse the kept ones."""

    def must_not_draw(url: str, **kwargs) -> bytes:
        raise AssertionError(f"QR code drawn again for {url}")

    monkeypatch.setattr(pdf, "qr_png", must_not_draw)


@pytest.mark.django_db
def test_issuing_draws_each_qr_code_once_and_prints_and_reprints_reuse_it(
    decision, clerk, tmp_path, no_drawing, django_capture_on_commit_callbacks
):
    certificates = list(decision.certificates.order_by("register_number"))
    for certificate in certificates:
        assert certificate.qr_url == verify_url(certificate.code)
        assert _decode_png(bytes(certificate.qr_png), tmp_path) == certificate.qr_url
    assert _decode(render_certificates_pdf(certificates), 100, tmp_path) == [c.qr_url for c in certificates]
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE, job.error
    assert _decode(pdf.read(job.pdf.name), 72, tmp_path) == [c.qr_url for c in certificates]
    assert _decode_png(bytes(certificates[0].qr_png), tmp_path) == verify_url(certificates[0].code)
    assert certificate_pdf(certificates[0])  # the single download too


@pytest.mark.django_db
def test_the_replacement_carries_the_code_of_its_own_address(certificate, approver, tmp_path):
    new = replace_certificate(certificate=certificate, by=approver, reason="Bị mất")
    new.refresh_from_db()
    assert new.qr_url == verify_url(new.code) != certificate.qr_url
    assert _decode_png(bytes(new.qr_png), tmp_path) == new.qr_url


@pytest.mark.django_db
def test_certificates_issued_before_codes_were_kept_get_them_on_their_firstprint_decision(
    decision, clerk, tmp_path, django_capture_on_commit_callbacks
):
    Certificate.objects.filter(decision=decision).update(qr_png=b"", qr_url="")
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE, job.error
    certificates = list(decision.certificates.order_by("register_number"))
    assert _decode(pdf.read(job.pdf.name), 72, tmp_path) == [verify_url(c.code) for c in certificates]
    for certificate in certificates:  # kept: the next print draws none
        assert (
            _decode_png(bytes(certificate.qr_png), tmp_path)
            == certificate.qr_url
            == verify_url(certificate.code)
        )


@pytest.mark.django_db
def test_a_new_site_address_prints_codes_of_the_new_address_and_keeps_them(
    decision, clerk, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SITE_BASE_URL = "https://antt.congan.hatinh.gov.vn"
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE, job.error
    certificates = list(decision.certificates.order_by("register_number"))
    expected = [f"https://antt.congan.hatinh.gov.vn/verify/{c.code}" for c in certificates]
    assert _decode(pdf.read(job.pdf.name), 72, tmp_path) == expected
    assert [c.qr_url for c in certificates] == expected


def _one_bit(png: bytes) -> bytes:
    """The same code as a 1-bit PNG, as certificates issued before issue 23, round 9 keep it."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("1").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_codes_kept_as_1_bit_pngs_are_redrawn_8_bit_on_the_next_print_to_the_same_address(
    decision, clerk, tmp_path, django_capture_on_commit_callbacks
):
    for certificate in decision.certificates.all():
        assert Image.open(io.BytesIO(bytes(certificate.qr_png))).mode == "L"  # as issued now
        Certificate.objects.filter(pk=certificate.pk).update(qr_png=_one_bit(bytes(certificate.qr_png)))
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE, job.error
    certificates = list(decision.certificates.order_by("register_number"))
    assert _decode(pdf.read(job.pdf.name), 72, tmp_path) == [verify_url(c.code) for c in certificates]
    for certificate in certificates:
        assert Image.open(io.BytesIO(bytes(certificate.qr_png))).mode == "L"
        assert (
            _decode_png(bytes(certificate.qr_png), tmp_path)
            == certificate.qr_url
            == verify_url(certificate.code)
        )


OLD_COLUMNS = (
    "decision_id, assessment_id, unit_id, year, register_number, code, status, snapshot, revoke_reason, "
    "revoke_reference, replace_reason, content_hash, file_sha256, pdf, created_at"
)


@pytest.mark.django_db
def test_code_that_does_not_know_the_qr_columns_still_issues_certificates(certificate, tmp_path):
    """A web worker of the previous release, during a deploy, inserts without the two columns."""
    copied = OLD_COLUMNS.replace("register_number", "register_number + 100").replace("code", "code || 'x'")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO certification_certificate ({OLD_COLUMNS}) "  # noqa: S608 - constant columns
            f"SELECT {copied} FROM certification_certificate WHERE id = %s RETURNING id",
            [certificate.pk],
        )
        (pk,) = cursor.fetchone()
    inserted = Certificate.objects.get(pk=pk)
    assert (inserted.qr_url, bytes(inserted.qr_png)) == ("", b"")
    keep_qr_codes([inserted])
    inserted.refresh_from_db()
    assert _decode_png(bytes(inserted.qr_png), tmp_path) == inserted.qr_url == verify_url(inserted.code)


def _settings_probe(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "SITE_BASE_URL"))}
    clean.pop("SECRET_KEY", None)
    clean.update(DJANGO_SETTINGS_MODULE="antt.settings", SECRET_KEY="x" * 60, DEBUG="0", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _site_base_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "SITE_BASE_URL"))}
    clean.update(DJANGO_SETTINGS_MODULE="antt.settings", **env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_BASE_URL)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    return out.stdout.strip().splitlines()[-1]


def test_without_site_base_url_the_address_is_the_host_the_site_is_served_at(tmp_path):
    var = str(tmp_path)
    assert _site_base_url(ANTT_VAR_DIR=var, ALLOWED_HOSTS="antt.hatinh.gov.vn", HTTPS="1") == (
        "https://antt.hatinh.gov.vn"
    )
    assert _site_base_url(ANTT_VAR_DIR=var, SITE_BASE_URL="https://qr.hatinh.gov.vn/antt/") == (
        "https://qr.hatinh.gov.vn/antt"
    )
    assert _site_base_url(ANTT_VAR_DIR=var, PORT="8080") == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    "address",
    ["http://127.0.0.1:8000", "https://other.example.vn", "http://antt.hatinh.gov.vn", "antt.hatinh.gov.vn"],
)
def test_check_deploy_refuses_an_address_the_site_is_not_served_at(tmp_path, address):
    env = {"ANTT_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "antt.hatinh.gov.vn", "HTTPS": "1"}
    refused = _settings_probe(**env, SITE_BASE_URL=address)
    assert refused.returncode != 0 and "antt.E002" in refused.stdout + refused.stderr


def test_check_deploy_accepts_the_public_address(tmp_path):
    env = {"ANTT_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "antt.hatinh.gov.vn", "HTTPS": "1"}
    accepted = _settings_probe(**env, SITE_BASE_URL="https://antt.hatinh.gov.vn")
    assert "antt.E002" not in accepted.stdout + accepted.stderr
