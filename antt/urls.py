from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from antt import health
from antt.accounts import two_factor

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/verify/", two_factor.verify, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/", two_factor.setup, name="two_factor"),
    path("admin/", admin.site.urls),
    path("units/", include("units.urls")),
    path("", include("certification.urls")),
]

handler400 = "antt.web.uploads.bad_request"
