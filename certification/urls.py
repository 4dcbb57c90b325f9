from django.urls import path

from . import views

app_name = "certification"
urlpatterns = [
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision-detail"),
]
