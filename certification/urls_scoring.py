"""URLs: scoring (included under the certification namespace)."""

from django.urls import path

from certification.views import scoring

urlpatterns = [
    path("scoring/campaigns/<int:pk>/", scoring.campaign_results, name="scoring-campaign"),
    path("scoring/campaigns/<int:pk>/score/", scoring.run_start, name="scoring-run-start"),
    path("scoring/campaigns/<int:pk>/export.xlsx", scoring.results_export, name="scoring-export"),
    path("scoring/runs/<int:pk>/", scoring.run_detail, name="scoring-run-detail"),
    path("scoring/runs/<int:pk>/progress.json", scoring.run_progress, name="scoring-run-progress"),
]
