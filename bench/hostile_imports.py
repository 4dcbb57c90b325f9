"""Hostile files for the three imports, and what each costs (issue 19, class 1).

The generators (no Django) are shared with ``tests/security/test_hostile_files.py``. Run
``bench/hostile`` (a throwaway PostgreSQL, then ``python -m bench.hostile_imports``): every
hostile file and the largest legal file of each import are posted to the real views, each in
a forked process, and the wall time and the peak RSS above the process's size before the
request are written to docs/reliability.md, section "Hostile files".
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MIB = 1024 * 1024

# The sheets each import reads (units/exchange/imports.py, certification/exchange/*.py).
UNITS_SHEETS = ("Đơn vị",)
ASSESSMENT_SHEETS = ("Đánh giá",)
CRITERIA_SHEETS = ("Tiêu chí", "Bộ tiêu chí")


# --- a workbook written by hand (openpyxl would refuse to write these) ------------------------


def _content_types(count: int, shared: bool) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    strings = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        if shared
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}{strings}</Types>"
    )


def _workbook_parts(names: Iterable[str], shared: bool) -> dict[str, str]:
    names = list(names)
    sheets = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
    rels = "".join(
        f'<Relationship Id="rId{i}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    if shared:
        rels += (
            f'<Relationship Id="rId{len(names) + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
    return {
        "[Content_Types].xml": _content_types(len(names), shared),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL_NS}">'
            f"<sheets>{sheets}</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>"
        ),
    }


def _text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def handmade_xlsx(
    names: Iterable[str],
    sheet: Iterable[bytes] | None = None,
    *,
    shared: Iterable[bytes] | None = None,
    level: int = 6,
) -> bytes:
    """A workbook whose first sheet's XML is ``sheet`` (pieces, streamed into the zip) and whose
    other sheets hold one cell; ``shared`` the shared strings XML, if any."""
    names = list(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in _workbook_parts(names, shared is not None).items():
            archive.writestr(name, text)
        for i in range(1, len(names) + 1):
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as part:
                if i == 1 and sheet is not None:
                    for piece in sheet:
                        part.write(piece)
                else:
                    part.write(
                        f'<worksheet xmlns="{NS}"><sheetData><row r="1">{_text_cell("A1", "Mã")}'
                        "</row></sheetData></worksheet>".encode()
                    )
        if shared is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for piece in shared:
                    part.write(piece)
    return out.getvalue()


def huge_dimension_xlsx(names: Iterable[str]) -> bytes:
    """~1.7 KB: one cell, but the sheet declares A1:XFD1048576 (17 billion cells); openpyxl in
    read-only mode pads every row and every missing row up to the declared size."""
    sheet = (
        f'<worksheet xmlns="{NS}"><dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="1">{_text_cell("A1", "Mã")}</row></sheetData></worksheet>'
    ).encode()
    return handmade_xlsx(names, [sheet], level=9)


def shared_strings_bomb_xlsx(names: Iterable[str], expanded: int = 2 * 1024 * MIB) -> bytes:
    """A small zip whose shared strings table inflates to ``expanded`` bytes of one-letter
    strings (openpyxl keeps each one as a Python object: ~60 bytes per 17 of XML)."""
    one = b"<si><t>a</t></si>"
    block = one * (MIB // len(one))

    def pieces() -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">'.encode()
        for _ in range(expanded // len(block)):
            yield block
        yield b"</sst>"

    sheet = (
        f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    return handmade_xlsx(names, [sheet], shared=pieces(), level=9)


def wide_xlsx(names: Iterable[str], columns: int = 100_000) -> bytes:
    """A header row of ``columns`` cells and no ``<dimension>``."""

    def pieces() -> Iterator[bytes]:
        yield f'<worksheet xmlns="{NS}"><sheetData><row r="1">'.encode()
        yield "".join(f'<c t="inlineStr"><is><t>C{i}</t></is></c>' for i in range(columns)).encode()
        yield b"</row></sheetData></worksheet>"

    return handmade_xlsx(names, pieces())


def long_xlsx(names: Iterable[str], rows: int, header: list[str], row: list[str]) -> bytes:
    """``header`` then ``rows`` copies of ``row`` (inline strings, no ``<dimension>``)."""

    def line(number: int, values: list[str]) -> str:
        cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
        return f'<row r="{number}">{cells}</row>'

    def pieces() -> Iterator[bytes]:
        yield f'<worksheet xmlns="{NS}"><sheetData>{line(1, header)}'.encode()
        for start in range(2, rows + 2, 1000):
            yield "".join(line(n, row) for n in range(start, min(start + 1000, rows + 2))).encode()
        yield b"</sheetData></worksheet>"

    return handmade_xlsx(names, pieces())


def wide_csv(columns: int = 100_000) -> bytes:
    return (",".join(f"C{i}" for i in range(columns)) + "\n").encode()


def long_csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


# --- measuring (needs Django and a database: run through bench/hostile) -----------------------


def main() -> None:  # pragma: no cover - run by bench/hostile
    from bench.hostile_run import run

    run()


if __name__ == "__main__":
    main()
