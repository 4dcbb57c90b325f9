"""The public check of a PDF (what a receiving clerk must do, NĐ 30/2020 Art. 21(2)(a)): is this
file a genuine, unaltered document of the register, and is it still in force?

A file is the register's when its SHA-256 is that of a document the register issued: a decision
as issued (``Decision.file_sha256``), its signed original (``signed_sha256``) or a certificate
(``Certificate.file_sha256``). A file that is none of these but carries a signature whose bytes
no longer match is reported as altered after signing; anything else is unknown (not issued here,
or changed).
"""

from dataclasses import dataclass, field

from django.db.models import Q

from certification.documents import signatures
from certification.documents.signatures import SignatureInfo
from certification.models import Certificate, Decision

GENUINE, ALTERED, UNKNOWN, NOT_PDF = "genuine", "altered", "unknown", "not_pdf"


@dataclass
class PdfCheck:
    outcome: str
    decision: Decision | None = None
    certificate: Certificate | None = None
    signatures: list[SignatureInfo] = field(default_factory=list)


def check_pdf(data: bytes) -> PdfCheck:
    if not signatures.is_pdf(data):
        return PdfCheck(NOT_PDF)
    digest = signatures.sha256(data)
    try:
        found = signatures.read_signatures(data)
    except ValueError:
        return PdfCheck(NOT_PDF)
    certificate = (
        Certificate.objects.filter(file_sha256=digest)
        .select_related("decision", "revoking_decision", "replaced_by", "unit")
        .first()
    )
    if certificate is not None:
        return PdfCheck(GENUINE, decision=certificate.decision, certificate=certificate, signatures=found)
    decision = (
        Decision.objects.filter(
            Q(file_sha256=digest) | Q(signed_sha256=digest), status=Decision.Status.ISSUED
        )
        .select_related("issuer")
        .first()
    )
    if decision is not None:
        return PdfCheck(GENUINE, decision=decision, signatures=found)
    if found and (not all(s.intact for s in found) or not found[-1].whole_file):
        return PdfCheck(ALTERED, signatures=found)
    return PdfCheck(UNKNOWN, signatures=found)
