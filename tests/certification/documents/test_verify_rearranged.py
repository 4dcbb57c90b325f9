"""The public verify page of a certificate whose residential area was re-arranged since
(issue 22): the content as issued, and what the unit is now."""

import datetime

import pytest

from units.models import Unit, UnitChange

pytestmark = pytest.mark.usefixtures("fresh_cache")  # the verify rate limit counts in the cache


@pytest.mark.django_db
def test_the_page_of_an_old_units_certificate_names_the_unit_it_became(certificate, client):
    old = certificate.unit
    issued_name = certificate.snapshot["unit_name"]
    day = datetime.date.today() - datetime.timedelta(days=1)
    new = Unit.objects.create(
        code=f"{old.code}-M",
        name="Tổ dân phố Hải Đông",
        label="Tổ dân phố",
        kind=old.kind,
        parent=old.parent,
        valid_from=day,
    )
    Unit.objects.filter(pk=old.pk).update(valid_to=day)
    UnitChange.objects.create(predecessor=old, successor=new, kind=UnitChange.Kind.MERGE, effective_on=day)
    html = client.get(f"/verify/{certificate.code}").content.decode()
    assert issued_name in html  # the certificate keeps the name it was issued with
    assert "đơn vị này nay là" in html and "Tổ dân phố Hải Đông" in html
    assert day.strftime("%d/%m/%Y") in html


@pytest.mark.django_db
def test_the_page_of_a_unit_that_still_exists_says_nothing_more(certificate, client):
    html = client.get(f"/verify/{certificate.code}").content.decode()
    assert "nay là" not in html
