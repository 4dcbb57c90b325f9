"""The account pages of the API tokens (mounted at /account/tokens/)."""

from django.urls import path

from api import views

app_name = "api"
urlpatterns = [
    path("", views.token_list, name="token-list"),
    path("new/", views.token_create, name="token-create"),
    path("<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
