"""The errors the certification layers raise. ``WorkflowError`` is shared with ``units``
(``antt.errors``); every refusal shown to a user is a ``WorkflowError`` or a subclass here."""

from typing import TYPE_CHECKING

from antt.errors import WorkflowError

if TYPE_CHECKING:
    from certification.selectors.assessments import Change

__all__ = ["BackupError", "ConflictError", "CriteriaImportError"]


class ConflictError(WorkflowError):
    """Somebody saved the assessment after the caller loaded it; nothing was written."""

    def __init__(self, message: str, *, current_version: int, changes: list["Change"]):
        super().__init__(message)
        self.current_version = current_version
        self.changes = changes


class CriteriaImportError(WorkflowError):
    """The file was refused; ``errors`` lists every problem with its row."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


class BackupError(WorkflowError):
    """The file cannot be imported; the message says why, in Vietnamese."""
