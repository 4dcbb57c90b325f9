"""Registration, assessment entry and the review-and-recognition workflow (REGULATION §6).

Every function here is keyword-only and atomic, checks role, scope, state and deadline
first, and raises ``WorkflowError`` (translated) before writing anything. Every change of an
answer, a status or a document is written to the audit chain (``audit.log_change``).

States::

    draft ──submit──▶ submitted ──appraise──▶ appraised ──recognize──▶ recognized ──revoke──▶ revoked
      ▲                  │    ▲                  │      └─not_recognize─▶ not recognized
      └── returned ◀─return┘    └──── resubmit ───┘ (return is possible from both)

Optimistic concurrency: every change bumps ``Assessment.version`` and writes one "version"
audit event first; a writer holding an older version gets ``ConflictError`` listing the
events written since.
"""

from antt.errors import WorkflowError
from certification.audit import SystemActor
from certification.errors import ConflictError
from certification.services.entry import (
    add_evidence,
    delete_evidence,
    open_entry_exception,
    save_answers,
    start_assessment,
)
from certification.services.registration import register_unit
from certification.services.rules import (
    DOSSIER,
    DOSSIER_FIELDS,
    FIGURE_FIELDS,
    Change,
    changes_since,
    entered_criteria,
    entry_deadline,
    entry_is_open,
    is_approver_of,
    leaf_criteria,
    previous_assessment,
    recognizing_authority,
)
from certification.services.transitions import (
    appraise_assessment,
    missing_for_submission,
    not_recognize,
    recognize,
    return_assessment,
    revoke_assessment,
    submit_assessment,
    unmet_codes,
)

__all__ = [
    "DOSSIER",
    "DOSSIER_FIELDS",
    "FIGURE_FIELDS",
    "Change",
    "ConflictError",
    "SystemActor",
    "WorkflowError",
    "add_evidence",
    "appraise_assessment",
    "changes_since",
    "delete_evidence",
    "entered_criteria",
    "entry_deadline",
    "entry_is_open",
    "is_approver_of",
    "leaf_criteria",
    "missing_for_submission",
    "not_recognize",
    "open_entry_exception",
    "previous_assessment",
    "recognize",
    "recognizing_authority",
    "register_unit",
    "return_assessment",
    "revoke_assessment",
    "save_answers",
    "start_assessment",
    "submit_assessment",
    "unmet_codes",
]
