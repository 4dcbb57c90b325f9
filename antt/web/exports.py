"""Excel export of any list: ``xlsx_response(filename, headers, rows)``.

openpyxl's write-only mode writes rows to a temporary file as they come, so memory stays flat
whatever the number of rows; the finished workbook is then streamed from that file. The workbook
is an ``antt.spreadsheets.TextWorkbook``: text that looks like a formula (=, +, -, @) is written
as text, never evaluated by Excel.
"""

import datetime
import decimal
import tempfile
from collections.abc import Iterable, Sequence

from django.http import FileResponse
from django.utils import timezone
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from antt.spreadsheets import TextWorkbook, text_cell
from antt.text import nfc
from antt.web.downloads import name_download

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")
MAX_SHEET_TITLE = 31  # Excel's limit


def _cell_value(value):
    if value is None:
        return None
    if isinstance(value, bool | int | float | decimal.Decimal | datetime.date):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            # Excel has no time zones: show the local (Vietnam) wall-clock time.
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return nfc(str(value))


def write_sheet(ws, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None):
    """Fill a write-only worksheet of a ``TextWorkbook``: bold header row, frozen, then one row
    per item."""
    for index, header in enumerate(headers, start=1):
        width = widths[index - 1] if widths and index <= len(widths) else max(12, min(50, len(header) + 4))
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = text_cell(ws, nfc(str(header)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cell = text_cell(ws, _cell_value(value))  # a text, never a formula
            if isinstance(cell.value, datetime.datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        ws.append(cells)


def xlsx_response(
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    sheet_title: str = "Danh sách",
    widths: Sequence[int] | None = None,
) -> FileResponse:
    """A downloadable .xlsx with one sheet: ``headers`` then ``rows`` (any iterable, e.g. a generator
    over ``queryset.iterator()``). Values: str, numbers, Decimal, date, datetime, bool or None."""
    workbook = TextWorkbook(write_only=True)
    worksheet = workbook.create_sheet(title=nfc(sheet_title)[:MAX_SHEET_TITLE] or "Sheet1")
    write_sheet(worksheet, headers, rows, widths)
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(spool)
    spool.seek(0)
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    return name_download(FileResponse(spool, content_type=XLSX_CONTENT_TYPE), filename)
