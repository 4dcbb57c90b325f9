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
