"""Every URL of the app. The ``certification`` namespace holds the app's pages; the role home
page ("home") and the public certificate check ("verify", ``/verify/<code>``) are top-level names.
"""

from django.urls import include, path

from certification.views import assessment_actions as actions
from certification.views import assessment_pages as pages
from certification.views import (
    assessments,
    campaigns,
    criteria,
    dashboard,
    documents,
    public,
    rearrangement,
    scoring,
)

NAMESPACE = "certification"

certification_patterns = [
    # --- Criteria sets and campaigns
    path("criteria/", criteria.set_list, name="criteria-set-list"),
    path("criteria/import/", criteria.set_import, name="criteria-set-import"),
    path("criteria/<int:pk>/", criteria.set_detail, name="criteria-set-detail"),
    path("criteria/<int:pk>/diff/<int:other_pk>/", criteria.set_diff, name="criteria-set-diff"),
    path("criteria/<int:pk>/export/", criteria.set_export, name="criteria-set-export"),
    path("criteria/<int:pk>/publish/", criteria.set_publish, name="criteria-set-publish"),
    path("criteria/<int:pk>/new-version/", criteria.set_new_version, name="criteria-set-new-version"),
    path("criteria/<int:pk>/clone/", criteria.set_clone, name="criteria-set-clone"),
    path(
        "criteria/<int:pk>/province-criterion/", criteria.province_criterion_add, name="criteria-province-add"
    ),
    path("criteria/unit/<int:unit_pk>/<int:year>/", criteria.criteria_for_unit, name="criteria-for-unit"),
    path("campaigns/", campaigns.campaign_list, name="campaign-list"),
    path("rearrangement/", rearrangement.upload, name="rearrangement-upload"),
    path("rearrangement/template/", rearrangement.template_download, name="rearrangement-template"),
    path("rearrangement/undo/", rearrangement.undo, name="rearrangement-undo"),
    path("rearrangement/<str:token>/", rearrangement.preview, name="rearrangement-preview"),
    path("rearrangement/<str:token>/apply/", rearrangement.apply, name="rearrangement-apply"),
    path("campaigns/open/", campaigns.campaign_open, name="campaign-open"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign-edit"),
    # --- Assessments, evidence, registration, my tasks
    path("assessments/", assessments.assessment_list, name="assessment-list"),
    path("assessments/start/", assessments.assessment_start, name="assessment-start"),
    path("assessments/recognize/", actions.recognize_batch, name="recognize-batch"),
    path("assessments/excel/", pages.excel_download, name="assessments-excel-download"),
    path("assessments/excel/upload/", pages.excel_upload, name="assessments-excel-upload"),
    path("assessments/excel/import/<int:pk>/", pages.excel_job, name="assessments-excel-job"),
    path("assessments/<int:pk>/", assessments.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/save/", assessments.assessment_save, name="assessment-save"),
    path("assessments/<int:pk>/history/", assessments.assessment_history, name="assessment-history"),
    path("assessments/<int:pk>/submit/", actions.assessment_submit, name="assessment-submit"),
    path("assessments/<int:pk>/return/", actions.assessment_return, name="assessment-return"),
    path("assessments/<int:pk>/appraise/", actions.assessment_appraise, name="assessment-appraise"),
    path("assessments/<int:pk>/revoke/", actions.assessment_revoke, name="assessment-revoke"),
    path("assessments/<int:pk>/exception/", actions.assessment_exception, name="assessment-exception"),
    path("assessments/<int:pk>/evidence/", assessments.evidence_upload, name="evidence-upload"),
    path("evidence/<int:pk>/", assessments.evidence_download, name="evidence-download"),
    path("evidence/<int:pk>/delete/", assessments.evidence_delete, name="evidence-delete"),
    path("registrations/new/", pages.registration_create, name="registration-create"),
    path("my-tasks/", pages.my_tasks, name="my-tasks"),
    # --- Scoring runs and results
    path("scoring/campaigns/<int:pk>/", scoring.campaign_results, name="scoring-campaign"),
    path("scoring/campaigns/<int:pk>/score/", scoring.run_start, name="scoring-run-start"),
    path("scoring/campaigns/<int:pk>/export.xlsx", scoring.results_export, name="scoring-export"),
    path("scoring/runs/<int:pk>/", scoring.run_detail, name="scoring-run-detail"),
    path("scoring/runs/<int:pk>/progress.json", scoring.run_progress, name="scoring-run-progress"),
    # --- Decisions, certificates, bulk printing, summary reports
    path("decisions/", documents.decision_list, name="decision-list"),
    path("decisions/<int:pk>/", documents.decision_detail, name="decision-detail"),
    path("decisions/<int:pk>/pdf", documents.decision_pdf, name="decision-pdf"),
    path("decisions/<int:pk>/sign", documents.decision_sign, name="decision-sign"),
    path("decisions/<int:pk>/print", documents.print_start, name="print-start"),
    path("certificates/<int:pk>/pdf", documents.certificate_pdf, name="certificate-pdf"),
    path("certificates/<int:pk>/revoke", documents.certificate_revoke, name="certificate-revoke"),
    path("print/<int:pk>/", documents.print_detail, name="print-detail"),
    path("print/<int:pk>/status", documents.print_status, name="print-status"),
    path("print/<int:pk>/<str:kind>", documents.print_download, name="print-download"),
    path("reports/", documents.summary_report, name="report-index"),
    path("reports/summary/", documents.summary_report, name="report-summary"),
    # --- Dashboard
    path("notifications/", dashboard.notifications, name="notifications"),
]

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("verify/", public.verify_pdf, name="verify-pdf"),
    path("verify/<str:code>", public.verify, name="verify"),
    path("", include((certification_patterns, NAMESPACE))),
]
