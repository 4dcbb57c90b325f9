"""The commune chairman's decision rating the security teams and their members, as PDF: the
certification's decision template and stylesheet (NĐ 30/2020 layout, ``templates/certification/
documents/decision.html``), its wording helpers and its WeasyPrint setup (``documents/pdf``),
with this decision's subject, articles and annex (one group per level)."""

from antt.dates import long_date, place_date
from certification.documents import pdf, wording
from movement.models import TeamRatingRound
from movement.selectors.facts import LEVEL_TITLES
from movement.selectors.registry import round_rows

TEMPLATE = "certification/documents/decision.html"
ROMAN = ("I", "II", "III", "IV")
SUBJECT = "Tổ bảo vệ an ninh, trật tự ở cơ sở"


def round_context(round_: TeamRatingRound) -> dict:
    commune = round_.commune
    start, end = round_.period
    decided = round_.status == TeamRatingRound.Status.DECIDED
    reference = f"{round_.number}/QĐ-UBND" if decided and round_.number else "      /QĐ-UBND"
    issued_by = f"Chủ tịch {wording.committee(commune)}"
    period = f"từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"
    subject = f"Về việc đánh giá, xếp loại {SUBJECT} và thành viên năm {round_.year}"
    rows = round_rows(round_)
    groups = []
    n = 0
    for index, (level, title) in enumerate(LEVEL_TITLES.items()):
        found = [r for r in rows if r.level == level]
        if not found:
            continue
        entries = []
        for r in found:
            n += 1
            if r.member_id:
                name = r.member.full_name + (f" ({r.member.position})" if r.member.position else "")
                entries.append({"n": n, "name": name, "label": "Thành viên", "parent": r.team.name})
            else:
                entries.append({"n": n, "name": r.team.name, "label": "Tổ", "parent": r.team.unit.full_name})
        groups.append({"roman": ROMAN[index], "title": title, "rows": entries})
    closing = (
        f"{wording.office(commune)}, {wording.police(commune)}, các tổ và thành viên có tên tại Điều 1 "
        "chịu trách nhiệm thi hành Quyết định này./."
    )
    return {
        "title": f"Quyết định số {reference} {subject[0].lower()}{subject[1:]}",
        "draft": not decided,
        "issuer_header": wording.issuer_header(commune),
        "number_line": f"Số: {reference}",
        "place_date": place_date(commune.name, round_.decided_on),
        "subject": subject,
        "authority": issued_by.upper(),
        "bases": [
            "Căn cứ Luật Lực lượng tham gia bảo vệ an ninh, trật tự ở cơ sở ngày 28 tháng 11 năm 2023;",
            "Căn cứ Hướng dẫn số 01/HD-BCA-V05 của Bộ Công an về đánh giá, xếp loại Tổ bảo vệ an ninh, "
            "trật tự ở cơ sở và thành viên;",
            f"Theo đề nghị của {wording.police(commune)}.",
        ],
        "articles": [
            {
                "label": "Điều 1.",
                "text": f"Xếp loại {SUBJECT} và thành viên năm {round_.year} (kỳ đánh giá {period}) "
                "theo Phụ lục kèm theo Quyết định này.",
            },
            {"label": "Điều 2.", "text": "Quyết định này có hiệu lực kể từ ngày ký. " + closing},
        ],
        "recipients": ["- Như Điều 2;", "- Công an cấp tỉnh;", "- Lưu: VT."],
        "signer_lines": wording.signer_lines(signed_for="", signer_title=round_.signer_title or "Chủ tịch"),
        "signer_name": round_.signer_name,
        "annex": {
            "title": [f"KẾT QUẢ XẾP LOẠI {SUBJECT.upper()}", f"VÀ THÀNH VIÊN NĂM {round_.year}"],
            "ref": f"(Kèm theo Quyết định số {reference} {long_date(round_.decided_on)} của {issued_by})",
            "groups": groups,
            "count": n,
            "multi": True,
        },
    }


def round_pdf(round_: TeamRatingRound) -> bytes:
    """A decided round: the issued PDF (signed where the agency's key is configured); before
    that a draft marked "DỰ THẢO"."""
    html = pdf.render_html(TEMPLATE, round_context(round_))
    if round_.status == TeamRatingRound.Status.DECIDED:
        return pdf.write_issued_pdf(html, stylesheets=["decision"])
    data = pdf.write_pdf(html, stylesheets=["decision"])
    assert data is not None
    return data
