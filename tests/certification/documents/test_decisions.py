import datetime
import re

import pytest

from antt.errors import WorkflowError
from certification.documents.certificates import create_certificates
from certification.documents.decisions import decision_pdf, issue_decision
from certification.documents.numbering import next_number
from certification.models import AuditEvent, Decision, DecisionCounter
from tests.certification.documents.conftest import (
    assert_nd30_layout,
    assert_official_pdf,
    pdf_fonts,
    pdf_pages,
    pdf_text,
)


@pytest.mark.django_db
def test_numbers_follow_each_other_per_issuer_and_year_and_series(commune, other_commune):
    assert [next_number(issuer=commune, year=2026) for _ in range(3)] == [1, 2, 3]
    assert next_number(issuer=commune, year=2027) == 1
    assert next_number(issuer=other_commune, year=2026) == 1
    assert next_number(issuer=commune, year=2026, series="certificate") == 1
    assert DecisionCounter.objects.get(issuer=commune, year=2026, series="decision").last == 3


@pytest.mark.django_db
def test_issuing_numbers_the_decision_and_records_it_in_the_audit_trail(decision):
    assert decision.status == Decision.Status.ISSUED
    assert decision.number == 1
    assert decision.reference == "01/QĐ-UBND"
    assert AuditEvent.objects.filter(action="decision_issued", object_id=str(decision.pk)).count() == 2


@pytest.mark.django_db
def test_issuing_twice_is_refused_and_changes_nothing(decision, approver):
    with pytest.raises(WorkflowError):
        issue_decision(decision=decision, by=approver)
    decision.refresh_from_db()
    assert decision.number == 1
    assert DecisionCounter.objects.get(issuer=decision.issuer, year=2026, series="decision").last == 1


@pytest.mark.django_db
def test_a_draft_decision_gets_todays_date_when_none_was_set(campaign, commune, approver):
    draft = Decision.objects.create(campaign=campaign, issuer=commune, year=2026)
    issued = issue_decision(decision=draft, by=approver)
    assert issued.issued_on == datetime.date.today()
    assert issued.place == "Vũng Áng"


@pytest.mark.django_db
def test_certificates_of_a_draft_decision_are_refused(campaign, commune, approver):
    draft = Decision.objects.create(campaign=campaign, issuer=commune, year=2026)
    with pytest.raises(WorkflowError):
        create_certificates(decision=draft, by=approver)
    assert not draft.certificates.exists()


@pytest.mark.django_db
def test_decision_pdf_has_the_official_header_title_articles_and_annex(decision, areas):
    data = decision_pdf(decision)
    phrases = [
        "ỦY BAN NHÂN DÂN",
        "PHƯỜNG VŨNG ÁNG",
        "Số: 01/QĐ-UBND",
        "Kỳ Anh, ngày 12 tháng 11 năm 2026",
        "QUYẾT ĐỊNH",
        "Về việc công nhận khu dân cư đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm 2026",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG VŨNG ÁNG",
        "Căn cứ Thông tư số 124/2021/TT-BCA",
        "được sửa đổi, bổ sung bởi Thông tư số 48/2025/TT-BCA",
        "Căn cứ hướng dẫn của Ủy ban nhân dân tỉnh Hà Tĩnh",
        "Xét kết quả thẩm định và đề nghị của Trưởng Công an phường Vũng Áng",
        "QUYẾT ĐỊNH:",
        "Điều 1. Công nhận 5 khu dân cư có tên trong Phụ lục kèm theo Quyết định này đạt tiêu chuẩn "
        "“An toàn về an ninh, trật tự” năm 2026.",
        "Điều 2.",
        "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "CHỦ TỊCH Nguyễn Văn Hùng",
        "Phụ lục",
        "(Kèm theo Quyết định số 01/QĐ-UBND ngày 12 tháng 11 năm 2026 của Chủ tịch Ủy ban nhân dân phường Vũng Áng)",
        "STT Tên đơn vị Loại Thuộc",
    ]
    text = assert_official_pdf(data, phrases)
    for unit in areas:
        assert f"{unit.full_name} Tổ dân phố Phường Vũng Áng" in text
    assert pdf_pages(data) == 2  # the decision, then the annex on its own page
    assert_nd30_layout(data, signer_name="Nguyễn Văn Hùng")


@pytest.mark.django_db
def test_decision_pdf_embeds_only_liberation_serif(decision):
    fonts = pdf_fonts(decision_pdf(decision))
    assert fonts
    assert all(name.startswith("Liberation-Serif") for name in fonts), fonts


@pytest.mark.django_db
def test_a_draft_decision_is_marked_and_leaves_the_number_blank(campaign, commune, assessments):
    draft = Decision.objects.create(campaign=campaign, issuer=commune, year=2026)
    assessments[0].decision = draft
    assessments[0].save(update_fields=["decision"])
    text = pdf_text(decision_pdf(draft))
    assert "DỰ THẢO" in text
    assert "/QĐ-UBND" in text
    assert not re.search(r"Số: ?\d", text)  # the clerk writes the number when it is issued


@pytest.mark.django_db
def test_an_issued_decision_pdf_is_kept_and_reused_until_its_content_changes(decision, media_root):
    first = decision_pdf(decision)
    decision.refresh_from_db()
    stored = media_root / decision.pdf.name
    assert stored.read_bytes() == first
    assert decision_pdf(decision) == first  # from the file
    decision.signer_name = "Trần Thị Mai"
    decision.save(update_fields=["signer_name"])
    assert "Trần Thị Mai" in pdf_text(decision_pdf(decision))
    decision.refresh_from_db()
    assert not stored.exists()  # the stale file is gone
