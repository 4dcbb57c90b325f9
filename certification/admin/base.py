"""What every certification admin shares.

The certification models are not scoped in the admin (the app's own pages are): a staff user
given model permissions would see every province. Only superusers get them; commune and
province administrators use the scoped pages (and the scoped units admin).

Whatever a superuser writes here (draft criteria sets and their rows, score sheets, campaigns,
deleted results) is recorded in the audit chain by ``units.admin.AuditedAdmin``."""

from units.admin import AuditedAdmin


def _is_superuser(request) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class SuperuserOnlyAdmin(AuditedAdmin):
    """Base of every certification ``ModelAdmin``: superusers only, then the admin's own rules."""

    def has_module_permission(self, request) -> bool:
        return _is_superuser(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_superuser(request)

    def has_add_permission(self, request) -> bool:
        return _is_superuser(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_superuser(request) and super().has_delete_permission(request, obj)


class ReadOnlyMixin:
    """Nothing is added, changed or deleted here: the services do it (checked and audited)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, SuperuserOnlyAdmin):
    pass
