"""The bench's URLconf (issue 23, ``bench/cpu.py``): the real one plus a bare view, so that the
cheapest possible request goes through the very same middleware stack as the pages it is the
baseline of. Mounted only by the bench (``override_settings(ROOT_URLCONF=...)``), never served.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from antt.urls import handler400  # noqa: F401 - the same error handler as the real site


def bare(request: HttpRequest) -> HttpResponse:
    """A tiny response: whatever CPU a request costs beyond this is the page's own."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("__bench/bare/", bare, name="bench-bare"),
    path("", include("antt.urls")),
]
