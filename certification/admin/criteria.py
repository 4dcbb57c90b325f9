"""Admin: criteria sets, criteria, score sheets and campaigns.

Published sets are read-only here too; changes go through "new version" (an admin
action calling ``certification.services.criteria.new_version``).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from antt.errors import WorkflowError
from certification.admin.base import SuperuserOnlyAdmin
from certification.models import Campaign, CriteriaSet, Criterion, GradeBand, ScoreItem, ScoreSheet
from certification.services import criteria as services


def _set_of(obj) -> CriteriaSet | None:
    if obj is None:
        return None
    if isinstance(obj, CriteriaSet):
        return obj
    if isinstance(obj, Criterion | ScoreSheet):
        return obj.criteria_set
    return None


class DraftOnlyMixin:
    """Rows of a published set cannot be changed or deleted."""

    def _editable(self, obj) -> bool:
        criteria_set = _set_of(obj)
        return criteria_set is None or criteria_set.is_editable

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(obj)

    def has_add_permission(self, request, obj=None):
        args = (request, obj) if isinstance(self, admin.options.InlineModelAdmin) else (request,)
        return super().has_add_permission(*args) and self._editable(obj)


class CriterionInline(DraftOnlyMixin, admin.TabularInline):
    model = Criterion
    fk_name = "criteria_set"
    extra = 0
    fields = ("order", "code", "parent", "text", "answer_type", "na_allowed", "threshold_percent", "source")
    raw_id_fields = ("parent", "source")
    ordering = ("order",)
    show_change_link = True


@admin.register(CriteriaSet)
class CriteriaSetAdmin(DraftOnlyMixin, SuperuserOnlyAdmin):
    list_display = ("name", "family", "version", "unit_kind", "province", "year_from", "year_to", "status")
    list_filter = ("status", "unit_kind")
    search_fields = ("name", "family")
    readonly_fields = ("status", "published_at", "created_at")
    raw_id_fields = ("province", "based_on")
    inlines = [CriterionInline]
    actions = ["publish", "make_new_version"]

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for criteria_set in queryset:
            try:
                services.publish_set(criteria_set, request.user)
            except WorkflowError as exc:
                self.message_user(request, f"{criteria_set}: {exc}", messages.ERROR)

    @admin.action(description=_("Create a new draft version"))
    def make_new_version(self, request, queryset):
        for criteria_set in queryset:
            copy = services.new_version(criteria_set, request.user)
            self.message_user(request, str(copy), messages.SUCCESS)


@admin.register(Criterion)
class CriterionAdmin(DraftOnlyMixin, SuperuserOnlyAdmin):
    list_display = ("code", "criteria_set", "answer_type", "na_allowed", "is_province_addition")
    list_filter = ("criteria_set__family", "answer_type", "na_allowed")
    search_fields = ("code", "text")
    raw_id_fields = ("criteria_set", "parent", "source")


class ScoreItemInline(DraftOnlyMixin, admin.TabularInline):
    model = ScoreItem
    extra = 0
    raw_id_fields = ("criterion",)


class GradeBandInline(DraftOnlyMixin, admin.TabularInline):
    model = GradeBand
    extra = 0


@admin.register(ScoreSheet)
class ScoreSheetAdmin(DraftOnlyMixin, SuperuserOnlyAdmin):
    list_display = ("name", "criteria_set", "is_example", "total_points")
    raw_id_fields = ("criteria_set",)
    inlines = [ScoreItemInline, GradeBandInline]


@admin.register(Campaign)
class CampaignAdmin(SuperuserOnlyAdmin):
    list_display = ("year", "province", "status", "registration_deadline")
    list_filter = ("status", "year")
    raw_id_fields = ("province",)
    filter_horizontal = ("criteria_sets",)
