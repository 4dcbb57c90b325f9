"""Views: the role home page (filled per role by ``certification.selectors.dashboard``) and
notifications."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from antt.web.fragments import kept_page, pages_are_kept
from certification.selectors.dashboard import home_context, home_key, keeps_home
from certification.selectors.notifications import notifications_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if pages_are_kept(request) and keeps_home(request.user):
        # A commune officer's home kept whole (issue 23, round 9): a reload reads the key only.
        return kept_page(request, "home.html", home_key(request.user), lambda: home_context(request.user))
    return render(request, "home.html", home_context(request.user))


SEEN_KEY = "notifications_seen_at"


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The list, with what arrived since the user last opened it marked "new" and counted.

    Notifications are derived (no table), so "read" is per session: the time of the last visit."""
    items = notifications_for(request.user)
    seen = request.session.get(SEEN_KEY)
    seen_at = datetime.datetime.fromisoformat(seen) if seen else None
    now = timezone.now()
    for n in items:
        # Deadlines are dated in the future: they stay new until the list has been seen once.
        n.unread = seen_at is None or (min(n.when, now) > seen_at)
    request.session[SEEN_KEY] = now.isoformat()
    return render(
        request,
        "certification/dashboard/notifications.html",
        {"items": items, "unread": sum(1 for n in items if n.unread)},
    )
