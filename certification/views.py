from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from units.access import get_for_user

from .models import Assessment, Decision


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_for_user(request.user, Assessment.objects.select_related("unit", "campaign"), pk)
    return render(request, "certification/assessment_detail.html", {"assessment": assessment})


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_for_user(request.user, Decision, pk, unit_field="issuer")
    return render(request, "certification/decision_detail.html", {"decision": decision})
