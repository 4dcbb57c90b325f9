"""Views: dashboard (the home page itself is antt.views.home) and notifications."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from certification.notifications import notifications_for


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request, "certification/dashboard/notifications.html", {"items": notifications_for(request.user)}
    )
