"""Second factor at login: a time-based one-time code (TOTP, RFC 6238) from an authenticator app.

django-otp keeps the devices (one ``TOTPDevice`` per user here), checks the codes (a code is
accepted once: ``last_t``; ±1 step of clock drift) and throttles guessing: after *n* wrong codes
in a row the next try waits 2^(n-1) s. This module adds what a user sees:

- ``account/2fa/``: turn it on (scan the QR code or type the key, then confirm with a code; the
  user's other sessions end) or off (with a current code);
- ``login/verify/``: after the password, the code; nothing else is reachable until it is given;
- ``settings.ANTT_REQUIRE_2FA_FOR``: roles (e.g. ``approver,admin``) whose holders must turn it
  on before they can use anything else.

Whether a session still owes a code is decided once, at login, and kept in the session
(``SESSION_KEY``): the other requests pay no query for it. A device removed by an administrator
(``manage.py reset_2fa``, lost phone) releases the session at its next step.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from antt.accounts.sessions import end_sessions
from antt.accounts.signals import two_factor_changed

SESSION_KEY = "antt_2fa"
VERIFY = "verify"  # the user has a device: the code is owed
ENROL = "enrol"  # the user's role requires a device and there is none yet


def required_for(user) -> bool:
    roles = set(settings.ANTT_REQUIRE_2FA_FOR)
    if not roles:
        return False
    return (user.is_superuser and "admin" in roles) or user.roles.filter(role__in=roles).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if confirmed_device(user):
        request.session[SESSION_KEY] = VERIFY
    elif required_for(user):
        request.session[SESSION_KEY] = ENROL
    else:
        request.session.pop(SESSION_KEY, None)


class TwoFactorMiddleware:
    """After ``OTPMiddleware``: a session that owes a code (or an enrolment) reaches only the
    step that settles it, logout, health and the public certificate check."""

    OPEN_PREFIXES = ("/static/", "/healthz", "/verify/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if state and request.user.is_authenticated and not request.path.startswith(self.OPEN_PREFIXES):
            step = reverse("otp_verify") if state == VERIFY else reverse("two_factor")
            if request.path not in (step, reverse("logout")) and not (
                state == VERIFY and request.user.is_verified()
            ):
                return redirect(f"{step}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code"),
        max_length=12,
        error_messages={"required": gettext_lazy("Enter the 6-digit code shown in your authenticator app.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("The code has exactly 6 digits."))
        return code


def check_code(device: TOTPDevice, form: CodeForm) -> bool:
    """Verify the form's code on ``device`` (row locked: two tabs cannot both use one code);
    on failure the form carries the Vietnamese reason, throttling included."""
    if not form.is_valid():
        return False
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            until = (info or {}).get("locked_until")
            if until:
                message = _("Too many wrong codes in a row. Try again after %(time)s.") % {
                    "time": formats.time_format(timezone.localtime(until), "H:i:s")
                }
            else:
                message = _("Too many wrong codes in a row. Wait a moment and try again.")
            form.add_error("code", message)
            return False
        if device.verify_token(form.cleaned_data["code"]):
            return True
    form.add_error(
        "code", _("The code is wrong or has expired. Check the time on your phone and enter the new code.")
    )
    return False


def _next_path(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of the login."""
    target = _next_path(request)
    device = confirmed_device(request.user)
    if device is None or request.user.is_verified():
        if request.session.get(SESSION_KEY) == VERIFY:
            del request.session[SESSION_KEY]
        return redirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and check_code(device, form):
        otp_login(request, device)
        request.session.pop(SESSION_KEY, None)
        return redirect(target)
    return render(request, "registration/otp_verify.html", {"form": form, "next": target})


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on (QR code + confirming code) or off (current code)."""
    user = request.user
    device = confirmed_device(user)
    required = required_for(user)
    form = CodeForm(request.POST or None)
    if device is not None:
        if request.method == "POST":
            if required:
                messages.error(
                    request, _("Your role requires two-step verification: it cannot be turned off.")
                )
                return redirect("two_factor")
            if check_code(device, form):
                with transaction.atomic():
                    TOTPDevice.objects.filter(user=user).delete()
                    two_factor_changed.send(type(user), user=user, by=user, old="on", new="off")
                request.session.pop(SESSION_KEY, None)
                messages.success(request, _("Two-step verification is off."))
                return redirect("two_factor")
        return render(
            request, "account/two_factor.html", {"device": device, "form": form, "required": required}
        )

    pending = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    if request.method == "POST" and check_code(pending, form):
        with transaction.atomic():
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            two_factor_changed.send(type(user), user=user, by=user, old="off", new="on")
            # Sessions opened with the password alone (perhaps someone else's) end here.
            end_sessions(user.pk, keep=request.session.session_key)
        otp_login(request, pending)
        request.session.pop(SESSION_KEY, None)
        messages.success(
            request,
            _(
                "Two-step verification is on. From now on you will be asked for a code after your "
                "password. Your other sessions have ended."
            ),
        )
        return redirect(_next_path(request, reverse("two_factor")))
    secret = b32encode(pending.bin_key).decode()
    return render(
        request,
        "account/two_factor.html",
        {
            "form": form,
            "required": required,
            "enrolling": request.session.get(SESSION_KEY) == ENROL,
            "qr": segno.make(pending.config_url, error="m").svg_data_uri(scale=5, border=2),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": request.GET.get("next", ""),
        },
    )
