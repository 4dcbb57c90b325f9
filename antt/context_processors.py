from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"SITE_NAME": "antt", "BACKGROUND_EAGER": settings.CELERY_TASK_ALWAYS_EAGER}
