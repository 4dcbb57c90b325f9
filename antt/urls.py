from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from antt import health
from antt.accounts import two_factor
from antt.accounts import views as accounts

# The admin speaks the product's name, not Django's ("Quản trị Django").
admin.site.site_header = _("ANTT certification administration")
admin.site.site_title = _("ANTT administration")
admin.site.index_title = _("Data administration")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/verify/", two_factor.verify, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", accounts.account, name="account"),
    path("account/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("account/logout-everywhere/", accounts.logout_everywhere, name="logout_everywhere"),
    path("account/2fa/", two_factor.setup, name="two_factor"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("account/tokens/", include("api.urls")),
    path("api/v1/", include("api.main")),
    path("admin/", admin.site.urls),
    path("units/", include("units.urls")),
    path("movement/", include("movement.urls")),
    path("", include("certification.urls")),
]

handler400 = "antt.web.uploads.bad_request"
