"""Merging and splitting the print job's PDFs by copying objects (certification/pdf_pages.py)."""

import io

import pytest
from pypdf import PdfReader

from certification import pdf_pages, print_jobs
from certification.certificates import render_certificates_pdf

from .conftest import pdf_fonts, pdf_text


@pytest.fixture
def chunks(decision) -> list[bytes]:
    certificates = list(decision.certificates.order_by("register_number"))
    return [render_certificates_pdf(certificates[:3]), render_certificates_pdf(certificates[3:])]


@pytest.mark.django_db
def test_merged_chunks_keep_every_page_in_order_with_only_liberation_serif(chunks):
    out = io.BytesIO()
    assert pdf_pages.merge(chunks, out) == 5
    merged = out.getvalue()
    reader = PdfReader(io.BytesIO(merged), strict=True)
    assert len(reader.pages) == 5
    texts = [page.extract_text() for page in reader.pages]
    assert all(f"Tổ dân phố {n}" in texts[n - 1] for n in range(1, 6))
    assert {font.split("+")[-1] for font in pdf_fonts(merged)} <= {
        "Liberation-Serif",
        "Liberation-Serif-Bold",
        "Liberation-Serif-Italic",
    }


@pytest.mark.django_db
def test_each_single_pdf_has_one_page_and_only_its_certificate(chunks):
    out = io.BytesIO()
    pdf_pages.merge(chunks, out)
    singles = list(pdf_pages.split(out.getvalue()))
    assert len(singles) == 5
    for n, single in enumerate(singles, start=1):
        assert len(PdfReader(io.BytesIO(single), strict=True).pages) == 1
        text = pdf_text(single)
        assert f"Tổ dân phố {n}" in text and "GIẤY CÔNG NHẬN" in text
        assert all(f"Tổ dân phố {m}" not in text for m in range(1, 6) if m != n)


def test_a_file_that_is_not_a_weasyprint_pdf_is_refused():
    with pytest.raises(pdf_pages.UnsupportedPDF):
        list(pdf_pages.split(b"%PDF-1.7\nnot really a pdf"))


@pytest.mark.django_db
def test_a_pdf_of_another_shape_falls_back_on_pypdf(chunks, monkeypatch):
    def unsupported(*args, **kwargs):
        raise pdf_pages.UnsupportedPDF("nested page tree")

    monkeypatch.setattr(pdf_pages, "split", unsupported)
    monkeypatch.setattr(pdf_pages, "merge", unsupported)
    out = io.BytesIO()
    print_jobs.merge_pdfs(chunks, out)
    singles = list(print_jobs.single_pdfs(out.getvalue()))
    assert len(singles) == 5 and "Tổ dân phố 4" in pdf_text(singles[3])
