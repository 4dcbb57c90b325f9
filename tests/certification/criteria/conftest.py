"""Fixtures of the criteria area: the TT 124 sets loaded by the data migration."""

import pytest

from certification.models import CriteriaSet


def shipped_set(family: str):
    """A fixture: version 1 of the shipped criteria set ``family``."""

    @pytest.fixture
    def criteria_set(db) -> CriteriaSet:
        return CriteriaSet.objects.get(family=family, version=1)

    return criteria_set


kdc_set = shipped_set("tt124-kdc")
xa_set = shipped_set("tt124-xa")
cqdn_set = shipped_set("tt124-cqdn")
csgd_set = shipped_set("tt124-csgd")
