"""Small helpers for the browser tests: saved-state checks, PDFs and QR codes."""

import re
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
SAVED = "Đã lưu"


def compile_catalog(base: Path) -> Path | None:
    """locale/vi/parts/*.po merged (first translation wins) and compiled into ``base``/vi/LC_MESSAGES,
    so pages show the latest Vietnamese even before scripts/i18n merged it. None without gettext."""
    parts = sorted((ROOT / "locale" / "vi" / "parts").glob("*.po"))
    if not parts or not (shutil.which("msgcat") and shutil.which("msgfmt")):
        return None
    target = base / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    merged = base / "merged.po"
    subprocess.run(
        ["msgcat", "--use-first", "-o", str(merged), *map(str, parts)], check=True, capture_output=True
    )
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True, capture_output=True)
    return base


def expect_saved(container: Locator) -> None:
    """The inline save of a row or section reported success (without a page reload)."""
    expect(container.locator(".save-state")).to_have_text(SAVED)


def expect_message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def criterion_row(page: Page, code: str) -> Locator:
    return page.locator(".criterion-row[data-row]").filter(
        has=page.locator(".code", has_text=re.compile(rf"^{re.escape(code)}$"))
    )


def pdf_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode()


def decode_qr(pdf: Path) -> str:
    """The URL in the QR code of the PDF's first page (pdftoppm at 200 dpi, then zbarimg)."""
    image = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(image)],
        check=True,
    )
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image) + ".png"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def have_qr_tools() -> bool:
    return bool(shutil.which("pdftoppm") and shutil.which("zbarimg"))


# The first WeasyPrint document of a process loads its fonts: seconds on a busy machine.
PDF_TIMEOUT_MS = 60_000


def download_pdf(page: Page, link: Locator, target: Path) -> Path:
    """Fetch what ``link`` points at with the page's session (the PDFs open inline, which a
    headless browser shows in its viewer rather than as a download), check that it is a PDF and
    keep it at ``target``."""
    response = page.request.get(link.get_attribute("href"), timeout=PDF_TIMEOUT_MS)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF"), body[:20]
    target.write_bytes(body)
    return target
