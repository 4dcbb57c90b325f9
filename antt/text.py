"""Text helpers shared by every app: NFC normalisation and diacritic-free search keys."""

import unicodedata


def nfc(value: str | None) -> str:
    """Return ``value`` in Unicode NFC with surrounding whitespace removed ('' for None).

    NUL characters are dropped: PostgreSQL cannot store them in text (a hostile or corrupt
    input would otherwise be a server error), and they never mean anything in our data."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value).replace("\x00", "")).strip()


def search_key(value: str | None) -> str:
    """Lower-case, diacritic-free form used for search: 'Kỳ Long' → 'ky long'."""
    text = unicodedata.normalize("NFD", nfc(value).replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())
