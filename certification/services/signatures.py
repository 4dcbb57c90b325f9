"""Registering the original of a decision signed outside the product (NĐ 30/2020 Art. 13(7),
19(2)): the clerk uploads the PDF the chairman signed with his own token; it is kept only when
``documents.signatures.check_signed`` accepts it."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Action, Actor, atomic_deferred, log_change
from certification.documents import pdf, signatures
from certification.documents.decisions import decision_pdf
from certification.models import Decision
from certification.selectors.documents import SIGN_ROLES
from units.access import has_role


@atomic_deferred
def register_signed_decision(*, decision: Decision, by: Actor, data: bytes) -> Decision:
    """Keep ``data`` as the decision's signed original once it is shown to be the issued PDF
    signed by trusted certificates; raise ``SignatureRefused`` (a ``WorkflowError``) otherwise."""
    if not has_role(by, decision.issuer, *SIGN_ROLES):
        raise WorkflowError(
            _("Only a clerk or an approver of the issuing body can register the signed decision.")
        )
    decision = Decision.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=decision.pk)
    if decision.status != Decision.Status.ISSUED:
        raise WorkflowError(_("Only an issued decision can be signed."))
    if decision.signed_pdf:
        raise WorkflowError(_("The signed original of this decision is already registered."))
    # The issued PDF as the clerk downloaded it (kept, rendered now if it never was).
    original = decision_pdf(decision)
    issued_at = None
    if decision.issued_on:
        issued_at = datetime.datetime.combine(decision.issued_on, datetime.time(), signatures.VIETNAM)
    found = signatures.check_signed(
        data, original=original, reference=decision.reference, issued_at=issued_at
    )
    digest = signatures.sha256(data)
    name = pdf.store(
        f"decisions/signed/{decision.year}/{decision.issuer_id}-{decision.number}-{digest[:12]}.pdf", data
    )
    signers = "; ".join(s.signer for s in found)
    old = decision.signed_by
    decision.signed_pdf.name = name
    decision.signed_sha256 = digest
    decision.signed_by = signers[:300]
    decision.signed_at = found[0].signed_at or timezone.now()
    decision.save(update_fields=["signed_pdf", "signed_sha256", "signed_by", "signed_at"])
    log_change(
        decision, by=by, action=Action.DECISION_SIGNED, field="signed_by", old=old, new=decision.signed_by
    )
    log_change(decision, by=by, action=Action.DECISION_SIGNED, field="signed_sha256", old="", new=digest)
    return decision
