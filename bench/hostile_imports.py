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
from pathlib import Path

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

CRITERIA_ROWS = 2_000  # criteria_excel.MAX_ROWS
COMMUNES = 100
SECTION = "## Hostile files"
LOAD: dict[str, str] = {}


def _load() -> str:
    return ", ".join(open("/proc/loadavg").read().split()[:3])


def _rss() -> int:
    import os

    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(fn, pipe) -> None:  # pragma: no cover - in a forked process
    import resource
    import time

    start = _rss()
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    try:
        outcome = fn()
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        outcome = f"error: {e!r}"[:200]
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = after.ru_maxrss * 1024
    pipe.send({"seconds": seconds, "cpu": cpu, "extra_mib": max(peak - start, 0) / MIB, "outcome": outcome})


def measure(fn) -> dict:
    """``fn()`` in a forked process: wall time and peak RSS above the process's size at the
    fork (the Django process that serves the request, with its code already imported)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(fn, send))
    process.start()
    result = receive.recv()
    process.join()
    return result


def _outcome(response) -> str:
    """The status, and the first message shown in an error box or a form error."""
    import html
    import re

    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    page = response.content.decode()
    box = re.search(r'class="(?:msg msg-error|errorlist)[^"]*"[^>]*>(.*?)</(?:div|ul)>', page, re.S)
    if box is None:
        return "HTTP 200, accepted"
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page[box.end() :], re.S)
    if first_row is not None:  # the assessment preview lists its problems in a table
        cells = re.findall(r"<td[^>]*>(.*?)</td>", first_row.group(1), re.S)
        return "refused: " + html.unescape(re.sub(r"<[^>]+>", "", cells[-1])).strip()[:170]
    text = html.unescape(re.sub(r"<[^>]+>", " ", box.group(1)))
    cells = [t.strip() for t in re.split(r"\s{2,}", text) if t.strip()]
    return "refused: " + (cells[-1] if cells else "")[:170]


class Bench:
    def __init__(self) -> None:
        import datetime

        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from certification.models import Campaign, CriteriaSet
        from units.models import RoleAssignment, Unit

        self.province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
        self.communes = [
            Unit.objects.create(
                code=f"{18000 + i}", name=f"Xã {i}", label="Xã", kind=Unit.Kind.COMMUNE, parent=self.province
            )
            for i in range(COMMUNES)
        ]
        users = get_user_model().objects
        self.admin = users.create_user("bench-admin", password="x")
        self.officer = users.create_user("bench-officer", password="x")
        RoleAssignment.objects.create(user=self.admin, unit=self.province, role=RoleAssignment.Role.ADMIN)
        RoleAssignment.objects.create(user=self.officer, unit=self.province, role=RoleAssignment.Role.OFFICER)
        year = timezone.localdate().year
        dates = Campaign.default_dates(year)
        end = timezone.localdate() + datetime.timedelta(days=30)
        dates.update(residential_period_end=end, other_period_end=end)
        self.campaign = Campaign.objects.create(
            year=year, province=self.province, status=Campaign.Status.OPEN, **dates
        )
        self.campaign.criteria_sets.set(CriteriaSet.objects.filter(status__in=CriteriaSet.IN_FORCE))

        self._clients: dict[int, object] = {}

    def client(self, user):
        """A logged-in client, its pages already served once (the measured request is not the
        process's first)."""
        from django.test import Client
        from django.urls import reverse

        if user.pk not in self._clients:
            client = Client()
            client.force_login(user)
            for name in (
                "units:import-upload",
                "certification:assessments-excel-upload",
                "certification:criteria-set-import",
            ):
                client.get(reverse(name))
            self._clients[user.pk] = client
        return self._clients[user.pk]

    def units(self, filename: str, data: bytes):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.urls import reverse

        response = self.client(self.admin).post(
            reverse("units:import-upload"), {"file": SimpleUploadedFile(filename, data)}
        )
        return response

    def assessment(self, filename: str, data: bytes):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.urls import reverse

        return self.client(self.officer).post(
            reverse("certification:assessments-excel-upload"),
            {"year": self.campaign.year, "file": SimpleUploadedFile(filename, data)},
        )

    def criteria(self, filename: str, data: bytes):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.urls import reverse

        return self.client(self.admin).post(
            reverse("certification:criteria-set-import"), {"file": SimpleUploadedFile(filename, data)}
        )


def legal_units_xlsx(communes: list[str], rows: int) -> bytes:
    from openpyxl import Workbook

    from units.exchange.imports import COLUMNS, SHEET_NAME

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_NAME)
    ws.append(COLUMNS)
    for i in range(rows):
        ws.append(
            [
                f"B{i:05d}",
                f"Thôn Bình An {i}",
                "Thôn",
                communes[i % len(communes)],
                120 + i % 50,
                "",
                "",
                "",
                "Ghi chú",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def legal_assessment_xlsx(codes: list[str], rows: int, first: int = 0) -> bytes:
    from openpyxl import Workbook

    from certification.exchange.assessment_excel import HEADERS, SHEET

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append([*HEADERS, *codes])
    for i in range(first, first + rows):
        ws.append([f"B{i:05d}", f"Thôn Bình An {i}", "", None, None, *(["Đạt"] * len(codes))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def legal_criteria_xlsx() -> bytes:
    from openpyxl import Workbook

    from certification.exchange.criteria_excel import COLUMNS, CRITERIA_SHEET, SET_SHEET

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(CRITERIA_SHEET)
    ws.append(COLUMNS)
    for g in range(CRITERIA_ROWS // 10):
        ws.append([f"G{g}", "", f"Nhóm tiêu chí {g}", "Nhóm tiêu chí", "Không", "", None, "", "", "Không"])
        for i in range(9):
            ws.append(
                [
                    f"G{g}-{i}",
                    f"G{g}",
                    f"Nội dung tiêu chí {g}.{i} " * 4,
                    "Đạt / không đạt",
                    "Có",
                    "",
                    None,
                    "Biên bản",
                    "",
                    "Không",
                ]
            )
    meta = wb.create_sheet(SET_SHEET)
    meta.append(["Trường", "Giá trị"])
    for row in (
        ["Mã bộ tiêu chí", "bench-kdc"],
        ["Loại đơn vị", "Khu dân cư"],
        ["Tên", "Bộ tiêu chí thử tải"],
        ["Căn cứ pháp lý", "Thông tư 124/2021/TT-BCA"],
        ["Áp dụng từ năm", 2026],
        ["Tỉnh (mã)", "42"],
    ):
        meta.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def oversize_body(bench: Bench) -> dict:
    """A 1 GiB multipart body declared in Content-Length, sent to the WSGI handler from a stream
    that counts what is read: refused (413) having read nothing."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    class Body:
        def __init__(self, size: int) -> None:
            self.left = size
            self.read_bytes = 0

        def read(self, n: int = -1) -> bytes:
            n = self.left if n is None or n < 0 else min(n, self.left)
            self.left -= n
            self.read_bytes += n
            return b"x" * n

        def readline(self, n: int = -1) -> bytes:
            return self.read(min(n, 1024) if n and n > 0 else 1024)

    client = bench.client(bench.officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    size = 1024 * MIB
    body = Body(size)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/assessments/excel/upload/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(size),
        "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={cookie}; {settings.CSRF_COOKIE_NAME}={'a' * 32}",
    }
    statuses: list[str] = []
    handler = WSGIHandler()

    def run() -> str:
        b"".join(handler(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        return f"{statuses[0] if statuses else '?'}; {body.read_bytes} of {size} body bytes read"

    return measure(run)


def run(doc: Path | None) -> list[dict]:
    import logging

    from django.conf import settings
    from django.core.management import call_command
    from django.urls import reverse

    from certification.exchange.assessment_excel import HEADERS as ASSESSMENT_HEADERS
    from certification.models import CriteriaSet
    from certification.selectors.criteria import answerable_criteria
    from units.exchange.imports import COLUMNS as UNIT_COLUMNS
    from units.models import Unit

    logging.disable(logging.CRITICAL)  # the refusals log warnings by design
    LOAD["before"] = _load()
    call_command("migrate", verbosity=0)
    bench = Bench()
    results: list[dict] = []

    def record(name: str, case: str, size: int, result: dict) -> None:
        row = {"import": name, "case": case, "bytes": size, **result}
        results.append(row)
        print(
            f"{name:10} {case:45} {size:>10} B {row['seconds']:7.2f} s {row['cpu']:7.2f} s CPU "
            f"{row['extra_mib']:7.1f} MiB  {row['outcome']}"
        )

    imports = {
        "units": (UNITS_SHEETS, bench.units),
        "assessment": (ASSESSMENT_SHEETS, bench.assessment),
        "criteria": (CRITERIA_SHEETS, bench.criteria),
    }
    over = settings.SPREADSHEET_MAX_ROWS + 1
    for name, (sheets, post) in imports.items():
        files = {
            "one cell, declaring A1:XFD1048576": huge_dimension_xlsx(sheets),
            "shared strings inflating to 2 GiB": shared_strings_bomb_xlsx(sheets),
            "100,000 header columns (.xlsx)": wide_xlsx(sheets),
            f"{over:,} rows (.xlsx)": long_xlsx(sheets, over, ["Mã", "Tên"], ["x", "y"]),
        }
        if name == "units":
            files["100,000 header columns (.csv)"] = wide_csv()
            files[f"{over:,} rows (.csv)"] = long_csv(["Mã", "Tên"], (["x", "y"] for _ in range(over)))
        for case, data in files.items():
            filename = "bang.csv" if case.endswith("(.csv)") else "bang.xlsx"
            record(name, case, len(data), measure(lambda post=post, f=filename, d=data: _outcome(post(f, d))))
    record("any", "1 GiB body (Content-Length)", 1024 * MIB, oversize_body(bench))

    # The largest legal files: preview, then confirm.
    # The largest legal files: as many rows as the budgets allow (9 columns for units).
    unit_rows = min(settings.SPREADSHEET_MAX_ROWS, settings.SPREADSHEET_MAX_CELLS // 9)
    data = legal_units_xlsx([c.code for c in bench.communes], unit_rows)
    record(
        "units",
        f"largest legal: {unit_rows:,} new units × 9 columns, preview",
        len(data),
        measure(lambda: _outcome(bench.units("don-vi.xlsx", data))),
    )
    # The worst file the budgets let through: every cell a long text, as many as allowed.
    rows = settings.SPREADSHEET_MAX_CELLS // 10 - 1
    text = ("Nguyễn Văn An, thôn Đông Hải " * 10)[:200]
    worst = long_xlsx(UNITS_SHEETS, rows, [*UNIT_COLUMNS, ""], [text] * 10)
    record(
        "units",
        f"worst legal: {rows:,} rows × 10 cells of 200 characters",
        len(worst),
        measure(lambda: _outcome(bench.units("don-vi.xlsx", worst))),
    )
    token = bench.units("don-vi.xlsx", data).context["token"]

    def confirm() -> str:
        client = bench.client(bench.admin)
        return str(client.post(reverse("units:import-confirm"), {"token": token}).status_code)

    # The child's transaction commits: the units it writes are there for the assessment files.
    record("units", f"largest legal: {unit_rows:,} new units, confirm", len(data), measure(confirm))
    assert Unit.objects.filter(code__startswith="B").count() == unit_rows

    kdc = CriteriaSet.objects.filter(
        pk__in=bench.campaign.criteria_sets.all(), unit_kind="residential_area"
    ).first()
    codes = [c.code for c in answerable_criteria(kdc)] if kdc else []
    columns = len(ASSESSMENT_HEADERS) + len(codes)
    rows = min(settings.ASSESSMENT_IMPORT_MAX_UNITS, settings.SPREADSHEET_MAX_CELLS // columns, unit_rows)
    over = legal_assessment_xlsx(codes, rows + 1, first=2 * rows)
    record(
        "assessment",
        f"{rows + 1:,} units (ASSESSMENT_IMPORT_MAX_UNITS + 1)",
        len(over),
        measure(lambda: _outcome(bench.assessment("danh-gia.xlsx", over))),
    )
    data = legal_assessment_xlsx(codes, rows)
    record(
        "assessment",
        f"largest legal: {rows:,} units × {columns} columns, preview",
        len(data),
        measure(lambda: _outcome(bench.assessment("danh-gia.xlsx", data))),
    )
    for size, first in ((100, rows), (rows, 0)):
        part = legal_assessment_xlsx(codes, size, first=first)
        record(
            "assessment",
            f"{'largest legal: ' if size == rows else ''}{size:,} units × {columns} columns, confirm",
            len(part),
            measure(_assessment_confirm(bench, part)),
        )
        # The confirm only queues the import (a broker, no worker here): the worker's share.
        record(
            "assessment",
            f"{'largest legal: ' if size == rows else ''}{size:,} units × {columns} columns, import job",
            len(part),
            measure(_assessment_job),
        )

    data = legal_criteria_xlsx()
    record(
        "criteria",
        f"largest legal: {CRITERIA_ROWS:,} criteria, import",
        len(data),
        measure(lambda: _outcome(bench.criteria("tieu-chi.xlsx", data))),
    )
    LOAD["after"] = _load()
    if doc is not None:
        write_doc(doc, results, settings)
    return results


def _assessment_confirm(bench: Bench, data: bytes):
    from django.urls import reverse

    client = bench.client(bench.officer)
    url = reverse("certification:assessments-excel-upload")
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post(url, {"year": bench.campaign.year, "file": SimpleUploadedFile("d.xlsx", data)})
    token = preview.context["token"]
    return lambda: str(client.post(url, {"token": token}).status_code)


def _assessment_job() -> str:
    """The last queued import job, run as the worker runs it."""
    from certification.models import ImportJob
    from certification.tasks.imports import import_job_task

    job = ImportJob.objects.latest("pk")
    import_job_task.run(job.pk)
    job.refresh_from_db()
    return f"{job.status}: {job.done} units applied" if not job.error else f"{job.status}: {job.error}"[:170]


def write_doc(doc: Path, results: list[dict], settings) -> None:
    import platform

    lines = [
        SECTION,
        "",
        "Issue 19, class 1. Every import (units, assessments, criteria) checks the file against these",
        "budgets before a parser sees it (`antt/spreadsheets.py`: the zip's central directory, then each",
        "sheet streamed once through byte counts), and reads it with bounded, linear iteration. The",
        "figures are measured by `bench/hostile` (`bench/hostile_imports.py` generates the files): each",
        "file posted to the real view in a forked process of the Django server, wall time and peak RSS",
        "above the process's size before the request (PostgreSQL on loopback, "
        f"{platform.processor() or platform.machine()}, shared 2-core machine).",
        "",
        "| Budget (setting) | Default | What it bounds |",
        "| --- | --- | --- |",
        f"| `IMPORT_MAX_BYTES` | {settings.IMPORT_MAX_BYTES // MIB} MiB | the uploaded file |",
        f"| `SPREADSHEET_MAX_UNCOMPRESSED_BYTES` | {settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES // MIB} MiB | the summed uncompressed size of the workbook's parts (zipfile enforces the declared sizes while inflating) |",
        f"| `SPREADSHEET_MAX_ROWS` | {settings.SPREADSHEET_MAX_ROWS:,} | rows below the header (declared, counted, and the row numbers) |",
        f"| `SPREADSHEET_MAX_COLUMNS` | {settings.SPREADSHEET_MAX_COLUMNS:,} | cells of any row, declared width |",
        f"| `SPREADSHEET_MAX_CELLS` | {settings.SPREADSHEET_MAX_CELLS:,} | cells of a sheet (declared rows × columns, counted cells) and shared strings |",
        "| (constants) | 1,000 parts; 4 MiB for a part openpyxl parses whole; 200:1 for a part over 1 MiB | the zip's structure |",
        f"| `UPLOAD_MAX_BODY_BYTES` | {settings.UPLOAD_MAX_BODY_BYTES // MIB} MiB | a request body, refused from its Content-Length before it is read |",
        f"| `IMPORT_PREVIEW_TTL_SECONDS` | {settings.IMPORT_PREVIEW_TTL_SECONDS // 3600} h | previews never confirmed (swept hourly) |",
        "",
        f"Load average before the run {LOAD['before']}, after {LOAD['after']} (the machine is shared: the",
        'wall time includes waiting for a core; "CPU" is the serving process\'s own CPU time, without',
        "PostgreSQL's).",
        "",
        "| Import | File | Size | Time | CPU | Extra RSS | Outcome |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        size = f"{r['bytes'] / MIB:.1f} MiB" if r["bytes"] >= MIB else f"{r['bytes'] / 1024:.1f} KB"
        outcome = r["outcome"] if len(r["outcome"]) <= 110 else r["outcome"][:110] + "…"
        lines.append(
            f"| {r['import']} | {r['case']} | {size} | {r['seconds']:.2f} s | {r['cpu']:.2f} s "
            f"| {r['extra_mib']:.0f} MiB | {outcome} |"
        )
    jobs = [r for r in results if r["import"] == "assessment" and r["case"].endswith("import job")]
    per_unit = ""
    if jobs:
        largest = jobs[-1]
        units = int(largest["case"].split(" units")[0].split()[-1].replace(",", ""))
        per_unit = (
            f"{units} units: {largest['seconds']:.1f} s, of which {largest['cpu']:.1f} s of the worker's CPU, "
            f"{1000 * largest['cpu'] / units:.0f} ms a unit"
        )
    others = [r for r in results if r not in jobs]
    slowest = max(others, key=lambda r: r["seconds"])
    heaviest = max(results, key=lambda r: r["extra_mib"])
    others_line = (
        f"  Every request, for any file legal or not, takes at most {max(r['cpu'] for r in others):.1f} s of the"
        f" server's CPU and {heaviest['extra_mib']:.0f} MiB above the process; the longest wall time"
        f" ({slowest['seconds']:.1f} s, {slowest['import']}: {slowest['case']}) is mostly waiting for a"
        " core on this loaded machine."
    )
    lines += [
        "",
        "- **Refused files** cost the check, not the parse: the 2 GiB shared strings are refused from",
        "  the zip's central directory (nothing is inflated), the 1.5 KB workbook declaring",
        "  A1:XFD1048576 from its first kilobytes, 100,000 columns at the first megabyte of the sheet;",
        "  every refusal is a Vietnamese message on the import's own page, nothing is written or kept",
        "  (`tests/security/test_hostile_files.py`, through the real views).",
        "- **Bodies**: `antt.web.uploads.BoundedUploadHandler` (first of `FILE_UPLOAD_HANDLERS`) refuses a",
        "  multipart body whose `Content-Length` is over `UPLOAD_MAX_BODY_BYTES` before reading a byte",
        "  of it (a 413 page saying the limit, through `handler400`); the proxy should refuse it",
        '  first (`client_max_body_size`, README "Production"); gunicorn bounds the request line',
        "  and headers (`--limit-request-*`, Dockerfile).",
        "- **Linear parsing**: openpyxl read a sheet without `<dimension>` to its end once just to size",
        "  it; `antt.spreadsheets.open_workbook` sizes the sheets from the check instead, and",
        "  `bounded_rows` passes openpyxl explicit bounds, so a lying or missing dimension never",
        "  pads rows. `defusedxml` is installed and openpyxl uses it (`openpyxl.DEFUSEDXML`): its",
        "  pure-Python parser costs ~1.4× (180,000 cells: 6.4 s against 4.6 s on this machine), which",
        "  is why the cell budget is 100,000.",
        "- **Lookups in bulk**: the assessment import reads the rows' units, provinces, campaigns,",
        "  assessments, answers and registrations in a handful of queries for the whole file (it ran",
        "  about six per row), the criteria import resolves every `Dùng chung với` in one query, the",
        "  units import checks the scope once per managing unit and eligibility once per combination;",
        "  previews list the first 500 rows.",
        "- **A confirmed assessment import runs on a worker** (`certification/tasks/imports.py`, an",
        "  `ImportJob`): the confirm request checks the stored file again, which costs what its preview",
        '  costs, queues the job and redirects to the job\'s page ("Đang nhập…", refreshing itself, then',
        "  the report the confirm showed, or the error; only its user sees it). The worker applies the",
        "  file all or nothing through the audited services (`start_assessment`, `save_answers`: about",
        "  13 queries and 16 audit events a unit, chained in one INSERT for the whole file)"
        + (f"; the largest legal file ({per_unit})" if per_unit else "")
        + ". Without a broker",
        "  (`CELERY_BROKER_URL` empty: the demo) the task runs in the request as before.",
        others_line,
        "  `ASSESSMENT_IMPORT_MAX_UNITS` = 300 is what an officer of a former district",
        "  enters offline (some 150 residential areas and 100–150 eligible institutions); a province",
        "  officer imports commune by commune.",
        "- **Caveats** of the byte counts: `<c` and `:c` are counted, so a few other tags and texts",
        "  count as cells (never fewer than openpyxl builds); a file whose elements carry a namespace",
        "  prefix (`<x:c>`) counts each cell twice and meets the budgets at half its size; with a",
        "  chartsheet in the workbook every part is held to 4 MiB (openpyxl parses chartsheets whole).",
        "- **Previews** never confirmed (units: the checked rows; assessments: the uploaded file) are",
        "  deleted after `IMPORT_PREVIEW_TTL_SECONDS` by `manage.py sweep_imports` (celery beat, hourly);",
        "  an expired one cannot be confirmed.",
        "",
    ]
    text = doc.read_text(encoding="utf-8")
    block = "\n".join(lines)
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + block + ("\n" + text[end + 1 :] if end >= 0 else "")
    doc.write_text(text, encoding="utf-8")


def main() -> None:  # pragma: no cover - run by bench/hostile
    import argparse
    import os

    import django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doc", type=Path, default=None, help="write the figures into this file")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client records the context (the preview's token)
    run(args.doc)


if __name__ == "__main__":
    main()
