import pytest

pytest_plugins = [
    "tests.plugins.domain",
    "tests.plugins.services",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the default is per process: one test's cached
    dashboard rows must not leak into the next)."""
    from django.core.cache import cache

    cache.clear()
