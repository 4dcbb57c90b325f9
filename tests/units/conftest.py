"""Helpers of the units tests: import workbooks (the administrators and ``login`` are in
``tests/plugins/domain.py``)."""

import io

from openpyxl import Workbook

from units.exchange.imports import COLUMNS, SHEET_NAME


def xlsx(rows, header=COLUMNS, sheet=SHEET_NAME) -> bytes:
    """An import workbook: ``header`` then ``rows`` on sheet ``sheet``."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
