"""Merging the print job's chunks and splitting them into one PDF per certificate (pikepdf)."""

import io

import pikepdf
import pytest
from pypdf import PdfReader

from certification.documents import printing as print_jobs
from certification.documents.certificates import render_certificates_pdf
from tests.certification.documents.conftest import pdf_fonts, pdf_text

LIBERATION = {"Liberation-Serif", "Liberation-Serif-Bold", "Liberation-Serif-Italic"}


@pytest.fixture
def chunks(decision) -> list[bytes]:
    certificates = list(decision.certificates.order_by("register_number"))
    return [render_certificates_pdf(certificates[:3]), render_certificates_pdf(certificates[3:])]


def merged(chunks) -> bytes:
    out = io.BytesIO()
    print_jobs.merge_pdfs(chunks, out)
    return out.getvalue()


@pytest.mark.django_db
def test_merged_chunks_keep_every_page_in_order_with_only_liberation_serif(chunks):
    data = merged(chunks)

    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 5
    texts = [page.extract_text() for page in reader.pages]
    assert all(f"Tổ dân phố {n}" in texts[n - 1] for n in range(1, 6))
    assert {font.split("+")[-1] for font in pdf_fonts(data)} <= LIBERATION
    assert reader.trailer["/Root"]["/Lang"] == "vi"  # screen readers read Vietnamese


@pytest.mark.django_db
def test_each_single_pdf_has_one_page_and_only_its_certificate(chunks):
    singles = list(print_jobs.single_pdfs(merged(chunks)))

    assert len(singles) == 5
    for n, single in enumerate(singles, start=1):
        assert len(PdfReader(io.BytesIO(single), strict=True).pages) == 1
        text = pdf_text(single)
        assert f"Tổ dân phố {n}" in text and "GIẤY CÔNG NHẬN" in text
        assert all(f"Tổ dân phố {m}" not in text for m in range(1, 6) if m != n)
        assert {font.split("+")[-1] for font in pdf_fonts(single)} <= LIBERATION


@pytest.mark.django_db
def test_a_single_pdf_carries_only_what_its_page_uses(chunks):
    data = merged(chunks)
    singles = list(print_jobs.single_pdfs(data))

    # Each single PDF has the fonts it needs but not the other pages' content: much smaller
    # than the merged file, not a copy of it with four pages hidden.
    assert all(len(single) < len(data) / 2 for single in singles)


def test_a_damaged_chunk_is_refused_rather_than_merged_into_a_broken_pdf():
    with pytest.raises(pikepdf.PdfError):
        merged([b"%PDF-1.7\nnot really a pdf"])


def _drawn_images(page: pikepdf.Page) -> set[str]:
    return {
        str(operands[0]) for operands, operator in pikepdf.parse_content_stream(page) if str(operator) == "Do"
    }


@pytest.mark.django_db
def test_a_single_pdf_holds_only_its_own_qr_code_not_those_of_its_chunk(chunks):
    data = merged(chunks)
    with pikepdf.open(io.BytesIO(data)) as source:
        drawn = [_drawn_images(page) for page in source.pages]

    for n, single in enumerate(print_jobs.single_pdfs(data)):
        with pikepdf.open(io.BytesIO(single)) as pdf:
            images = [
                obj
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
            ]
            assert len(images) == len(drawn[n]) == 1  # the certificate's QR code
            assert set(pdf.pages[0].Resources.XObject.keys()) == drawn[n]
