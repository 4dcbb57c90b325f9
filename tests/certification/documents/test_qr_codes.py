"""The certificate's QR code scans from paper: standard quiet zone, large enough to decode from a
coarse render (72 dpi, what a phone photo of a print resolves to), and it carries the address the
site is really served at."""

import os
import subprocess
import sys

import pytest

from certification.documents.certificates import render_certificates_pdf, verify_url
from certification.models import Certificate
from tests.certification.documents.conftest import ROOT, pdf_text

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
