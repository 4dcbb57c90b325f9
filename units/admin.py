"""Django admin for the tree, scoped like the views.

Superusers see everything. Other staff users see (and may pick in foreign-key fields) only
the units of the subtrees they administer (``RoleAssignment.Role.ADMIN``); Django's model
permissions still decide which models and actions they get.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from antt.accounts.signals import two_factor_changed
from units import access, services
from units.authority import check_delegation
from units.models import RecognizingAuthority, RoleAssignment, Unit, UnitChange

ADMIN_ROLES = [RoleAssignment.Role.ADMIN]


def admin_units(request):
    return access.visible_units(request.user, roles=ADMIN_ROLES)


class ScopedAdmin(admin.ModelAdmin):
    """``unit_field``: path to the unit that decides the scope ("" for Unit itself)."""

    unit_field = "unit"
    unit_fk_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return access.scope_queryset(request.user, queryset, unit_field=self.unit_field, roles=ADMIN_ROLES)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.unit_fk_fields:
            kwargs["queryset"] = admin_units(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    unit_field = ""
    unit_fk_fields = ("parent",)
    list_display = ("full_name", "code", "kind", "label", "parent", "is_eligible", "valid_from", "valid_to")
    list_filter = ("kind", "is_eligible", "label")
    search_fields = ("code", "name", "search_name")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth", "is_eligible", "ineligible_reason", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "label", "parent", "valid_from", "valid_to", "note")}),
        (
            _("Eligibility (TT 124 Art. 1-2)"),
            {
                "fields": (
                    "household_count",
                    "enterprise_size",
                    "school_level",
                    "is_armed_forces",
                    "is_eligible",
                    "ineligible_reason",
                )
            },
        ),
        (_("Tree"), {"fields": ("path", "depth", "created_at", "updated_at")}),
    )

    def get_search_results(self, request, queryset, search_term):
        from antt.text import search_key

        base = queryset
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        key = search_key(search_term)
        if key:
            queryset |= base.filter(search_name__contains=key)
        return queryset, duplicates

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not access.is_global(request.user):
            if obj.pk in {u.pk for u in access.home_units(request.user, ADMIN_ROLES)}:
                # The root of one's own subtree cannot be moved, recoded or re-kinded.
                fields += ["code", "kind", "parent"]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not access.is_global(request.user) and "parent" in form.base_fields:
            form.base_fields["parent"].required = True  # nobody but superusers adds roots
        return form

    def has_delete_permission(self, request, obj=None):
        # Units carry assessments and history; end their validity instead (superusers may).
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(UnitChange)
class UnitChangeAdmin(ScopedAdmin):
    unit_field = "successor"
    unit_fk_fields = ("predecessor", "successor")
    list_display = ("predecessor", "successor", "kind", "effective_on", "reference")
    list_filter = ("kind", "effective_on")
    raw_id_fields = ("predecessor", "successor")
    search_fields = (
        "predecessor__search_name",
        "successor__search_name",
        "predecessor__code",
        "successor__code",
    )

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request).select_related("predecessor", "successor")
        if access.is_global(request.user):
            return queryset
        # A change is visible when either side is in the user's subtree.
        return queryset.filter(
            access.scope_filter(request.user, "successor", ADMIN_ROLES)
            | access.scope_filter(request.user, "predecessor", ADMIN_ROLES)
        )


class RecognizingAuthorityForm(forms.ModelForm):
    class Meta:
        model = RecognizingAuthority
        fields = ["unit", "authority", "from_year", "to_year", "is_delegation", "reference"]

    def clean(self):
        cleaned = super().clean()
        unit, authority, year = cleaned.get("unit"), cleaned.get("authority"), cleaned.get("from_year")
        if cleaned.get("is_delegation") and unit and authority and year is not None:
            try:
                check_delegation(unit=unit, authority=authority, year=year)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(RecognizingAuthority)
class RecognizingAuthorityAdmin(ScopedAdmin):
    form = RecognizingAuthorityForm
    unit_fk_fields = ("unit", "authority")
    list_display = ("unit", "authority", "from_year", "to_year", "is_delegation", "reference")
    list_filter = ("is_delegation", "from_year")
    raw_id_fields = ("unit", "authority")
    search_fields = ("unit__search_name", "unit__code", "authority__search_name")


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "unit", "role", "title"]

    def clean(self):
        cleaned = super().clean()
        unit, role = cleaned.get("unit"), cleaned.get("role")
        by = getattr(self, "request_user", None)
        if unit and role and by is not None and not services.can_grant(by, unit, role):
            raise ValidationError(
                _(
                    "You can only give roles on units of your own subtree, and the administrator role only below your unit."
                )
            )
        user = cleaned.get("user")
        if user is not None and by is not None and user.pk == by.pk and not access.is_global(by):
            raise ValidationError(_("You cannot change your own roles."))
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    form = RoleAssignmentForm
    unit_fk_fields = ("unit",)
    list_display = ("user", "role", "unit", "title")
    list_filter = ("role",)
    raw_id_fields = ("unit",)
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "unit__search_name",
        "unit__code",
    )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not access.is_global(request.user):
            # Users are created with their first role on the "Users and roles" page.
            kwargs["queryset"] = services.managed_users(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_touch(self, request, obj) -> bool:
        """Outside the global admins, only roles the user could grant, and never their own."""
        if obj is None or access.is_global(request.user):
            return True
        return services.can_grant(request.user, obj.unit, obj.role) and obj.user_id != request.user.pk

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_touch(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_touch(request, obj)


# --- two-step verification devices (django-otp) ------------------------------------------------
# django-otp's own admin shows every user's secret key and QR code to any staff user with the
# model permission, across provinces. Ours lists devices without their keys, for superusers
# only, and allows removing one (lost phone; also `manage.py reset_2fa USERNAME`).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_module_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        two_factor_changed.send(type(obj.user), user=obj.user, by=request.user, old="on", new="off")

    def delete_queryset(self, request, queryset) -> None:
        users = [device.user for device in queryset.select_related("user")]
        super().delete_queryset(request, queryset)
        for user in users:
            two_factor_changed.send(type(user), user=user, by=request.user, old="on", new="off")
