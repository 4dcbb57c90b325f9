"""The account pages everyone expects (Django's auth views with our templates):

- ``account/``: the user's own account: change the password, two-step verification, log out
  everywhere;
- ``account/password/``: change the password (the current one first); the other sessions end;
- ``password-reset/``: a link by e-mail to the address on the account (the page says the same
  whether or not the account exists; ``PASSWORD_RESET_RATE_LIMIT`` requests a minute per
  address); the same confirm page serves the one-time link an administrator issues
  (``units.services.issue_password_link``). Setting the password there logs the user in (the
  link proves the mailbox, or the administrator's hand-over) and ends the other sessions;
- ``account/logout-everywhere/`` (POST): every session of the user ends, this one included.

Each change is announced with ``signals.account_changed`` (the audit trail listens).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from antt.accounts.lockout import rate_limited
from antt.accounts.models import UserSession
from antt.accounts.sessions import end_sessions
from antt.accounts.signals import account_changed
from antt.accounts.two_factor import confirmed_device


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "account/account.html",
        {
            "two_factor_on": confirmed_device(user) is not None,
            "sessions": UserSession.objects.filter(user_id=user.pk).count(),
        },
    )


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    user = request.user
    with transaction.atomic():
        ended = end_sessions(user.pk)
        account_changed.send(type(user), user=user, by=user, action="sessions_ended", count=ended)
    logout(request)
    messages.success(request, _("You are logged out everywhere: every session of your account has ended."))
    return redirect("login")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "account/password_change.html"
    success_url = reverse_lazy("account")

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session (update_session_auth_hash)
        user = form.user
        end_sessions(user.pk, keep=self.request.session.session_key)
        account_changed.send(type(user), user=user, by=user, action="password_changed", count=0)
        messages.success(self.request, _("Your password has been changed. Your other sessions have ended."))
        return response


class ResetForm(PasswordResetForm):
    def get_users(self, email):
        """Every active account with this address, including one whose password an
        administrator cleared (Django skips those: here they only wait for a new password)."""
        return (
            u
            for u in get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
            if u.email.lower() == email.lower()
        )


@method_decorator(never_cache, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        if rate_limited(self.request, "password-reset", settings.PASSWORD_RESET_RATE_LIMIT):
            form.add_error(None, _("Too many requests from your address. Wait a minute and try again."))
            return self.form_invalid(form)
        self.extra_email_context = {"base_url": settings.SITE_BASE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    post_reset_login = True
    # Two backends are configured (axes' checker and the model backend): name the one that logs in.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("account")

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        end_sessions(user.pk, keep=self.request.session.session_key)
        account_changed.send(type(user), user=user, by=user, action="password_reset", count=0)
        messages.success(self.request, _("Your new password is set and you are logged in."))
        return response
