"""/healthz: database and broker checks, never raises. It is public (load balancers, container
health checks), so it says only "ok" or "unhealthy": which part failed and why goes to the log."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return False, exc.__class__.__name__
    return True, "ok"


def check_broker() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if not url:
        return True, "eager"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__
    return True, "ok"


BROKER_CACHE_KEY = "antt:broker-available"
BROKER_CACHE_SECONDS = 30


def broker_available() -> bool:
    """Cheap enough for every page: no broker → True at once; else one ping per 30 s per cache."""
    if not settings.CELERY_BROKER_URL:
        return True
    from django.core.cache import cache

    cached = cache.get(BROKER_CACHE_KEY)
    if cached is None:
        cached = check_broker()[0]
        cache.set(BROKER_CACHE_KEY, cached, BROKER_CACHE_SECONDS)
    return cached


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = check_database()
    broker_ok, broker_detail = check_broker()
    healthy = db_ok and broker_ok
    if not healthy:
        logger.error("unhealthy: database %s, broker %s", db_detail, broker_detail)
    return JsonResponse({"status": "ok" if healthy else "unhealthy"}, status=200 if healthy else 503)
