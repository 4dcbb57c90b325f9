"""A session row that knows its user (Django's documented way to extend the database sessions):
ending a user's other sessions is one DELETE instead of decoding every session."""

from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(AbstractBaseSession):
    user_id = models.IntegerField(_("user"), null=True, db_index=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
