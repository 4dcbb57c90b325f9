"""Sending tasks when Redis is down: the page is still served.

Without this, a view whose transaction queues a task (every saved answer queues a rescore)
waited ~20 s for Celery's connection retries and then answered 500, although its data was
committed. ``BrokerTolerantTask`` (the app's task class, see ``antt.celery``):

* gives up on the broker quickly (a short retry policy in settings) and remembers for
  ``health.BROKER_CACHE_SECONDS`` that it is down, so the next sends do not wait at all and
  every page shows the "background work is delayed" banner at once;
* runs short, idempotent tasks in the web process instead (``BROKER_DOWN_INLINE_TASKS``: a
  unit's rescore, a decision's print job), so nothing is lost;
* drops the others with a warning in the log (a whole campaign's scoring: its run stays
  "queued"; pressing "Score now" again once Redis is back supersedes it).
"""

import logging

from celery import Task
from django.conf import settings

log = logging.getLogger(__name__)


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    return (OperationalError, RedisError, ConnectionError, TimeoutError)


def _mark_down() -> None:
    from django.core.cache import cache

    from antt.health import BROKER_CACHE_KEY, BROKER_CACHE_SECONDS, forget_broker_state

    forget_broker_state()  # this process's pages show the banner at once
    try:
        cache.set(BROKER_CACHE_KEY, False, BROKER_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - the cache may be the same Redis: nothing more to do
        pass


def _known_down() -> bool:
    from django.core.cache import cache

    from antt.health import BROKER_CACHE_KEY

    try:
        return cache.get(BROKER_CACHE_KEY) is False
    except Exception:  # noqa: BLE001
        return False


class BrokerTolerantTask(Task):
    abstract = True
    # Progress lives in the database; nobody waits on a task's result. Without results the web
    # process never subscribes to Redis for them (a subscriber that lost Redis stays broken).
    ignore_result = True

    def apply_async(
        self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, **options
    ):
        if self.app.conf.task_always_eager or not settings.CELERY_BROKER_URL:
            return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)
        if not _known_down():
            try:
                return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)
            except _broker_errors() as error:
                log.warning("broker unavailable, task %s not queued: %s", self.name, error)
                _mark_down()
        return self._without_broker(args or (), kwargs or {})

    def _without_broker(self, args, kwargs):
        inline = settings.BROKER_DOWN_INLINE_TASKS
        if self.name in inline:
            log.warning("broker unavailable: running %s in the web process", self.name)
            return self.apply(args, kwargs)
        log.warning("broker unavailable: %s%r dropped", self.name, tuple(args))
        return None
