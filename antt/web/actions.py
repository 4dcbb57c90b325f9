"""Run a service from a view: a refused change (``WorkflowError``) becomes the message the user
reads (its translated text), and the rest of the block is skipped.

    with attempt(request):
        transitions.submit_assessment(assessment=assessment, by=request.user)
        messages.success(request, _("Submitted for appraisal."))
        return _to_detail(assessment)
    return render(request, "…", context)  # refused: the page again, with the error

``attempt(request, form=form)`` puts the error on the form instead (shown above its fields).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest

from antt.errors import WorkflowError


@contextmanager
def attempt(request: HttpRequest, *, form: BaseForm | None = None) -> Iterator[None]:
    try:
        yield
    except WorkflowError as e:
        if form is None:
            messages.error(request, str(e))
        else:
            form.add_error(None, str(e))
