"""Recognition certificates (Giấy công nhận): creation with a snapshot of the content as issued,
revocation, replacement, and rendering (one PDF on demand, cached by content).

The PDF is rendered from ``Certificate.snapshot`` only, never from live data, so a unit renamed
or merged later still gets the certificate exactly as it was issued.
"""

import hashlib
import json

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.dates import long_date, place_date
from antt.errors import WorkflowError
from antt.text import nfc, search_key
from antt.web.downloads import safe_filename
from certification.audit import Action, log_change
from certification.documents import pdf, wording
from certification.documents.numbering import CERTIFICATE, next_number, reserve_numbers
from certification.models import Assessment, Certificate, Decision
from units.models import Unit

TEMPLATES = ("certification/documents/certificate.html", "certification/documents/certificate.css")
SNAPSHOT_SCHEMA = 1


def verify_url(code: str) -> str:
    """Absolute public verification URL encoded in the QR code."""
    return settings.SITE_BASE_URL.rstrip("/") + reverse("verify", args=[code])


def draw_qr_code(certificate: Certificate, url: str = "") -> bool:
    """Give ``certificate`` the QR code of its verification address (``qr_png``, ``qr_url``),
    unless it already holds that very one, as :func:`pdf.qr_png` draws it now. True when it was
    drawn now, i.e. it is not kept yet (a certificate issued before codes were kept, or
    SITE_BASE_URL changed since, or its code kept as a 1-bit PNG before issue 23, round 9)."""
    url = url or verify_url(certificate.code)
    if certificate.qr_url == url and pdf.qr_png_is_current(certificate.qr_png):
        return False
    certificate.qr_png, certificate.qr_url = pdf.qr_png(url), url
    return True


def keep_qr_codes(certificates: list[Certificate]) -> None:
    """Draw the QR codes these saved certificates do not hold yet and keep them, so the next
    print or download reuses them. Writes only the two derived columns (like the cached PDF:
    no content, status or number changes, so nothing for the audit chain)."""
    drawn = [c for c in certificates if draw_qr_code(c)]
    if drawn:
        Certificate.objects.bulk_update(drawn, ["qr_png", "qr_url"])


def _nfc_tree(value):
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc_tree(v) for k, v in value.items()}
    return value


def _decision_part(decision: Decision) -> dict:
    """The part of a snapshot shared by every certificate of a decision."""
    issuer = decision.issuer
    return {
        "year": decision.year,
        "decision_reference": decision.reference,
        "decision_date": decision.issued_on.isoformat() if decision.issued_on else "",
        "decision_date_text": long_date(decision.issued_on),
        "decision_authority": wording.authority(issuer, signed_for=decision.signed_for),
        "issuer_name": wording.committee(issuer),
        "issuer_header": wording.issuer_header(issuer),
        "place": decision.place or issuer.name,
        "place_date": place_date(decision.place or issuer.name, decision.issued_on),
        "issued_on": decision.issued_on.isoformat() if decision.issued_on else "",
        "signer_lines": wording.signer_lines(
            signed_for=decision.signed_for, signer_title=decision.signer_title
        ),
        "signer_name": decision.signer_name,
    }


def _ancestors(units: list[Unit]) -> dict[int, Unit]:
    ids = {int(part) for unit in units for part in unit.path.split("/") if part}
    return Unit.objects.in_bulk(ids)


def _unit_part(unit: Unit, ancestors: dict[int, Unit]) -> dict:
    chain = [
        ancestors[int(p)] for p in unit.path.split("/") if p and int(p) in ancestors and int(p) != unit.pk
    ]
    commune = next((u for u in reversed(chain) if u.kind == Unit.Kind.COMMUNE), None)
    province = next((u for u in reversed(chain) if u.kind == Unit.Kind.PROVINCE), None)
    parent = chain[-1] if chain else None
    location = [wording.place_name(commune, capital=True)] if commune else []
    if province:
        location.append(wording.place_name(province, capital=not location))
    return {
        "unit_name": unit.full_name,
        "unit_code": unit.code,
        "unit_kind": unit.kind,
        "kind_label": wording.label_of(unit) or wording.KIND_LABELS.get(unit.kind, ""),
        "parent": parent.full_name if parent else "",
        "commune": commune.full_name if commune else "",
        "province": province.full_name if province else "",
        "location": ", ".join(location),
    }


def build_snapshot(
    *, decision: Decision, unit: Unit, register_number: int, ancestors=None, shared=None
) -> dict:
    """The certificate's content as issued: unit name as it was that year, its commune and
    province, decision reference and date, signer, year, register number, issuing body."""
    ancestors = ancestors if ancestors is not None else _ancestors([unit])
    snapshot = {
        "schema": SNAPSHOT_SCHEMA,
        **(shared or _decision_part(decision)),
        **_unit_part(unit, ancestors),
        "register_number": register_number,
    }
    return _nfc_tree(snapshot)


def _order_key(a: Assessment) -> tuple:
    return (wording.KIND_ORDER.get(a.unit.kind, 9), a.unit.code)


@transaction.atomic
def create_certificates(*, decision: Decision, by) -> list[Certificate]:
    """One certificate per recognized assessment of an issued recognition decision, with
    register numbers gap-free per issuing body and year. Idempotent: running it again creates
    only the missing ones. Returns all the decision's valid certificates."""
    decision = Decision.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=decision.pk)
    if decision.status != Decision.Status.ISSUED or decision.kind != Decision.Kind.RECOGNITION:
        raise WorkflowError(_("Certificates are issued only for an issued recognition decision."))
    have = set(Certificate.objects.filter(decision=decision).values_list("assessment_id", flat=True))
    todo = sorted(
        (
            a
            for a in decision.assessments.filter(status=Assessment.Status.RECOGNIZED).select_related("unit")
            if a.pk not in have
        ),
        key=_order_key,
    )
    if todo:
        numbers = reserve_numbers(
            issuer=decision.issuer, year=decision.year, series=CERTIFICATE, count=len(todo)
        )
        ancestors = _ancestors([a.unit for a in todo])
        shared = _decision_part(decision)
        certificates = [
            Certificate(
                decision=decision,
                assessment=a,
                unit=a.unit,
                year=decision.year,
                register_number=number,
                snapshot=build_snapshot(
                    decision=decision, unit=a.unit, register_number=number, ancestors=ancestors, shared=shared
                ),
            )
            for a, number in zip(todo, numbers, strict=True)
        ]
        for certificate in certificates:  # drawn once here, reused by every print
            draw_qr_code(certificate)
        Certificate.objects.bulk_create(certificates)
        for cert in Certificate.objects.filter(decision=decision, assessment__in=todo).select_related(
            "unit", "assessment"
        ):
            _log_issued(cert, by=by, assessment=cert.assessment)
    return list(
        Certificate.objects.filter(decision=decision, status=Certificate.Status.VALID).order_by(
            "register_number"
        )
    )


@transaction.atomic
def revoke_certificates(
    *, assessment: Assessment, by, reason: str, revoking_decision: Decision | None = None, reference: str = ""
) -> list[Certificate]:
    """Mark the assessment's valid certificates revoked (date, reason, revoking decision); the
    public verification page shows it from then on."""
    reason = nfc(reason)
    if not reason:
        raise WorkflowError(_("Give the reason for the revocation."))
    reference = (
        nfc(reference)
        or nfc(getattr(assessment, "revoke_reference", ""))
        or (revoking_decision.reference if revoking_decision else "")
    )
    revoked_on = (revoking_decision.issued_on if revoking_decision else None) or timezone.localdate()
    certificates = list(
        Certificate.objects.select_for_update().filter(assessment=assessment, status=Certificate.Status.VALID)
    )
    for cert in certificates:
        cert.status = Certificate.Status.REVOKED
        cert.revoked_on = revoked_on
        cert.revoke_reason = reason
        cert.revoke_reference = reference
        cert.revoking_decision = revoking_decision
        cert.save(
            update_fields=["status", "revoked_on", "revoke_reason", "revoke_reference", "revoking_decision"]
        )
        _log_left_valid(cert, by=by, action=Action.CERTIFICATE_REVOKED, assessment=assessment)
    return certificates


@transaction.atomic
def replace_certificate(*, certificate: Certificate, by, reason: str) -> Certificate:
    """Issue a new certificate (new register number and code) in place of a valid one, e.g. lost
    or misprinted; the old one shows "replaced" with a link to the new one."""
    old = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("decision__issuer", "unit")
        .get(pk=certificate.pk)
    )
    if old.status != Certificate.Status.VALID:
        raise WorkflowError(_("Only a valid certificate can be replaced."))
    reason = nfc(reason)
    if not reason:
        raise WorkflowError(_("Give the reason for the replacement."))
    decision = old.decision
    number = next_number(issuer=decision.issuer, year=decision.year, series=CERTIFICATE)
    snapshot = build_snapshot(decision=decision, unit=old.unit, register_number=number)
    snapshot["replaces_register_number"] = old.register_number
    new = Certificate(
        decision=decision,
        assessment_id=old.assessment_id,
        unit=old.unit,
        year=old.year,
        register_number=number,
        snapshot=snapshot,
    )
    draw_qr_code(new)
    new.save(force_insert=True)
    old.status = Certificate.Status.REPLACED
    old.replaced_by = new
    old.replace_reason = reason
    old.save(update_fields=["status", "replaced_by", "replace_reason"])
    _log_left_valid(old, by=by, action=Action.CERTIFICATE_REPLACED, assessment=old.assessment)
    _log_issued(new, by=by, assessment=old.assessment)
    return new


def _log_issued(cert: Certificate, *, by, assessment: Assessment) -> None:
    log_change(
        cert,
        by=by,
        action=Action.CERTIFICATE_ISSUED,
        field="register_number",
        new=cert.register_number,
        assessment=assessment,
    )


def _log_left_valid(cert: Certificate, *, by, action: Action, assessment: Assessment) -> None:
    """Log a valid certificate's new status (revoked or replaced)."""
    log_change(
        cert,
        by=by,
        action=action,
        field="status",
        old=Certificate.Status.VALID,
        new=cert.status,
        assessment=assessment,
    )


# --- rendering ----------------------------------------------------------------------------


def render_context(certificate: Certificate) -> dict:
    """Template data of one certificate, from its snapshot only."""
    s = certificate.snapshot
    url = verify_url(certificate.code)
    draw_qr_code(certificate, url)  # kept since it was issued: drawn here only when it is not
    return {
        **s,
        "authority_upper": s.get("decision_authority", "").upper(),
        # Lines joined by newlines (``white-space: pre-line``): a <br> costs WeasyPrint a box.
        "issuer_text": "\n".join(s.get("issuer_header", [])),
        "signer_text": "\n".join(s.get("signer_lines", [])),
        "verify_url": url,
        "qr": pdf.png_data_uri(certificate.qr_png),
    }


def certificates_html(certificates) -> str:
    """One HTML document with a page per certificate (the same HTML the benchmark feeds raw
    WeasyPrint)."""
    certificates = list(certificates)
    title = certificate_title(certificates[0]) if len(certificates) == 1 else "Giấy công nhận"
    return pdf.render_html(
        TEMPLATES[0], {"certificates": [render_context(c) for c in certificates], "title": title}
    )


def render_certificates_pdf(certificates) -> bytes:
    return pdf.write_pdf(certificates_html(certificates), stylesheets=["certificate"])


def certificate_hash(certificate: Certificate) -> str:
    """Identifies the rendered page: template version, snapshot, code and verification URL."""
    payload = json.dumps(
        [
            pdf.template_version(*TEMPLATES),
            certificate.code,
            verify_url(certificate.code),
            certificate.snapshot,
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as PDF, rendered in this (warm) process on the first request and kept
    in ``Certificate.pdf`` until its content or the template changes."""
    digest = certificate_hash(certificate)
    return pdf.kept(
        certificate,
        digest=digest,
        name=f"certificates/{certificate.year}/{certificate.code}-{digest[:12]}.pdf",
        render=lambda: _render_one(certificate),
    )


def _render_one(certificate: Certificate) -> bytes:
    if certificate.pk:
        keep_qr_codes([certificate])
    return pdf.write_issued_pdf(certificates_html([certificate]), stylesheets=["certificate"])


def certificate_title(certificate: Certificate) -> str:
    """The PDF's title: 'Giấy công nhận Tổ dân phố 1 năm 2026 (số vào sổ 3)'."""
    s = certificate.snapshot
    return nfc(
        f"Giấy công nhận {s.get('unit_name', '')} năm {s.get('year', '')} (số vào sổ {s.get('register_number', '')})"
    )


def pdf_filename(certificate: Certificate) -> str:
    """The certificate's file name (downloads and zip entries): no path or quote in it."""
    slug = "-".join(search_key(certificate.snapshot.get("unit_name", "")).split())[:60] or "don-vi"
    return safe_filename(f"giay-cong-nhan-{certificate.year}-{certificate.register_number:04d}-{slug}.pdf")
