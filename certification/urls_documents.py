"""URLs: decisions, certificates, bulk printing, summary reports (certification namespace).
The public verification page is top-level: ``/verify/<code>`` (name "verify", antt/urls.py)."""

from django.urls import path

from certification.views import documents as views

urlpatterns = [
    path("decisions/", views.decision_list, name="decision-list"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision-detail"),
    path("decisions/<int:pk>/pdf", views.decision_pdf, name="decision-pdf"),
    path("decisions/<int:pk>/print", views.print_start, name="print-start"),
    path("certificates/<int:pk>/pdf", views.certificate_pdf, name="certificate-pdf"),
    path("certificates/<int:pk>/revoke", views.certificate_revoke, name="certificate-revoke"),
    path("print/<int:pk>/", views.print_detail, name="print-detail"),
    path("print/<int:pk>/status", views.print_status, name="print-status"),
    path("print/<int:pk>/<str:kind>", views.print_download, name="print-download"),
    path("reports/", views.summary_report, name="report-index"),
    path("reports/summary/", views.summary_report, name="report-summary"),
]
