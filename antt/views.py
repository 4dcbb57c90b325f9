from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Role home page; ``certification.dashboard`` fills it per role."""
    try:
        from certification.dashboard import home_context
    except ImportError:  # pragma: no cover - before the dashboard exists
        context = {}
    else:
        context = home_context(request.user)
    return render(request, "home.html", context)
