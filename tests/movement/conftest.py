"""Movement fixtures: the national catalogue's types and a helper recording a model."""

import datetime

import pytest
from django.apps import apps

from movement.data.catalogue import load_catalogue
from movement.models import ModelType
from movement.services.models import record_model


@pytest.fixture(autouse=True)
def _catalogue(db) -> None:
    # A transactional test (the browser's live server) may have flushed what migration 0002 loaded.
    load_catalogue(apps)


@pytest.fixture
def camera(db) -> ModelType:
    return ModelType.objects.get(province=None, code="camera-an-ninh")


@pytest.fixture
def patrol(db) -> ModelType:
    return ModelType.objects.get(province=None, code="to-tuan-tra")


@pytest.fixture
def add_model(officer, patrol):
    def make(
        unit, *, name="Tổ tuần tra thôn", model_type=None, by=None, started=datetime.date(2025, 1, 1), **more
    ):
        return record_model(
            by=by or officer,
            unit=unit,
            name=name,
            model_type=model_type or patrol,
            started_on=started,
            **more,
        )

    return make
