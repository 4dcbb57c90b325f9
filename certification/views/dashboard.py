"""Views: the role home page (filled per role by ``certification.selectors.dashboard``) and
notifications."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from certification.selectors.dashboard import home_context
from certification.selectors.notifications import notifications_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", home_context(request.user))


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request, "certification/dashboard/notifications.html", {"items": notifications_for(request.user)}
    )
