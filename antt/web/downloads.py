"""The names of downloaded files: one helper for every ``Content-Disposition`` and zip entry.

File names are built from user text (unit names, decision symbols, criteria-set families, the
names of uploaded evidence). A quote ends the header's ``filename="…"`` early; a slash or
backslash makes a zip entry a path (``../../x.pdf`` is written outside the folder it is unpacked
into); ``*:<>?|`` are refused by Windows; control and bidirectional characters hide the real
extension. :func:`safe_filename` drops all of them, and :func:`content_disposition` writes the
header as RFC 6266 says: an ASCII ``filename="…"`` for every browser and, when the name has
Vietnamese letters, ``filename*=UTF-8''…`` (RFC 8187) with the name as it is.
"""

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpResponseBase

from antt.text import nfc

MAX_LENGTH = 150
# Path separators, quotes, what Windows refuses, ';' (it ends a header parameter), controls.
UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\"*:<>?|;]+')
# Bidirectional controls (a right-to-left override shows "fdp.exe" as "exe.pdf") and zero-width marks.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
DEFAULT_NAME = "tai-lieu"


def safe_filename(name: str, default: str = DEFAULT_NAME) -> str:
    """``name`` without path separators, quotes, ``*:<>?|;``, control or bidi characters, not
    starting with a dot (no hidden file, no ``..``), at most ``MAX_LENGTH`` characters with its
    extension kept; ``default`` when nothing is left. A safe name comes back unchanged."""
    text = INVISIBLE.sub("", nfc(name))
    text = UNSAFE.sub("-", text)
    text = " ".join(text.split())  # tabs, newlines, runs of spaces → one space
    text = re.sub(r"-{2,}", "-", text).lstrip(" .-_").rstrip(" .")
    if not text or text.startswith("."):
        return default
    if len(text) > MAX_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 8 and stem:
            text = stem[: MAX_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:MAX_LENGTH].rstrip(" .")
    return text or default


def ascii_filename(name: str) -> str:
    """The ASCII fallback of a safe name: Vietnamese letters without their marks ('Đề án' → 'De an'),
    anything else outside ASCII as '_'."""
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return "".join(ch if " " <= ch < "\x7f" else "_" for ch in text)


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The ``Content-Disposition`` value for ``filename`` (made safe first)."""
    name = safe_filename(filename)
    fallback = ascii_filename(name)
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=utf-8''{quote(name, safe='')}"
    return value


def name_download[R: HttpResponseBase](response: R, filename: str, *, inline: bool = False) -> R:
    """Set the response's file name (replacing what ``FileResponse`` guessed) and keep it out of
    shared caches: every download is someone's document."""
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    response["Cache-Control"] = "private, no-store"
    return response


def unique_names(names: list[str]) -> list[str]:
    """Safe names, made unique for the entries of one zip ('a.pdf', 'a (2).pdf', …)."""
    seen: set[str] = set()
    out = []
    for raw in names:
        name = safe_filename(raw)
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{stem} ({n}){dot}{ext}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def stored_file_response(field_file, content_type: str, filename: str) -> FileResponse:
    """An uploaded evidence file as a download: 404 when it is gone from the storage, its own
    name, and ``Content-Security-Policy: sandbox`` so a browser never runs what it holds."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = name_download(FileResponse(handle, content_type=content_type), filename)
    response["Content-Security-Policy"] = "sandbox"
    return response
