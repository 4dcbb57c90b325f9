"""The results workbook provinces report upward (contract: sheet ``Kết quả``, fixed header).

Rows are streamed from the database into an openpyxl write-only workbook, so a national file
(≈ 160,000 rows) keeps memory flat.
"""

from collections.abc import Iterator
from typing import Any, BinaryIO

from django.db.models import F, QuerySet

from antt.spreadsheets import TextWorkbook
from certification.documents.wording import KIND_LABELS
from certification.models import Campaign, Result
from certification.scoring import engine as scoring
from certification.scoring.results import current_q
from units.models import Unit

SHEET = "Kết quả"
HEADER = [
    "Mã",
    "Tên",
    "Loại",
    "Mã đơn vị quản lý",
    "Kết quả",
    "Dự báo",
    "Điểm",
    "Xếp loại",
    "Tiêu chí chưa đạt",
    "Giải thích",
]
NOT_SCORED = "Chưa được chấm"
# "Kết quả": a unit whose criteria are not all assessed yet is told apart from one that failed.
RESULT_LABELS = {**scoring.OUTCOME_LABELS, scoring.PENDING: "Chưa đánh giá"}
ROWS_PER_QUERY = 5000


def export_units(campaign: Campaign, units: QuerySet[Unit] | None = None) -> QuerySet[Unit]:
    """The campaign's scored kinds (communes included), restricted to ``units`` when given."""
    queryset = Unit.objects.filter(
        current_q(campaign), path__startswith=campaign.province.path, kind__in=list(Unit.ASSESSED_KINDS)
    )
    if units is not None:
        queryset = queryset.filter(pk__in=units.values("pk"))
    return queryset


def _rows(campaign: Campaign, units: QuerySet[Unit]) -> Iterator[list[Any]]:
    # Units in tree order; their results are fetched per block (never the whole country at once).
    queryset = units.order_by("path").values_list(
        "pk", "code", "name", "label", "kind", "is_eligible", F("parent__code")
    )
    block: list[tuple[Any, ...]] = []
    for row in queryset.iterator(chunk_size=ROWS_PER_QUERY):
        block.append(row)
        if len(block) >= ROWS_PER_QUERY:
            yield from _block(campaign, block)
            block = []
    if block:
        yield from _block(campaign, block)


def _block(campaign: Campaign, block: list[tuple[Any, ...]]) -> Iterator[list[Any]]:
    found = {
        unit_id: rest
        for unit_id, *rest in Result.objects.filter(
            campaign=campaign, unit_id__in=[r[0] for r in block]
        ).values_list(
            "unit_id",
            "outcome",
            "is_forecast",
            "points",
            "grade",
            "unmet_codes",
            "missing_codes",
            "explanation",
        )
    }
    for pk, code, name, label, kind, eligible, parent_code in block:
        full_name = Unit.compose_full_name(name, label)
        result = found.get(pk)
        if result is None:
            outcome = scoring.PENDING if eligible else scoring.NOT_ELIGIBLE
            forecast, points, grade, unmet, explanation = eligible, None, "", [], NOT_SCORED
        else:
            outcome, forecast, points, grade, unmet, _missing, explanation = result
        yield [
            code,
            full_name,
            KIND_LABELS.get(kind, kind),
            parent_code or "",
            RESULT_LABELS[outcome],
            "Có" if forecast and outcome != scoring.NOT_ELIGIBLE else "",
            float(points) if points is not None else None,
            scoring.GRADE_LABELS.get(grade, grade),
            ", ".join(unmet),
            explanation,
        ]


def write_results(
    campaigns: list[Campaign], output: BinaryIO | str, units: QuerySet[Unit] | None = None
) -> int:
    """Write the workbook for ``campaigns`` (one province each) to ``output``; returns the row count."""
    workbook = TextWorkbook(write_only=True)  # unit names and explanations stay text
    sheet = workbook.create_sheet(SHEET)
    sheet.append(HEADER)
    count = 0
    for campaign in campaigns:
        for row in _rows(campaign, export_units(campaign, units)):
            sheet.append(row)
            count += 1
    workbook.save(output)
    return count
