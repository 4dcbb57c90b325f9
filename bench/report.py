"""docs/benchmarks.md and docs/img/benchmarks.svg from the results ``bench/run`` wrote
(``bench/data/<scale>/results.json``): one table per scale (the latest run of each), the pages
with their SQL query counts at both scales, and the before/after notes of fixes kept by hand in
``bench/before_after.md``.

    python -m bench.report [--scale national]     the scale whose chart is drawn (default: the
                                                  most recent run)
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
DOC = ROOT / "docs" / "benchmarks.md"
SVG = ROOT / "docs" / "img" / "benchmarks.svg"
BEFORE_AFTER = ROOT / "bench" / "before_after.md"
ANALYSIS = ROOT / "bench" / "analysis.md"
BEFORE = ROOT / "bench" / "before.json"  # issue 23: before figures measured on the same machine
SCALING = ROOT / "bench" / "scaling.md"  # written by bench/scaling (issue 23, point 4)
PAGE_AIM_MS = 200


@dataclass
class Figure:
    key: str
    label: str
    measured: float | None
    measured_text: str
    baseline: float | None
    baseline_text: str
    ratio_text: str
    aim: str
    met: bool | str | None
    higher_is_better: bool = False
    unit: str = ""


def _load(scale: str) -> dict | None:
    path = DATA / scale / "results.json"
    return json.loads(path.read_text()) if path.exists() else None


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _section(result: dict, name: str) -> dict:
    data = result.get("sections", {}).get(name) or {}
    return {} if "error" in data or "skipped" in data else data


def _problem(result: dict, name: str) -> str:
    data = result.get("sections", {}).get(name)
    if data is None:
        return "not measured"
    return data.get("error") or data.get("skipped") or ""


def figures(result: dict) -> list[Figure]:
    out: list[Figure] = []
    scoring = _section(result, "scoring")
    if scoring:
        cold, base = scoring["cold"]["seconds"], scoring["baseline"]["seconds"]
        ratio = cold / base if base else None
        out.append(
            Figure(
                "scoring",
                f"1. Rescoring every campaign of {scoring['year']} on 2 Celery workers "
                f"({scoring['cold']['units']:,} units, {scoring['answers']:,} answers, from scratch)",
                cold,
                f"{_num(cold)} s",
                base,
                f"{_num(base, 2)} s (one GROUP BY assessment_id)",
                f"{_num(ratio, 1)}×",
                "≤ 3× and ≤ 60 s",
                _both(ratio is not None and ratio <= 3, cold <= 60),
                unit="s",
            )
        )
        warm = scoring["unchanged"]["seconds"]
        out.append(
            Figure(
                "scoring_unchanged",
                "1b. Same, nothing changed since (every unit recomputed, no row rewritten)",
                warm,
                f"{_num(warm)} s",
                base,
                f"{_num(base, 2)} s",
                f"{_num(warm / base if base else None, 1)}×",
                "≤ 3× and ≤ 60 s",
                _both(bool(base) and warm / base <= 3, warm <= 60),
                unit="s",
            )
        )
        one = scoring.get("in_process_unchanged")
        if one:
            out.append(
                Figure(
                    "scoring_one_process",
                    "1c. Same unchanged rerun in one process, no queue (`bench/score.py`)",
                    one["seconds"],
                    f"{_num(one['seconds'])} s",
                    base,
                    f"{_num(base, 2)} s",
                    f"{_num(one['seconds'] / base if base else None, 1)}×",
                    "(for comparison)",
                    None,
                    unit="s",
                )
            )
    paths = scoring.get("in_process") if scoring else None
    if paths:  # issue 23: the set-based path beside the engine path, from scratch, one process
        engine, ours = paths["engine_cold"]["seconds"], paths["set_based_cold"]["seconds"]
        for key, label, value in (
            (
                "scoring_engine_path",
                "1d. From scratch in one process, every unit through the engine (`bench/score.py`)",
                engine,
            ),
            (
                "scoring_set_based_path",
                "1e. Same, residential areas and institutions set-based in SQL (communes by the engine)",
                ours,
            ),
        ):
            out.append(
                Figure(
                    key,
                    label,
                    value,
                    f"{_num(value)} s",
                    base,
                    f"{_num(base, 2)} s",
                    f"{_num(value / base if base else None, 1)}×",
                    "(for comparison)",
                    None,
                    unit="s",
                )
            )
    if scoring and scoring["cold"].get("worker_peak_rss_mib"):
        cold_rss, warm_rss = scoring["cold"], scoring["unchanged"]
        out.append(
            Figure(
                "scoring_memory",
                "1f. Peak RSS of the Celery workers during the rescoring of figures 1 and 1b (largest process; all worker processes together)",
                cold_rss["worker_peak_rss_mib"],
                f"from scratch {_num(cold_rss['worker_peak_rss_mib'])} MiB ({_num(cold_rss['workers_peak_rss_total_mib'])} MiB); "
                f"unchanged {_num(warm_rss['worker_peak_rss_mib'])} MiB",
                None,
                "–",
                "–",
                "(stated)",
                None,
                unit="MiB",
            )
        )
    unit = _section(result, "unit")
    if unit:
        out.append(
            Figure(
                "unit",
                f"2. One unit rescored with its commune and province summary ({unit['province']}, "
                f"{unit['province_units']:,} units; p50, p95 of {unit['samples']})",
                unit["p95_ms"],
                f"{_num(unit['p50_ms'])} ms, p95 {_num(unit['p95_ms'])} ms",
                unit["baseline_p50_ms"],
                f"{_num(unit['baseline_p50_ms'])} ms (the same reads as 3 SQL aggregates)",
                f"{_num(unit['ratio'])}×",
                "< 100 ms",
                unit["p95_ms"] < 100,
                unit="ms",
            )
        )
    pdf = _section(result, "pdf")
    lo = pdf.get("libreoffice", {}) if pdf else {}
    has_lo = bool(lo) and "skipped" not in lo
    if pdf:
        bulk = pdf["bulk"]
        out.append(
            Figure(
                "bulk",
                f"3a. Certificates, one process: our pipeline ({bulk['pages']} pages, chunks of "
                f"{bulk['chunk_size']}"
                + (
                    ", to the merged PDF; QR codes drawn when issued, the zip of single PDFs in "
                    "its own task) vs raw WeasyPrint, same HTML"
                    + (
                        f", best of {bulk['rounds']} alternating rounds of process CPU"
                        if bulk.get("clock") == "process CPU"
                        else ""
                    )
                    if "zip_seconds" in bulk
                    else ", merged PDF + zip) vs raw WeasyPrint, same HTML"
                ),
                bulk["ours_pages_per_second"],
                f"{_num(bulk['ours_pages_per_second'])} pages/s"
                + (
                    f"; zip +{_num(bulk['zip_ms_per_page'])} ms/page ({bulk['ratio_with_zip']:.2f}× with it)"
                    if "zip_seconds" in bulk
                    else ""
                ),
                bulk["raw_pages_per_second"],
                f"{_num(bulk['raw_pages_per_second'])} pages/s",
                f"{bulk['ratio']:.2f}×",
                "≥ 0.9×",
                bulk["ratio"] >= 0.9,
                higher_is_better=True,
                unit="pages/s",
            )
        )
    printing = _section(result, "print")
    versus = (printing or {}).get("versus_libreoffice")
    if versus and "skipped" not in versus:
        job, lo_side = versus["job"], versus["libreoffice"]
        ours, theirs = 1000 / job["median_ms_per_page"], 1000 / lo_side["median_ms_per_page"]
        out.append(
            Figure(
                "decision",
                f"3b. A whole decision ({versus['pages']} certificates) printed by the real job on 2 "
                "Celery workers (to the merged PDF; the zip of single PDFs follows in its own task) vs "
                f"LibreOffice converting the equivalent {versus['pages']}-page mail merge, LibreOffice at "
                f"nice {versus['libreoffice_nice']} like the workers; {versus['rounds']} alternating rounds, "
                "median (best); CPU per page beside (the job's: both workers'), steadier than the clock "
                "under load",
                ours,
                f"{_num(ours)} pages/s ({_num(job['median_ms_per_page'])} ms/page, best "
                f"{_num(job['best_ms_per_page'])}); CPU {_num(job['median_cpu_ms_per_page'])} ms/page",
                theirs,
                f"{_num(theirs)} pages/s ({_num(lo_side['median_ms_per_page'])} ms/page, best "
                f"{_num(lo_side['best_ms_per_page'])}); CPU {_num(lo_side['median_cpu_ms_per_page'])} ms/page",
                f"{versus['wall_ratio_median']:.2f}× ({versus['wall_ratio_best']:.2f}× best); "
                f"CPU {versus['cpu_ratio_median']:.2f}×",
                "> 1× (beat LibreOffice per page)",
                versus["wall_ratio_median"] > 1,
                higher_is_better=True,
                unit="pages/s",
            )
        )
    elif printing and has_lo:
        job = printing["decision_100"]
        ratio = job["pages_per_second"] / lo["pages_per_second"]
        out.append(
            Figure(
                "decision",
                f"3b. A whole decision ({job['pages']} certificates) printed by the real job on 2 "
                "Celery workers (to the merged PDF; the zip of single PDFs follows in its own task) vs "
                "LibreOffice converting the equivalent 100-page mail merge",
                job["pages_per_second"],
                f"{_num(job['pages_per_second'])} pages/s ({_num(job['ms_per_page'])} ms/page)"
                + (f"; zip ready after {_num(job['zip_seconds'])} s" if "zip_seconds" in job else ""),
                lo["pages_per_second"],
                f"{_num(lo['pages_per_second'])} pages/s ({_num(lo['ms_per_page'])} ms/page)",
                f"{ratio:.2f}×",
                "> 1× (beat LibreOffice per page)",
                ratio > 1,
                higher_is_better=True,
                unit="pages/s",
            )
        )
    if pdf and has_lo:
        single = pdf["single"]
        ratio = lo["single_seconds"] * 1000 / single["warm_p50_ms"]
        out.append(
            Figure(
                "single",
                "3c. One certificate on demand in a warm process vs LibreOffice (new process, "
                "1-page document)",
                single["warm_p50_ms"],
                f"{_num(single['warm_p50_ms'])} ms",
                lo["single_seconds"] * 1000,
                f"{_num(lo['single_seconds'] * 1000)} ms",
                f"{_num(ratio)}× faster",
                "≥ 20× faster",
                ratio >= 20,
                unit="ms",
            )
        )
    memory = _section(result, "memory")
    if memory:
        job = memory["decision_1000"]
        one = memory.get("one_process", {})
        peak = max(job["peak_worker_rss_mib"], one.get("peak_rss_mib", 0))
        base = lo.get("peak_rss_mib") if has_lo else None
        out.append(
            Figure(
                "memory",
                f"4. Peak RSS printing {job['pages']:,} certificates (largest worker process; "
                f"one fresh process: {_num(one.get('peak_rss_mib'))} MiB)",
                peak,
                f"{_num(job['peak_worker_rss_mib'])} MiB ({_num(job['seconds'])} s, "
                f"{_num(job['pages_per_second'])} pages/s)",
                base,
                f"{_num(base)} MiB (LibreOffice, 100 pages)" if base else "–",
                f"{peak / base:.2f}×" if base else "–",
                "< 300 MiB",
                peak < 300,
                unit="MiB",
            )
        )
    pages = _section(result, "pages")
    if pages:
        floor = pages["pages"].get("floor", {})
        for key, page in pages["pages"].items():
            if key == "floor":
                continue
            out.append(
                Figure(
                    f"page_{key}",
                    f"5. {page['page']} — {page['queries']} queries",
                    page["p95_ms"],
                    f"p50 {_num(page['p50_ms'])} ms, p95 {_num(page['p95_ms'])} ms",
                    floor.get("p95_ms"),
                    f"p95 {_num(floor.get('p95_ms'))} ms (/healthz)",
                    f"{_num(page['p95_ms'] / floor['p95_ms'])}×" if floor.get("p95_ms") else "–",
                    f"p95 < {PAGE_AIM_MS} ms",
                    page["status"] == 200 and page["p95_ms"] < PAGE_AIM_MS,
                    unit="ms",
                )
            )
    out += _cpu_figures(result)
    return out


def _cpu_figures(result: dict) -> list[Figure]:
    """Issue 23: CPU per request (web + database) beside the bare view, with the base commit's
    figures from the same machine (bench/cpu_before.json)."""
    cpu = _section(result, "cpu")
    if not cpu:
        return []
    rows, before = cpu["rows"], cpu.get("before", {}).get("rows", {})
    bare, aim = rows["bare"], cpu["aim"]
    out = []
    for key, row in rows.items():
        if key == "bare":
            continue
        old = before.get(key)
        was = ""
        if old:
            load = (cpu["before"].get("loadavg_start") or ["?"])[0]
            was = (
                f"; before ({cpu['before'].get('revision', 'base')}, load {load}): {_num(old['cpu_ms'])} ms, "
                f"{_num(old['ratio'])}×, {_queries(old['queries'])}"
            )
        out.append(
            Figure(
                f"cpu_{key}",
                f"6. CPU per request: {row['label']} — {_queries(row['queries'])}"
                f" (median of {row['n']}; web {_num(row['web_ms'])} + database {_num(row['db_ms'])} ms{was})",
                row["cpu_ms"],
                f"{_num(row['cpu_ms'])} ms",
                bare["cpu_ms"],
                f"{_num(bare['cpu_ms'])} ms (bare view, {_queries(bare['queries'])})",
                f"{_num(row['ratio'])}×",
                f"≤ {aim['ratio']:g}× and ≤ {aim['cpu_ms']:g} ms",
                _cpu_met(row, aim),
                unit="ms",
            )
        )
    return out


def _queries(counts: list[int]) -> str:
    return f"{'/'.join(map(str, counts))} {'query' if counts == [1] else 'queries'}"


def _cpu_met(row: dict, aim: dict) -> bool | str:
    ratio_ok = row["ratio"] is not None and row["ratio"] <= aim["ratio"]
    ms_ok = row["cpu_ms"] is not None and row["cpu_ms"] <= aim["cpu_ms"]
    if ratio_ok == ms_ok:
        return ratio_ok
    return f"{'yes' if ratio_ok else '**no**'} (ratio) · {'yes' if ms_ok else '**no**'} (ms)"


def _both(ratio_ok: bool, time_ok: bool) -> bool | str:
    if ratio_ok and time_ok:
        return True
    if not ratio_ok and not time_ok:
        return False
    return f"{'yes' if ratio_ok else '**no**'} (3×) · {'yes' if time_ok else '**no**'} (60 s)"


def _met(value: bool | str | None) -> str:
    if isinstance(value, str):
        return value
    return "–" if value is None else ("yes" if value else "**no**")


def _summary(result: dict) -> list[str]:
    m = result["machine"]
    d = result["dataset"]
    units = d["units"]
    build = result.get("dataset_build", {})
    lines = [
        f"- **Date:** {result['date']} · **revision** `{result.get('revision', '')}` · whole run "
        f"{result['seconds']:.0f} s"
        + (
            f" (+ {build['seconds']:.0f} s to build the data set once, on {build['date'][:10]})"
            if build
            else ""
        ),
        f"- **Machine:** {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, PostgreSQL {result['versions']['postgresql']}, WeasyPrint "
        f"{result['versions']['weasyprint']}, Django {result['versions']['django']}",
        f"- **Load average** (other engineers' work on the same 2 cores): {result['loadavg_start']} at the "
        f"start, {result['loadavg_end']} at the end",
        f"- **Data set ({d['year']}):** {units.get('province', 0):,} provinces, {units.get('commune', 0):,} "
        f"communes, {units.get('residential_area', 0):,} residential areas, "
        f"{units.get('agency', 0) + units.get('enterprise', 0) + units.get('school', 0):,} agencies, "
        f"enterprises and schools; {d['assessments']:,} assessments and {d['answers']:,} answers this "
        f"year ({d['answers_all_years']:,} with last year)",
    ]
    problems = [
        f"`{name}`: {_problem(result, name)}" for name in result.get("sections", {}) if _problem(result, name)
    ]
    if problems:
        lines.append("- **Not measured this run:** " + "; ".join(problems))
    return lines


def _table(result: dict) -> list[str]:
    rows = [
        "| Figure | Measured | Baseline (same run) | Ratio | Aim | Met? |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    before = _before(result["scale"])
    for f in figures(result):
        measured = f.measured_text + (f"; before: {before[f.key]}" if f.key in before else "")
        rows.append(
            f"| {f.label} | {measured} | {f.baseline_text} | {f.ratio_text} | {f.aim} | {_met(f.met)} |"
        )
    return rows


def _before(scale: str) -> dict[str, str]:
    """Figure key → its "before" figure from the same machine (bench/before.json, by scale)."""
    return json.loads(BEFORE.read_text()).get(scale, {}) if BEFORE.exists() else {}


def _pages_table(results: dict[str, dict]) -> list[str]:
    scales = [s for s in ("province", "national") if s in results and _section(results[s], "pages")]
    if not scales:
        return []
    header = "| Page | " + " | ".join(f"{s}: queries | {s}: p50 / p95 ms | {s}: KB" for s in scales) + " |"
    rows = [header, "| --- |" + " --- | --- | --- |" * len(scales)]
    keys: list[str] = []
    for s in scales:
        for key in _section(results[s], "pages")["pages"]:
            if key not in keys:
                keys.append(key)
    for key in keys:
        cells, label = [], ""
        for s in scales:
            page = _section(results[s], "pages")["pages"].get(key)
            if page is None:
                cells += ["–", "–", "–"]
                continue
            label = label or page["page"].split(" (")[0]
            cells += [
                str(page["queries"]),
                f"{_num(page['p50_ms'])} / {_num(page['p95_ms'])}",
                f"{page['bytes'] / 1024:,.0f}",
            ]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    if len(scales) == 2:
        grew, heavier = [], []
        for key in keys:
            a = _section(results["province"], "pages")["pages"].get(key)
            b = _section(results["national"], "pages")["pages"].get(key)
            if a and b and b["queries"] > a["queries"]:
                grew.append(f"{key} ({a['queries']} → {b['queries']})")
            if a and b and b["bytes"] > 2 * a["bytes"]:
                heavier.append(f"{a['page'].split(' (')[0]} ({a['bytes'] // 1024} → {b['bytes'] // 1024} KB)")
        rows.append("")
        rows.append(
            "Queries per page at national scale vs province scale: "
            + (
                "**grew** for " + ", ".join(grew)
                if grew
                else "the same for every page (they do not grow with the data)."
            )
            + (" But some pages grow with the data: " + "; ".join(heavier) + "." if heavier else "")
        )
    return rows


# --- chart -------------------------------------------------------------------------------------


def chart(result: dict) -> str:
    """One row per figure: our bar and the baseline's, scaled to the larger of the two, with
    values; green when the aim is met, red when not."""
    rows = [f for f in figures(result) if f.measured is not None and f.baseline is not None]
    rows = [f for f in rows if not f.key.startswith(("page_", "cpu_"))] + [
        f for f in rows if f.key in ("page_communes", "page_assessment_form", "page_dashboard")
    ]
    width, left, bar_w, row_h = 900, 330, 430, 46
    height = 60 + row_h * len(rows) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Liberation Sans, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">antt benchmarks — {escape(result["scale"])} '
        f"scale, {escape(result['date'][:10])}, {result['machine']['nproc']} cores</text>",
        '<text x="10" y="40" fill="#555">Dark bar: antt (green = aim met, red = missed). Grey bar: the '
        "baseline measured in the same run. Each row has its own scale.</text>",
    ]
    y = 60
    for f in rows:
        top = max(f.measured, f.baseline) or 1
        label = f.label.split(" (")[0].split(" — ")[0]
        if f.key.startswith("page_"):
            label = "5. p95 " + f.key.removeprefix("page_").replace("_", " ")
        label = label if len(label) <= 52 else label[:51] + "…"
        color = "#546e7a" if f.met is None else ("#2e7d32" if f.met is True else "#c62828")
        ours_len = bar_w * f.measured / top
        base_len = bar_w * f.baseline / top
        better = "higher is better" if f.higher_is_better else "lower is better"
        out += [
            f'<text x="10" y="{y + 14}">{escape(label)}</text>',
            f'<text x="10" y="{y + 30}" fill="#777" font-size="10">{escape(f.unit)}, {better}; ratio '
            f"{escape(f.ratio_text)}</text>",
            f'<rect x="{left}" y="{y + 2}" width="{ours_len:.1f}" height="16" fill="{color}"/>',
            f'<text x="{left + ours_len + 5:.1f}" y="{y + 15}">{_num(f.measured)} {escape(f.unit)}</text>',
            f'<rect x="{left}" y="{y + 21}" width="{base_len:.1f}" height="12" fill="#b0b0b0"/>',
            f'<text x="{left + base_len + 5:.1f}" y="{y + 31}" fill="#555">{_num(f.baseline)} {escape(f.unit)}</text>',
        ]
        y += row_h
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- document ----------------------------------------------------------------------------------

INTRO = """# Benchmarks

`bench/run` measures antt on a synthetic data set — one province (`--scale province`: Hồ Chí Minh
City, 168 communes) or the whole country (`--scale national`: 34 provinces, 3,321 communes) — and
writes this page. Every figure stands beside a baseline **measured in the same run on the same
machine**, and the ratio between them is the figure to trust: absolute times move with the
machine and with whatever else runs on it.

```sh
bench/run                      # province scale: a few minutes (+ building the data set once)
bench/run --scale national     # the whole country: under 30 minutes (+ building the data set once)
bench/run --only pages,unit    # some sections only: scoring unit pdf print memory pages
bench/load                     # 200 officers at the deadline (docs/reliability.md, "Load")
```

How it measures (code in `bench/`): PostgreSQL 15 (defaults: fsync and synchronous commit on;
`shared_buffers` 512 MB) with the data set kept under `bench/data/<scale>/` and reused by later
runs, Redis and **two Celery worker processes** (`--concurrency=2`, as docker-compose.yml) on
loopback. Scoring runs on the workers exactly as `manage.py score_campaign` does; one unit's
rescoring and the pages run in the measuring process (`django.test.Client`, the whole Django
stack without an HTTP server; the load test goes through gunicorn); certificates are printed by
the real print job on the workers, and LibreOffice (`soffice --headless --convert-to pdf`, a
fresh `-env:UserInstallation` profile made for the run and warmed once) converts an equivalent
mail-merge document (`bench/libreoffice.py`: same data, layout and QR codes, one certificate per
page). Best of 2 rounds where a figure is cheap to repeat (a shared machine's noise only slows
things down). Figure 3b alternates the print job and LibreOffice over 5 rounds, LibreOffice at
nice 10 like the workers, and gives the CPU per page of each beside the clock: the neighbours
move the clock's ratio (0.59–1.36× between runs under load, issue 23), hardly the CPU's.

**Noise.** These machines have 2 cores shared by several engineers running tests at the same
time: the load average is printed with each run. Ratios hold better than absolute times, but a
busy neighbour during one side of a pair still shifts them; rerun before drawing conclusions
from a small difference.
"""


def document(results: dict[str, dict], chart_scale: str) -> str:
    parts = [INTRO]
    if chart_scale in results:
        parts.append(f"![Benchmark chart ({chart_scale} scale)](img/benchmarks.svg)\n")
    for scale in ("national", "province"):
        result = results.get(scale)
        if not result:
            continue
        parts.append(f"## {scale.capitalize()} scale — latest run\n")
        parts.append("\n".join(_summary(result)) + "\n")
        parts.append("\n".join(_table(result)) + "\n")
    pages = _pages_table(results)
    if pages:
        parts.append("## Pages: SQL queries and latency at both scales\n")
        parts.append(
            "Each page measured 20 times after 2 warm-up requests, logged in as the user it is "
            "for; the query count is the same on every request.\n"
        )
        parts.append("\n".join(pages) + "\n")
    if SCALING.exists():
        parts.append(SCALING.read_text().strip() + "\n")
    if ANALYSIS.exists():
        parts.append(ANALYSIS.read_text().strip() + "\n")
    if BEFORE_AFTER.exists():
        parts.append(BEFORE_AFTER.read_text().strip() + "\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["province", "national"])
    args = parser.parse_args()
    results = {s: r for s in ("province", "national") if (r := _load(s))}
    if not results:
        raise SystemExit("no results: run bench/run first")
    scale = args.scale or max(results, key=lambda s: results[s]["date"])
    if scale not in results:
        scale = next(iter(results))
    SVG.parent.mkdir(parents=True, exist_ok=True)
    SVG.write_text(chart(results[scale]))
    DOC.write_text(document(results, scale))


if __name__ == "__main__":
    main()
