from django.urls import path

from movement.views import models, teams

app_name = "movement"

urlpatterns = [
    path("", models.model_list, name="model-list"),
    path("new/", models.model_create, name="model-create"),
    path("<int:pk>/", models.model_detail, name="model-detail"),
    path("<int:pk>/edit/", models.model_edit, name="model-edit"),
    path("<int:pk>/rate/", models.model_rate, name="model-rate"),
    path("<int:pk>/evidence/", models.evidence_upload, name="evidence-upload"),
    path("evidence/<int:pk>/", models.evidence_download, name="evidence-download"),
    path("import/", models.import_upload, name="import-upload"),
    path("import/template/", models.import_template, name="import-template"),
    path("import/confirm/", models.import_confirm, name="import-confirm"),
    path("teams/", teams.team_list, name="team-list"),
    path("teams/new/", teams.team_create, name="team-create"),
    path("ratings/new/", teams.round_start, name="round-start"),
    path("ratings/<int:pk>/", teams.round_detail, name="round-detail"),
    path("ratings/<int:pk>/<str:step>/", teams.round_step, name="round-step"),
    path("ratings/<int:pk>/decision.pdf", teams.round_pdf, name="round-pdf"),
]
