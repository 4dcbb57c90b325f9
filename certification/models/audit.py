"""Append-only audit trail with a hash chain (``manage.py verify_audit`` checks it)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` would bypass ``save()``/``delete()`` below: refused too."""

    def update(self, **kwargs):
        raise RuntimeError("Audit events are append-only.")

    def delete(self):
        raise RuntimeError("Audit events are append-only.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise RuntimeError("Audit events are append-only.")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(_("object"), max_length=255)
    # Indexed with the id (``audit_assessment_idx``): an assessment's history is read in id
    # order, and its latest changes (the entry form: ``ORDER BY id DESC LIMIT``) would otherwise
    # be planned, as a prepared statement, as a backward scan of the whole table's primary key.
    assessment = models.ForeignKey(
        "certification.Assessment",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    field = models.CharField(_("field"), max_length=60, blank=True)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["assessment", "id"], name="audit_assessment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")
