import socket, time
import pytest
from django.urls import reverse
from antt.celery import app
from tests.plugins.services import celery_app_using
from .world import build_small_world

def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

@pytest.mark.django_db(transaction=True)
def test_save_with_dead_broker(client, settings):
    w = build_small_world()
    side = w.sides["in"]
    url = f"redis://127.0.0.1:{port()}/0"
    settings.CELERY_BROKER_URL = url
    client.raise_request_exception = False
    client.force_login(side.member)
    a = side.draft; a.refresh_from_db()
    ans = a.answers.first()
    with celery_app_using(app, url):
        t = time.monotonic()
        r = client.post(reverse("certification:assessment-save", args=[a.pk]), {"version": a.version, "only": ans.pk, f"value-{ans.pk}": "met"}, HTTP_ACCEPT="application/json")
        print(r.status_code, time.monotonic() - t, r.content[:300])
