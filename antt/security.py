"""Security headers Django does not set itself (Content-Security-Policy, Permissions-Policy),
numbers too large for the database answered as bad input (400) instead of a server error, the
deploy checks that refuse the development ``SECRET_KEY`` and a ``SITE_BASE_URL`` the site is not
served at, and the log filter that keeps 4xx
answers to one line (a refused request is the client's doing, not a fault to trace).

The policy (``settings.CONTENT_SECURITY_POLICY``) allows only our own scripts, styles, fonts
and images (plus ``data:`` images: QR codes and icons), no plugins, no framing and no form
posts to other sites. Templates therefore carry no inline ``<script>``, no ``<style>`` element
and no ``on…=`` handler (``tests/security/test_accounts_and_headers.py`` checks the templates).

``style-src-attr 'unsafe-inline'``: a few templates still size or indent elements with a
``style`` attribute (criteria depth, dashboard meters). Attributes cannot run code; remove it
once those are CSS classes. A view that sets its own policy (evidence downloads: ``sandbox``)
keeps it.
"""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http import HttpRequest, HttpResponse
from django.http.request import validate_host
from django.utils.translation import gettext_noop, ngettext

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """An id or number beyond 64 bits in the input: SQLite cannot even bind it and raises
        OverflowError where PostgreSQL finds no row. Bad input, not a server error: 400."""
        if isinstance(exception, OverflowError):
            from django.views.defaults import bad_request

            return bad_request(request, exception)
        return None


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy`` fails (an error, not a warning) while SECRET_KEY is the development key
    written in the source: anyone could sign sessions and password-reset links with it."""
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [
            checks.Error(
                "SECRET_KEY is not set: the development key in antt/settings.py is public.",
                hint="Set the SECRET_KEY environment variable to 50 or more random characters.",
                id="antt.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_site_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy`` fails while SITE_BASE_URL is not an address the site answers at: it is
    printed on every certificate and encoded in its QR code, and paper cannot be corrected."""
    url = urlsplit(settings.SITE_BASE_URL)
    problem = ""
    if url.scheme not in ("http", "https") or not url.hostname:
        problem = "is not an absolute http(s) address"
    elif url.hostname in ("localhost", "127.0.0.1", "::1", "0.0.0.0"):
        problem = "points at this machine"
    elif not validate_host(url.hostname, settings.ALLOWED_HOSTS):
        problem = "names a host that is not in ALLOWED_HOSTS"
    elif settings.HTTPS and url.scheme != "https":
        problem = "is plain http while HTTPS=1"
    if not problem:
        return []
    return [
        checks.Error(
            f"SITE_BASE_URL {settings.SITE_BASE_URL!r} {problem}: certificates would print a QR code "
            "and a verification address that lead nowhere.",
            hint="Set SITE_BASE_URL to the public address of the site, e.g. https://antt.example.gov.vn.",
            id="antt.E002",
        )
    ]


class ClientErrorFilter(logging.Filter):
    """On ``django.request``: a 4xx (403 refused, 404, 405…) is logged as its one-line warning,
    without the traceback of the PermissionDenied or Http404 that produced it; 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


# Django's own messages that its Vietnamese catalogue leaves untranslated, yet users can meet
# (hostile or mistyped input). Listed so that makemessages collects them; the Vietnamese is in
# locale/vi/parts/security.po, and LOCALE_PATHS win over Django's catalogue.
DJANGO_MESSAGES = (
    gettext_noop("Null characters are not allowed."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("Date out of range"),
)


def _django_plurals(n: int) -> None:  # never called: it only shows makemessages these msgids
    # Django 5.2 changed this msgid ("%d" for "%(min_length)d"); its Vietnamese catalogue did not follow.
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        n,
    )
