from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from certification.dashboard import home_context


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Role home page; ``certification.dashboard`` fills it per role."""
    return render(request, "home.html", home_context(request.user))
