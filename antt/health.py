"""/healthz: database and broker checks, never raises. It is public (load balancers, container
health checks), so it says only "ok" or "unhealthy": which part failed and why goes to the log."""

import logging
import time

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
# What this process last read from the shared cache, by broker URL: (monotonic expiry, value).
# Every page asks (the banner): a read of the shared cache is a round trip to Redis, ~0.14 ms of
# CPU, a quarter of the bare view (issue 23, round 10). A process that fails to send a task
# forgets it at once (``antt.broker``); the others see the broker down within these seconds.
BROKER_LOCAL_SECONDS = 5
_local: dict[str, tuple[float, bool]] = {}


def broker_available() -> bool:
    """Cheap enough for every page: no broker → True at once; else one ping per 30 s per cache,
    read from that cache at most every ``BROKER_LOCAL_SECONDS`` per process."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return True
    now = time.monotonic()
    known = _local.get(url)
    if known is not None and known[0] > now:
        return known[1]
    from django.core.cache import cache

    cached = cache.get(BROKER_CACHE_KEY)
    if cached is None:
        cached = check_broker()[0]
        cache.set(BROKER_CACHE_KEY, cached, BROKER_CACHE_SECONDS)
    _local[url] = (now + BROKER_LOCAL_SECONDS, cached)
    return cached


def forget_broker_state() -> None:
    """Forget what this process knows of the broker (the next page reads the shared cache)."""
    _local.clear()


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = check_database()
    broker_ok, broker_detail = check_broker()
    healthy = db_ok and broker_ok
    if not healthy:
        logger.error("unhealthy: database %s, broker %s", db_detail, broker_detail)
    return JsonResponse({"status": "ok" if healthy else "unhealthy"}, status=200 if healthy else 503)
