"""Before/after of the QR change (SVG path → one-pixel-per-module PNG): CPU per certificate page,
both variants alternating in one process, on the demo database of ``scripts/run``.
Historical (2026-11): since 2026-12-07 a certificate keeps its QR code from the day it is issued
(``Certificate.qr_png``) and printing no longer calls ``qr_data_uri``, so this script no longer
measures the printing path; its figures are in bench/before_after.md.

    .venv/bin/python bench/qr_before_after.py
"""

import os
import sys
import time
from pathlib import Path

import django


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    django.setup()
    import segno

    from certification.documents import pdf
    from certification.documents.certificates import render_certificates_pdf
    from certification.models import Certificate

    def svg(url: str) -> str:  # what qr_data_uri returned before
        return segno.make(url, error="m").svg_data_uri(scale=4, border=1, dark="#000", light=None)

    first = Certificate.objects.order_by("pk").first()
    if first is None:
        sys.exit("no certificate: run scripts/run (setup_demo) first")
    pages = [first] * 60
    png = pdf.qr_data_uri
    render_certificates_pdf(pages[:2])  # warm-up
    for round_ in range(2):
        for name, make in (("svg (before)", svg), ("png (after)", png)):
            pdf.qr_data_uri = make
            start = time.process_time()
            render_certificates_pdf(pages)
            per_page = (time.process_time() - start) / len(pages) * 1000
            print(f"round {round_ + 1} {name}: {per_page:.1f} ms CPU per page ({len(pages)} pages)")


if __name__ == "__main__":
    main()
