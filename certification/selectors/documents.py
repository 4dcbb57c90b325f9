"""Who may read and who may print the documents of a decision (one home for both role sets)."""

from certification.audit import Actor
from certification.models import Decision
from units.access import Role, has_role

# Download decisions and certificates, follow print jobs.
DOCUMENT_ROLES: tuple[str, ...] = (Role.CLERK, Role.APPROVER, Role.VIEWER, Role.ADMIN)
# Register the original a competent person signed outside (the clerk uploads it).
SIGN_ROLES: tuple[str, ...] = (Role.CLERK, Role.APPROVER)
# Start print jobs: every document role but the read-only viewer.
PRINT_ROLES: tuple[str, ...] = (Role.CLERK, Role.APPROVER, Role.ADMIN)


def can_print(user: Actor, decision: Decision) -> bool:
    return has_role(user, decision.issuer, *PRINT_ROLES)
