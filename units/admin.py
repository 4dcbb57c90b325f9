"""Django admin for the tree, scoped like the views, and audited.

Superusers see everything. Other staff users see (and may pick in foreign-key fields) only
the units of the subtrees they administer (``RoleAssignment.Role.ADMIN``); Django's model
permissions still decide which models and actions they get.

Every row written here leaves an event in the audit chain (``AuditedAdmin``: who, when, the
changed fields before → after); role assignments go through ``units.services`` like the app's
pages, so nobody changes their own roles here either. User accounts and groups are for
superusers only (they are not scoped), and nobody changes their own staff, superuser, active,
group or permission flags.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from antt.accounts.signals import two_factor_changed
from antt.errors import WorkflowError
from certification.audit import Action, deferred, log_diff, snapshot
from units import access, services
from units.authority import check_delegation
from units.models import RecognizingAuthority, RoleAssignment, Unit, UnitChange

ADMIN_ROLES = [RoleAssignment.Role.ADMIN]


def admin_units(request):
    return access.visible_units(request.user, roles=ADMIN_ROLES)


def _related_ids(obj, name: str) -> str:
    return ",".join(str(pk) for pk in sorted(getattr(obj, name).values_list("pk", flat=True)))


class AuditedAdmin(admin.ModelAdmin):
    """Records every add, change and delete made through this admin in the audit chain: one
    event per row with its changed fields before → after (inline rows and many-to-many fields
    included). Used for the models that no service writes."""

    audit_actions = (Action.RECORD_ADDED, Action.RECORD_CHANGED, Action.RECORD_DELETED)

    def audit_snapshot(self, obj) -> dict[str, str]:
        return snapshot(obj)

    def _stored(self, model, pk) -> dict[str, str] | None:
        stored = model._default_manager.filter(pk=pk).first() if pk is not None else None
        return None if stored is None else self._snapshot_of(stored)

    def _snapshot_of(self, obj) -> dict[str, str]:
        return self.audit_snapshot(obj) if isinstance(obj, self.model) else snapshot(obj)

    def save_model(self, request, obj, form, change) -> None:
        before = self._stored(type(obj), obj.pk) if change else None
        super().save_model(request, obj, form, change)
        added, changed, _deleted = self.audit_actions
        action = changed if change else added
        log_diff(obj, by=request.user, action=action, old=before, new=self._snapshot_of(obj))

    def save_related(self, request, form, formsets, change) -> None:
        obj = form.instance
        names = [f.name for f in obj._meta.many_to_many if f.name in form.cleaned_data]
        before = {name: _related_ids(obj, name) for name in names} if change else {}
        super().save_related(request, form, formsets, change)
        after = {name: _related_ids(obj, name) for name in names}
        action = self.audit_actions[1] if change else self.audit_actions[0]
        log_diff(obj, by=request.user, action=action, old=before, new=after)

    def save_formset(self, request, form, formset, change) -> None:
        model = formset.model
        pks = {id(f.instance): f.instance.pk for f in formset.initial_forms if f.instance.pk is not None}
        before = {o.pk: snapshot(o) for o in model._default_manager.filter(pk__in=list(pks.values()))}
        super().save_formset(request, form, formset, change)
        added, changed, deleted = Action.RECORD_ADDED, Action.RECORD_CHANGED, Action.RECORD_DELETED
        for obj in formset.new_objects:
            log_diff(obj, by=request.user, action=added, old=None, new=snapshot(obj))
        for obj, _fields in formset.changed_objects:
            log_diff(obj, by=request.user, action=changed, old=before.get(obj.pk), new=snapshot(obj))
        for obj in formset.deleted_objects:
            obj.pk = pks.get(id(obj), obj.pk)  # Model.delete() cleared it: name the row deleted
            log_diff(obj, by=request.user, action=deleted, old=before.get(obj.pk), new=None)

    def delete_model(self, request, obj) -> None:
        pk, before = obj.pk, self._snapshot_of(obj)
        super().delete_model(request, obj)
        obj.pk = pk
        log_diff(obj, by=request.user, action=self.audit_actions[2], old=before, new=None)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic(), deferred():
            rows = [(obj, obj.pk, self._snapshot_of(obj)) for obj in queryset]
            super().delete_queryset(request, queryset)
            for obj, pk, before in rows:
                obj.pk = pk
                log_diff(obj, by=request.user, action=self.audit_actions[2], old=before, new=None)


class ScopedAdmin(AuditedAdmin):
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
    audit_actions = (Action.UNIT_CREATED, Action.UNIT_CHANGED, Action.UNIT_DELETED)
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

    def audit_snapshot(self, obj) -> dict[str, str]:
        return services.unit_snapshots([obj])[obj.pk]

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
        user, unit, role = cleaned.get("user"), cleaned.get("unit"), cleaned.get("role")
        by = getattr(self, "request_user", None)
        if by is None or unit is None or not role:
            return cleaned
        try:
            if self.instance.pk is not None:  # the stored values: they are taken away
                services.check_grant(by, self.instance.user, self.instance.unit, self.instance.role)
            services.check_grant(by, user, unit, role)
        except WorkflowError as error:
            raise ValidationError(str(error)) from None
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    """Every write goes through ``units.services`` (checked and audited there)."""

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
        if db_field.name == "user":
            # Users are created with their first role on the "Users and roles" page.
            users = (
                get_user_model().objects.all()
                if access.is_global(request.user)
                else services.managed_users(request.user)
            )
            kwargs["queryset"] = users.exclude(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # An assignment changes unit, role or title; giving it to someone else is a new grant.
        return [*fields, "user"] if obj is not None else fields

    def _may_change(self, request, obj) -> bool:
        if obj.user_id == request.user.pk:
            return False
        return access.is_global(request.user) or services.can_grant(request.user, obj.unit, obj.role)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._may_change(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._may_change(request, obj))

    def save_model(self, request, obj, form, change) -> None:
        if change:
            services.change_role(
                by=request.user, assignment=obj, unit=obj.unit, role=obj.role, title=obj.title
            )
        else:
            created = services.grant_role(
                by=request.user, user=obj.user, unit=obj.unit, role=obj.role, title=obj.title
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change) -> None:
        pass  # no many-to-many fields, no inlines

    def delete_model(self, request, obj) -> None:
        services.revoke_role(by=request.user, assignment=obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic(), deferred():
            for assignment in queryset.select_related("user", "unit"):
                try:
                    services.revoke_role(by=request.user, assignment=assignment)
                except WorkflowError as error:
                    self.message_user(request, f"{assignment}: {error}", level="error")


# --- user accounts and groups ---------------------------------------------------------------
# Not scoped (a staff user with the model permissions would see and edit every province's
# accounts, and could make themselves a superuser): superusers only, audited, and nobody
# changes their own flags, groups or permissions.
User = get_user_model()
SELF_LOCKED = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


class SuperuserOnlyMixin:
    def has_module_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


for _model in (User, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class AccountAdmin(SuperuserOnlyMixin, AuditedAdmin, UserAdmin):
    audit_actions = (Action.CREATE_USER, Action.USER_CHANGED, Action.RECORD_DELETED)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += SELF_LOCKED  # separation of duties: another superuser does it
        return fields

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            user.refresh_from_db(fields=["password"])
            if user.password != before:
                log_diff(
                    user,
                    by=request.user,
                    action=Action.USER_CHANGED,
                    old=snapshot(User(password=before), ["password"]),
                    new=snapshot(user, ["password"]),
                )
        return response


@admin.register(Group)
class AuditedGroupAdmin(SuperuserOnlyMixin, AuditedAdmin, GroupAdmin):
    pass


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
