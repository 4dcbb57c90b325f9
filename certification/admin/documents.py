"""Admin: decisions, certificates and print jobs, read-only (every change goes through
certification.documents.decisions / certificates so it is numbered and audited)."""

from django.contrib import admin

from certification.admin.base import ReadOnlyAdmin
from certification.models import Certificate, Decision, PrintJob


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "issuer", "year", "kind", "status", "issued_on", "signer_name"]
    list_filter = ["status", "kind", "year"]
    search_fields = ["issuer__search_name", "signer_name"]
    list_select_related = ["issuer"]
    raw_id_fields = ["campaign", "issuer", "created_by"]
    show_full_result_count = False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["unit", "year", "register_number", "status", "decision", "created_at"]
    list_filter = ["status", "year"]
    search_fields = ["unit__code", "unit__search_name", "code"]
    list_select_related = ["unit", "decision"]
    raw_id_fields = ["decision", "assessment", "unit", "replaced_by", "revoking_decision"]
    show_full_result_count = False


@admin.register(PrintJob)
class PrintJobAdmin(ReadOnlyAdmin):
    list_display = ["decision", "status", "done", "total", "requested_by", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["decision", "requested_by"]
    raw_id_fields = ["decision", "requested_by"]
