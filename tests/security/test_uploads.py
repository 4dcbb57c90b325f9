"""Hostile evidence uploads: the type is read from the content, the size is capped, the name the
browser sends never reaches the disk, and files are served only to users who may see them, as
downloads that a browser will not render or sniff."""

import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certification.models import AuditEvent, Evidence
from tests.security.world import OUTSIDER, PDF_BYTES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
REFUSED_TYPE_VI = "Chỉ nhận tệp PDF, JPEG và PNG."


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, side, name: str, content: bytes, content_type: str = "application/pdf", criterion=""):
    url = reverse("certification:evidence-upload", args=[side.draft.pk])
    return client.post(
        url,
        {"file": SimpleUploadedFile(name, content, content_type=content_type), "criterion": criterion},
        follow=True,
    )


@pytest.fixture
def officer_client(small_world, client):
    client.force_login(small_world.sides["in"].member)
    return client


def counts() -> tuple[int, int, int]:
    return Evidence.objects.count(), AuditEvent.objects.count(), len(media_files())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        (
            "bien-ban.pdf",
            b"<!doctype html><html><script>alert(document.cookie)</script></html>",
            "application/pdf",
        ),
        ("anh.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "image/jpeg"),
        ("bao-cao.pdf", b"PK\x03\x04" + b"\x00" * 64, "application/pdf"),  # a zip/docx named .pdf
        ("anh.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
        ("ghi-chu.txt", b" %PDF-1.4 starts one byte late", "text/plain"),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "application/pdf"),
    ],
    ids=[
        "html disguised as pdf",
        "exe named jpg",
        "zip named pdf",
        "svg with script",
        "magic not at start",
        "shell script",
    ],
)
def test_files_whose_content_is_not_pdf_jpeg_or_png_are_refused_in_vietnamese_and_leave_nothing(
    small_world, officer_client, name, content, content_type
):
    before = counts()
    response = upload(officer_client, small_world.sides["in"], name, content, content_type)
    assert response.status_code == 200
    assert REFUSED_TYPE_VI in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_an_oversized_file_is_refused_with_its_size_and_the_limit(small_world, officer_client, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    before = counts()
    response = upload(officer_client, small_world.sides["in"], "lon.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    page = response.content.decode()
    assert "Tệp quá lớn (1.0 MB; tối đa 1 MB)." in page
    assert counts() == before


@pytest.mark.django_db
def test_an_empty_file_is_refused(small_world, officer_client):
    before = counts()
    response = upload(officer_client, small_world.sides["in"], "rong.pdf", b"")
    assert response.status_code == 200
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/cron.d/antt.pdf",
        "..\\..\\..\\windows\\system32\\evil.pdf",
        "/var/www/static/js/nav.js",
        "bien\x00ban.pdf.exe",
        'a"; filename="evil.html',
        "hóa-đơn\u202egnp.exe",  # right-to-left override: "hóa-đơnexe.png" on screen
        "x" * 400 + ".pdf",
        "....",
    ],
    ids=[
        "unix traversal",
        "windows traversal",
        "absolute path",
        "nul byte",
        "header injection",
        "rtl override",
        "400 chars",
        "only dots",
    ],
)
def test_hostile_file_names_never_reach_the_disk_and_are_made_harmless_for_display(
    small_world, officer_client, name
):
    side = small_world.sides["in"]
    before = {p for p in media_files()}
    upload(officer_client, side, name, PDF_BYTES)
    evidence = Evidence.objects.order_by("-pk").first()
    assert evidence.assessment_id == side.draft.pk and evidence.pk != side.evidence.pk

    stored = Path(evidence.file.path).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    assert stored.is_relative_to(media / "evidence")
    assert stored.name == evidence.token  # random, nothing of the user's name
    assert {p for p in media_files()} - before == {stored}

    shown = evidence.original_name
    assert "/" not in shown and "\\" not in shown and '"' not in shown
    assert not any(ord(ch) < 32 or unicodedata.category(ch) == "Cf" for ch in shown)
    assert len(shown) <= 150 and shown.endswith(".pdf")
    assert evidence.content_type == "application/pdf"

    download = officer_client.get(reverse("certification:evidence-download", args=[evidence.pk]))
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\n" not in disposition and "\r" not in disposition and ".." not in disposition


@pytest.mark.django_db
def test_a_pdf_html_polyglot_is_only_ever_served_as_a_sandboxed_pdf_download(small_world, officer_client):
    polyglot = (
        b"%PDF-1.4\n<html><body><script>fetch('/units/users/').then(r=>r.text())</script></body></html>"
    )
    upload(officer_client, small_world.sides["in"], "polyglot.html", polyglot)
    evidence = Evidence.objects.order_by("-pk").first()
    assert evidence.content_type == "application/pdf"
    assert evidence.original_name.endswith(".pdf")  # the .html extension is not kept

    response = officer_client.get(reverse("certification:evidence-download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_files_are_stored_outside_static_and_have_no_public_url(small_world, client):
    media = Path(settings.MEDIA_ROOT).resolve()
    for static_dir in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not media.is_relative_to(static_dir.resolve())
    evidence = small_world.sides["in"].evidence
    name = evidence.file.name
    for url in (f"/static/{name}", f"{settings.MEDIA_URL}{name}", f"/media/{name}", f"/{name}"):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_accepted_types_are_recognised_by_their_content_whatever_the_name(small_world, officer_client):
    side = small_world.sides["in"]
    upload(officer_client, side, "anh-chup", PNG, "application/octet-stream")
    upload(officer_client, side, "scan.pdf", JPEG, "application/pdf")
    newest = Evidence.objects.order_by("-pk")[:2]
    assert [(e.content_type, e.original_name) for e in reversed(newest)] == [
        ("image/png", "anh-chup.png"),
        ("image/jpeg", "scan.pdf.jpg"),
    ]


@pytest.mark.django_db
def test_someone_outside_the_subtree_cannot_upload_or_download(small_world, client, quiet):
    side = small_world.sides["in"]
    client.force_login(small_world.users[OUTSIDER])
    before = counts()
    response = client.post(
        reverse("certification:evidence-upload", args=[side.draft.pk]),
        {"file": SimpleUploadedFile("x.pdf", PDF_BYTES)},
    )
    assert response.status_code == 404
    assert counts() == before
    assert client.get(reverse("certification:evidence-download", args=[side.evidence.pk])).status_code == 404
