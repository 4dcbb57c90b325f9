"""Django's Redis cache keeping one Redis client per connection pool (issue 23, round 7).

``django.core.cache.backends.redis.RedisCacheClient.get_client`` makes a new ``redis.Redis`` for
every operation, and a ``redis.Redis`` copies its ~170 response callbacks into a case-insensitive
dict when it is made: two such clients on every request (the session, then the user and roles of
``antt.accounts.identity``) were ~0.3 ms of CPU, a third of a bare view. A client holds no
connection of its own (it borrows one from the pool for each command, and the pool reconnects after
a fork), so one per pool serves every thread of the process.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _Client(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}  # by id of its pool (the pools are kept for the process)

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _Client
