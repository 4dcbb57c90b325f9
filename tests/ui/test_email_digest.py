"""The daily e-mail digest of what waits for each user (celery beat, ``EMAIL_DIGESTS=1``)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from certification.models import Assessment
from certification.schedule import BEAT_SCHEDULE
from certification.services.digests import send_worklist_digests
from certification.tasks.digests import send_worklist_digests_task

Status = Assessment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def digests_on(settings):
    settings.EMAIL_DIGESTS = True
    settings.SITE_BASE_URL = "https://antt.example.gov.vn"


def test_each_user_with_work_waiting_gets_one_vietnamese_message_with_the_counts(
    digests_on, officer, appraiser, colleague, campaign, areas, other_area, assess
):
    for user in (officer, appraiser, colleague):
        user.email = f"{user.username}@example.gov.vn"
        user.save(update_fields=["email"])
    assess(areas[0], Status.RETURNED, returned=1)
    assess(areas[1], Status.SUBMITTED)
    assess(areas[2], Status.SUBMITTED)

    assert send_worklist_digests_task.delay().get() == 2  # the colleague has nothing waiting

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"officer@example.gov.vn", "appraiser@example.gov.vn"}
    to_appraiser = by_recipient["appraiser@example.gov.vn"]
    assert to_appraiser.subject == "ANTT: 2 hồ sơ đánh giá đang chờ anh/chị xử lý"
    assert "- Chờ tôi thẩm định: 2" in to_appraiser.body
    link = "https://antt.example.gov.vn" + reverse("certification:my-tasks")
    assert to_appraiser.body.endswith(f"Mở danh sách việc cần làm: {link}")
    with translation.override("vi"):
        returned_label = gettext("Returned to me for correction")
    assert f"- {returned_label}: 1" in by_recipient["officer@example.gov.vn"].body
    assert str(other_area) not in "".join(m.body for m in mail.outbox)


def test_no_digest_is_sent_unless_switched_on_or_without_an_address(
    settings, officer, appraiser, campaign, areas, assess
):
    assess(areas[0], Status.SUBMITTED)
    appraiser.email = "appraiser@example.gov.vn"
    appraiser.save(update_fields=["email"])
    settings.EMAIL_DIGESTS = False
    assert send_worklist_digests() == 0
    settings.EMAIL_DIGESTS = True
    officer.email = ""  # nothing waits for the officer anyway; no address, no message
    assert send_worklist_digests() == 1
    assert [m.to for m in mail.outbox] == [["appraiser@example.gov.vn"]]


def test_the_digest_is_on_the_beat_schedule_each_morning():
    entry = BEAT_SCHEDULE["send-worklist-digests"]
    assert entry["task"] == send_worklist_digests_task.name
    assert entry["schedule"].hour == {7}
