import subprocess
from urllib.parse import urlparse

import pytest

from antt.errors import WorkflowError
from certification.documents.certificates import (
    certificate_pdf,
    create_certificates,
    replace_certificate,
    revoke_certificates,
)
from certification.models import AuditEvent, Certificate, Decision
from tests.certification.documents.conftest import assert_official_pdf, pdf_pages, pdf_text, recognize
from units.models import Unit


@pytest.mark.django_db
def test_one_certificate_per_recognized_unit_with_gap_free_register_numbers(decision, areas):
    certificates = list(decision.certificates.order_by("register_number"))
    assert [c.register_number for c in certificates] == [1, 2, 3, 4, 5]
    assert sorted(c.unit_id for c in certificates) == sorted(u.pk for u in areas)
    assert len({c.code for c in certificates}) == 5
    assert all(len(c.code) >= 20 for c in certificates)  # unguessable


@pytest.mark.django_db
def test_creating_certificates_again_creates_none_and_returns_the_same(decision, approver):
    before = set(decision.certificates.values_list("pk", flat=True))
    again = create_certificates(decision=decision, by=approver)
    assert {c.pk for c in again} == before
    assert decision.certificates.count() == 5


@pytest.mark.django_db
def test_register_numbers_continue_across_decisions_of_the_same_issuer_and_year(
    decision, campaign, commune, approver, kdc_set, make_user
):
    from certification.models import Assessment

    extra = Unit.objects.create(
        code="18823-TDP99", name="Tổ dân phố 99", label="Tổ dân phố", kind="residential_area", parent=commune
    )
    assessment = Assessment.objects.create(campaign=campaign, unit=extra, criteria_set=kdc_set)
    second = recognize([assessment], issuer=commune, by=approver)
    assert second.number == 2
    assert second.certificates.get().register_number == 6


@pytest.mark.django_db
def test_the_snapshot_keeps_the_content_as_issued(certificate, area):
    expected = {
        "unit_name": "Tổ dân phố 1",
        "commune": "Phường Vũng Áng",
        "province": "Tỉnh Hà Tĩnh",
        "location": "Phường Vũng Áng, tỉnh Hà Tĩnh",
        "decision_reference": "01/QĐ-UBND",
        "decision_date": "2026-11-12",
        "issuer_name": "Ủy ban nhân dân phường Vũng Áng",
        "signer_name": "Nguyễn Văn Hùng",
        "year": 2026,
        "register_number": 1,
    }
    assert {key: certificate.snapshot.get(key) for key in expected} == expected
    # A later rename of the unit does not change the certificate.
    area.name = "Tổ dân phố Hòa Bình"
    area.save()
    certificate.refresh_from_db()
    assert "Tổ dân phố 1" in pdf_text(certificate_pdf(certificate))


@pytest.mark.django_db
def test_certificate_pdf_shows_the_recognition_in_vietnamese(certificate):
    phrases = [
        "ỦY BAN NHÂN DÂN PHƯỜNG VŨNG ÁNG",
        "GIẤY CÔNG NHẬN",
        "Tổ dân phố 1",
        "Phường Vũng Áng, tỉnh Hà Tĩnh",
        "đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm 2026",
        "(Kèm theo Quyết định số 01/QĐ-UBND ngày 12 tháng 11 năm 2026 của Chủ tịch Ủy ban nhân dân phường Vũng Áng)",
        "Kỳ Anh, ngày 12 tháng 11 năm 2026",
        "CHỦ TỊCH",
        "Nguyễn Văn Hùng",
        "Số vào sổ: 1",
    ]
    assert_official_pdf(certificate_pdf(certificate), phrases)


@pytest.mark.django_db
def test_a_long_unit_name_wraps_and_the_certificate_stays_on_one_page(certificate):
    from certification.documents.certificates import render_certificates_pdf

    name = "Công ty Trách nhiệm hữu hạn Một thành viên Khai thác và Chế biến Khoáng sản Hoành Sơn"
    certificate.snapshot["unit_name"] = name
    data = render_certificates_pdf([certificate, certificate])
    assert pdf_pages(data) == 2
    text = " ".join(pdf_text(data).split())
    assert name in text and "Nguyễn Văn Hùng" in text


@pytest.mark.django_db
def test_certificate_pdf_is_cached_by_content(certificate, media_root):
    first = certificate_pdf(certificate)
    certificate.refresh_from_db()
    assert certificate.content_hash
    path = media_root / certificate.pdf.name
    path.write_bytes(b"%PDF-cached")
    assert certificate_pdf(certificate) == b"%PDF-cached"  # served from the cache, not re-rendered
    certificate.snapshot = {**certificate.snapshot, "signer_name": "Trần Thị Mai"}
    certificate.save(update_fields=["snapshot"])
    assert certificate_pdf(certificate) != first


def _decode_qr(data: bytes, tmp_path) -> str:
    pdf_file = tmp_path / "certificate.pdf"
    pdf_file.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", pdf_file, tmp_path / "page"],
        check=True,
    )
    out = subprocess.run(
        ["zbarimg", "--raw", "-q", tmp_path / "page.png"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


@pytest.mark.django_db
def test_the_qr_code_leads_to_the_verification_page_which_flips_to_revoked(
    certificate, client, approver, tmp_path
):
    url = _decode_qr(certificate_pdf(certificate), tmp_path)
    assert url == f"https://antt.example.vn/verify/{certificate.code}"
    page = client.get(urlparse(url).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Còn hiệu lực" in html
    assert "Tổ dân phố 1" in html

    revoke_certificates(
        assessment=certificate.assessment,
        by=approver,
        reason="Để xảy ra trọng án",
        reference="15/QĐ-UBND ngày 01/12/2026",
    )
    html = client.get(urlparse(url).path).content.decode()
    assert "Còn hiệu lực" not in html
    assert "Hết hiệu lực: đã bị thu hồi" in html
    assert "Để xảy ra trọng án" in html
    assert "15/QĐ-UBND ngày 01/12/2026" in html


@pytest.mark.django_db
def test_revocation_records_date_reason_and_revoking_decision(certificate, approver, campaign, commune):
    revoking = Decision.objects.create(
        campaign=campaign,
        issuer=commune,
        year=2026,
        kind=Decision.Kind.REVOCATION,
        number=7,
        status="issued",
        issued_on="2026-12-01",
    )
    revoked = revoke_certificates(
        assessment=certificate.assessment, by=approver, reason="Lý do", revoking_decision=revoking
    )
    certificate.refresh_from_db()
    assert revoked == [certificate]
    assert certificate.status == Certificate.Status.REVOKED
    assert str(certificate.revoked_on) == "2026-12-01"
    assert certificate.revoking_decision == revoking
    assert certificate.revoke_reference == "07/QĐ-UBND"
    assert AuditEvent.objects.filter(action="certificate_revoked", object_id=str(certificate.pk)).exists()


@pytest.mark.django_db
def test_revoking_without_a_reason_is_refused_and_changes_nothing(certificate, approver):
    with pytest.raises(WorkflowError):
        revoke_certificates(assessment=certificate.assessment, by=approver, reason="  ")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID


@pytest.mark.django_db
def test_a_replaced_certificate_links_to_the_new_one(certificate, approver, client):
    new = replace_certificate(certificate=certificate, by=approver, reason="Bị hư hỏng")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REPLACED
    assert certificate.replaced_by == new
    assert new.register_number == 6 and new.code != certificate.code
    assert new.snapshot["replaces_register_number"] == 1
    html = client.get(certificate.get_verify_url()).content.decode()
    assert "Hết hiệu lực: đã được thay thế" in html
    assert new.get_verify_url() in html
    with pytest.raises(WorkflowError):
        replace_certificate(certificate=certificate, by=approver, reason="again")
