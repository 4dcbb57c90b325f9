"""Reading uploaded spreadsheets (.xlsx by openpyxl, or .csv): every cell as the text a user
sees, shared by the units import and the criteria and assessment files."""

from datetime import date, datetime

from antt.text import nfc

# How yes/no cells are written in the files we hand out (drop-down lists) and read back.
YES, NO = "Có", "Không"


def cell_text(value) -> str:
    """A cell as text: '' when empty, 12 for 12.0, Có/Không for TRUE/FALSE, ISO dates, NFC text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return nfc(str(value))
