"""Keys of rendered fragments kept with ``{% cache %}`` (issue 23: the entry form's criteria, the
officer's units on the home page): a hash of everything the fragment shows, in the active
language, so that any change gives another key and nothing has to be forgotten. ``parts`` must
``repr`` the same way in every process (values, tuples, dataclasses of values: no object
addresses); what depends on the session (the CSRF token) stays outside the fragment.

Every key holds the digest of the code that renders it (issue 23, round 9: ``code_digest``): a
fragment kept by the previous release, in a cache that outlives a deploy (Redis), is not served
by the new templates.

Whole pages (round 9: ``kept_page``): the entry form and the officer's home are kept as they were
rendered, under a key read from the database in one statement (``page_key`` of
``certification.selectors.assessments``, ``home_key`` of ``certification.selectors.dashboard``: a
hash of the id, ``xmin`` and ``cmin`` of every row the page shows, so that any write, by anyone,
gives another key). A reload then costs that statement and a cache read instead of the page's
reads and rendering (~10 ms of CPU in the deadline burst). Only the CSRF token differs between
two requests for the same page: it is rendered as ``CSRF_PLACEHOLDER`` and each response gets its
own (``get_token``, which also sends the cookie as ``{% csrf_token %}`` would).
"""

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language

from antt.web.context_processors import background_delayed

# What renders the pages: the code, the templates, the translations and the static files (their
# URLs and the icons' sprite are in the pages).
_SOURCES = ("antt", "api", "certification", "movement", "units", "templates", "locale", "static")
# Letters only: the same after HTML escaping, and unlike any real token (64 letters and digits).
CSRF_PLACEHOLDER = "keptpagecsrftokenplaceholder"


@functools.cache
def code_digest() -> str:
    """A digest of the files in ``_SOURCES`` (their paths and contents) and of Django's version,
    read once per process (antt/wsgi.py reads it at start-up: ~5 MB, ~20 ms)."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256(django.get_version().encode())
    for name in _SOURCES:
        for path in sorted((base / name).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(base)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fragment_key(*parts: object) -> str:
    return hashlib.sha256(repr((code_digest(), get_language(), parts)).encode()).hexdigest()


def pages_are_kept(request: HttpRequest) -> bool:
    """Whether a page may be served as kept: on PostgreSQL (the keys are read from its rows'
    ``xmin``), with ``PAGES_KEPT_SECONDS``, and when nothing but the data is on it for this
    request: no message to show once, no banner of delayed background work."""
    return (
        settings.PAGES_KEPT_SECONDS > 0
        and connection.vendor == "postgresql"
        and not len(messages.get_messages(request))  # len() does not mark them shown
        and not background_delayed()
    )


def kept_page(
    request: HttpRequest, template: str, key: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """The page ``template`` renders with ``context()``, kept under ``key`` (one made by
    ``page_key`` or ``home_key`` for this user, after the view checked that the user may see
    it). A miss renders once, with the placeholder for the token, and keeps that."""
    full_key = "page:" + fragment_key(key, request.session.get("antt_2fa", False))
    page = cache.get(full_key)
    if page is None:
        page = render_to_string(template, {**context(), "csrf_token": CSRF_PLACEHOLDER}, request)
        cache.set(full_key, page, settings.PAGES_KEPT_SECONDS)
    return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))
