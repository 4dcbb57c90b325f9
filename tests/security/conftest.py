"""Security fixtures: the mirrored two-province world (``tests.security.world``) and media in
a temporary directory."""

import pytest

from .world import World, build_world


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    return build_world(lambda: django_capture_on_commit_callbacks(execute=True))
