import pytest
from django.urls import reverse

from certification.models import Certificate, PrintJob


def _get(client, user, url, **extra):
    client.force_login(user)
    return client.get(url, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("clerk", 200),
        ("approver", 200),
        ("viewer", 200),
        ("province_viewer", 200),
        ("officer", 403),
        ("colleague_clerk", 404),
        ("outsider_clerk", 404),
    ],
)
def test_decision_pdf_is_for_clerks_approvers_and_viewers_in_scope(request, client, decision, who, status):
    response = _get(
        client, request.getfixturevalue(who), reverse("certification:decision-pdf", args=[decision.pk])
    )
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


# page: (the object it shows, its status for each user). A certificate PDF follows the unit's
# subtree; a decision page follows its issuer (officers of the commune read it).
SCOPED_PAGES = {
    "certification:certificate-pdf": (
        "certificate",
        {"clerk": 200, "officer": 403, "colleague_clerk": 404, "outsider_clerk": 404},
    ),
    "certification:decision-detail": (
        "decision",
        {"clerk": 200, "officer": 200, "colleague_clerk": 404, "outsider_clerk": 404},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "who", "status"),
    [(page, who, status) for page, (_, statuses) in SCOPED_PAGES.items() for who, status in statuses.items()],
)
def test_certificate_pdf_and_decision_page_are_scoped(request, client, page, who, status):
    shown = request.getfixturevalue(SCOPED_PAGES[page][0])
    response = _get(client, request.getfixturevalue(who), reverse(page, args=[shown.pk]))
    assert response.status_code == status


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, decision, certificate):
    for url in [
        reverse("certification:decision-list"),
        reverse("certification:decision-detail", args=[decision.pk]),
        reverse("certification:decision-pdf", args=[decision.pk]),
        reverse("certification:certificate-pdf", args=[certificate.pk]),
        reverse("certification:report-summary"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.django_db
def test_decision_list_shows_only_decisions_issued_inside_the_users_subtree(
    client, decision, clerk, colleague_clerk
):
    assert "01/QĐ-UBND" in _get(client, clerk, reverse("certification:decision-list")).content.decode()
    assert (
        "01/QĐ-UBND"
        not in _get(client, colleague_clerk, reverse("certification:decision-list")).content.decode()
    )


@pytest.mark.django_db
def test_only_an_approver_may_revoke_and_the_verification_page_then_says_revoked(
    client, certificate, clerk, approver, colleague_clerk
):
    url = reverse("certification:certificate-revoke", args=[certificate.pk])
    assert _get(client, clerk, url).status_code == 403
    assert _get(client, colleague_clerk, url).status_code == 404
    client.force_login(clerk)
    assert client.post(url, {"reason": "x", "reference": "y"}).status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID

    client.force_login(approver)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reason": "Để xảy ra trọng án",
            "issued_on": "2026-12-01",
            "signer_title": "Chủ tịch",
            "signer_name": "Nguyễn Văn Hùng",
        },
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.assessment.status == "revoked"
    client.logout()
    html = client.get(certificate.get_verify_url()).content.decode()
    assert "Hết hiệu lực: đã bị thu hồi" in html and "Để xảy ra trọng án" in html


@pytest.mark.django_db
def test_revoking_without_reason_shows_a_vietnamese_message_and_changes_nothing(
    client, certificate, approver
):
    client.force_login(approver)
    response = client.post(
        reverse("certification:certificate-revoke", args=[certificate.pk]), {"reason": " "}
    )
    assert response.status_code == 200
    assert (
        "Hãy nêu lý do thu hồi." in response.content.decode()
        or "Trường này là bắt buộc." in response.content.decode()
    )
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID


@pytest.mark.django_db
def test_a_clerk_prints_all_certificates_follows_progress_and_downloads(
    client, decision, clerk, colleague_clerk, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certification:print-start", args=[decision.pk]))
    job = PrintJob.objects.get()
    assert response["Location"] == reverse("certification:print-detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page
    status = client.get(reverse("certification:print-status", args=[job.pk])).json()
    assert status == {"percent": 100, "status": "done", "done": 5, "total": 5, "message": "", "zip": "ready"}
    pdf = client.get(reverse("certification:print-download", args=[job.pk, "pdf"]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("certification:print-download", args=[job.pk, "zip"])).status_code == 200
    assert client.get(reverse("certification:print-download", args=[job.pk, "exe"])).status_code == 404
    client.force_login(colleague_clerk)
    assert client.get(reverse("certification:print-status", args=[job.pk])).status_code == 404
    assert client.post(reverse("certification:print-start", args=[decision.pk])).status_code == 404


@pytest.mark.django_db
def test_an_officer_cannot_start_printing(client, decision, officer):
    client.force_login(officer)
    assert client.post(reverse("certification:print-start", args=[decision.pk])).status_code == 403
    assert not PrintJob.objects.exists()


@pytest.mark.django_db
def test_the_zip_asked_for_before_it_is_ready_sends_back_to_the_job_with_a_vietnamese_message(
    client, decision, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    from certification.documents import printing as print_jobs
    from certification.tasks import printing

    held = []
    monkeypatch.setattr(printing.build_zip_task, "delay", held.append)  # the zip task has not run yet
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certification:print-start", args=[decision.pk]))
    job = PrintJob.objects.get()
    status_url = reverse("certification:print-status", args=[job.pk])
    assert client.get(status_url).json()["zip"] == "pending"
    assert client.get(status_url + "?part=zip").json()["status"] == "running"
    page = client.get(reverse("certification:print-detail", args=[job.pk])).content.decode()
    assert "đang được chuẩn bị" in page
    assert reverse("certification:print-download", args=[job.pk, "zip"]) not in page
    pdf = client.get(reverse("certification:print-download", args=[job.pk, "pdf"]))
    assert pdf.status_code == 200
    response = client.get(reverse("certification:print-download", args=[job.pk, "zip"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("certification:print-detail", args=[job.pk])
    assert "Tệp zip đang được chuẩn bị, vui lòng thử lại sau ít giây." in response.content.decode()

    print_jobs.build_zip(held[0])
    assert client.get(status_url + "?part=zip").json()["status"] == "done"
    page = client.get(reverse("certification:print-detail", args=[job.pk])).content.decode()
    assert reverse("certification:print-download", args=[job.pk, "zip"]) in page
    assert client.get(reverse("certification:print-download", args=[job.pk, "zip"])).status_code == 200
