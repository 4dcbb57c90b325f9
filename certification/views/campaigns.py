"""Views: yearly campaigns (đợt xét). Province staff open them and edit the dates; everyone of
the province reads them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from antt.web.actions import attempt
from certification.forms.criteria import CampaignDatesForm, OpenCampaignForm
from certification.models.criteria import UnitKind
from certification.selectors.campaigns import (
    can_manage_province,
    get_campaign_for_user,
    managed_provinces,
    visible_campaigns,
)
from certification.services.campaigns import DATE_FIELDS, open_campaign, update_campaign_dates


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = visible_campaigns(request.user).prefetch_related("criteria_sets")
    return render(
        request,
        "certification/campaigns/campaign_list.html",
        {"campaigns": campaigns, "can_open": managed_provinces(request.user).exists()},
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk)
    attached = {cs.unit_kind: cs for cs in campaign.criteria_sets.with_in_use()}
    sets = [(label, attached.get(kind)) for kind, label in UnitKind.choices]
    return render(
        request,
        "certification/campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "sets": sets,
            "can_edit": can_manage_province(request.user, campaign.province),
        },
    )


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, pk)
    if not can_manage_province(request.user, campaign.province):
        raise PermissionDenied
    form = CampaignDatesForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        dates = {name: form.cleaned_data[name] for name in DATE_FIELDS}
        campaign.refresh_from_db()  # the form wrote into the instance; the service compares with the stored dates
        with attempt(request, form=form):
            update_campaign_dates(campaign=campaign, by=request.user, **dates)
            messages.success(request, _("Campaign dates saved."))
            return redirect("certification:campaign-detail", campaign.pk)
    return render(request, "certification/campaigns/campaign_form.html", {"campaign": campaign, "form": form})


@login_required
def campaign_open(request: HttpRequest) -> HttpResponse:
    provinces = managed_provinces(request.user)
    if not provinces.exists():
        raise PermissionDenied
    form = OpenCampaignForm(request.POST or None, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):
            campaign = open_campaign(
                year=form.cleaned_data["year"], province=form.cleaned_data["province"], by=request.user
            )
            messages.success(request, _("Campaign %(campaign)s is open.") % {"campaign": campaign})
            return redirect("certification:campaign-detail", campaign.pk)
    return render(request, "certification/campaigns/campaign_open.html", {"form": form})
