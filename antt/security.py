"""Security headers Django does not set itself (Content-Security-Policy, Permissions-Policy),
and numbers too large for the database answered as bad input (400) instead of a server error.

The policy (``settings.CONTENT_SECURITY_POLICY``) allows only our own scripts, styles, fonts
and images (plus ``data:`` images: QR codes and icons), no plugins, no framing and no form
posts to other sites. Templates therefore carry no inline ``<script>``, no ``<style>`` element
and no ``on…=`` handler (``tests/security/test_accounts_and_headers.py`` checks the templates).

``style-src-attr 'unsafe-inline'``: a few templates still size or indent elements with a
``style`` attribute (criteria depth, dashboard meters). Attributes cannot run code; remove it
once those are CSS classes. A view that sets its own policy (evidence downloads: ``sandbox``)
keeps it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
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
