"""API tokens and their request trail.

A token belongs to one user and never reaches further than that user's roles: its ``units`` (empty:
all of the user's scope) narrow the user's subtrees, ``can_write`` adds the writes. Only the SHA-256
of the secret is stored; the secret is shown once, when the token is made.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX = "antt_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The secret's first characters.")
    units = models.ManyToManyField("units.Unit", blank=True, related_name="+", verbose_name=_("units"))
    can_write = models.BooleanField(_("read and write"), default=False)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiRequest(models.Model):
    """One request made with a token: the trail each token leaves (writes are also in the audit chain)."""

    token = models.ForeignKey(ApiToken, models.CASCADE, related_name="requests")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["token", "-at"], name="api_request_token_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
