from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .access import get_for_user, visible_units
from .models import Unit


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    units = visible_units(request.user).order_by("path")[:200]
    return render(request, "units/unit_list.html", {"units": units})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_for_user(request.user, Unit, pk)
    return render(request, "units/unit_detail.html", {"unit": unit})
