"""Previews of imports waiting for the user's confirmation, kept in ``MEDIA_ROOT/imports/``
(and ``MEDIA_ROOT/rearrangements/``: the re-arrangement files of ``certification.views.rearrangement``).

The unit import keeps the checked rows (``<token>.json``), the assessment import the uploaded
workbook (``<token>.xlsx``, written by ``certification.views.assessment_pages``), the
re-arrangement its parsed rows (``<token>.json``). A preview never confirmed is deleted after
``settings.IMPORT_PREVIEW_TTL_SECONDS``: by :func:`sweep_previews` (``manage.py sweep_imports``,
run hourly by celery beat) and each time a new one is stored in its folder. An expired preview
cannot be confirmed.
"""

import json
import re
import secrets
import time
from pathlib import Path

from django.conf import settings

from units.exchange.imports import RawRow

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class PreviewGone(Exception):
    """No such preview for this user, or it has expired."""


IMPORTS = "imports"
REARRANGEMENTS = "rearrangements"
FOLDERS = (IMPORTS, REARRANGEMENTS)


def previews_dir(folder: str = IMPORTS) -> Path:
    directory = Path(settings.MEDIA_ROOT) / folder
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _expired(path: Path, now: float) -> bool:
    try:
        return path.stat().st_mtime < now - settings.IMPORT_PREVIEW_TTL_SECONDS
    except OSError:
        return False  # already gone


def sweep_previews(now: float | None = None, folders: tuple[str, ...] = FOLDERS) -> int:
    """Delete the previews older than the TTL; return how many were deleted."""
    now = time.time() if now is None else now
    deleted = 0
    for folder in folders:
        for path in previews_dir(folder).iterdir():
            if path.is_file() and _expired(path, now):
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def store_preview(user, filename: str, rows: list, *, folder: str = IMPORTS) -> str:
    """Keep ``rows`` (as JSON) for ``user`` to confirm; returns the preview's token."""
    sweep_previews(folders=(folder,))
    token = secrets.token_urlsafe(24)
    payload = {"user": user.pk, "filename": filename, "rows": rows}
    (previews_dir(folder) / f"{token}.json").write_text(
        json.dumps(payload, ensure_ascii=False), encoding="utf-8"
    )
    return token


def store_unit_rows(user, filename: str, rows: list[RawRow]) -> str:
    return store_preview(user, filename, [r.to_json() for r in rows])


def load_preview(user, token: str, *, folder: str = IMPORTS) -> tuple[Path, dict]:
    """The stored preview ``token`` of ``user``: (its path, its payload)."""
    if not _TOKEN.match(token or ""):
        raise PreviewGone
    path = previews_dir(folder) / f"{token}.json"
    if _expired(path, time.time()):
        path.unlink(missing_ok=True)
        raise PreviewGone
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PreviewGone from None
    if payload.get("user") != user.pk:
        raise PreviewGone
    return path, payload
