from django.conf import settings
from django.http import HttpRequest

from antt.health import broker_available


def background_delayed() -> bool:
    return not broker_available()


def site(request: HttpRequest) -> dict:
    return {
        "SITE_NAME": "antt",
        "BACKGROUND_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
        # Banner in base.html while the broker is unreachable; a callable, so templates that
        # never show it (PDFs, e-mails) never check.
        "BACKGROUND_DELAYED": background_delayed,
    }
