"""Small helpers for the browser tests: saved-state checks, PDFs and QR codes."""

import re
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

SAVED = "Đã lưu"


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
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(image)], check=True)
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image) + ".png"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def have_qr_tools() -> bool:
    return bool(shutil.which("pdftoppm") and shutil.which("zbarimg"))


def save_download(page: Page, click, target: Path) -> Path:
    """Click what starts a download and keep the file; returns its path."""
    with page.expect_download() as info:
        click()
    info.value.save_as(target)
    return target
