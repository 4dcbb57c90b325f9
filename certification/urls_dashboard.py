"""URLs: dashboard (included under the certification namespace)."""

from django.urls import path

from certification.views import dashboard

urlpatterns = [
    path("notifications/", dashboard.notifications, name="notifications"),
]
