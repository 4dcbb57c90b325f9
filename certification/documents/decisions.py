"""Recognition decisions (Quyết định công nhận): numbering, issuing and the PDF in the layout of
Nghị định 30/2020/NĐ-CP.

The workflow (``services.recognize``) creates a draft decision, links the assessments, then
calls :func:`issue_decision` and ``certificates.create_certificates`` in the same transaction.
"""

import hashlib
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.dates import long_date, place_date
from antt.errors import WorkflowError
from antt.text import search_key
from certification.audit import Action, log_change
from certification.documents import pdf, wording
from certification.documents.numbering import next_number
from certification.models import Decision
from certification.models.criteria import UnitKind

TEMPLATES = ("certification/documents/decision.html", "certification/documents/decision.css")
TT124 = (
    "Thông tư số 124/2021/TT-BCA ngày 28 tháng 12 năm 2021 của Bộ trưởng Bộ Công an quy định về "
    "khu dân cư, xã, phường, thị trấn, cơ quan, doanh nghiệp, cơ sở giáo dục đạt tiêu chuẩn "
    "“An toàn về an ninh, trật tự”, được sửa đổi, bổ sung bởi Thông tư số 48/2025/TT-BCA của "
    "Bộ trưởng Bộ Công an"
)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
STANDARD = "đạt tiêu chuẩn “An toàn về an ninh, trật tự”"


@transaction.atomic
def issue_decision(*, decision: Decision, by) -> Decision:
    """Draft → issued: takes the next number of the issuing body for the year (never reused,
    gap-free under concurrent issuing) and dates it today unless a date was set."""
    decision = Decision.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=decision.pk)
    if decision.status != Decision.Status.DRAFT:
        raise WorkflowError(
            _("This decision has already been issued (%(ref)s).") % {"ref": decision.reference}
        )
    decision.number = next_number(issuer=decision.issuer, year=decision.year)
    decision.status = Decision.Status.ISSUED
    decision.issued_on = decision.issued_on or timezone.localdate()
    decision.place = decision.place or decision.issuer.name
    decision.save(update_fields=["number", "status", "issued_on", "place"])
    log_change(decision, by=by, action=Action.DECISION_ISSUED, field="status", old="draft", new="issued")
    log_change(decision, by=by, action=Action.DECISION_ISSUED, field="number", old="", new=decision.reference)
    return decision


# --- content ------------------------------------------------------------------------------


def default_legal_bases(decision: Decision) -> list[str]:
    province = decision.campaign.province
    return [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;",
        f"Căn cứ {TT124};",
        f"Căn cứ hướng dẫn của {wording.committee(province)} về việc xét, công nhận khu dân cư, xã, "
        f"phường, cơ quan, doanh nghiệp, cơ sở giáo dục {STANDARD} năm {decision.year};",
        f"Xét kết quả thẩm định và đề nghị của {wording.police(decision.issuer)}.",
    ]


def default_recipients(decision: Decision) -> list[str]:
    issuer = decision.issuer
    upper = (
        "Bộ Công an (Cục V05)"
        if issuer.kind == wording.Kind.PROVINCE
        else f"Công an {wording.place_name(decision.campaign.province)}"
    )
    return [
        "Như Điều 3;",
        f"{upper};",
        f"Chủ tịch, các Phó Chủ tịch UBND {wording.place_name(issuer)};",
        "Lưu: VT, CA.",
    ]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _snapshot_rows(certificates) -> list[dict]:
    return [
        {
            "kind": s.get("unit_kind", ""),
            "name": s.get("unit_name", ""),
            "label": s.get("kind_label", ""),
            "parent": s.get("parent", ""),
            "order": (wording.KIND_ORDER.get(s.get("unit_kind"), 9), s.get("register_number", 0)),
        }
        for s in (c.snapshot for c in certificates)
        if s
    ]


def _annex_rows(decision: Decision, assessments=None, certificates=None) -> list[dict]:
    """Units of the decision as issued: the certificate snapshot when there is one. A preview
    (an unsaved decision) passes the ``assessments`` it would decide, or for a revocation the
    ``certificates`` it would withdraw."""
    if decision.kind == Decision.Kind.REVOCATION:
        if certificates is None:
            certificates = decision.revoked_certificates.order_by("register_number")
        return _snapshot_rows(certificates)
    first_snapshot: dict[int, dict] = {}
    if assessments is None:
        assessments = decision.assessments.select_related("unit__parent").order_by("unit__code")
        for cert in decision.certificates.filter(replaces__isnull=True).order_by("register_number"):
            first_snapshot.setdefault(cert.assessment_id, cert.snapshot)
    rows = []
    for a in assessments:
        unit = a.unit
        snap = first_snapshot.get(a.pk) or {}
        rows.append(
            {
                "kind": unit.kind,
                "name": snap.get("unit_name") or unit.full_name,
                "label": snap.get("kind_label")
                or wording.label_of(unit)
                or wording.KIND_LABELS.get(unit.kind),
                "parent": snap.get("parent") or (unit.parent.full_name if unit.parent_id else ""),
                "order": (wording.KIND_ORDER.get(unit.kind, 9), snap.get("register_number") or 0, unit.code),
            }
        )
    return rows


def decision_context(decision: Decision, assessments=None, certificates=None) -> dict:
    """Everything the decision template shows, as plain JSON-able data (also hashed)."""
    issuer = decision.issuer
    year = decision.year
    rows = sorted(_annex_rows(decision, assessments, certificates), key=lambda r: r["order"])
    kind_counts: dict[str, int] = {}
    for row in rows:
        kind_counts[row["kind"]] = kind_counts.get(row["kind"], 0) + 1
    subjects = wording.kinds_phrase(kind_counts)
    counted = wording.counted_phrase(kind_counts)
    reference = decision.reference or f"      /{decision.symbol}"
    date_text = long_date(decision.issued_on)
    place = decision.place or issuer.name
    doer = [wording.office(issuer), wording.police(issuer)]
    closing = (
        f"{', '.join(doer)}, Thủ trưởng các cơ quan, đơn vị có liên quan và các đơn vị có tên tại "
        "Điều 1 chịu trách nhiệm thi hành Quyết định này./."
    )
    reason = (decision.reason or "").strip().rstrip(".")
    if decision.kind == Decision.Kind.REVOCATION:
        subject = f"Về việc thu hồi Giấy công nhận {STANDARD} năm {year}"
        articles = [
            f"Thu hồi Giấy công nhận {STANDARD} năm {year} đã cấp cho {counted} có tên trong Phụ lục "
            "kèm theo Quyết định này." + (f" Lý do: {reason}." if reason else ""),
            "Quyết định này có hiệu lực kể từ ngày ký.",
            closing,
        ]
        annex_title = ["DANH SÁCH ĐƠN VỊ BỊ THU HỒI GIẤY CÔNG NHẬN", f"{STANDARD.upper()} NĂM {year}"]
    elif decision.kind == Decision.Kind.NON_RECOGNITION:
        subject = f"Về việc không công nhận {subjects} {STANDARD} năm {year}"
        articles = [
            f"Không công nhận {counted} có tên trong Phụ lục kèm theo Quyết định này {STANDARD} năm "
            f"{year}." + (f" Lý do: {reason}." if reason else ""),
            "Các đơn vị có tên tại Điều 1 có trách nhiệm khắc phục các tiêu chí chưa đạt, tiếp tục "
            "xây dựng, phấn đấu đạt tiêu chuẩn trong năm tiếp theo.",
            "Quyết định này có hiệu lực kể từ ngày ký. " + closing,
        ]
        annex_title = ["DANH SÁCH ĐƠN VỊ CHƯA ĐẠT TIÊU CHUẨN", f"“AN TOÀN VỀ AN NINH, TRẬT TỰ” NĂM {year}"]
    else:
        subject = f"Về việc công nhận {subjects} {STANDARD} năm {year}"
        articles = [
            f"Công nhận {counted} có tên trong Phụ lục kèm theo Quyết định này {STANDARD} năm {year}.",
            "Các đơn vị được công nhận tại Điều 1 được cấp Giấy công nhận; có trách nhiệm tiếp tục duy "
            "trì, giữ vững và nâng cao chất lượng các tiêu chí bảo đảm an ninh, trật tự.",
            "Quyết định này có hiệu lực kể từ ngày ký. " + closing,
        ]
        annex_title = ["DANH SÁCH ĐƠN VỊ ĐẠT TIÊU CHUẨN", f"“AN TOÀN VỀ AN NINH, TRẬT TỰ” NĂM {year}"]
    groups: list[dict] = []
    for n, row in enumerate(rows, start=1):
        group = UnitKind.for_unit(row["kind"]) or ""
        if not groups or groups[-1]["group"] != group:
            groups.append(
                {
                    "group": group,
                    "roman": ROMAN[len(groups)],
                    "title": wording.GROUP_TITLES.get(group, ""),
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(
            {"n": n, "name": row["name"], "label": row["label"], "parent": row["parent"]}
        )
    recipients = _lines(decision.recipients) or default_recipients(decision)
    issued_by = wording.authority(issuer, signed_for=decision.signed_for)
    return {
        "title": (f"Quyết định số {decision.reference}" if decision.reference else "Dự thảo quyết định")
        + f" {subject[0].lower()}{subject[1:]}",
        "draft": decision.status == Decision.Status.DRAFT,
        "issuer_header": wording.issuer_header(issuer),
        "number_line": f"Số: {reference}",
        "place_date": place_date(place, decision.issued_on),
        "subject": subject,
        "authority": issued_by.upper(),
        "bases": _lines(decision.legal_bases) or default_legal_bases(decision),
        "articles": [{"label": f"Điều {i}.", "text": text} for i, text in enumerate(articles, start=1)],
        "recipients": [line if line.startswith("-") else f"- {line}" for line in recipients],
        "signer_lines": wording.signer_lines(
            signed_for=decision.signed_for, signer_title=decision.signer_title
        ),
        "signer_name": decision.signer_name,
        "annex": {
            "title": annex_title,
            "ref": f"(Kèm theo Quyết định số {reference} {date_text} của {issued_by})",
            "groups": groups,
            "count": len(rows),
            "multi": len(groups) > 1,
        },
    }


def content_hash(context: dict) -> str:
    payload = json.dumps([pdf.template_version(*TEMPLATES), context], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def render_decision_pdf(decision: Decision, context: dict | None = None, *, issued: bool = False) -> bytes:
    """The decision as PDF; ``issued``: signed by the agency where its key is configured."""
    context = context or decision_context(decision)
    html = pdf.render_html(TEMPLATES[0], context)
    if issued:
        return pdf.write_issued_pdf(html, stylesheets=["decision"])
    return pdf.write_pdf(html, stylesheets=["decision"])


def decision_pdf(decision: Decision) -> bytes:
    """The decision as PDF. An issued decision's PDF is kept and re-rendered only when its
    content or the template changes; a draft is rendered each time (marked "DỰ THẢO"). Once the
    original signed by the competent person is registered, that file is the decision."""
    if decision.signed_pdf and pdf.exists(decision.signed_pdf.name):
        return pdf.read(decision.signed_pdf.name)
    context = decision_context(decision)
    if decision.status != Decision.Status.ISSUED:
        return render_decision_pdf(decision, context)
    digest = content_hash(context)
    return pdf.kept(
        decision,
        digest=digest,
        name=f"decisions/{decision.year}/{decision.issuer_id}-{decision.number}-{digest[:12]}.pdf",
        render=lambda: render_decision_pdf(decision, context, issued=True),
    )


def decision_filename(decision: Decision) -> str:
    """The download name of a decision's PDF (the web page and the API serve the same)."""
    symbol = "-".join(search_key(decision.symbol).replace("/", " ").split()) or "qd"
    return f"quyet-dinh-{decision.number or 'du-thao'}-{symbol}-{decision.year}.pdf"


def preview_pdf(*, kind: str, campaign, issuer, assessments=(), certificates=None, **fields) -> bytes:
    """The decision as it would be issued, marked "DỰ THẢO" and without a number: nothing is
    saved and no number is taken (numbers are given only by :func:`issue_decision`).
    ``assessments``: those it would decide; ``certificates``: those a revocation would withdraw."""
    known = {f.name for f in Decision._meta.get_fields()}
    decision = Decision(
        campaign=campaign,
        issuer=issuer,
        kind=kind,
        year=campaign.year,
        status=Decision.Status.DRAFT,
        **{name: value for name, value in fields.items() if name in known and value is not None},
    )
    if kind == Decision.Kind.REVOCATION:
        context = decision_context(decision, certificates=list(certificates or []))
    else:
        context = decision_context(decision, assessments=list(assessments))
    return render_decision_pdf(decision, context)
