"""``antt.database.cache.RedisCache`` (the backend of ``CACHE_URL``): Django's Redis cache with
one client per connection pool. What it keeps is what Django's keeps, and every process sees
it at once (the identity cache relies on it: an ended session or a revoked role)."""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from antt.database.cache import RedisCache


def test_writes_are_read_back_by_another_process_s_cache(redis_url):
    ours, other = RedisCache(redis_url, {"KEY_PREFIX": "t"}), DjangoRedisCache(redis_url, {"KEY_PREFIX": "t"})
    ours.set("a", {"roles": ["officer"]}, 60)
    assert other.get("a") == {"roles": ["officer"]}
    assert ours.add("a", "other", 60) is False
    assert ours.add("b", 1, None) is True
    assert ours.get_many(["a", "b", "c"]) == {"a": {"roles": ["officer"]}, "b": 1}
    other.set("a", "changed", 60)  # written elsewhere: seen at the next read
    assert ours.get("a") == "changed"
    assert ours.incr("b") == 2
    ours.delete("a")
    assert other.get("a") is None
    ours.clear()
    assert other.get("b") is None


def test_threads_share_the_cache(redis_url):
    cache = RedisCache(redis_url, {})
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"k{n}-{i}", i, 60)
                assert cache.get(f"k{n}-{i}") == i
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache.get_many([f"k{n}-{i}" for n in range(4) for i in range(50)])) == 200
