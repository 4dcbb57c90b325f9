import pytest
from django.urls import reverse
@pytest.mark.django_db
def test_x(world, client):
    client.force_login(world.users["approver"])
    side = world.sides["in"]
    for data in [{"issuer": side.commune.pk, "assessments": ["99999999999999999999999"], "outcome": "recognize"}, {"issuer": "99999999999999999999999"}, {"issuer": side.commune.pk, "commune": "99999999999999999999999"}]:
        try:
            r = client.post(reverse("certification:recognize-batch"), data)
            print(data, r.status_code)
        except Exception as e:
            import traceback; traceback.print_exc()
            print(data, "EXC", type(e).__name__, e)
