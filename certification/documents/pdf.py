"""Shared WeasyPrint helpers: one font configuration per process, compiled stylesheets, no network,
NFC text, atomic file writes.

Every document names its font explicitly ('Liberation Serif' from Debian fonts-liberation2):
``Times`` or ``serif`` may resolve to Nimbus Roman, which lacks 92 Vietnamese letters.
"""

import base64
import functools
import hashlib
import io
import os
import secrets
import ssl
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import segno
from django.core.files.storage import default_storage
from django.template.loader import get_template, render_to_string
from django.utils import translation
from PIL import Image, ImageOps

from antt.text import nfc

FONT_FAMILY = "Liberation Serif"
TEMPLATE_DIR = "certification/documents"


# Per thread: Pango's font map and WeasyPrint's compiled stylesheets are not meant to be shared
# between threads (gunicorn --threads); each worker thread keeps its own, warm.
_local = threading.local()


def font_config():
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # WeasyPrint's default fetcher loads the system CA bundle on every document; documents
    # fetch nothing but data: URIs, so an empty context is enough.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def url_fetcher():
    """A fetcher that only resolves ``data:`` URIs: a document never reaches the network or disk."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, ssl_context=_ssl_context(), fail_on_errors=True)


def template_source(name: str) -> str:
    template = get_template(name)
    return template.template.source


def stylesheet(name: str):
    """Compiled CSS ``templates/certification/documents/<name>.css``, parsed once per thread."""
    cache = _local.__dict__.setdefault("stylesheets", {})
    if name not in cache:
        from weasyprint import CSS

        cache[name] = CSS(string=template_source(f"{TEMPLATE_DIR}/{name}.css"), font_config=font_config())
    return cache[name]


@functools.cache
def template_version(*names: str) -> str:
    """Hash of the templates and stylesheets that shape a document: changing any of them
    invalidates every cached PDF made from them."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        digest.update(template_source(name).encode())
    return digest.hexdigest()[:16]


def render_html(template: str, context: dict) -> str:
    """Render a document template in Vietnamese (workers have no request language), NFC."""
    with translation.override("vi"):
        return nfc(render_to_string(template, context))


def write_pdf(html: str, *, stylesheets: Iterable[str] = (), target: BinaryIO | None = None) -> bytes | None:
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=url_fetcher(), base_url=None)
    return document.write_pdf(
        target,
        stylesheets=[stylesheet(name) for name in stylesheets],
        font_config=font_config(),
    )


def write_issued_pdf(html: str, *, stylesheets: Iterable[str] = ()) -> bytes:
    """An issued document: the PDF, signed by the agency where its key is configured, the
    visible seal on the element ``#chu-ky`` (signatures.ANCHOR) of the page that holds it."""
    from weasyprint import HTML

    from certification.documents import signatures

    if not signatures.server_signs():
        return write_pdf(html, stylesheets=stylesheets)
    at = signatures.signing_time()
    document = HTML(string=signatures.with_seal(html, at), url_fetcher=url_fetcher(), base_url=None).render(
        stylesheets=[stylesheet(name) for name in stylesheets], font_config=font_config()
    )
    return signatures.sign(document.write_pdf(), place=signatures.anchor_place(document.pages), at=at)


# A QR module's value (segno: 1 dark, 0 light) → an 8-bit grey pixel (black, white).
_QR_PIXELS = bytes([255] + [0] * 255)
# ISO/IEC 18004's quiet zone: four light modules on every side. With less, readers that look for
# the finder patterns against white (zbar, most phone cameras) miss the code on a coarse image.
QR_QUIET_ZONE = 4
# Pixels per module in the embedded image. A one-pixel-per-module image is scaled up by the PDF
# viewer, and poppler (like a phone's camera) smooths what it enlarges: at 72-100 dpi the modules
# blur into one another. Scaled down instead, their edges stay sharp (tests/…/test_qr_codes.py).
QR_PIXELS_PER_MODULE = 8


def qr_png(url: str, *, border: int = QR_QUIET_ZONE) -> bytes:
    """The QR code (error correction M, fixed mask) as an 8-bit greyscale PNG,
    ``QR_PIXELS_PER_MODULE`` pixels a module, with the standard quiet zone; encoded by Pillow
    (already there for WeasyPrint): segno's own PNG writer, in Python, cost about as much as
    encoding the code. Level M exactly (``boost_error`` would try higher levels that fit the same
    version) and never a Micro QR: a third of segno's time per code (1.5 → 1.0 ms).

    8-bit grey, not 1-bit (issue 23, round 9): WeasyPrint (70, ``images.RasterImage``) converts
    a 1-bit image to RGB and has Pillow encode it again as a PNG, for every page of every print;
    an 8-bit grey PNG it embeds as it is. Same black and white pixels; 50 pages 1,117 → 949 ms of
    CPU (best of 5, alternating), the PDF 9 % smaller; the kept PNG 0.6 → 1.4 KB."""
    matrix = segno.make(url, error="m", mask=0, micro=False, boost_error=False).matrix
    size = len(matrix)
    modules = Image.frombytes("L", (size, size), b"".join(bytes(row) for row in matrix).translate(_QR_PIXELS))
    image = ImageOps.expand(modules, border=border, fill=255)
    side = image.width * QR_PIXELS_PER_MODULE
    buffer = io.BytesIO()
    image.resize((side, side), Image.Resampling.NEAREST).save(buffer, "PNG")
    return buffer.getvalue()


# The PNG header up to the image header's bit depth and colour type (PNG spec 11.2.2).
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GREY_8_BIT = bytes([8, 0])


def qr_png_is_current(png: bytes | memoryview | None) -> bool:
    """``png`` is a QR code as :func:`qr_png` draws it now (8-bit greyscale), read from its
    header alone. A code kept before round 9 (1-bit) is drawn again on its next print."""
    head = bytes(png[:26]) if png else b""
    return head[:8] == _PNG_SIGNATURE and head[12:16] == b"IHDR" and head[24:26] == _GREY_8_BIT


def qr_data_uri(url: str) -> str:
    """The QR code as a PNG data URI (error correction M, quiet zone of four modules).

    WeasyPrint embeds a bitmap instead of parsing an SVG path on every certificate, and a fixed
    mask spares segno trying all eight (bench/analysis.md). Printed 36 mm wide
    (certificate.css), a 53-74 character address decodes from a 72 dpi render.
    """
    return png_data_uri(qr_png(url))


def png_data_uri(png: bytes) -> str:
    """A PNG (e.g. a QR code kept on its certificate) as a data URI for a document's HTML."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def storage_path(name: str) -> Path:
    return Path(default_storage.path(name))


def atomic_write(path: Path, write: bytes | Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside ``path`` then rename it: a reader (or a worker killed
    half-way) never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            if isinstance(write, bytes | bytearray):
                fh.write(write)
            else:
                write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def store(name: str, data: bytes | Callable[[BinaryIO], None]) -> str:
    """Atomically write a file under MEDIA_ROOT; returns ``name`` for a FileField."""
    atomic_write(storage_path(name), data)
    return name


def exists(name: str) -> bool:
    return bool(name) and storage_path(name).is_file()


def read(name: str) -> bytes:
    return storage_path(name).read_bytes()


def kept(record, *, digest: str, name: str, render: Callable[[], bytes]) -> bytes:
    """The PDF of ``record`` (a Certificate or a Decision): the file in ``record.pdf`` while it was
    made from the same content (``digest``), else ``render()`` stored under ``name`` in its place."""
    if record.content_hash == digest and exists(record.pdf.name):
        return read(record.pdf.name)
    data = render()
    store(name, data)
    old = record.pdf.name
    file_hash = hashlib.sha256(data).hexdigest()
    type(record).objects.filter(pk=record.pk).update(pdf=name, content_hash=digest, file_sha256=file_hash)
    record.pdf.name, record.content_hash, record.file_sha256 = name, digest, file_hash
    if old and old != name:
        storage_path(old).unlink(missing_ok=True)
    return data


def warm_up(*stylesheets: str) -> None:
    """Load WeasyPrint, the fonts and the given stylesheets (e.g. "certificate", "decision") now,
    e.g. from gunicorn's ``post_fork`` or a Celery ``worker_process_init`` signal, so the first
    download is as fast as the next."""
    for name in stylesheets:
        stylesheet(name)
    write_pdf(f"<p style=\"font-family: '{FONT_FAMILY}'\">Kiểm tra</p>", stylesheets=stylesheets)
