"""Text helpers shared by every app: NFC normalisation, look-alike characters, numbers as people
type them, diacritic-free search keys and the Vietnamese sort key.

``tidy`` is the one normaliser of what people type or paste (forms through the models and the
services, every import through ``antt.spreadsheets.cell_text``): it changes only what has one
certain meaning (Ð U+00D0 → Đ, invisible zero-width characters dropped, no-break and other
spaces → a space, doubled spaces → one). What stays odd is named by ``strange_characters`` in the
error a user reads ("ký tự lạ U+0410"), never refused with a difference nobody can see.
"""

import functools
import re
import unicodedata


def nfc(value: str | None) -> str:
    """Return ``value`` in Unicode NFC with surrounding whitespace removed ('' for None).

    NUL characters are dropped: PostgreSQL cannot store them in text (a hostile or corrupt
    input would otherwise be a server error), and they never mean anything in our data."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value).replace("\x00", "")).strip()


# Characters that look like Vietnamese letters or spaces and mean exactly them.
LOOK_ALIKES = str.maketrans(
    {
        "\u00d0": "Đ",  # Ð LATIN CAPITAL LETTER ETH (old VNI/TCVN fonts, Icelandic keyboards)
        "\u00f0": "đ",  # ð LATIN SMALL LETTER ETH
        "\u0189": "Đ",  # Ɖ LATIN CAPITAL LETTER AFRICAN D
        "\u200b": "",  # zero-width space
        "\u200c": "",  # zero-width non-joiner
        "\u200d": "",  # zero-width joiner
        "\u2060": "",  # word joiner
        "\ufeff": "",  # byte-order mark / zero-width no-break space
        "\u00ad": "",  # soft hyphen
    }
)
_SPACES = re.compile(r"[^\S\r\n]+")  # runs of horizontal white space (no-break space included)
_LOOK_ALIKE = re.compile("[\x00" + "".join(chr(code) for code in LOOK_ALIKES) + "]")
# White space other than a single space between words: a tab, CR, no-break space…, two spaces,
# or a space beside a line break.
_UNTIDY_SPACE = re.compile(r"[^\S\n ]|  | \n|\n ")


def tidy(value: str | None) -> str:
    """``nfc`` plus the look-alikes: 'Ð\u200bà  Nẵng\u00a0' → 'Đà Nẵng'. Line breaks are kept.

    Called for every cell of an import (up to 100,000): the translation and the space rules run
    only on a text that has something for them (a search costs a tenth of either)."""
    if value is None:
        return ""
    text = str(value)
    if _LOOK_ALIKE.search(text):
        text = text.replace("\x00", "").translate(LOOK_ALIKES)
    text = unicodedata.normalize("NFC", text)
    if _UNTIDY_SPACE.search(text):
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return text.strip()


def strange_characters(value: str | None) -> list[str]:
    """The characters left in ``value`` that a user cannot tell apart from ordinary ones, as
    'U+0410' (format and control characters, letters of other scripts: Cyrillic А, Greek Α…)."""
    found: list[str] = []
    for ch in str(value or ""):
        category = unicodedata.category(ch)
        odd = category in ("Cf", "Co", "Cn", "Cs") or (category == "Cc" and ch not in "\t\r\n")
        if not odd and category.startswith("L") and ord(ch) > 0x7F:
            odd = not unicodedata.name(ch, "").startswith("LATIN")
        code = f"U+{ord(ch):04X}"
        if odd and code not in found:
            found.append(code)
    return found


_COUNT = re.compile(r"\d+|\d{1,3}(?:[., ]\d{3})+")


def parse_count(value: str | None) -> int | None:
    """A whole number as people write it: '1250', '1.250', '1,250', '1 250' → 1250; '' → None.

    Raises ``ValueError`` for anything else ('12,5', '-3', 'mười')."""
    text = tidy(value)
    if not text:
        return None
    if not _COUNT.fullmatch(text):
        raise ValueError(text)
    return int(re.sub(r"\D", "", text))


def search_key(value: str | None) -> str:
    """Lower-case, diacritic-free form used for search: 'Kỳ Long' → 'ky long'."""
    text = unicodedata.normalize("NFD", tidy(value).replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())


# The Vietnamese alphabet (letters outside it follow, by code point); tones are compared after
# the letters, in dictionary order: level, huyền, hỏi, ngã, sắc, nặng.
_ALPHABET = {letter: rank for rank, letter in enumerate("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_TOKENS = re.compile(r"\d+|\s+|.", re.DOTALL)


@functools.lru_cache(maxsize=65536)
def sort_key(value: str | None) -> tuple:
    """Sort key of a name for people: Vietnamese alphabetical order (a < ă < â < b … đ after d)
    and numbers by their value ('Tổ dân phố 2' before 'Tổ dân phố 10'). Use it wherever a list
    of units is sorted in Python for people: ``sorted(units, key=lambda u: sort_key(u.name))``.
    Kept per name (the same units' names are sorted on every home page: issue 23)."""
    text = tidy(value).lower()
    letters: list[tuple[int, int]] = []
    tones: list[int] = []
    for token in _TOKENS.findall(text):
        if token.isdigit():
            letters.append((1, int(token)))
        elif token.isspace():
            letters.append((0, 0))
        else:
            base, *marks = unicodedata.normalize("NFD", token)
            tone = next((_TONES[m] for m in marks if m in _TONES), 0)
            letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in _TONES))
            rank = _ALPHABET.get(letter)
            letters.append((2, rank) if rank is not None else (3, ord(letter[0])))
            tones.append(tone)
    return (tuple(letters), tuple(tones), text)


def unusual(value: str | None, cell: str = "") -> str:
    """' (unusual character U+200B in cell C12)', translated, to append to the error about
    ``value`` when it holds a character nobody can see; '' otherwise."""
    from django.utils.translation import gettext

    found = strange_characters(value)
    if not found:
        return ""
    chars = ", ".join(found)
    if cell:
        return " " + gettext("(unusual character %(chars)s in cell %(cell)s)") % {
            "chars": chars,
            "cell": cell,
        }
    return " " + gettext("(unusual character %(chars)s)") % {"chars": chars}


def person_name(user) -> str:
    """A person's name in the Vietnamese order: family and middle names (``last_name``, "Họ và
    tên đệm" on the forms) before the given name (``first_name``, "Tên"): "Nguyễn Văn Minh".
    Django's ``get_full_name()`` puts them the other way round. The user name when both are empty."""
    name = " ".join(part for part in (tidy(user.last_name), tidy(user.first_name)) if part)
    return name or user.get_username()
