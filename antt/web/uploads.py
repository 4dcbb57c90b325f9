"""Request bodies refused by size before they are read; the upload and check steps every Excel
import page shares (:func:`import_upload_step`, :func:`preview_page`).

``BoundedUploadHandler`` is the first of ``FILE_UPLOAD_HANDLERS``: Django gives it the
declared ``Content-Length`` of a multipart body before parsing a byte of it, and every chunk
as it arrives. Over ``settings.UPLOAD_MAX_BODY_BYTES`` it raises :class:`UploadTooLarge` (a
``RequestDataTooBig``, which Django answers through ``handler400``), so nothing is spooled to
memory or disk. :func:`bad_request` (``antt.urls.handler400``) answers it with a 413 page that
says the limit. Bodies that are not multipart are bounded by Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE``; in production the proxy's ``client_max_body_size`` refuses
them even earlier (docs/reliability.md).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.defaults import bad_request as django_bad_request


class UploadTooLarge(RequestDataTooBig):
    """A request body over ``UPLOAD_MAX_BODY_BYTES``."""


class BoundedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        if content_length > settings.UPLOAD_MAX_BODY_BYTES:
            raise UploadTooLarge(f"request body of {content_length} bytes")
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        # Content-Length is enforced by the WSGI server; counting keeps the bound if it is not.
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > settings.UPLOAD_MAX_BODY_BYTES:
            raise UploadTooLarge(f"more than {settings.UPLOAD_MAX_BODY_BYTES} bytes received")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: an oversize upload gets a 413 saying the limit; anything else Django's 400."""
    if isinstance(exception, UploadTooLarge):
        message = _("The file sent is too large: at most %(max)s per upload.") % {
            "max": filesizeformat(settings.UPLOAD_MAX_BODY_BYTES)
        }
        return render(request, "413.html", {"message": message}, status=413)
    return django_bad_request(request, exception)


def preview_page(
    request: HttpRequest,
    template: str,
    *,
    plan,
    rows_count: int,
    upload_url: str,
    token: str = "",
    filename: str = "",
) -> HttpResponse:
    """An import's check page (a template extending ``_import_preview.html``): the plan's errors,
    or its rows with the confirm button when ``token`` is kept for confirmation."""
    context = {
        "plan": plan,
        "token": token,
        "filename": filename,
        "rows_count": rows_count,
        "upload_url": upload_url,
    }
    return render(request, template, context)


def import_upload_step(
    request: HttpRequest,
    form,
    *,
    read: Callable[[str, bytes], list],
    refused: type[Exception],
    validate: Callable[[list], Any],
    keep: Callable[[str, list], str],
    templates: tuple[str, str],
    upload_url: str,
) -> HttpResponse:
    """An import's upload step, the same for every Excel import: the sent file ``read`` into rows
    (``refused``: its message goes on the file field), checked by ``validate`` (a plan with ``ok``),
    kept for confirmation by ``keep`` (its token) when clean, and shown on ``templates[1]`` (the
    check page); the upload page ``templates[0]`` again while there is no valid file."""
    upload_template, preview_template = templates
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read(upload.name, upload.read())
        except refused as e:
            form.add_error("file", str(e))
        else:
            plan = validate(rows)
            token = keep(upload.name, rows) if plan.ok and rows else ""
            return preview_page(
                request,
                preview_template,
                plan=plan,
                rows_count=len(rows),
                upload_url=upload_url,
                token=token,
                filename=upload.name,
            )
    return render(request, upload_template, {"form": form})
