"""Admin by area: each engineer's module registers its own models.

A module listed here is imported when it exists, so an area can add its admin file without
editing this one.
"""

from importlib import import_module
from importlib.util import find_spec

AREAS = ("criteria", "assessments", "documents", "results")

for _area in AREAS:
    if find_spec(f"{__name__}.{_area}") is not None:
        import_module(f"{__name__}.{_area}")


def _restrict_to_superusers() -> None:
    """The certification models are not scoped in the admin (the app's own pages are): a
    staff user given model permissions would see every province. Only superusers get them;
    commune and province administrators use the scoped pages (and the scoped units admin)."""
    from django.contrib import admin

    def superuser_only(request, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "certification":
            continue
        for name in ("has_module_permission", "has_view_permission"):
            setattr(model_admin, name, superuser_only)
        for name in ("has_add_permission", "has_change_permission", "has_delete_permission"):
            original = getattr(model_admin, name)
            setattr(
                model_admin,
                name,
                lambda request, obj=None, _original=original: (
                    superuser_only(request) and _original(request, *([obj] if obj is not None else []))
                ),
            )


_restrict_to_superusers()
