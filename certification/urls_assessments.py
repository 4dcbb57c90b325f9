"""URLs: assessments (included under the certification namespace)."""

from django.urls import path

from certification.views import assessment_actions as actions
from certification.views import assessment_pages as pages
from certification.views import assessments as views

urlpatterns = [
    path("assessments/", views.assessment_list, name="assessment-list"),
    path("assessments/start/", views.assessment_start, name="assessment-start"),
    path("assessments/recognize/", actions.recognize_batch, name="recognize-batch"),
    path("assessments/excel/", pages.excel_download, name="assessments-excel-download"),
    path("assessments/excel/upload/", pages.excel_upload, name="assessments-excel-upload"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/save/", views.assessment_save, name="assessment-save"),
    path("assessments/<int:pk>/submit/", actions.assessment_submit, name="assessment-submit"),
    path("assessments/<int:pk>/return/", actions.assessment_return, name="assessment-return"),
    path("assessments/<int:pk>/appraise/", actions.assessment_appraise, name="assessment-appraise"),
    path("assessments/<int:pk>/revoke/", actions.assessment_revoke, name="assessment-revoke"),
    path("assessments/<int:pk>/exception/", actions.assessment_exception, name="assessment-exception"),
    path("assessments/<int:pk>/evidence/", views.evidence_upload, name="evidence-upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence-delete"),
    path("registrations/new/", pages.registration_create, name="registration-create"),
    path("my-tasks/", pages.my_tasks, name="my-tasks"),
]
