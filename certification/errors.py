class WorkflowError(Exception):
    """A refused state change; the message is translated and shown to the user."""
