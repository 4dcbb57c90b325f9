from django.urls import include, path

app_name = "certification"
# Each area keeps its own URL module; they share the "certification" namespace.
urlpatterns = [
    path("", include("certification.urls_criteria")),
    path("", include("certification.urls_assessments")),
    path("", include("certification.urls_scoring")),
    path("", include("certification.urls_documents")),
    path("", include("certification.urls_dashboard")),
]
