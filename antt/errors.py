class WorkflowError(Exception):
    """A refused state change; the message is translated and shown to the user.

    The one error type both apps raise (``units`` too), so it lives in the project package.
    """
