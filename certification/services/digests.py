"""Daily e-mail digest of what waits for each user ("Việc cần làm"), sent by celery beat.

Off unless ``EMAIL_DIGESTS=1`` (and an SMTP server in ``EMAIL_HOST``): many commune offices
have no mail server, and the worklist page says the same thing anyway. One message per user
with an e-mail address and something waiting (returned to them, their appraisal, their
decision); nothing is sent to a user with nothing to do.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from antt.text import person_name
from certification.selectors import worklist


def digest_for(user: User) -> tuple[str, str] | None:
    """(subject, body) in Vietnamese, or None when nothing waits for ``user``."""
    counts = worklist.task_counts(user)
    lines = [
        (counts["returned"], _("Returned to me for correction")),
        (counts["appraisal"], _("Waiting for my appraisal")),
        (counts["decision"], _("Waiting for my decision")),
    ]
    waiting = sum(n for n, _label in lines)
    if not waiting:
        return None
    url = settings.SITE_BASE_URL.rstrip("/") + reverse("certification:my-tasks")
    subject = _("ANTT: %(count)s assessments are waiting for you") % {"count": waiting}
    body = "\n".join(
        [_("Hello %(name)s,") % {"name": person_name(user)}, ""]
        + [f"- {label}: {n}" for n, label in lines if n]
        + ["", _("Open your task list: %(url)s") % {"url": url}]
    )
    return subject, body


def send_worklist_digests() -> int:
    """Send today's digests; returns how many messages went out."""
    if not settings.EMAIL_DIGESTS:
        return 0
    users = (
        get_user_model()
        .objects.filter(is_active=True, roles__isnull=False)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    sent = 0
    with translation.override("vi"):  # workers have no request language
        for user in users:
            digest = digest_for(user)
            if digest is None:
                continue
            subject, body = digest
            sent += send_mail(subject, body, None, [user.email])
    return sent
