"""The benchmark tooling's own logic (no figures are asserted: they depend on the machine)."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from bench import libreoffice, load_tools, report

RESULTS = Path(__file__).with_name("results_sample.json")


def test_writing_the_load_section_keeps_the_other_sections_of_reliability_md(tmp_path, monkeypatch):
    doc = tmp_path / "reliability.md"
    doc.write_text("# Reliability\n\n## Access\n\nmatrix\n\n## Load\n\nold figures\n\n## Backup\n\npg_dump\n")
    monkeypatch.setattr(load_tools, "DOC", doc)

    load_tools.write_section("## Load\n\nnew figures\n")

    text = doc.read_text()
    assert "old figures" not in text
    assert text.index("## Access") < text.index("new figures") < text.index("## Backup")
    assert "matrix" in text and "pg_dump" in text


def test_the_load_section_is_appended_when_the_document_has_none(tmp_path, monkeypatch):
    doc = tmp_path / "reliability.md"
    doc.write_text("# Reliability\n\n## Access\n\nmatrix\n")
    monkeypatch.setattr(load_tools, "DOC", doc)

    load_tools.write_section("## Load\n\nfigures\n")

    assert doc.read_text().endswith("## Load\n\nfigures\n")


def test_a_missed_aim_is_marked_and_a_met_one_is_not():
    result = json.loads(RESULTS.read_text())

    rows = {f.key: f for f in report.figures(result)}

    assert rows["unit"].met is True  # p95 80.9 ms < 100 ms
    assert rows["bulk"].met is False  # 0.76× < 0.9×
    assert rows["scoring"].met == "**no** (3×) · yes (60 s)"
    table = "\n".join(report._table(result))
    assert "| **no** |" in table and "| yes |" in table


def test_the_chart_is_an_svg_with_one_row_per_figure_that_has_a_baseline():
    result = json.loads(RESULTS.read_text())

    svg = ET.fromstring(report.chart(result))

    assert svg.tag.endswith("svg")
    assert len([e for e in svg.iter() if e.tag.endswith("rect")]) > 2 * 5


def test_the_libreoffice_mail_merge_has_one_page_per_certificate():
    document = ET.fromstring(libreoffice.fodt(3))

    tables = [
        e
        for e in document.iter()
        if e.tag.endswith("}table")
        and "head" in e.get("{urn:oasis:names:tc:opendocument:xmlns:table:1.0}name", "")
    ]
    assert len(tables) == 3
    breaks = [
        t
        for t in tables
        if t.get("{urn:oasis:names:tc:opendocument:xmlns:table:1.0}style-name") == "TheadBreak"
    ]
    assert len(breaks) == 2  # a page break before every certificate but the first


def test_the_cpu_rows_show_the_ratio_to_the_bare_view_the_aim_and_the_before_figure():
    result = json.loads(RESULTS.read_text())
    row = {"label": "Assessment form reload (GET)", "n": 40, "web_ms": 25.0, "db_ms": 4.0, "queries": [13]}
    result["sections"]["cpu"] = {
        "rows": {
            "bare": {**row, "label": "Bare view", "cpu_ms": 2.0, "queries": [1], "ratio": 1.0},
            "form": {**row, "cpu_ms": 29.0, "ratio": 14.5},
            "home": {**row, "label": "Officer's home page", "cpu_ms": 7.0, "ratio": 3.5},
        },
        "aim": {"ratio": 4.0, "cpu_ms": 12.0},
        "before": {"revision": "0e9e9f9", "rows": {"form": {"cpu_ms": 36.4, "ratio": 20.1, "queries": [15]}}},
    }

    rows = {f.key: f for f in report.figures(result)}

    assert rows["cpu_form"].met is False and rows["cpu_home"].met is True
    assert "before (0e9e9f9, load ?): 36.4 ms, 20.1×, 15 queries" in rows["cpu_form"].label
    assert rows["cpu_form"].ratio_text == "14.5×" and "cpu_bare" not in rows


def test_a_new_checkout_keeps_the_documented_load_runs_in_the_table(tmp_path, monkeypatch):
    """bench/data/ is not in git: the first run of a new checkout starts its history from the
    "Recent runs" rows of docs/reliability.md instead of dropping them (round 9)."""
    doc = tmp_path / "docs" / "reliability.md"
    doc.parent.mkdir()
    doc.write_text(
        "## Load\n\nRecent runs (same command, same machine; …):\n\n"
        "| Date | Code | gunicorn | Load avg before → after | Others' CPU-s | p50 ms | p95 ms "
        "| p95 without login | submit p95 | Errors | Submitted |\n"
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        "| 2026-12-07 05:05 | 8386470 | 3×4 | 0.89 → 1.14 | 0 | 44 | 127 | 121 | 196 | 0 | 200/200 |\n"
        "| 2026-12-07 12:12 | a52faab | 3×4 | 0.72 → 0.66 | 2 | 16 | 1,071 | 35 | 22 | 1 | 199/200 |\n"
        "\n## Backup\n"
    )
    monkeypatch.setattr(load_tools, "DOC", doc)
    monkeypatch.setattr(load_tools, "ROOT", tmp_path)
    run = {
        "meta": {
            "date": "2026-12-08T09:00:00+07:00",
            "revision": "abc1234",
            "gunicorn": "3 workers × 4 threads",
        },
        "loadavg_start": [0.5],
        "loadavg_end": [0.6],
        "requests": 2200,
        "seconds": 140,
        "overall": {"p50_ms": 17.0, "p95_ms": 70.0, "errors": 0},
        "overall_without_login": {"p95_ms": 33.0},
        "database": {"submitted": 200},
        "officers": 200,
        "cpu_seconds": {"gunicorn": 38.0},
        "machine_busy_cpu_seconds": 40.0,
        "by_type": {"POST submit": {"p95_ms": 20.0}},
    }

    load_tools._append_history(tmp_path, run, "province")

    rows = [row for row in load_tools._history_rows("province") if row.startswith("| 2026")]
    assert rows == [
        "| 2026-12-07 05:05 | 8386470 | 3×4 | 0.89 → 1.14 | 0 | 44 | 127 | 121 | 196 | 0 | 200/200 |",
        "| 2026-12-07 12:12 | a52faab | 3×4 | 0.72 → 0.66 | 2 | 16 | 1,071 | 35 | 22 | 1 | 199/200 |",
        "| 2026-12-08 09:00 | abc1234 | 3×4 | 0.5 → 0.6 | 2 | 17 | 70 | 33 | 20 | 0 | 200/200 |",
    ]
