"""Spreadsheets in and out.

Reading uploaded spreadsheets (.xlsx by openpyxl, or .csv): ``cell_text`` gives every cell as
the text a user sees, shared by the units import and the criteria and assessment files.

Writing: every workbook the product hands out is a ``TextWorkbook``, the one writer (a guard in
tests/security/test_formula_injection.py keeps it so). A text is always stored as text: openpyxl
turns a str starting with ``=`` into a formula and ``#N/A``-like strs into error values, so a
unit named ``=HYPERLINK(…)`` would be a live formula in Excel (formula injection). Text cells
already keep ``+``, ``-``, ``@``, tab and CR literally in .xlsx, and numbers stay numbers. The
product writes no formula of its own; one that is ever needed gets its own explicit call here.
The product writes no CSV; a CSV writer belongs here too, prefixing ``'`` to fields that start
with ``=``, ``+``, ``-``, ``@``, tab or CR (OWASP), since a CSV has no cell types.
"""

import io
from datetime import date, datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from antt.text import tidy

# How yes/no cells are written in the files we hand out (drop-down lists) and read back.
YES, NO = "Có", "Không"


def cell_text(value) -> str:
    """A cell as text: '' when empty, 12 for 12.0, Có/Không for TRUE/FALSE, ISO dates, tidy text
    (``antt.text.tidy``: NFC, look-alike letters and invisible characters, spaces)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return tidy(str(value))


# --- writing -----------------------------------------------------------------------------------


def _keep_text(cell: Cell) -> Cell:
    """A str that openpyxl took for a formula or an error value is text again."""
    if cell.data_type in ("f", "e") and isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _printable(value):
    """Control characters an .xlsx cannot hold are dropped (they are invisible anyway)."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def text_cell(sheet, value) -> Cell:
    """A cell of ``sheet`` (either mode) holding ``value``, e.g. to style it before appending it;
    a str is stored as text whatever it starts with."""
    return _keep_text(Cell(sheet, row=1, column=1, value=_printable(value)))  # placed by append


def _safe(sheet, value):
    if isinstance(value, Cell):
        return _keep_text(value)
    value = _printable(value)
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        return text_cell(sheet, value)
    return value  # openpyxl stores it as it is: a plain text, a number, a date…


class _TextSheet(Worksheet):
    def append(self, iterable):
        if isinstance(iterable, dict):
            # Cells set by column; their types are checked when the workbook is saved.
            super().append({column: _printable(value) for column, value in iterable.items()})
        else:
            super().append([_safe(self, value) for value in iterable])


class _TextWriteOnlySheet(WriteOnlyWorksheet):
    def append(self, row):
        super().append([_safe(self, value) for value in row])


class TextWorkbook(Workbook):
    """An openpyxl workbook (normal or ``write_only``) whose text cells stay text.

    Rows appended with ``sheet.append`` are made safe as they come; in a normal workbook, cells
    set one by one (``sheet.cell(…, value=…)``, ``sheet["A1"] = …``) are checked on ``save``.
    """

    def __init__(self, *, write_only: bool = False):
        super().__init__(write_only=write_only)
        if not write_only:
            self._sheets.clear()
            self._sheets.append(_TextSheet(self))

    def create_sheet(
        self, title: str | None = None, index: int | None = None
    ) -> Worksheet | WriteOnlyWorksheet:
        sheet = (_TextWriteOnlySheet if self.write_only else _TextSheet)(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet

    def save(self, filename: str | IO[bytes]) -> None:
        for sheet in self._sheets:
            if isinstance(sheet, Worksheet):
                for cell in sheet._cells.values():
                    _keep_text(cell)
        super().save(filename)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.save(out)
        return out.getvalue()
