"""The account pages where a user makes, sees and revokes their own API tokens (session login,
like the other account pages; the API itself takes only tokens)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from antt.web.actions import attempt
from api import tokens
from api.forms import TokenForm
from api.models import ApiToken


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a ``login_required`` view: its user is signed in (django-stubs' pattern)."""

    user: User


@login_required
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    found = ApiToken.objects.filter(user=request.user).prefetch_related("units")
    return render(request, "api/token_list.html", {"tokens": found})


@never_cache
@login_required
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form=form):
            token, secret = tokens.create_token(
                by=request.user,
                name=form.cleaned_data["name"],
                units=form.cleaned_data["units"],
                can_write=form.cleaned_data["can_write"],
                expires_on=form.cleaned_data["expires_on"],
            )
            # The secret is shown on this answer only: it is stored as a hash.
            return render(request, "api/token_created.html", {"token": token, "secret": secret})
    return render(request, "api/token_form.html", {"form": form})


@require_POST
@login_required
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    with attempt(request):
        tokens.revoke_token(token=token, by=request.user)
        messages.success(request, _("The token is revoked: it no longer opens the API."))
    return redirect("api:token-list")
