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

Every import checks the file against the budgets in the settings *before* a parser sees it
(:func:`check_xlsx`, :func:`check_csv`) and then reads it with :func:`bounded_rows` /
:func:`bounded_csv_rows`, which stop at the budget. The checks read the zip's central
directory and stream each sheet once through byte counts (no XML parser, no Python object per
cell), so a refused file costs milliseconds and a legal one is read in time linear in its size:

* the upload's size (``IMPORT_MAX_BYTES``);
* the zip: number of parts, summed uncompressed size (``SPREADSHEET_MAX_UNCOMPRESSED_BYTES``,
  which zipfile enforces while inflating: a part that inflates beyond what its header says
  fails its CRC), the compression ratio of each large part, the size of parts openpyxl parses
  whole (styles, workbook);
* each sheet: the ``<dimension ref>`` it declares, then its rows, the cells of each row and all
  its cells (``SPREADSHEET_MAX_ROWS``, ``_COLUMNS``, ``_CELLS``); the shared strings table.

docs/reliability.md ("Hostile files") gives the budgets and the measured worst cases.
"""

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from antt.errors import WorkflowError
from antt.text import tidy

# How yes/no cells are written in the files we hand out (drop-down lists) and read back.
YES, NO = "Có", "Không"

# A workbook saved by Excel or LibreOffice has 10–40 parts; 1,000 leaves room for images.
MAX_PARTS = 1000
# Parts openpyxl parses whole into objects (styles, workbook, relationships): a real one is a
# few hundred KB.
MAX_OTHER_XML_BYTES = 4 * 1024 * 1024
# Deflate reaches ~1000:1 on a repeated byte; real sheets compress 5–30:1.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024  # small parts may compress better; their size is bounded anyway
CHUNK = 1024 * 1024
_UTF16 = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


class SpreadsheetRefused(WorkflowError):
    """The file exceeds a budget or is not a readable workbook; the message says which."""


@dataclass(frozen=True)
class Shape:
    """The largest sheet of a checked file: rows (header included), columns, cells."""

    rows: int = 0
    columns: int = 0
    cells: int = 0


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


# Budgets -----------------------------------------------------------------------------------


def _size(n: int) -> str:
    return str(filesizeformat(n))


def _n(n: int) -> str:
    """20.000 in Vietnamese."""
    return number_format(n, force_grouping=True)


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise SpreadsheetRefused(
            _("The file is larger than %(max)s (it has %(size)s).")
            % {"max": _size(settings.IMPORT_MAX_BYTES), "size": _size(size)}
        )


def _too_many_rows() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("The file has more than %(max)s rows below the header; split it into several files.")
        % {"max": _n(settings.SPREADSHEET_MAX_ROWS)}
    )


def _too_many_columns(row: int, count: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("Row %(row)s has %(count)s columns; at most %(max)s are read.")
        % {"row": _n(row), "count": _n(count), "max": _n(settings.SPREADSHEET_MAX_COLUMNS)}
    )


def _too_many_cells() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("The file has more than %(max)s cells; split it into several files.")
        % {"max": _n(settings.SPREADSHEET_MAX_CELLS)}
    )


def _not_a_workbook() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("The file is not a readable Excel workbook (.xlsx)."))


# .xlsx -------------------------------------------------------------------------------------


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        size = file.seek(0, 2)
        file.seek(position)
    return int(size)


def check_xlsx(file) -> Shape:
    """Refuse ``file`` (a binary file object, e.g. an upload) unless it is a workbook within the
    budgets; return the shape of its largest sheet. Leaves the file at its start."""
    check_size(_file_size(file))
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            shape = _check_archive(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError):
        raise _not_a_workbook() from None
    finally:
        file.seek(0)
    return shape


def _check_archive(archive: zipfile.ZipFile) -> Shape:
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_PARTS:
        raise SpreadsheetRefused(
            _("The workbook has %(count)s parts (at most %(max)s): it is not a spreadsheet.")
            % {"count": _n(len(members)), "max": _n(MAX_PARTS)}
        )
    total = sum(m.file_size for m in members)
    if total > settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetRefused(
            _("The workbook unpacks to %(size)s, more than %(max)s.")
            % {"size": _size(total), "max": _size(settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES)}
        )
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise SpreadsheetRefused(
                _(
                    "The part %(name)s of the workbook is compressed %(ratio)s times: it is a compression bomb."
                )
                % {"name": member.filename, "ratio": _n(ratio)}
            )
    streamed = _streamed_parts(archive, members)
    for member in members:
        if member.filename not in streamed and member.file_size > MAX_OTHER_XML_BYTES:
            raise SpreadsheetRefused(
                _("The part %(name)s of the workbook is %(size)s (at most %(max)s).")
                % {
                    "name": member.filename,
                    "size": _size(member.file_size),
                    "max": _size(MAX_OTHER_XML_BYTES),
                }
            )
    largest = Shape()
    strings = 0
    for member in members:
        if member.file_size == 0:
            continue
        with archive.open(member) as stream:
            head = stream.read(CHUNK)
            start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
            if start.startswith(_UTF16):
                raise _not_a_workbook()  # XML in UTF-16 (Excel writes UTF-8): the counts read bytes
            if not start.startswith(b"<"):
                continue  # an image: openpyxl does not read it in read-only mode
            # Every XML part is scanned as a sheet and for shared strings: openpyxl finds its
            # parts through relationships, not through the names or root elements we could see.
            shape, found = _scan_part(stream, head)
            strings += found
            if strings > settings.SPREADSHEET_MAX_CELLS:
                raise SpreadsheetRefused(
                    _("The workbook holds more than %(max)s different texts.")
                    % {"max": _n(settings.SPREADSHEET_MAX_CELLS)}
                )
            largest = Shape(
                max(shape.rows, largest.rows),
                max(shape.columns, largest.columns),
                max(shape.cells, largest.cells),
            )
    return largest


# The parts openpyxl streams (read-only worksheets, the shared strings); it parses every other
# part whole into memory, so those are kept small.
STREAMED_TYPES = (b"spreadsheetml.worksheet+xml", b"spreadsheetml.sharedStrings+xml")
PARSED_WHOLE = {"[Content_Types].xml", "xl/styles.xml", "docProps/core.xml", "docProps/custom.xml"}
_OVERRIDE = re.compile(rb"<(?:[\w.-]+:)?Override\b[^>]*>")
_PART_NAME = re.compile(rb"PartName=[\"']/?([^\"']+)")
_CONTENT_TYPE = re.compile(rb"ContentType=[\"']([^\"']+)")


def _streamed_parts(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> set[str]:
    sizes = {m.filename: m.file_size for m in members}
    if sizes.get("[Content_Types].xml", MAX_OTHER_XML_BYTES + 1) > MAX_OTHER_XML_BYTES:
        return set()
    streamed = set()
    for tag in _OVERRIDE.findall(archive.read("[Content_Types].xml")):
        name, kind = _PART_NAME.search(tag), _CONTENT_TYPE.search(tag)
        if name and kind and kind.group(1).endswith(STREAMED_TYPES):
            streamed.add(name.group(1).decode("utf-8", "replace"))
    streamed -= PARSED_WHOLE
    # A chartsheet is parsed whole too: with one, no part is exempt.
    for name, size in sizes.items():
        if name.endswith(".rels") and size <= MAX_OTHER_XML_BYTES and b"chartsheet" in archive.read(name):
            return set()
    return {name for name in streamed if not name.endswith(".rels")}


# A row tag; with a namespace prefix (<x:row>) only where the chunk has one (a slower scan).
_ROW = re.compile(rb"<row[\s>/]")
_PREFIXED_ROW = re.compile(rb"[<:]row[\s>/]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?ref=[\"']([^\"']*)")
_CELL_REF = re.compile(rb"([A-Z]{1,3})(\d{1,7})")
_R_ATTRIBUTE = re.compile(rb"\sr=[\"']([A-Z]{0,3})(\d*)[\"']")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_declared(ref: bytes) -> None:
    """The ``<dimension ref="A1:XFD1048576">`` a sheet declares: openpyxl would pad every row
    and every missing row up to it."""
    last = ref.split(b":")[-1]
    match = _CELL_REF.fullmatch(last.replace(b"$", b""))
    if match is None:
        return  # openpyxl ignores a malformed dimension; the scan below still counts the cells
    columns, rows = _column_number(match.group(1)), int(match.group(2))
    if (
        rows > settings.SPREADSHEET_MAX_ROWS + 1
        or columns > settings.SPREADSHEET_MAX_COLUMNS
        or rows * columns > settings.SPREADSHEET_MAX_CELLS
    ):
        raise SpreadsheetRefused(
            _(
                "The sheet declares %(rows)s rows and %(columns)s columns (%(ref)s); at most "
                "%(max_rows)s rows, %(max_columns)s columns and %(max_cells)s cells are read."
            )
            % {
                "rows": _n(rows),
                "columns": _n(columns),
                "ref": ref.decode("ascii", "replace"),
                "max_rows": _n(settings.SPREADSHEET_MAX_ROWS + 1),
                "max_columns": _n(settings.SPREADSHEET_MAX_COLUMNS),
                "max_cells": _n(settings.SPREADSHEET_MAX_CELLS),
            }
        )


def _chunks(stream, head: bytes) -> Iterator[bytes]:
    """The part in pieces that never split a tag: each ends before its last ``<``."""
    carry = head
    while True:
        data = stream.read(CHUNK)
        if not data:
            if carry:
                yield carry
            return
        carry += data
        cut = carry.rfind(b"<")
        if cut <= 0:
            continue  # one tag or text longer than a chunk: bounded by the part's size
        yield carry[:cut]
        carry = carry[cut:]


def _scan_part(stream, head: bytes) -> tuple[Shape, int]:
    """Rows, widest row and cells of one part read as a worksheet, and its shared strings
    (``<si``, ``:si``: openpyxl keeps each one in memory), refusing as soon as a budget is passed.

    Cells are counted as the occurrences of ``<c`` and ``:c`` (whatever namespace prefix the
    file uses, ``<c``, ``<x:c``): that counts a few other tags and texts too, never fewer cells
    than openpyxl will build. Counting is ``bytes.count`` (C speed) and Python work is per row,
    rows are bounded: the scan is linear in the part's size and stops at the first excess."""
    max_rows = settings.SPREADSHEET_MAX_ROWS + 1  # the header row is row 1
    max_columns, max_cells = settings.SPREADSHEET_MAX_COLUMNS, settings.SPREADSHEET_MAX_CELLS
    dimension = _DIMENSION.search(head)
    if dimension is not None:
        _check_declared(dimension.group(1))
    rows = row_number = width = cells = strings = 0
    row_cells = row_width = 0  # of the row being read (a row may span chunks)
    for chunk in _chunks(stream, head):
        strings += chunk.count(b"<si") + chunk.count(b":si")
        position = 0
        for match in (_PREFIXED_ROW if b":row" in chunk else _ROW).finditer(chunk):
            if chunk[match.start() : match.start() + 1] == b":" and _closing(chunk, match.start()):
                continue  # </x:row>
            count = _cells(chunk, position, match.start())
            cells += count
            row_cells += count
            if rows:  # before the first row: <cols>, <sheetViews>… counted, not a row
                row_width = max(row_width, row_cells, _last_column(chunk, position, match.start()))
                if row_width > max_columns:
                    raise _too_many_columns(row_number, row_width)
                width = max(width, row_width)
            row_cells = row_width = 0
            rows += 1
            tag_end = chunk.find(b">", match.end() - 1)
            number = _R_ATTRIBUTE.search(chunk, match.end() - 1, tag_end if tag_end > 0 else len(chunk))
            row_number = int(number.group(2)) if number and number.group(2) else row_number + 1
            if rows > max_rows or row_number > max_rows:
                raise _too_many_rows()
            position = match.end() - 1
        count = _cells(chunk, position, len(chunk))
        cells += count
        row_cells += count
        if rows:
            row_width = max(row_width, row_cells, _last_column(chunk, position, len(chunk)))
            if row_width > max_columns:
                raise _too_many_columns(row_number, row_width)
        if cells > max_cells:
            raise _too_many_cells()
    width = max(width, row_width)
    return Shape(rows=row_number, columns=width, cells=cells), strings


def _closing(chunk: bytes, colon: int) -> bool:
    start = chunk.rfind(b"<", 0, colon)
    return start >= 0 and chunk[start + 1 : start + 2] == b"/"


def _cells(chunk: bytes, start: int, end: int) -> int:
    return chunk.count(b"<c", start, end) + chunk.count(b":c", start, end)


def _last_column(chunk: bytes, start: int, end: int) -> int:
    """The column of the last cell in ``chunk[start:end]`` that names its reference (cells of a
    row are in column order, so it gives the row's width): openpyxl pads a row up to it."""
    position = max(chunk.rfind(b"<c ", start, end), chunk.rfind(b":c ", start, end))
    if position < 0:
        return 0
    tag_end = chunk.find(b">", position, end)
    ref = _R_ATTRIBUTE.search(chunk, position, tag_end if tag_end > 0 else end)
    return _column_number(ref.group(1)) if ref and ref.group(1) else 0


class _CheckedSheet(ReadOnlyWorksheet):
    def _get_size(self) -> None:
        """openpyxl reads a sheet without ``<dimension>`` to its end just to size it (a second full
        parse); :func:`bounded_rows` takes the size from :func:`check_xlsx` instead."""


class _Reader(ExcelReader):
    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            ws = _CheckedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def open_workbook(file):
    """``openpyxl.load_workbook(file, read_only=True, data_only=True)`` for a file that passed
    :func:`check_xlsx`: its worksheets are read by :func:`bounded_rows` only (chartsheets are
    skipped)."""
    reader = _Reader(file, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def bounded_rows(sheet, shape: Shape, *, min_row: int = 1, max_col: int | None = None) -> Iterator[tuple]:
    """The values of a read-only sheet, row by row, never past the budget nor the checked shape.

    openpyxl pads each row to the columns it is given (else to the declared dimension, else to
    the row's last cell): give it the checked width, so a lying file costs nothing more. A sheet
    openpyxl cannot parse (bad XML, entities refused by defusedxml) raises SpreadsheetRefused."""
    width = min(shape.columns or 1, settings.SPREADSHEET_MAX_COLUMNS)
    if max_col is not None:
        width = min(width, max_col)
    last = min(max(shape.rows, min_row), settings.SPREADSHEET_MAX_ROWS + 1)
    rows = sheet.iter_rows(min_row=min_row, max_row=last, max_col=width, values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception:  # the sheet is parsed lazily: XML, entity or zip errors of many kinds
            raise _not_a_workbook() from None
        yield row


# .csv --------------------------------------------------------------------------------------


def check_csv(data: bytes) -> None:
    """Refuse a CSV file over the size budget, or whose header row (its first line) has more
    columns than the budget, before the csv module splits it."""
    check_size(len(data))
    first_line = data.split(b"\n", 1)[0]
    columns = max(first_line.count(d) for d in (b",", b";", b"\t")) + 1
    if columns > settings.SPREADSHEET_MAX_COLUMNS:
        raise _too_many_columns(1, columns)


def bounded_csv_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """Rows of a csv reader, refusing at the first row, width or cell count over the budget."""
    max_rows = settings.SPREADSHEET_MAX_ROWS + 1
    max_columns, max_cells = settings.SPREADSHEET_MAX_COLUMNS, settings.SPREADSHEET_MAX_CELLS
    cells = 0
    for number, row in enumerate(rows, start=1):
        if number > max_rows:
            raise _too_many_rows()
        if len(row) > max_columns:
            raise _too_many_columns(number, len(row))
        cells += len(row)
        if cells > max_cells:
            raise _too_many_cells()
        yield row


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
