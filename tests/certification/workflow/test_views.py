"""Every view as the insider (roles on the commune), a colleague of another commune and an
outsider of another province; out of scope → 404, wrong role → 403."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from certification.models import Assessment, AuditEvent, Decision, Evidence, ImportJob, Registration
from certification.selectors.criteria import forget_published_trees
from certification.services import entry, transitions
from tests.builders import decision_fields
from tests.certification.workflow.conftest import xlsx
from tests.certification.workflow.test_entry import PDF

pytestmark = pytest.mark.django_db
Status = Assessment.Status


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"  # assertions match the English msgids
        return client

    return login


def url(name, *args):
    return reverse(f"certification:{name}", args=args)


# --- list, detail ---------------------------------------------------------------------------


def test_the_list_shows_only_assessments_in_my_area(as_user, officer, colleague, outsider, draft):
    assert draft.unit.full_name in as_user(officer).get(url("assessment-list")).content.decode()
    for user in (colleague, outsider):
        assert draft.unit.full_name not in as_user(user).get(url("assessment-list")).content.decode()


def test_the_list_search_ignores_diacritics_and_filters_by_status(as_user, officer, draft, campaign, areas):
    entry.start_assessment(campaign=campaign, unit=areas[1], by=officer)
    client = as_user(officer)
    page = client.get(url("assessment-list"), {"q": "to dan pho 1"}).content.decode()
    assert "Tổ dân phố 1" in page and "Tổ dân phố 2" not in page
    assert "Tổ dân phố 1" not in client.get(url("assessment-list"), {"status": "submitted"}).content.decode()


def test_the_list_offers_to_start_units_without_an_assessment(as_user, officer, draft, campaign, areas):
    page = as_user(officer).get(url("assessment-list"), {"campaign": campaign.pk}).content.decode()
    assert areas[1].full_name in page and url("assessment-start") in page


def test_starting_from_the_list(as_user, officer, appraiser, colleague, campaign, area):
    data = {"unit": area.pk, "campaign": campaign.pk}
    assert as_user(colleague).post(url("assessment-start"), data).status_code == 404
    assert as_user(appraiser).post(url("assessment-start"), data).status_code == 403
    response = as_user(officer).post(url("assessment-start"), data)
    assessment = Assessment.objects.get(unit=area)
    assert response.status_code == 302 and response.url == assessment.get_absolute_url()


def test_the_entry_page_shows_one_row_per_criterion_with_radio_buttons(as_user, officer, draft):
    page = as_user(officer).get(url("assessment-detail", draft.pk)).content.decode()
    for code in ("KDC-1", "KDC-3a", "KDC-4a"):
        assert code in page
    answer = draft.answers.get(criterion__code="KDC-3b")
    assert f'name="value-{answer.pk}" id="v-{answer.pk}-na"' in page  # N/A allowed here
    strict = draft.answers.get(criterion__code="KDC-3a")
    assert f'id="v-{strict.pk}-na"' not in page
    assert "assessment.js" in page and 'name="version"' in page


@pytest.mark.parametrize(
    ("who", "status"), [("officer", 200), ("appraiser", 200), ("colleague", 404), ("outsider", 404)]
)
def test_the_entry_page_is_visible_only_in_scope(as_user, draft, who, status, request):
    assert as_user(request.getfixturevalue(who)).get(url("assessment-detail", draft.pk)).status_code == status


def test_the_entry_page_highlights_returned_items_with_the_reason(as_user, officer, appraiser, submitted):
    transitions.return_assessment(assessment=submitted, by=appraiser, items={"KDC-3a": "Thiếu biên bản"})
    page = as_user(officer).get(url("assessment-detail", submitted.pk)).content.decode()
    assert "is-returned" in page and "Thiếu biên bản" in page


def test_the_entry_page_shows_the_timeline(as_user, officer, filled):
    page = as_user(officer).get(url("assessment-detail", filled.pk)).content.decode()
    assert 'id="timeline"' in page and "officer" in page


def _noted(assessment, officer, times: int) -> None:
    """``times`` saved notes on one criterion: one change each in the history."""
    for i in range(1, times + 1):
        assessment.refresh_from_db()
        entry.save_answers(
            assessment=assessment,
            by=officer,
            expected_version=assessment.version,
            changes={"KDC-1": {"note": f"ghi chú số {i:02d}"}},
        )


def test_the_entry_page_shows_the_latest_changes_and_links_to_the_whole_history(
    as_user, officer, colleague, outsider, draft, monkeypatch
):
    _noted(draft, officer, 25)
    page = as_user(officer).get(url("assessment-detail", draft.pk)).content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert timeline.count("<tr>") == 1 + 20  # the head and the latest 20 changes
    assert "The latest 20 changes" in timeline
    assert "ghi chú số 25" in timeline and "ghi chú số 03" not in timeline
    assert timeline.index("ghi chú số 24") < timeline.index("ghi chú số 25")  # oldest first
    assert url("assessment-history", draft.pk) in timeline

    whole = as_user(officer).get(url("assessment-history", draft.pk)).content.decode()
    assert all(f"ghi chú số {i:02d}" in whole for i in range(1, 26))
    events = AuditEvent.objects.filter(assessment=draft).exclude(action="version").count()
    assert f"{events} changes recorded" in whole
    for user in (colleague, outsider):
        assert as_user(user).get(url("assessment-history", draft.pk)).status_code == 404

    from certification.selectors import history

    monkeypatch.setattr(history, "PER_PAGE", 10)
    second = as_user(officer).get(url("assessment-history", draft.pk), {"page": 2}).content.decode()
    assert second.count("<tr>") == 1 + 10 and 'rel="prev"' in second
    last = (
        as_user(officer).get(url("assessment-history", draft.pk), {"page": -(-events // 10)}).content.decode()
    )
    assert "ghi chú số 25" in last and "ghi chú số 25" not in second
    junk = as_user(officer).get(url("assessment-history", draft.pk), {"page": "x"})
    assert junk.status_code == 200


def test_a_short_history_is_all_on_the_entry_page(as_user, officer, draft):
    _noted(draft, officer, 2)
    page = as_user(officer).get(url("assessment-detail", draft.pk)).content.decode()
    assert "ghi chú số 01" in page and url("assessment-history", draft.pk) not in page


# --- save -----------------------------------------------------------------------------------


def test_saving_without_javascript_posts_the_whole_form(as_user, officer, draft):
    a1 = draft.answers.get(criterion__code="KDC-1")
    data = {
        "version": draft.version,
        f"value-{a1.pk}": "met",
        f"note-{a1.pk}": "Có nghị quyết",
        "crime_count": "2",
        "meeting_chair": "Trưởng thôn",
        "attendee-name": ["Trần B", ""],
        "attendee-role": ["Bí thư chi bộ", ""],
    }
    response = as_user(officer).post(url("assessment-save", draft.pk), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    a1.refresh_from_db()
    assert (a1.value, a1.note, draft.crime_count) == ("met", "Có nghị quyết", 2)
    assert draft.meeting_attendees == [{"name": "Trần B", "role": "Bí thư chi bộ"}]


def inline_save(client, answer, version: int, value: str):
    """The assessment page's inline save of one answer (JSON)."""
    data = {"version": version, "only": answer.pk, f"value-{answer.pk}": value}
    return client.post(url("assessment-save", answer.assessment_id), data, HTTP_ACCEPT="application/json")


def test_the_inline_save_answers_json_with_the_new_version(as_user, officer, draft):
    answer = draft.answers.get(criterion__code="KDC-1")
    response = inline_save(as_user(officer), answer, draft.version, "met")
    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["version"] == draft.version + 1


def test_an_inline_save_after_a_colleague_saved_another_criterion_is_saved(as_user, officer, draft):
    answer = draft.answers.get(criterion__code="KDC-1")
    opened = draft.version
    entry.save_answers(
        assessment=draft, by=officer, expected_version=opened, changes={"KDC-5": {"value": "met"}}
    )
    response = inline_save(as_user(officer), answer, opened, "not_met")
    assert response.status_code == 200 and response.json()["version"] == opened + 2
    assert draft.answers.get(criterion__code="KDC-1").value == "not_met"


def test_a_stale_inline_save_of_the_same_criterion_gets_409_with_the_conflict_message(
    as_user, officer, draft
):
    answer = draft.answers.get(criterion__code="KDC-1")
    stale = draft.version
    entry.save_answers(
        assessment=draft, by=officer, expected_version=stale, changes={"KDC-1": {"value": "met"}}
    )
    response = inline_save(as_user(officer), answer, stale, "not_met")
    assert response.status_code == 409
    body = json.loads(response.content)
    assert body["conflict"] and "KDC-1" in body["message"] and "officer" in body["message"]
    assert draft.answers.get(criterion__code="KDC-1").value == "met"


def test_a_refused_inline_save_gets_400_with_the_reason(as_user, officer, draft):
    answer = draft.answers.get(criterion__code="KDC-1")
    response = inline_save(as_user(officer), answer, draft.version, "na")
    assert response.status_code == 400 and "not allowed" in response.json()["message"]


@pytest.mark.parametrize(("who", "status"), [("appraiser", 403), ("colleague", 404), ("outsider", 404)])
def test_only_the_units_officers_may_save(as_user, draft, who, status, request):
    answer = draft.answers.get(criterion__code="KDC-1")
    response = as_user(request.getfixturevalue(who)).post(
        url("assessment-save", draft.pk), {"version": draft.version, f"value-{answer.pk}": "met"}
    )
    assert response.status_code == status
    assert draft.answers.get(criterion__code="KDC-1").value == ""


# --- evidence -------------------------------------------------------------------------------


def test_uploading_and_downloading_evidence_keeps_the_original_name(as_user, officer, appraiser, draft):
    response = as_user(officer).post(
        url("evidence-upload", draft.pk),
        {"file": SimpleUploadedFile("Biên bản họp.pdf", PDF), "criterion": "KDC-1"},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    download = as_user(appraiser).get(url("evidence-download", evidence.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.pdf" in download["Content-Disposition"]


def test_a_disguised_file_is_refused_with_a_message(as_user, officer, draft):
    response = as_user(officer).post(
        url("evidence-upload", draft.pk),
        {"file": SimpleUploadedFile("scan.pdf", b"MZ not a pdf")},
        follow=True,
    )
    assert "Only PDF, JPEG and PNG" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_refused_upload_is_explained_beside_the_upload_form(as_user, officer, draft):
    """The page comes back scrolled to the evidence: the reason is there, not only at the top."""
    response = as_user(officer).post(
        url("evidence-upload", draft.pk), {"file": SimpleUploadedFile("scan.pdf", b"MZ")}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith("#evidence")
    page = response.content.decode()
    upload_form = page[
        page.index('id="evidence-upload"') : page.index("</form>", page.index('id="evidence-upload"'))
    ]
    problem = re.search(r'id="upload-problem"[^>]*>([^<]*)<', upload_form)
    assert problem and "Only PDF, JPEG and PNG files are accepted." in problem.group(1)
    assert " hidden" not in upload_form.split('id="upload-problem"')[1].split(">")[0]
    # Reloaded, the page no longer says it.
    page = as_user(officer).get(url("assessment-detail", draft.pk)).content.decode()
    assert "Only PDF, JPEG and PNG" not in page


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_evidence_is_not_served_outside_the_area(as_user, officer, draft, who, request):
    evidence = entry.add_evidence(assessment=draft, by=officer, file=SimpleUploadedFile("a.pdf", PDF))
    assert as_user(request.getfixturevalue(who)).get(url("evidence-download", evidence.pk)).status_code == 404
    assert as_user(request.getfixturevalue(who)).post(url("evidence-delete", evidence.pk)).status_code == 404
    assert (
        as_user(request.getfixturevalue(who))
        .post(url("evidence-upload", draft.pk), {"file": SimpleUploadedFile("b.pdf", PDF)})
        .status_code
        == 404
    )
    assert Evidence.objects.count() == 1


def test_an_officer_removes_evidence_after_confirming(as_user, officer, appraiser, draft):
    evidence = entry.add_evidence(assessment=draft, by=officer, file=SimpleUploadedFile("a.pdf", PDF))
    assert as_user(appraiser).post(url("evidence-delete", evidence.pk)).status_code == 403
    client = as_user(officer)
    assert client.get(url("evidence-delete", evidence.pk)).status_code == 200
    assert Evidence.objects.exists()
    client.post(url("evidence-delete", evidence.pk))
    assert not Evidence.objects.exists()


# --- workflow actions -----------------------------------------------------------------------


def test_submit_confirms_on_get_and_acts_on_post(as_user, officer, filled):
    client = as_user(officer)
    assert client.get(url("assessment-submit", filled.pk)).status_code == 200
    filled.refresh_from_db()
    assert filled.status == Status.DRAFT
    client.post(url("assessment-submit", filled.pk), {"version": filled.version})
    filled.refresh_from_db()
    assert filled.status == Status.SUBMITTED


def test_submitting_without_the_version_is_refused_as_stale_like_saving(as_user, officer, filled):
    response = as_user(officer).post(url("assessment-submit", filled.pk), follow=True)
    assert "Someone else saved this assessment" in response.content.decode()
    filled.refresh_from_db()
    assert filled.status == Status.DRAFT


def test_submitting_an_incomplete_assessment_shows_what_is_missing(as_user, officer, draft):
    page = as_user(officer).get(url("assessment-submit", draft.pk)).content.decode()
    assert "KDC-1" in page
    response = as_user(officer).post(
        url("assessment-submit", draft.pk), {"version": draft.version}, follow=True
    )
    assert "Criteria not answered" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


@pytest.mark.parametrize(
    ("name", "who", "status"),
    [
        ("assessment-submit", "appraiser", 403),
        ("assessment-submit", "colleague", 404),
        ("assessment-submit", "outsider", 404),
        ("assessment-return", "officer", 403),
        ("assessment-return", "colleague", 404),
        ("assessment-return", "outsider", 404),
        ("assessment-appraise", "officer", 403),
        ("assessment-appraise", "colleague", 404),
        ("assessment-appraise", "outsider", 404),
        ("assessment-exception", "officer", 403),
        ("assessment-exception", "colleague", 404),
        ("assessment-exception", "outsider", 404),
        ("assessment-revoke", "officer", 403),
        ("assessment-revoke", "colleague", 404),
        ("assessment-revoke", "outsider", 404),
    ],
)
def test_workflow_pages_refuse_wrong_roles_and_hide_other_areas(as_user, filled, name, who, status, request):
    client = as_user(request.getfixturevalue(who))
    before = AuditEvent.objects.count()
    assert client.get(url(name, filled.pk)).status_code == status
    assert client.post(url(name, filled.pk), {"reason": "x", "reference": "y"}).status_code == status
    assert AuditEvent.objects.count() == before


def test_an_appraiser_returns_items_with_reasons(as_user, appraiser, submitted):
    client = as_user(appraiser)
    assert client.get(url("assessment-return", submitted.pk)).status_code == 200
    answer = submitted.answers.get(criterion__code="KDC-3a")
    client.post(url("assessment-return", submitted.pk), {f"reason-{answer.pk}": "Thiếu biên bản"})
    submitted.refresh_from_db()
    answer.refresh_from_db()
    assert submitted.status == Status.RETURNED and answer.is_returned


def test_an_appraiser_appraises_with_a_different_answer(as_user, appraiser, submitted):
    client = as_user(appraiser)
    assert client.get(url("assessment-appraise", submitted.pk)).status_code == 200
    answer = submitted.answers.get(criterion__code="KDC-5")
    client.post(
        url("assessment-appraise", submitted.pk), {f"appraised-{answer.pk}": "not_met", "note": "Kỷ luật"}
    )
    submitted.refresh_from_db()
    answer.refresh_from_db()
    assert (
        submitted.status == Status.APPRAISED and answer.appraised_value == "not_met" and answer.value == "met"
    )


def _decision_post(assessments, issuer):
    data = decision_fields(issuer)
    data["issuer"] = issuer.pk
    data["issued_on"] = data["issued_on"].isoformat()
    data["outcome"] = "recognize"
    data["assessments"] = [a.pk for a in assessments]
    return data


def test_an_approver_recognizes_in_one_decision_and_a_second_click_changes_nothing(
    as_user, approver, appraised, commune
):
    client = as_user(approver)
    page = client.get(url("recognize-batch"), {"issuer": commune.pk}).content.decode()
    assert appraised.unit.full_name in page
    data = _decision_post([appraised], commune)
    first = client.post(url("recognize-batch"), data)
    assert first.status_code == 302
    second = client.post(url("recognize-batch"), data)
    assert second.status_code == 200  # the form again, with a message
    assert Decision.objects.count() == 1
    appraised.refresh_from_db()
    assert appraised.status == Status.RECOGNIZED


def test_a_non_recognition_needs_a_reason_in_the_form(as_user, approver, appraised, commune):
    data = {**_decision_post([appraised], commune), "outcome": "not_recognize", "reason": ""}
    response = as_user(approver).post(url("recognize-batch"), data)
    assert response.status_code == 200 and not Decision.objects.exists()
    data["reason"] = "Có tội phạm nghiêm trọng"
    as_user(approver).post(url("recognize-batch"), data)
    appraised.refresh_from_db()
    assert appraised.status == Status.NOT_RECOGNIZED


@pytest.mark.parametrize(
    ("who", "status"), [("officer", 403), ("appraiser", 403), ("colleague", 403), ("outsider", 403)]
)
def test_the_batch_page_is_for_approvers_only(as_user, appraised, commune, who, status, request):
    client = as_user(request.getfixturevalue(who))
    assert client.get(url("recognize-batch")).status_code == status
    assert client.post(url("recognize-batch"), _decision_post([appraised], commune)).status_code == status
    assert not Decision.objects.exists()


def test_an_approver_of_another_body_cannot_pick_this_communes_assessments(
    as_user, province_approver, appraised, commune
):
    client = as_user(province_approver)
    assert client.get(url("recognize-batch"), {"issuer": commune.pk}).status_code == 404
    assert appraised.unit.full_name not in client.get(url("recognize-batch")).content.decode()


def test_an_approver_revokes_through_the_form(as_user, approver, recognized, today):
    client = as_user(approver)
    assert client.get(url("assessment-revoke", recognized.pk)).status_code == 200
    signature = {"issued_on": today.isoformat(), "signer_title": "Chủ tịch", "signer_name": "Phạm Văn Dũng"}
    client.post(url("assessment-revoke", recognized.pk), {"reason": "Sai phạm", **signature})
    recognized.refresh_from_db()
    assert recognized.status == Status.REVOKED


def test_an_approver_reopens_entry_after_the_deadline(as_user, approver, draft, today):
    import datetime

    draft.campaign.residential_period_end = today - datetime.timedelta(days=1)
    draft.campaign.save()
    as_user(approver).post(url("assessment-exception", draft.pk), {"until": today.isoformat()})
    draft.refresh_from_db()
    assert draft.entry_exception_until == today


# --- registration, tasks --------------------------------------------------------------------


def test_an_officer_records_a_registration(as_user, officer, campaign, area):
    client = as_user(officer)
    assert client.get(url("registration-create"), {"unit": area.pk}).status_code == 200
    response = client.post(
        url("registration-create"),
        {
            "campaign": campaign.pk,
            "unit": area.pk,
            "registered_on": f"{campaign.year}-02-01",
            "households_total": 100,
            "households_registered": 100,
            "pledge_ref": "Bản đăng ký số 1",
        },
    )
    assert response.status_code == 302
    assert Registration.objects.get(unit=area).pledge_ref == "Bản đăng ký số 1"


def test_registration_refuses_other_areas_and_other_roles(as_user, colleague, appraiser, campaign, area):
    assert as_user(colleague).get(url("registration-create"), {"unit": area.pk}).status_code == 404
    response = as_user(colleague).post(
        url("registration-create"),
        {
            "campaign": campaign.pk,
            "unit": area.pk,
            "registered_on": "2026-02-01",
            "households_total": 1,
            "households_registered": 1,
        },
    )
    assert response.status_code == 200 and not Registration.objects.exists()
    assert as_user(appraiser).get(url("registration-create")).status_code == 403


def test_my_tasks_counts_what_waits_for_each_role(
    as_user, officer, appraiser, approver, colleague, submitted, campaign, areas
):
    other = entry.start_assessment(campaign=campaign, unit=areas[1], by=officer)
    transitions.return_assessment(assessment=submitted, by=appraiser, items={"KDC-1": "Sai"})
    returned_page = as_user(officer).get(url("my-tasks"))
    groups = {g.key: g.count for g in returned_page.context["groups"]}
    assert groups["returned"] == 1 and groups["drafts"] == 1
    assert other.unit.full_name in returned_page.content.decode()
    assert {g.key: g.count for g in as_user(appraiser).get(url("my-tasks")).context["groups"]}[
        "appraisal"
    ] == 0
    assert {g.key: g.count for g in as_user(colleague).get(url("my-tasks")).context["groups"]} == {
        "returned": 0,
        "appraisal": 0,
        "decision": 0,
        "drafts": 0,
    }


def test_my_tasks_shows_the_approvers_decisions(as_user, approver, appraised):
    groups = {g.key: g.count for g in as_user(approver).get(url("my-tasks")).context["groups"]}
    assert groups["decision"] == 1


# --- Excel ----------------------------------------------------------------------------------


def _sheet(response):
    return [
        list(r) for r in load_workbook(io.BytesIO(response.content))["Đánh giá"].iter_rows(values_only=True)
    ]


def test_the_excel_download_holds_only_my_units(as_user, officer, colleague, campaign, areas, other_area):
    mine = [
        r[0]
        for r in _sheet(as_user(officer).get(url("assessments-excel-download"), {"campaign": campaign.pk}))
    ]
    assert areas[0].code in mine and other_area.code not in mine
    theirs = [
        r[0]
        for r in _sheet(as_user(colleague).get(url("assessments-excel-download"), {"campaign": campaign.pk}))
    ]
    assert other_area.code in theirs and areas[0].code not in theirs


def test_the_excel_download_refuses_other_provinces_and_other_roles(as_user, outsider, appraiser, campaign):
    assert (
        as_user(outsider).get(url("assessments-excel-download"), {"campaign": campaign.pk}).status_code == 404
    )
    assert as_user(appraiser).get(url("assessments-excel-download")).status_code == 403


def test_the_excel_upload_previews_then_imports_on_confirm(
    as_user, officer, campaign, areas, django_capture_on_commit_callbacks
):
    client = as_user(officer)
    assert client.get(url("assessments-excel-upload")).status_code == 200
    head = ["Mã", "Tên", "Đăng ký", "Số hộ gia đình", "Số hộ đăng ký", "KDC-1"]
    upload = SimpleUploadedFile("f.xlsx", xlsx([head, [areas[0].code, "", "", None, None, "Đạt"]]).getvalue())
    preview = client.post(url("assessments-excel-upload"), {"year": campaign.year, "file": upload})
    assert preview.status_code == 200 and not Assessment.objects.exists()
    token = preview.context["token"]
    with django_capture_on_commit_callbacks() as queued:
        done = client.post(url("assessments-excel-upload"), {"token": token})
    # The request only checks the file again and queues the job: nothing is written yet.
    job = ImportJob.objects.get(user=officer)
    assert done.status_code == 302 and done.url == url("assessments-excel-job", job.pk)
    assert not Assessment.objects.exists()
    page = client.get(done.url).content.decode()
    assert "Importing…" in page and 'http-equiv="refresh"' in page
    for run in queued:
        run()  # the worker
    assert Assessment.objects.get(unit=areas[0]).answers.get(criterion__code="KDC-1").value == "met"
    page = client.get(done.url).content.decode()
    assert "Imported: 1 unit(s), 1 answer(s), 0 registration(s)." in page and "refresh" not in page
    again = client.post(url("assessments-excel-upload"), {"token": token})
    assert again.status_code == 302  # the token is spent: nothing happens twice
    assert ImportJob.objects.count() == 1


def _confirm(client, area, campaign, capture, value="Đạt"):
    head = ["Mã", "Tên", "Đăng ký", "Số hộ gia đình", "Số hộ đăng ký", "KDC-1"]
    upload = SimpleUploadedFile("f.xlsx", xlsx([head, [area.code, "", "", None, None, value]]).getvalue())
    token = client.post(url("assessments-excel-upload"), {"year": campaign.year, "file": upload}).context[
        "token"
    ]
    with capture(execute=True):  # the worker runs once the request's transaction commits
        done = client.post(url("assessments-excel-upload"), {"token": token})
    return client.get(done.url)


def test_a_failing_import_job_writes_nothing_and_shows_the_error(
    as_user, officer, campaign, areas, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(entry, "save_answers", broken)
    events = AuditEvent.objects.count()
    page = _confirm(as_user(officer), areas[0], campaign, django_capture_on_commit_callbacks)
    body = page.content.decode()
    assert "The import failed; nothing was written." in body and "disk full" in body
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED
    assert not Assessment.objects.exists()
    assert AuditEvent.objects.count() == events  # the started assessment was rolled back too


def test_an_import_job_is_seen_only_by_its_user(
    as_user, officer, colleague, campaign, areas, django_capture_on_commit_callbacks
):
    page = _confirm(as_user(officer), areas[0], campaign, django_capture_on_commit_callbacks)
    assert "Imported: 1 unit(s)" in page.content.decode()
    job = ImportJob.objects.get()
    assert as_user(colleague).get(url("assessments-excel-job", job.pk)).status_code == 404


def test_the_excel_upload_of_another_area_lists_the_rows_and_writes_nothing(
    as_user, colleague, campaign, areas
):
    head = ["Mã", "Tên", "Đăng ký", "Số hộ gia đình", "Số hộ đăng ký", "KDC-1"]
    upload = SimpleUploadedFile("f.xlsx", xlsx([head, [areas[0].code, "", "", None, None, "Đạt"]]).getvalue())
    page = as_user(colleague).post(url("assessments-excel-upload"), {"year": campaign.year, "file": upload})
    assert "outside your area" in page.content.decode()
    assert "token" not in page.context and not Assessment.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["assessment-list", "my-tasks", "recognize-batch", "registration-create", "assessments-excel-upload"],
)
def test_pages_need_a_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302 and "/login/" in response.url


# --- query counts (docs/reliability.md, "Load") ---------------------------------------------


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = fn()
    assert response.status_code in (200, 302), response.status_code
    return len(captured.captured_queries)


def test_saving_every_answer_at_once_costs_as_many_queries_as_saving_two(as_user, officer, draft):
    client = as_user(officer)
    client.get(url("assessment-detail", draft.pk))  # the session, user and roles kept from here on
    answers = list(draft.answers.select_related("criterion"))

    def save(chosen, value: str) -> int:
        draft.refresh_from_db()
        return _queries(
            lambda: client.post(
                url("assessment-save", draft.pk),
                {"version": draft.version, **{f"value-{a.pk}": value for a in chosen}},
            )
        )

    one = save(answers[:1], "met")
    two = save(answers[:2], "not_met")
    every = save(answers, "met")
    assert len(answers) >= 5
    assert every == two  # one UPDATE for the answers, one INSERT for their audit events
    # One answer (the inline save): its UPDATE writes the assessment's new version too (round 9;
    # PostgreSQL: SQLite has no UPDATE inside WITH).
    from django.db import connection

    assert one == (two - 1 if connection.vendor == "postgresql" else two)
    assert list(draft.answers.values_list("value", flat=True).distinct()) == ["met"]


def test_the_entry_page_reads_the_criteria_at_most_once(as_user, officer, filled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(officer)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("assessment-detail", filled.pk)).status_code == 200
    criteria_reads = [
        q["sql"] for q in captured.captured_queries if 'FROM "certification_criterion"' in q["sql"]
    ]
    assert len(criteria_reads) <= 1, criteria_reads  # none once the published set's tree is kept
    assert len(captured.captured_queries) <= 14  # a draft: who decides is not looked up


def test_the_approver_is_offered_the_decision_on_an_appraised_assessment_and_the_revocation_once_recognized(
    as_user, approver, officer, commune, appraised
):
    decide = f"{url('recognize-batch')}?issuer={commune.pk}&assessment={appraised.pk}"
    assert decide in as_user(approver).get(url("assessment-detail", appraised.pk)).content.decode()
    assert decide not in as_user(officer).get(url("assessment-detail", appraised.pk)).content.decode()
    transitions.recognize(assessments=[appraised], by=approver, **decision_fields(commune))
    page = as_user(approver).get(url("assessment-detail", appraised.pk)).content.decode()
    assert url("assessment-revoke", appraised.pk) in page and decide not in page


# --- issue 20, point 5: registration is a step, not a detour ------------------------------------


def test_the_registration_form_starts_from_the_open_campaign_and_known_households(
    as_user, officer, campaign, area, province, kdc_set, today
):
    from tests.builders import make_campaign

    closed = make_campaign(province, today.year - 1, [kdc_set], entry_end=today.replace(year=today.year - 1))
    closed.status = "closed"
    closed.save()
    area.household_count = 1250
    area.save()
    client = as_user(officer)
    form = client.get(url("registration-create")).context["form"]
    assert form.initial["campaign"] == campaign  # chosen, never "---------"
    assert list(form.fields["campaign"].queryset) == [campaign]  # last year's closed one is not offered
    assert form.fields["campaign"].empty_label is None
    page = client.get(url("registration-create"), {"unit": area.pk})
    assert page.context["form"].initial["households_total"] == 1250
    # Left empty on the form, the known households are recorded.
    response = client.post(
        url("registration-create"),
        {
            "campaign": campaign.pk,
            "unit": area.pk,
            "registered_on": today.strftime("%d/%m/%Y"),
            "households_registered": "1.200",
        },
    )
    saved = Registration.objects.get(unit=area)
    assert (saved.households_total, saved.households_registered, saved.registered_on) == (1250, 1200, today)
    # The next step comes first: the page whose one button opens the assessment.
    assert response.status_code == 302
    assert response["Location"] == url("assessment-start") + f"?unit={area.pk}&campaign={campaign.pk}"
    start = client.get(response["Location"])
    assert start.status_code == 200 and "Start the assessment" in start.content.decode()


def test_the_home_counters_are_links_and_an_unregistered_unit_opens_its_registration(
    as_user, officer, campaign, areas, draft
):
    from certification.selectors.dashboard import home_context

    client = as_user(officer)
    html = client.get(reverse("home")).content.decode()
    section = home_context(officer)["officer"]
    links = section["links"]
    for key in ("not_registered", "being_assessed", "returned", "waiting", "decided"):
        assert links[key].replace("&", "&amp;") in html
    rows = {r.unit.pk: r for r in section["rows"]}
    for area in (areas[1], areas[3]):  # the pages without arguments are reversed once per page
        assert rows[area.pk].url == url("registration-create") + f"?unit={area.pk}&campaign={campaign.pk}"
    assert rows[draft.unit.pk].url == url("assessment-detail", draft.pk)
    # The counters' lists: "waiting" and "decided" group the statuses as the counters count them.
    page = client.get(links["not_registered"])
    assert page.status_code == 200
    listed = page.context["not_started"]
    assert {a.pk for a in areas[1:]} <= {u.pk for u in listed} and not any(u.is_registered for u in listed)
    assert client.get(links["being_assessed"]).context["page_obj"].paginator.count == 1
    assert client.get(links["waiting"]).context["page_obj"].paginator.count == 0
    # Registered, not started: the row opens the page that starts the assessment.
    Registration.objects.create(
        campaign=campaign, unit=areas[2], registered_on=campaign.registration_deadline
    )
    rows = {r.unit.pk: r for r in home_context(officer)["officer"]["rows"]}
    assert rows[areas[2].pk].url == url("assessment-start") + f"?unit={areas[2].pk}&campaign={campaign.pk}"
    assert rows[areas[1].pk].url == url("registration-create") + f"?unit={areas[1].pk}&campaign={campaign.pk}"


# --- issue 20, point 9: words --------------------------------------------------------------------


def test_the_timeline_speaks_vietnamese_with_dates_and_attendees_as_people_read_them(
    as_user, officer, draft, today
):
    entry.save_answers(
        assessment=draft,
        by=officer,
        expected_version=draft.version,
        dossier={"meeting_date": today, "meeting_attendees": [{"name": "Lê Văn A", "role": "Trưởng thôn"}]},
    )
    html = as_user(officer).get(url("assessment-detail", draft.pk)).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "Criteria set" in timeline  # a label, capitalised; not the raw "criteria set"
    assert today.strftime("%d/%m/%Y") in timeline and today.isoformat() not in timeline
    assert "Lê Văn A (Trưởng thôn)" in timeline and "&quot;name" not in timeline
    assert "criteria set" not in timeline and "certificate_issued" not in timeline


def test_the_timeline_labels_every_certificate_and_decision_field():
    from certification.selectors.history import _display, _field_label

    assert _field_label("register_number") == "Register number"
    assert _field_label("criteria_set") == "Criteria set"
    assert _display("entry_exception_until", "2026-03-01") == "01/03/2026"
    assert _display("meeting_attendees", '[{"name": "B", "role": ""}]') == "B"


def test_the_entry_page_shows_the_na_conditions_and_evidence_hints(as_user, officer, draft):
    draft.criteria_set.criteria.filter(code="KDC-1").update(  # a published set: written behind its back
        na_condition="Chỉ áp dụng nơi có chi bộ", evidence_hint="Biên bản họp dân"
    )
    forget_published_trees()  # the tree read when the draft was started is kept per process
    html = as_user(officer).get(url("assessment-detail", draft.pk)).content.decode()
    assert "Chỉ áp dụng nơi có chi bộ" in html and "Biên bản họp dân" in html


def test_the_notification_list_counts_what_is_unread(as_user, officer, appraiser, submitted):
    transitions.return_assessment(assessment=submitted, by=appraiser, items={"KDC-1": "Thiếu biên bản"})
    client = as_user(officer)
    first = client.get(url("notifications"))
    assert first.context["unread"] >= 1 and "is-unread" in first.content.decode()
    assert 'id="unread-count"' in first.content.decode()
    again = client.get(url("notifications"))
    assert again.context["unread"] == 0  # seen


def test_a_role_revoked_or_granted_takes_effect_at_the_next_request_of_the_same_session(
    as_user, officer, commune, other_commune, draft
):
    """Roles are read once per request (issue 23 kept it so): nothing carries them over to the
    next request of a logged-in session, so a revocation is not outlived by a cached copy."""
    from units.models import RoleAssignment

    client = as_user(officer)
    form = url("assessment-detail", draft.pk)
    assert client.get(form).status_code == 200
    RoleAssignment.objects.filter(user=officer, unit=commune).delete()
    assert client.get(form).status_code == 404  # out of scope at once
    RoleAssignment.objects.create(user=officer, unit=commune, role="appraiser")
    assert client.get(form).status_code == 200
    saved = client.post(url("assessment-save", draft.pk), {"version": draft.version, "note-1": "x"})
    assert saved.status_code == 403  # sees it, but may no longer enter
    RoleAssignment.objects.create(user=officer, unit=other_commune, role="officer")
    assert client.get(form).status_code == 200  # another subtree does not give this one back
    assert client.post(url("assessment-save", draft.pk), {"version": draft.version}).status_code == 403
