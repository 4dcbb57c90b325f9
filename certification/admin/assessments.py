"""Admin: assessments, answers, registrations, evidence and the audit trail — read-only.

Every change of these goes through ``certification.services`` so that it is checked and
audited; the admin only lets staff look (and search) without editing or deleting.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from certification.admin.base import ReadOnlyAdmin, ReadOnlyMixin
from certification.models import Answer, Assessment, AuditEvent, Evidence, Registration


class AnswerInline(ReadOnlyMixin, admin.TabularInline):
    model = Answer
    fields = ("criterion", "value", "appraised_value", "number", "note", "is_returned", "return_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("unit", "campaign", "status", "version", "decision", "updated_at")
    list_filter = ("status", "campaign__year", "unit__kind")
    search_fields = ("unit__code", "unit__search_name")
    list_select_related = ("unit", "campaign", "decision")
    inlines = [AnswerInline]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ("unit", "campaign", "registered_on", "households_total", "households_registered")
    list_filter = ("campaign__year",)
    search_fields = ("unit__code", "unit__search_name")
    list_select_related = ("unit", "campaign")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "assessment", "criterion", "content_type", "size", "uploaded_at")
    search_fields = ("original_name", "assessment__unit__code")
    exclude = ("file",)  # served only through the permission-checked download view
    list_select_related = ("assessment__unit", "assessment__campaign", "criterion")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_repr", "field", "old", "new", "short_hash")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "actor__username")
    date_hierarchy = "at"
    list_select_related = ("actor",)

    @admin.display(description=_("hash"))
    def short_hash(self, obj):
        return obj.hash[:12]
