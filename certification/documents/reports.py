"""Yearly summary report (báo cáo tổng kết) of a commune or a province: PDF and Excel.

For each group of units (communes, residential areas, agencies and enterprises, schools): how
many exist, are eligible, registered, were assessed and recognized, the rate and the change
from the previous year; a table per commune; the units not recognized with their unmet
criteria; charts of the rate per commune and over the years.

Every figure comes from a handful of GROUP BY queries (by parent unit and kind), never from a
query per unit: a province's report costs the same dozen queries whatever its size.

Definitions (written under the tables too):
* registered: a Q1 registration exists for the campaign;
* assessed: the assessment left the draft state (submitted at least once);
* recognized: the assessment is recognized (revoked recognitions do not count);
* rate: recognized ÷ registered.

While the year's campaign is not closed the year is not over: most units are not decided yet,
and comparing the recognitions so far with last year's final figures would read as a collapse
("−93,0 điểm"). So a report of a running year compares like with like: beside the units decided
so far it shows the forecast (recognized + the units the engine forecasts to pass) and compares
that forecast with last year's final result, labelled as such, per kind and per commune; the
running year stays out of the chart over the years until it closes.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, Q, When
from django.utils import timezone

from antt.dates import place_date
from antt.spreadsheets import TextWorkbook
from antt.text import search_key, sort_key
from antt.web import charts
from antt.web.exports import write_sheet
from certification import extensions
from certification.documents import pdf, wording
from certification.extensions import SummaryTable
from certification.models import Assessment, Campaign, Criterion, Decision, Registration, Result
from certification.models.criteria import UnitKind
from certification.scoring.engine import DEFAULT_THRESHOLD
from units.models import Unit

Kind = Unit.Kind
Status = Assessment.Status
GROUPS = wording.GROUPS
PROVINCE_MANAGED = 0  # key of the "managed by the province" row in the per-commune table
TREND_YEARS = 5
TEMPLATES = ("certification/documents/summary.html", "certification/documents/summary.css")
# Bars per chart in the PDF: 45 bars of 9 + 3 units and the axis fit in 200 mm of an A4 page.
CHART_ROWS = 45


@dataclass
class Figures:
    units: int = 0
    eligible: int = 0
    registered: int = 0
    assessed: int = 0
    recognized: int = 0
    not_recognized: int = 0
    forecast: int = 0  # recognized + undecided units the engine forecasts to pass

    def add(self, other: "Figures") -> None:
        for name in FIGURE_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rate(self) -> float | None:
        return self.recognized * 100 / self.registered if self.registered else None

    @property
    def forecast_rate(self) -> float | None:
        return self.forecast * 100 / self.registered if self.registered else None


FIGURE_NAMES = ("units", "eligible", "registered", "assessed", "recognized", "not_recognized", "forecast")


@dataclass
class GroupRow:
    group: str
    title: str
    now: Figures
    before: Figures | None
    running: bool = False  # the year is not closed: compare the forecast, not the decisions so far

    @property
    def rate_change(self) -> float | None:
        """This year's rate minus last year's final rate; while the year runs, this year's
        forecast rate (never the few decisions taken so far)."""
        rate = self.now.forecast_rate if self.running else self.now.rate
        if self.before is None or rate is None or self.before.rate is None:
            return None
        return rate - self.before.rate

    @property
    def recognized_change(self) -> int | None:
        return None if self.before is None else self.now.recognized - self.before.recognized


@dataclass
class CommuneRow:
    key: int
    name: str
    groups: dict[str, Figures] = field(default_factory=dict)
    own_status: str = ""  # the commune's own assessment status (recognized, not_recognized…)

    @property
    def total(self) -> Figures:
        total = Figures()
        for figures in self.groups.values():
            total.add(figures)
        return total


@dataclass
class Report:
    scope: Unit
    year: int
    campaign: Campaign | None
    previous: Campaign | None
    groups: list[GroupRow]
    total: GroupRow
    communes: list[CommuneRow]
    not_recognized: list[dict]
    criteria_legend: list[tuple[str, str]]
    trend: list[tuple[int, dict[str, float | None]]]
    sentence: str
    generated_on: datetime.date
    signer_name: str = ""
    signer_title: str = ""
    signed_for: str = "TM."
    # Tables other apps add (certification.extensions: the movement's models and teams).
    extra: list[SummaryTable] = field(default_factory=list)

    @property
    def is_province(self) -> bool:
        return self.scope.kind == Kind.PROVINCE

    @property
    def is_running(self) -> bool:
        """The year's campaign is not closed: its figures are not final."""
        return self.campaign is not None and self.campaign.status != Campaign.Status.CLOSED

    @property
    def scope_name(self) -> str:
        return wording.place_name(self.scope)

    def rate_items(self) -> list[tuple[str, float | None]]:
        """One bar per commune (every one, "—" where nothing was registered), or per group of
        units in a commune's report; while the year runs, the forecast rate."""

        def rate(figures: Figures) -> float | None:
            return figures.forecast_rate if self.is_running else figures.rate

        if self.is_province:
            return [(row.name, rate(row.total)) for row in self.communes]
        return [(g.title, rate(g.now)) for g in self.groups]

    def rate_chart(self, **options) -> str:
        title = "Tỷ lệ dự báo đạt (%)" if self.is_running else "Tỷ lệ đơn vị được công nhận (%)"
        return charts.bar_chart(self.rate_items(), title=title, threshold=DEFAULT_THRESHOLD, **options)

    def rate_charts(self, *, per_chart: int = CHART_ROWS, **options) -> list[str]:
        """The rate chart in parts of at most ``per_chart`` bars, each with its own axis and small
        enough for a page: a province of 150 communes gets four charts, none cut off."""
        items = self.rate_items()
        parts = [items[start : start + per_chart] for start in range(0, len(items), per_chart)] or [[]]
        charts_out = []
        for n, part in enumerate(parts):
            title = "Tỷ lệ dự báo đạt (%)" if self.is_running else "Tỷ lệ đơn vị được công nhận (%)"
            if len(parts) > 1:
                first = n * per_chart + 1
                title += f", {first}–{first + len(part) - 1} trên {len(items)}"
            charts_out.append(charts.bar_chart(part, title=title, threshold=DEFAULT_THRESHOLD, **options))
        return charts_out

    def trend_chart(self, **options) -> str:
        titles = {**wording.GROUP_TITLES, "total": "Chung"}
        series = [
            (titles[key], [(str(year), rates.get(key)) for year, rates in self.trend])
            for key in ("total", *GROUPS)
            if any(rates.get(key) is not None for _, rates in self.trend)
        ]
        return charts.line_chart(series, title="Tỷ lệ được công nhận qua các năm (%)", **options)


def _commune_self(prefix: str) -> Case:
    """The unit's own id when it is a commune (the commune row holds its own result)."""
    return Case(When(**{f"{prefix}kind": Kind.COMMUNE}, then=F(f"{prefix}id")), output_field=IntegerField())


class _Locator:
    """Maps a parent unit id to the commune its children are counted under (one query)."""

    def __init__(self, scope: Unit):
        self.scope = scope
        communes = Unit.objects.filter(path__startswith=scope.path, kind=Kind.COMMUNE).only(
            "id", "name", "label"
        )
        self.communes = {c.pk: c for c in communes}
        self._cache: dict[int | None, int] = {}

    def prime(self, parent_ids) -> None:
        missing = {pk for pk in parent_ids if pk is not None and pk not in self._cache}
        for unit in Unit.objects.filter(pk__in=missing).only("id", "path"):
            ids = [int(p) for p in unit.path.split("/") if p]
            self._cache[unit.pk] = next((i for i in reversed(ids) if i in self.communes), PROVINCE_MANAGED)

    def commune_of(self, parent_id: int | None, self_id: int | None) -> int:
        if self_id is not None:
            return self_id
        return self._cache.get(parent_id, PROVINCE_MANAGED)


def _collect(
    scope: Unit, campaign: Campaign | None, year: int, locator: _Locator
) -> dict[tuple[int, str], Figures]:
    """Figures keyed by (commune id or PROVINCE_MANAGED, group)."""
    out: dict[tuple[int, str], Figures] = defaultdict(Figures)
    in_scope = Q(unit__path__startswith=scope.path, unit__kind__in=Unit.ASSESSED_KINDS)
    unit_rows = list(
        Unit.objects.valid_in(year)
        .filter(path__startswith=scope.path, kind__in=Unit.ASSESSED_KINDS)
        .annotate(me=_commune_self(""))
        .values("parent_id", "kind", "me")
        .annotate(units=Count("id"), eligible=Count("id", filter=Q(is_eligible=True)))
        .order_by()
    )
    reg_rows, asm_rows, forecast_rows = [], [], []
    if campaign is not None:
        reg_rows = list(
            Registration.objects.filter(in_scope, campaign=campaign)
            .annotate(parent_id=F("unit__parent_id"), kind=F("unit__kind"), me=_commune_self("unit__"))
            .values("parent_id", "kind", "me")
            .annotate(registered=Count("id"))
            .order_by()
        )
        asm_rows = list(
            Assessment.objects.filter(in_scope, campaign=campaign)
            .annotate(parent_id=F("unit__parent_id"), kind=F("unit__kind"), me=_commune_self("unit__"))
            .values("parent_id", "kind", "me")
            .annotate(
                assessed=Count("id", filter=~Q(status=Status.DRAFT)),
                recognized=Count("id", filter=Q(status=Status.RECOGNIZED)),
                not_recognized=Count("id", filter=Q(status__in=[Status.NOT_RECOGNIZED, Status.REVOKED])),
            )
            .order_by()
        )
        # Undecided units the engine forecasts to pass (decided ones count as recognized or not).
        forecast_rows = list(
            Result.objects.filter(
                in_scope,
                campaign=campaign,
                outcome=Result.Outcome.PASS,
                is_forecast=True,
                unit__is_eligible=True,
            )
            .exclude(assessment__status__in=Assessment.DECIDED_STATUSES)
            .annotate(parent_id=F("unit__parent_id"), kind=F("unit__kind"), me=_commune_self("unit__"))
            .values("parent_id", "kind", "me")
            .annotate(forecast=Count("id"))
            .order_by()
        )
    locator.prime({r["parent_id"] for r in unit_rows + reg_rows + asm_rows + forecast_rows})
    for rows in (unit_rows, reg_rows, asm_rows, forecast_rows):
        for r in rows:
            key = (locator.commune_of(r["parent_id"], r["me"]), UnitKind.for_unit(r["kind"]))
            figures = out[key]
            for name in FIGURE_NAMES:
                if name in r:
                    setattr(figures, name, getattr(figures, name) + r[name])
            if "recognized" in r:
                figures.forecast += r["recognized"]
    return out


def _by_group(collected: dict[tuple[int, str], Figures]) -> dict[str, Figures]:
    groups: dict[str, Figures] = {g: Figures() for g in GROUPS}
    for (_, group), figures in collected.items():
        groups[group].add(figures)
    return groups


def _trend(scope: Unit, province: Unit, year: int) -> list[tuple[int, dict[str, float | None]]]:
    """Rates per group and overall for the last TREND_YEARS campaigns up to ``year`` (two
    queries). ``year`` itself only once its campaign is closed: half decided, it would draw as a fall."""
    years = list(
        Campaign.objects.filter(
            Q(year__lt=year) | Q(year=year, status=Campaign.Status.CLOSED), province=province
        )
        .order_by("-year")
        .values_list("year", flat=True)
    )[:TREND_YEARS]
    if not years:
        return []
    base = Q(campaign__province=province, campaign__year__in=years, unit__path__startswith=scope.path)
    registered: dict[tuple[int, str], int] = defaultdict(int)
    recognized: dict[tuple[int, str], int] = defaultdict(int)
    for r in (
        Registration.objects.filter(base, unit__kind__in=Unit.ASSESSED_KINDS)
        .values("campaign__year", "unit__kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        registered[(r["campaign__year"], UnitKind.for_unit(r["unit__kind"]))] += r["n"]
    for r in (
        Assessment.objects.filter(base, unit__kind__in=Unit.ASSESSED_KINDS, status=Status.RECOGNIZED)
        .values("campaign__year", "unit__kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        recognized[(r["campaign__year"], UnitKind.for_unit(r["unit__kind"]))] += r["n"]
    trend = []
    for y in sorted(years):
        rates: dict[str, float | None] = {}
        total_reg = total_rec = 0
        for g in GROUPS:
            reg, rec = registered[(y, g)], recognized[(y, g)]
            total_reg, total_rec = total_reg + reg, total_rec + rec
            rates[g] = rec * 100 / reg if reg else None
        rates["total"] = total_rec * 100 / total_reg if total_reg else None
        trend.append((y, rates))
    return trend


def _not_recognized(scope: Unit, campaign: Campaign | None) -> tuple[list[dict], list[tuple[str, str]]]:
    if campaign is None:
        return [], []
    assessments = list(
        Assessment.objects.filter(
            campaign=campaign,
            unit__path__startswith=scope.path,
            unit__kind__in=Unit.ASSESSED_KINDS,
            status__in=[Status.NOT_RECOGNIZED, Status.REVOKED],
        )
        .select_related("unit__parent")
        .order_by("unit__path")
    )
    unmet = dict(
        Result.objects.filter(campaign=campaign, unit_id__in=[a.unit_id for a in assessments]).values_list(
            "unit_id", "unmet_codes"
        )
    )
    rows, codes, sets = [], set(), set()
    for a in assessments:
        unit_codes = [str(c) for c in (unmet.get(a.unit_id) or [])]
        codes.update(unit_codes)
        sets.add(a.criteria_set_id)
        rows.append(
            {
                "name": a.unit.full_name,
                "kind": wording.KIND_LABELS.get(a.unit.kind, ""),
                "parent": a.unit.parent.full_name if a.unit.parent_id else "",
                "status": "Bị thu hồi" if a.status == Status.REVOKED else "Chưa đạt",
                "codes": unit_codes,
                "reason": a.revoke_reason if a.status == Status.REVOKED else "",
            }
        )
    texts: dict[str, str] = {}
    for code, text in Criterion.objects.filter(criteria_set_id__in=sets, code__in=codes).values_list(
        "code", "text"
    ):
        texts.setdefault(code, text)
    legend = [(code, texts.get(code, "")) for code in sorted(codes)]
    return rows, legend


def build_report(*, scope: Unit, year: int) -> Report:
    province = scope.province()
    campaign = Campaign.objects.filter(province=province, year=year).first() if province else None
    previous = Campaign.objects.filter(province=province, year=year - 1).first() if province else None
    locator = _Locator(scope)
    now = _collect(scope, campaign, year, locator)
    before = _collect(scope, previous, year - 1, locator) if previous else None
    now_groups = _by_group(now)
    before_groups = _by_group(before) if before is not None else None
    running = campaign is not None and campaign.status != Campaign.Status.CLOSED
    groups = [
        GroupRow(
            g, wording.GROUP_TITLES[g], now_groups[g], before_groups[g] if before_groups else None, running
        )
        for g in GROUPS
    ]
    total_now, total_before = Figures(), Figures() if before_groups else None
    for row in groups:
        total_now.add(row.now)
        if total_before is not None and row.before is not None:
            total_before.add(row.before)
    communes: dict[int, CommuneRow] = {}
    for (key, group), figures in now.items():
        if key not in communes:
            unit = locator.communes.get(key)
            name = unit.full_name if unit else "Đơn vị do tỉnh quản lý"
            communes[key] = CommuneRow(key=key, name=name)
        communes[key].groups[group] = figures
    own = (
        dict(
            Assessment.objects.filter(campaign=campaign, unit_id__in=list(locator.communes)).values_list(
                "unit_id", "status"
            )
        )
        if campaign
        else {}
    )
    for key, row in communes.items():
        row.own_status = own.get(key, "")
    # Communes as people sort them: Vietnamese alphabetical, numbers by value, by name then label.
    ordered = sorted(
        communes.values(),
        key=lambda r: (
            r.key == PROVINCE_MANAGED,
            sort_key(locator.communes[r.key].name) if r.key in locator.communes else sort_key(r.name),
            sort_key(r.name),
        ),
    )
    not_recognized, legend = _not_recognized(scope, campaign)
    signer = (
        Decision.objects.filter(issuer=scope, year=year, status=Decision.Status.ISSUED)
        .order_by("-issued_on", "-number")
        .values("signer_name", "signer_title", "signed_for")
        .first()
    ) or {}
    sentence = wording.recognized_sentence({row.group: row.now.recognized for row in groups})
    return Report(
        scope=scope,
        year=year,
        campaign=campaign,
        previous=previous,
        groups=groups,
        total=GroupRow("total", "Tổng cộng", total_now, total_before, running),
        communes=ordered,
        not_recognized=not_recognized,
        criteria_legend=legend,
        trend=_trend(scope, province, year) if province else [],
        sentence=sentence,
        generated_on=timezone.localdate(),
        signer_name=signer.get("signer_name", ""),
        signer_title=signer.get("signer_title", ""),
        signed_for=signer.get("signed_for") or "TM.",
        extra=extensions.summary_tables(scope, year),
    )


# --- output -------------------------------------------------------------------------------


def rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def change_text(value: float | None, *, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:+d}{unit}"
    return f"{value:+.1f}".replace(".", ",") + unit


STATUS_TEXT = {
    Status.RECOGNIZED: "Đạt",
    Status.NOT_RECOGNIZED: "Chưa đạt",
    Status.REVOKED: "Bị thu hồi",
    "": "—",
}


def lead_sentence(report: Report) -> str:
    """Section I, from the totals of its table: 'Năm 2026, trên địa bàn tỉnh Hà Tĩnh có 1 xã,
    phường, 5 khu dân cư và 1 nhà trường được công nhận đạt tiêu chuẩn “An toàn về an ninh, trật
    tự”, tổng cộng 7 trên 9 đơn vị đăng ký (77,8%).'"""
    total = report.total.now
    opening = f"Năm {report.year}, trên địa bàn {report.scope_name}"
    if not total.recognized:
        return (
            f"{opening} chưa có đơn vị nào được công nhận đạt tiêu chuẩn “An toàn về an ninh, trật tự”"
            f" ({wording.number(total.registered)} đơn vị đăng ký)."
        )
    return (
        f"{opening} có {report.sentence} đạt tiêu chuẩn “An toàn về an ninh, trật tự”, tổng cộng "
        f"{wording.number(total.recognized)} trên {wording.number(total.registered)} đơn vị đăng ký "
        f"({rate_text(total.rate)})."
    )


def outcome_sentence(report: Report) -> str:
    """Section on the units not recognized, from the same totals: 'Trong 11 đơn vị đã đánh giá, 6
    đơn vị được công nhận, 1 đơn vị không được công nhận hoặc bị thu hồi (danh sách dưới đây), 4
    đơn vị chưa có quyết định.'"""
    total = report.total.now
    if not total.assessed:
        return f"Năm {report.year} chưa có đơn vị nào được đánh giá."
    pending = total.assessed - total.recognized - total.not_recognized
    parts = [
        f"{wording.number(total.recognized)} đơn vị được công nhận",
        f"{wording.number(total.not_recognized)} đơn vị không được công nhận hoặc bị thu hồi"
        + (" (danh sách dưới đây)" if total.not_recognized else ""),
    ]
    if pending:
        parts.append(f"{wording.number(pending)} đơn vị chưa có quyết định")
    return f"Trong {wording.number(total.assessed)} đơn vị đã đánh giá, {', '.join(parts)}."


def report_recipients(report: Report) -> list[str]:
    province = report.scope.province()
    if report.is_province:
        upper = ["Bộ Công an (Cục V05);", "Thường trực Tỉnh ủy, Hội đồng nhân dân tỉnh;"]
    else:
        upper = [f"Ủy ban nhân dân {wording.place_name(province)};"] if province else []
    police = f"Công an {wording.place_name(province)};" if province else ""
    return [f"- {line}" for line in [*upper, police, "Lưu: VT, CA."] if line]


def report_context(report: Report) -> dict:
    scope = report.scope
    font = {"font_family": pdf.FONT_FAMILY, "font_size": 9}
    groups = [
        {
            "title": row.title,
            "now": row.now,
            "rate": rate_text(row.now.rate),
            "before_recognized": row.before.recognized if row.before else "—",
            "before_rate": rate_text(row.before.rate) if row.before else "—",
            "forecast": row.now.forecast,
            "forecast_rate": rate_text(row.now.forecast_rate),
            "change": change_text(row.rate_change, unit=" điểm"),
        }
        for row in [*report.groups, report.total]
    ]
    communes = [
        {
            "name": row.name,
            "cells": [
                f"{row.groups[g].recognized}/{row.groups[g].registered}" if g in row.groups else "—"
                for g in GROUPS
                if g != "commune"
            ],
            "own": STATUS_TEXT.get(row.own_status, "—") if row.key != PROVINCE_MANAGED else "",
            "total": f"{row.total.recognized}/{row.total.registered}",
            "rate": rate_text(row.total.rate),
            "forecast": f"{row.total.forecast}/{row.total.registered}",
            "forecast_rate": rate_text(row.total.forecast_rate),
        }
        for row in report.communes
    ]
    return {
        "issuer_header": wording.issuer_header(scope),
        "place_date": place_date(scope.name, report.generated_on),
        "year": report.year,
        "scope_name": report.scope_name,
        "scope_title": wording.place_name(scope, capital=True),
        "previous_year": report.year - 1 if report.previous else None,
        "running": report.is_running,
        "sentence": report.sentence,
        "lead_sentence": lead_sentence(report),
        "outcome_sentence": outcome_sentence(report),
        "recipients": report_recipients(report),
        "groups": groups,
        "communes": communes,
        "is_province": report.is_province,
        "not_recognized": report.not_recognized,
        "legend": report.criteria_legend,
        "rate_charts": report.rate_charts(width=460, label_width=170, bar_height=9, gap=3, **font),
        "trend_chart": report.trend_chart(width=460, height=200, **font) if len(report.trend) > 1 else "",
        "signer_lines": wording.signer_lines(signed_for=report.signed_for, signer_title=report.signer_title),
        "signer_name": report.signer_name,
        "has_recognized": report.total.now.recognized > 0,
        "extra_tables": report.extra,
    }


def summary_pdf(report: Report) -> bytes:
    html = pdf.render_html(TEMPLATES[0], report_context(report))
    return pdf.write_pdf(html, stylesheets=["summary"])


def summary_xlsx(report: Report) -> bytes:
    """Four sheets: Tổng hợp, Theo xã, Chưa đạt, Qua các năm (Vietnamese headers: data contract)."""
    workbook = TextWorkbook(write_only=True)
    prev = report.year - 1
    running = report.is_running
    change = f"Dự báo so với cuối năm {prev} (điểm %)" if running else "Thay đổi tỷ lệ (điểm %)"
    forecast_headers = ["Dự báo đạt (đã công nhận + dự báo)", "Tỷ lệ dự báo (%)"] if running else []
    write_sheet(
        workbook.create_sheet("Tổng hợp"),
        [
            "Loại đơn vị",
            "Tổng số",
            "Thuộc diện",
            "Đăng ký",
            "Đã đánh giá",
            "Được công nhận",
            "Tỷ lệ (%)",
            f"Được công nhận {prev}",
            f"Tỷ lệ {prev} (%)",
            change,
            *forecast_headers,
        ],
        (
            [
                row.title,
                row.now.units,
                row.now.eligible,
                row.now.registered,
                row.now.assessed,
                row.now.recognized,
                _round(row.now.rate),
                row.before.recognized if row.before else None,
                _round(row.before.rate) if row.before else None,
                _round(row.rate_change),
                *([row.now.forecast, _round(row.now.forecast_rate)] if running else []),
            ]
            for row in [*report.groups, report.total]
        ),
        widths=[26, 10, 12, 10, 12, 15, 10, 18, 14, 20, 18, 14],
    )
    headers = ["Xã, phường, đặc khu"]
    for g in GROUPS:
        if g != "commune":
            headers += [f"{wording.GROUP_TITLES[g]}: đăng ký", f"{wording.GROUP_TITLES[g]}: được công nhận"]
    headers += ["Kết quả của xã", "Tổng đăng ký", "Tổng được công nhận", "Tỷ lệ (%)"]
    if running:
        headers += ["Dự báo đạt", "Tỷ lệ dự báo (%)"]
    commune_rows = []
    for row in report.communes:
        cells: list = [row.name]
        for g in GROUPS:
            if g != "commune":
                figures = row.groups.get(g, Figures())
                cells += [figures.registered, figures.recognized]
        total = row.total
        own = STATUS_TEXT.get(row.own_status, "") if row.key != PROVINCE_MANAGED else ""
        cells += [own, total.registered, total.recognized, _round(total.rate)]
        if running:
            cells += [total.forecast, _round(total.forecast_rate)]
        commune_rows.append(cells)
    write_sheet(
        workbook.create_sheet("Theo xã"), headers, commune_rows, widths=[28] + [14] * (len(headers) - 1)
    )
    write_sheet(
        workbook.create_sheet("Chưa đạt"),
        ["Tên đơn vị", "Loại", "Thuộc", "Kết quả", "Tiêu chí chưa đạt", "Lý do thu hồi"],
        (
            [r["name"], r["kind"], r["parent"], r["status"], ", ".join(r["codes"]), r["reason"]]
            for r in report.not_recognized
        ),
        widths=[36, 18, 26, 12, 30, 40],
    )
    write_sheet(
        workbook.create_sheet("Qua các năm"),
        ["Năm", *[f"{wording.GROUP_TITLES[g]} (%)" for g in GROUPS], "Chung (%)"],
        (
            [year, *[_round(rates.get(g)) for g in GROUPS], _round(rates.get("total"))]
            for year, rates in report.trend
        ),
        widths=[8, 22, 16, 24, 20, 12],
    )
    for table in report.extra:
        write_sheet(workbook.create_sheet(table.sheet), table.headers, table.rows, widths=[34] + [14] * 8)
    return workbook.to_bytes()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def filename(report: Report, ext: str) -> str:
    slug = "-".join(search_key(report.scope.full_name).split())
    return f"bao-cao-tong-ket-antt-{report.year}-{slug}.{ext}"
