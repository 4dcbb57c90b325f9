"""The province's own types of model (the national catalogue is data: migration 0002). A
province administrator adds, renames or removes their province's types here, audited by
``units.admin.AuditedAdmin``; the models themselves are written on the app's pages (services)."""

from django.contrib import admin

from movement.models import ModelType
from units.admin import ScopedAdmin, admin_units
from units.models import Unit


@admin.register(ModelType)
class ModelTypeAdmin(ScopedAdmin):
    unit_field = "province"
    list_display = ("name", "code", "province", "counts_cameras")
    list_filter = ("counts_cameras",)
    search_fields = ("name", "code")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "province":
            kwargs["queryset"] = admin_units(request).filter(kind=Unit.Kind.PROVINCE)
            # Only a superuser writes the national catalogue (an empty province).
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
