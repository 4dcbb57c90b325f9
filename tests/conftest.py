import pytest

pytest_plugins = [
    "tests.plugins.domain",
    "tests.plugins.services",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the default is per process: one test's cached
    dashboard rows must not leak into the next), and so do the trees of published criteria sets."""
    from django.core.cache import cache

    from certification.selectors.criteria import forget_published_trees

    cache.clear()
    forget_published_trees()  # some tests write a published set behind its back
