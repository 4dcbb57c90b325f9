"""Admin: computed results and scoring runs, read-only (they are rewritten by every scoring)."""

from django.contrib import admin

from certification.admin.base import SuperuserOnlyAdmin
from certification.models import Result, ScoringChunk, ScoringRun


class ReadOnlyAdmin(SuperuserOnlyAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["unit", "campaign", "outcome", "is_forecast", "points", "grade", "computed_at"]
    list_filter = ["outcome", "is_forecast", "unit__kind", "campaign__year"]
    search_fields = ["unit__code", "unit__search_name"]
    list_select_related = ["unit", "campaign__province"]
    raw_id_fields = ["unit", "campaign", "assessment"]
    show_full_result_count = False  # counting a national table on every page is slow


class ScoringChunkInline(admin.TabularInline):
    model = ScoringChunk
    fields = ["index", "unit_count", "done_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "status", "done", "total", "trigger", "started_at", "finished_at"]
    list_filter = ["status", "trigger"]
    list_select_related = ["campaign__province"]
    inlines = [ScoringChunkInline]
