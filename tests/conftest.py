import pytest

pytest_plugins = [
    "tests.plugins.domain",
    "tests.plugins.services",
]


@pytest.fixture(autouse=True)
def _identity_cache(settings):
    """The identity cache (sessions, users, roles: antt/accounts/identity.py) is on in the tests, as
    with CACHE_URL in production: each test gets an empty one in memory (one process)."""
    settings.CACHES = {
        **settings.CACHES,
        "identity": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "identity"},
    }
    from django.core.cache import caches

    caches["identity"].clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the default is per process: one test's cached
    dashboard rows must not leak into the next), and so do the trees of published criteria sets."""
    from django.core.cache import cache

    from antt.health import forget_broker_state
    from certification.selectors.criteria import forget_published_trees

    cache.clear()
    forget_broker_state()  # what a process read of the broker, as the cache: per test
    forget_published_trees()  # some tests write a published set behind its back
