"""Every text a user sees is translated: the gate for the Vietnamese interface.

English msgids live in the code; translations in ``locale/vi/parts/<area>.po``; ``scripts/i18n``
merges them into ``locale/vi/LC_MESSAGES/django.po`` and compiles ``django.mo`` (both committed).
"""

import ast
import gettext
import os
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "vi"
PO = LOCALE / "LC_MESSAGES" / "django.po"
MO = LOCALE / "LC_MESSAGES" / "django.mo"
FIX = "translate them in locale/vi/parts/<your area>.po, then run scripts/i18n"


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    def __str__(self) -> str:
        return f"{self.msgctxt}|{self.msgid!r}" if self.msgctxt else repr(self.msgid)


def read_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for files written by gettext's tools and by hand."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def finish():
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(target, int):
                entry.msgstr[target] += value
            else:
                setattr(entry, target, getattr(entry, target) + value)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword in ("msgid", "msgctxt") and target not in (None, "msgctxt"):
                finish()
            value = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                target = int(keyword[7:-1]) if "[" in keyword else 0
                entry.msgstr[target] = value
            else:
                target = keyword
                setattr(entry, keyword, value)
    finish()
    return [e for e in entries if not e.obsolete and e.msgid != ""]


def listing(entries) -> str:
    return "\n".join(f"  {entry}" for entry in entries)


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    assert PO.exists(), f"{PO.relative_to(ROOT)} is missing: run scripts/i18n"
    return read_po(PO)


def test_every_msgid_has_a_vietnamese_translation_that_is_not_fuzzy(catalog):
    untranslated = [entry for entry in catalog if not entry.translated]
    fuzzy = [entry for entry in catalog if "fuzzy" in entry.flags]

    if untranslated or fuzzy:
        pytest.fail(
            f"{len(untranslated)} untranslated msgids:\n{listing(untranslated)}\n"
            f"{len(fuzzy)} fuzzy translations:\n{listing(fuzzy)}\n{FIX}",
            pytrace=False,
        )


def test_translations_are_nfc_and_keep_the_placeholders_of_their_msgid(catalog):
    not_nfc = [e for e in catalog if any(not unicodedata.is_normalized("NFC", s) for s in e.msgstr.values())]
    if not_nfc:
        pytest.fail(f"translations not in Unicode NFC:\n{listing(not_nfc)}", pytrace=False)

    # msgfmt --check: python-format placeholders, plural forms, header.
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(PO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_committed_django_mo_is_compiled_from_the_current_django_po(catalog):
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing: run scripts/i18n"
    with MO.open("rb") as fp:
        compiled = dict(gettext.GNUTranslations(fp)._catalog)
    compiled.pop("", None)

    expected = {}
    for entry in catalog:
        if not entry.translated or "fuzzy" in entry.flags:
            continue
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            expected.update({(msgid, n): text for n, text in entry.msgstr.items()})

    assert compiled == expected, "django.mo is out of date: run scripts/i18n"


def test_the_code_has_no_msgid_missing_from_django_po(catalog, tmp_path):
    """What scripts/i18n would collect today, in a copy of the project, is already in django.po."""
    copy = tmp_path / "antt"
    shutil.copytree(
        ROOT,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", "tests", "bench", "docs", "__pycache__", ".*_cache"
        ),
    )
    (copy / ".venv").symlink_to(ROOT / ".venv")
    result = subprocess.run(
        ["bash", "scripts/i18n"], cwd=copy, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr

    known = {entry.key for entry in catalog}
    new = [entry for entry in read_po(copy / "locale/vi/LC_MESSAGES/django.po") if entry.key not in known]
    if new:
        pytest.fail(
            f"{len(new)} msgids in the code are not in django.po:\n{listing(new)}\n{FIX}", pytrace=False
        )


def test_the_po_reader_understands_plurals_contexts_fuzzy_and_obsolete_entries(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

#: units/views.py:1
msgctxt "unit kind"
msgid "Commune"
msgstr "Xã"

#, fuzzy, python-format
msgid ""
"%(count)s units "
"imported"
msgid_plural "%(count)s units imported"
msgstr[0] "Đã nhập %(count)s đơn vị"

msgid "Say \\"hi\\""
msgstr ""

#~ msgid "Old"
#~ msgstr "Cũ"
""",
        encoding="utf-8",
    )

    commune, imported, hi = read_po(po)

    assert (commune.msgctxt, commune.msgid, commune.msgstr, commune.translated) == (
        "unit kind",
        "Commune",
        {0: "Xã"},
        True,
    )
    assert imported.msgid == "%(count)s units imported"
    assert imported.msgid_plural == "%(count)s units imported"
    assert imported.msgstr == {0: "Đã nhập %(count)s đơn vị"}
    assert imported.flags == {"fuzzy", "python-format"}
    assert (hi.msgid, hi.translated) == ('Say "hi"', False)
