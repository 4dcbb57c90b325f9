"""Dates the way Vietnamese official documents write them (Nghị định 30/2020/NĐ-CP, Phụ lục I).

Days 1-9 and the months January and February take a leading zero ("ngày 05 tháng 01 năm
2026"), other months do not ("ngày 12 tháng 11 năm 2026", "ngày 15 tháng 3 năm 2026"): written
as "tháng 1" a month could be misread or altered into "tháng 11" or "tháng 12".
"""

import datetime


def day_text(value: datetime.date) -> str:
    return f"{value.day:02d}"


def month_text(value: datetime.date) -> str:
    return f"{value.month:02d}" if value.month < 3 else str(value.month)


def long_date(value: datetime.date | None) -> str:
    """'ngày 12 tháng 11 năm 2026'; blanks to fill by hand when there is no date yet."""
    if value is None:
        return "ngày      tháng      năm      "
    return f"ngày {day_text(value)} tháng {month_text(value)} năm {value.year}"


def place_date(place: str, value: datetime.date | None) -> str:
    """'Kỳ Anh, ngày 12 tháng 11 năm 2026' (the line under the national motto)."""
    text = long_date(value)
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


def short_date(value: datetime.date | None) -> str:
    """'12/11/2026' for tables."""
    return value.strftime("%d/%m/%Y") if value else ""
