"""Evidence files: the type is read from the content (magic bytes), never from the name."""

import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, cast

from django.conf import settings
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Actor, actor_or_none

# (content type, what the file must start with)
SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("application/pdf", b"%PDF-"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file starting with ``head``, or None when it is not accepted."""
    for content_type, magic in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def check_upload(uploaded) -> tuple[str, str, int]:
    """(content type, safe display name, size in bytes) of an evidence upload, read from its content; refused
    (``WorkflowError``, nothing stored) when it is empty, larger than ``EVIDENCE_MAX_BYTES`` or
    not a PDF, JPEG or PNG. The certification's evidence and the movement's model files."""
    size, limit = uploaded.size, settings.EVIDENCE_MAX_BYTES
    if not size:
        raise WorkflowError(_("The file is empty."))
    if size > limit:
        raise WorkflowError(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": f"{size / 1048576:.1f}", "max": f"{limit / 1048576:g}"}
        )
    content_type = sniff_content_type(read_head(uploaded))
    if content_type is None:
        raise WorkflowError(_("Only PDF, JPEG and PNG files are accepted."))
    return content_type, safe_filename(getattr(uploaded, "name", "") or "", content_type), int(size)


def read_head(uploaded, size: int = 16) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(size)
    uploaded.seek(0)
    return head


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def safe_filename(name: str, content_type: str | None = None) -> str:
    """A display/download name: no path, no control or quoting characters, NFC, at most 150
    characters, with the extension matching the detected type."""
    base = PurePath(str(name).replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    # Format characters (bidi overrides such as U+202E, zero-width spaces) can make
    # "x\u202egnp.exe" display as "xexe.png": dropped.
    base = "".join(ch for ch in base if unicodedata.category(ch) != "Cf")
    base = _UNSAFE.sub("_", base).strip(" ._") or "tai-lieu"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    wanted = EXTENSIONS.get(content_type or "", "")
    if wanted and f".{ext.lower()}" not in {wanted, ".jpeg" if wanted == ".jpg" else wanted}:
        stem, ext = base, wanted.lstrip(".")
    stem = stem[:140]
    return f"{stem}.{ext}" if ext else stem


def evidence_fields(uploaded, by: Actor) -> dict[str, Any]:
    """The file fields of a new evidence row for ``uploaded`` (checked first by
    :func:`check_upload`: a refused file is never stored), uploaded by ``by``."""
    content_type, name, size = check_upload(uploaded)
    return {
        "token": secrets.token_hex(20),
        "original_name": name,
        "content_type": content_type,
        "size": size,
        "uploaded_by": actor_or_none(by),
    }


def store_evidence(evidence, file, record: Callable[[], object]) -> None:
    """Store ``file`` as ``evidence.file`` (named by its token, never by the user's name), save
    ``evidence`` and ``record`` it in the audit. Files are not transactional: a failure after the
    file is stored removes it again. The certification's evidence and the movement's model files."""
    evidence.file.save(evidence.token, file, save=False)
    try:
        evidence.save()
        record()
    except Exception:
        evidence.file.storage.delete(cast(str, evidence.file.name))
        raise
