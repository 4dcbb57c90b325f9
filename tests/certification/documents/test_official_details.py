"""Details a clerk would send back (issue 21, point 4): numbers from "01" (NĐ 30/2020 Art. 15(1)),
an authority line that agrees with the signature block, and every PDF the product writes — print
jobs and the PDFs in their zips included — PDF 1.4 or later with a title and the language vi."""

import io
import zipfile

import pikepdf
import pytest

from certification.documents.certificates import certificate_pdf
from certification.documents.decisions import decision_pdf
from certification.documents.reports import build_report, summary_pdf
from certification.models import Decision, PrintJob
from certification.services.printing import start_print_job
from tests.certification.documents.conftest import pdf_lines, pdf_text, recognize, signature_block


@pytest.mark.django_db
def test_numbers_print_from_01(decision, certificate):
    assert decision.reference == "01/QĐ-UBND"
    text = pdf_text(decision_pdf(decision))
    assert "Số: 01/QĐ-UBND" in text and "Kèm theo Quyết định số 01/QĐ-UBND" in text
    assert "Kèm theo Quyết định số 01/QĐ-UBND" in pdf_text(certificate_pdf(certificate))
    assert Decision(number=10, symbol="QĐ-UBND").reference == "10/QĐ-UBND"


COMMITTEE = "Ủy ban nhân dân phường Vũng Áng"
CHAIRMAN = "Chủ tịch Ủy ban nhân dân phường Vũng Áng"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("signed_for", "title", "authority", "block"),
    [
        ("", "Chủ tịch", CHAIRMAN, ["CHỦ TỊCH"]),
        ("KT.", "Phó Chủ tịch", CHAIRMAN, ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
        ("TM.", "Chủ tịch", COMMITTEE, ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]),
        ("TM.", "Phó Chủ tịch", COMMITTEE, ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    ],
)
def test_the_authority_line_and_the_signature_block_agree(
    assessments, commune, approver, signed_for, title, authority, block
):
    decision = recognize(
        assessments,
        issuer=commune,
        by=approver,
        signed_for=signed_for,
        signer_title=title,
        signer_name="Lê Văn An",
    )
    data = decision_pdf(decision)
    text = pdf_text(data)
    assert f"năm 2026 {authority.upper()} Căn cứ Luật" in text
    assert f"ngày 12 tháng 11 năm 2026 của {authority})" in text  # the annex names the same author
    assert signature_block(data, "Lê Văn An") == block
    certificate = decision.certificates.first()
    assert f"của {authority})" in pdf_text(certificate_pdf(certificate))


def _described(data: bytes) -> tuple[str, str, str]:
    with pikepdf.open(io.BytesIO(data)) as document:
        return (
            document.pdf_version,
            str(document.docinfo.get("/Title", "")),
            str(document.Root.get("/Lang", "")),
        )


def _assert_described(data: bytes, title: str) -> None:
    version, found, lang = _described(data)
    assert tuple(int(p) for p in version.split(".")) >= (1, 4), version
    assert title in found and lang == "vi", (found, lang)
    assert data.startswith(b"%PDF-1.") and int(data[7:8]) >= 4


@pytest.mark.django_db
def test_every_pdf_is_version_1_4_or_later_with_a_title_and_language_vi(
    decision, certificate, province, clerk, media_root, django_capture_on_commit_callbacks
):
    _assert_described(decision_pdf(decision), "Quyết định số 01/QĐ-UBND về việc công nhận khu dân cư")
    _assert_described(certificate_pdf(certificate), "Giấy công nhận Tổ dân phố 1 năm 2026")
    _assert_described(summary_pdf(build_report(scope=province, year=2026)), "Báo cáo tổng kết")
    with django_capture_on_commit_callbacks(execute=True):
        job = start_print_job(decision=decision, by=clerk)
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE, job.error
    _assert_described(
        (media_root / job.pdf.name).read_bytes(), "Giấy công nhận theo Quyết định số 01/QĐ-UBND"
    )
    with zipfile.ZipFile(media_root / job.zip.name) as archive:
        entries = [archive.read(name) for name in archive.namelist()]
    assert len(entries) == 5
    for n, entry in enumerate(entries, start=1):
        _assert_described(entry, f"Giấy công nhận Tổ dân phố {n} năm 2026")
    assert pdf_lines(entries[0])  # still readable text
