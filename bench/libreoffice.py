"""The LibreOffice baseline of figure 3 (today's practice in commune offices: a mail-merge
document of certificates converted to PDF).

:func:`fodt` writes the equivalent of our certificate pages as a flat OpenDocument text (.fodt):
the same data (``bench.pdf.synthetic_certificates``), A4 landscape, double page border,
Liberation Serif, the two-column header, title, unit, text, register number, the same QR code
(PNG, embedded) and the signature block — one page per certificate, as a mail merge produces.
:func:`measure` converts a 100-page and a 1-page document with ``soffice --headless
--convert-to pdf`` in a fresh profile (``-env:UserInstallation``) created for the run and warmed
once, untimed, and samples the peak RSS of the LibreOffice processes.
"""

from __future__ import annotations

import base64
import io
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from bench.procs import PeakRSS

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)

STYLES = """
<office:font-face-decls>
 <style:font-face style:name="Liberation Serif" svg:font-family="'Liberation Serif'" style:font-family-generic="roman"/>
</office:font-face-decls>
<office:styles>
 <style:default-style style:family="paragraph">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="0mm" fo:margin-bottom="0mm"/>
  <style:text-properties style:font-name="Liberation Serif" fo:font-size="14pt" fo:language="vi" fo:country="VN"/>
 </style:default-style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="pm1">
  <style:page-layout-properties fo:page-width="297mm" fo:page-height="210mm" style:print-orientation="landscape"
   fo:margin-top="9mm" fo:margin-bottom="9mm" fo:margin-left="9mm" fo:margin-right="9mm"
   fo:border="5pt double #8a1c1c" fo:padding-top="8mm" fo:padding-left="14mm" fo:padding-right="14mm" fo:padding-bottom="4mm"/>
 </style:page-layout>
 <style:style style:name="Thead" style:family="table"><style:table-properties style:width="251mm" table:align="center"/></style:style>
 <style:style style:name="TheadBreak" style:family="table"><style:table-properties style:width="251mm" table:align="center" fo:break-before="page"/></style:style>
 <style:style style:name="Cleft" style:family="table-column"><style:table-column-properties style:column-width="100mm"/></style:style>
 <style:style style:name="Cright" style:family="table-column"><style:table-column-properties style:column-width="151mm"/></style:style>
 <style:style style:name="Tfoot" style:family="table"><style:table-properties style:width="251mm" table:align="center" fo:margin-top="5mm"/></style:style>
 <style:style style:name="Hb" style:family="paragraph"><style:text-properties fo:font-size="13pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Motto" style:family="paragraph"><style:text-properties fo:font-size="14pt" fo:font-weight="bold" style:text-underline-style="solid" style:text-underline-width="auto" style:text-underline-color="font-color"/></style:style>
 <style:style style:name="Authority" style:family="paragraph"><style:paragraph-properties fo:margin-top="9mm"/><style:text-properties fo:font-size="16pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Title" style:family="paragraph"><style:paragraph-properties fo:margin-top="4mm"/><style:text-properties fo:font-size="40pt" fo:font-weight="bold" fo:color="#b01c1c" fo:letter-spacing="1.5pt"/></style:style>
 <style:style style:name="Unit" style:family="paragraph"><style:paragraph-properties fo:margin-top="6mm"/><style:text-properties fo:font-size="26pt" fo:font-weight="bold" fo:color="#1a2f6e"/></style:style>
 <style:style style:name="Where" style:family="paragraph"><style:paragraph-properties fo:margin-top="1.5mm"/><style:text-properties fo:font-size="16pt"/></style:style>
 <style:style style:name="Standard" style:family="paragraph"><style:paragraph-properties fo:margin-top="5mm"/><style:text-properties fo:font-size="19pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Ref" style:family="paragraph"><style:paragraph-properties fo:margin-top="3mm"/><style:text-properties fo:font-size="13pt" fo:font-style="italic"/></style:style>
 <style:style style:name="Reg" style:family="paragraph"><style:text-properties fo:font-size="13pt"/></style:style>
 <style:style style:name="Small" style:family="paragraph"><style:text-properties fo:font-size="9.5pt" fo:font-style="italic"/></style:style>
 <style:style style:name="Date" style:family="paragraph"><style:text-properties fo:font-style="italic"/></style:style>
 <style:style style:name="Bold" style:family="paragraph"><style:text-properties fo:font-weight="bold"/></style:style>
 <style:style style:name="Name" style:family="paragraph"><style:paragraph-properties fo:margin-top="16mm"/><style:text-properties fo:font-size="15pt" fo:font-weight="bold"/></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1"/></office:master-styles>
"""


def _p(style: str, text: str) -> str:
    return f'<text:p text:style-name="{style}">{escape(text)}</text:p>'


def _lines(style: str, lines: list[str]) -> str:
    return "".join(_p(style, line) for line in lines)


def _qr_png(url: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=1)
    return base64.b64encode(buffer.getvalue()).decode()


def _page(index: int, c: dict) -> str:
    head_style = "TheadBreak" if index else "Thead"
    qr = (
        f'<text:p text:style-name="Small"><draw:frame draw:name="qr{index}" text:anchor-type="as-char" '
        f'svg:width="28mm" svg:height="28mm"><draw:image><office:binary-data>{c["qr_png"]}'
        "</office:binary-data></draw:image></draw:frame></text:p>"
    )
    return (
        f'<table:table table:name="head{index}" table:style-name="{head_style}">'
        '<table:table-column table:style-name="Cleft"/><table:table-column table:style-name="Cright"/>'
        f"<table:table-row><table:table-cell>{_lines('Hb', c['issuer_header'])}</table:table-cell>"
        f"<table:table-cell>{_p('Hb', 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM')}"
        f"{_p('Motto', 'Độc lập - Tự do - Hạnh phúc')}</table:table-cell></table:table-row></table:table>"
        + _p("Authority", c["decision_authority"].upper())
        + _p("Title", "GIẤY CÔNG NHẬN")
        + _p("Unit", c["unit_name"])
        + _p("Where", c["location"])
        + _p("Standard", f"Đã đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm {c['year']}")
        + _p(
            "Ref",
            f"(Kèm theo Quyết định số {c['decision_reference']} {c['decision_date_text']} "
            f"của {c['decision_authority']})",
        )
        + f'<table:table table:name="foot{index}" table:style-name="Tfoot">'
        '<table:table-column table:style-name="Cleft"/><table:table-column table:style-name="Cright"/>'
        "<table:table-row><table:table-cell>"
        + _p("Reg", f"Số vào sổ: {c['register_number']}")
        + qr
        + f"{_p('Small', 'Quét mã QR để kiểm tra Giấy công nhận')}</table:table-cell>"
        f"<table:table-cell>{_p('Date', c['place_date'])}{_lines('Bold', c['signer_lines'])}"
        f"{_p('Name', c['signer_name'])}</table:table-cell></table:table-row></table:table>"
    )


def fodt(pages: int) -> str:
    """A flat ODT with ``pages`` certificates, one per page (the mail merge's output)."""
    from bench.pdf import synthetic_certificates
    from certification.documents.certificates import verify_url

    body = []
    for index, certificate in enumerate(synthetic_certificates(pages)):
        data = {**certificate.snapshot, "qr_png": _qr_png(verify_url(certificate.code))}
        body.append(_page(index, data))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document {NS} office:version="1.3" '
        'office:mimetype="application/vnd.oasis.opendocument.text">'
        f"{STYLES}<office:body><office:text>{''.join(body)}</office:text></office:body></office:document>"
    )


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def version() -> str:
    exe = soffice()
    if not exe:
        return ""
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


WRITER_PACKAGE = "libreoffice-writer-nogui"  # Debian: Writer without the GUI (the baseline's need)
PROBE = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document {NS} office:version="1.3" '
    'office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>'
    "<text:p>Kiểm tra Writer</text:p></office:text></office:body></office:document>"
)


def writer_problem() -> str:
    """ "" when LibreOffice Writer converts a text document to PDF here; else what is missing.
    ``soffice --version`` answers with any LibreOffice package (the Calc-only ``-nogui`` one
    too), so a one-line .fodt is really converted (a fresh profile, ~2 s) and the PDF checked."""
    exe = soffice()
    if not exe:
        return f"LibreOffice is not installed (apt-get install {WRITER_PACKAGE})"
    with tempfile.TemporaryDirectory(prefix="antt-lo-probe-") as tmp:
        folder = Path(tmp)
        source = folder / "probe.fodt"
        source.write_text(PROBE, encoding="utf-8")
        try:
            _convert(exe, folder / "profile", source, folder)
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            return (
                f"LibreOffice Writer cannot convert a text document ({error}); "
                f"install it: apt-get install {WRITER_PACKAGE}"
            )
        if not (folder / "probe.pdf").read_bytes().startswith(b"%PDF"):
            return f"LibreOffice wrote no PDF for a text document: install {WRITER_PACKAGE}"
    return ""


def _convert(exe: str, profile: Path, source: Path, outdir: Path, *, nice: int = 0) -> tuple[float, float]:
    """(seconds, peak RSS MiB of the largest LibreOffice process) of one conversion, run at
    ``nice`` (figure 3b: the workers' niceness, ``bench.printing.WORKER_NICE``)."""
    command = [
        exe,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(source),
    ]
    started = time.perf_counter()
    if nice:
        command = ["nice", "-n", str(nice), *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakRSS([process.pid]) as peak:
        _out, err = process.communicate(timeout=600)
    seconds = time.perf_counter() - started
    target = outdir / (source.stem + ".pdf")
    if process.returncode != 0 or not target.exists():
        raise RuntimeError(f"soffice failed ({process.returncode}): {err.decode(errors='replace')[-500:]}")
    return seconds, peak.max_process_mib


def convert_cpu(exe: str, profile: Path, source: Path, outdir: Path, *, nice: int = 0) -> dict:
    """One conversion: wall seconds, CPU seconds of the LibreOffice processes (user + system,
    from the rusage of the children this process reaped: soffice and soffice.bin), peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, peak_mib = _convert(exe, profile, source, outdir, nice=nice)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mib": peak_mib}


def _page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def measure(pages: int = 100, *, rounds: int = 2, single_rounds: int = 3) -> dict:
    """LibreOffice converting a ``pages``-page document and a 1-page document (each best of
    its rounds; a new soffice process every time, so the single page includes the start-up)."""
    exe = soffice()
    problem = writer_problem()
    if not exe or problem:
        return {"skipped": problem}
    with tempfile.TemporaryDirectory(prefix="antt-lo-") as tmp:
        tmp = Path(tmp)
        profile, out = tmp / "profile", tmp / "out"
        out.mkdir()
        big, one = tmp / "certificates.fodt", tmp / "one.fodt"
        big.write_text(fodt(pages), encoding="utf-8")
        one.write_text(fodt(1), encoding="utf-8")
        first_start, _ = _convert(exe, profile, one, out)  # creates the fresh profile (untimed)
        big_runs = [_convert(exe, profile, big, out) for _ in range(rounds)]
        pages_out = _page_count(out / "certificates.pdf")
        single_runs = [_convert(exe, profile, one, out) for _ in range(single_rounds)]
    big_seconds = min(s for s, _ in big_runs)
    single_seconds = min(s for s, _ in single_runs)
    return {
        "version": version(),
        "pages": pages,
        "pages_out": pages_out,
        "seconds": round(big_seconds, 3),
        "all_seconds": [round(s, 3) for s, _ in big_runs],
        "ms_per_page": round(big_seconds * 1000 / pages, 1),
        "pages_per_second": round(pages / big_seconds, 2),
        "single_seconds": round(single_seconds, 3),
        "single_all_seconds": [round(s, 3) for s, _ in single_runs],
        "first_start_fresh_profile_seconds": round(first_start, 3),
        "peak_rss_mib": max(m for _, m in big_runs),
        "document": "flat ODT (.fodt), one certificate per page, same data and QR codes",
    }


if __name__ == "__main__":  # bench/run: `python -m bench.libreoffice --check` before measuring
    import sys

    if sys.argv[1:] != ["--check"]:
        sys.exit("usage: python -m bench.libreoffice --check")
    found = writer_problem()
    if found:
        sys.exit(found)
    print(version())
