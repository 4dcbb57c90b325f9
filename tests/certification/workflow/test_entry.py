"""Registration, starting an assessment, saving answers and evidence (service level)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from antt.errors import WorkflowError
from certification.models import Answer, Assessment, AuditEvent, Evidence, Registration
from certification.selectors.assessments import missing_for_submission, previous_assessment
from certification.services import entry, registration
from tests.builders import KDC_LEAVES, fill, make_campaign
from tests.certification.workflow.conftest import refused, save, snapshot
from units.models import Unit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def register(campaign, unit, by, **extra):
    values = {
        "registered_on": datetime.date(campaign.year, 2, 1),
        "households_total": 120,
        "households_registered": 120,
        "resolution_ref": "NQ 01/NQ-CB",
        "plan_ref": "KH 02",
        "pledge_ref": "ĐK 03",
        "note": "",
    }
    values.update(extra)
    return registration.register_unit(campaign=campaign, unit=unit, by=by, **values)


# --- registration -------------------------------------------------------------------------


def test_an_officer_registers_a_residential_area_with_its_households(campaign, area, officer):
    registration = register(campaign, area, officer)
    assert (registration.households_total, registration.households_registered) == (120, 120)
    assert registration.created_by == officer
    assert AuditEvent.objects.filter(object_type="certification.registration", actor=officer).exists()


def test_correcting_a_registration_audits_each_changed_field(campaign, area, officer):
    register(campaign, area, officer)
    register(campaign, area, officer, households_registered=110)
    event = AuditEvent.objects.filter(field="households_registered").get()
    assert (event.old, event.new) == ("120", "110")
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"households_total": None}, "households"),
        ({"households_registered": 130}, "More households"),
        ({"registered_on": datetime.date(2999, 1, 1)}, "future"),
    ],
)
def test_a_bad_residential_registration_is_refused_and_records_nothing(
    campaign, area, officer, extra, message
):
    before = AuditEvent.objects.count()
    with pytest.raises(WorkflowError, match=message):
        register(campaign, area, officer, **extra)
    assert not Registration.objects.exists()
    assert AuditEvent.objects.count() == before


def test_households_are_refused_for_a_unit_that_is_not_a_residential_area(campaign, commune, officer):
    with pytest.raises(WorkflowError, match="only for residential areas"):
        register(campaign, commune, officer)
    registration = register(campaign, commune, officer, households_total=None, households_registered=None)
    assert registration.households_total is None


def test_an_ineligible_unit_is_refused_with_the_reason(campaign, commune, officer):
    small = Unit.objects.create(
        code="DN-1", name="Công ty Nhỏ", kind=Unit.Kind.ENTERPRISE, parent=commune, enterprise_size="small"
    )
    with pytest.raises(WorkflowError, match="Small or micro enterprise|nhỏ"):
        register(campaign, small, officer, households_total=None, households_registered=None)
    assert not Registration.objects.exists()


@pytest.mark.parametrize("who", ["appraiser", "colleague", "outsider"])
def test_only_an_officer_of_the_unit_may_register_it(campaign, area, who, request):
    with pytest.raises(WorkflowError):
        register(campaign, area, request.getfixturevalue(who))
    assert not Registration.objects.exists()


# --- starting an assessment ---------------------------------------------------------------


def test_starting_pins_the_criteria_set_and_creates_one_empty_answer_per_leaf(
    campaign, area, officer, kdc_set
):
    assessment = entry.start_assessment(campaign=campaign, unit=area, by=officer)
    assert assessment.criteria_set == kdc_set
    assert sorted(assessment.answers.values_list("criterion__code", flat=True)) == sorted(KDC_LEAVES)
    assert set(assessment.answers.values_list("value", flat=True)) == {""}
    assert entry.start_assessment(campaign=campaign, unit=area, by=officer) == assessment


@pytest.mark.parametrize("who", ["appraiser", "colleague", "outsider"])
def test_starting_is_refused_to_anyone_but_an_officer_of_the_unit(campaign, area, who, request):
    with pytest.raises(WorkflowError):
        entry.start_assessment(campaign=campaign, unit=area, by=request.getfixturevalue(who))
    assert not Assessment.objects.exists()


def test_starting_is_refused_when_the_campaign_is_closed(campaign, area, officer):
    campaign.status = campaign.Status.CLOSED
    campaign.save()
    with pytest.raises(WorkflowError, match="not open"):
        entry.start_assessment(campaign=campaign, unit=area, by=officer)
    assert not Assessment.objects.exists()


# --- saving answers -----------------------------------------------------------------------


def test_saving_answers_bumps_the_version_and_audits_before_and_after(draft, officer):
    version = draft.version
    entry.save_answers(
        assessment=draft,
        by=officer,
        expected_version=version,
        changes={"KDC-1": {"value": "met", "note": "Có nghị quyết"}},
    )
    draft.refresh_from_db()
    answer = draft.answers.get(criterion__code="KDC-1")
    assert (answer.value, answer.note, answer.updated_by) == ("met", "Có nghị quyết", officer)
    assert draft.version == version + 1
    event = AuditEvent.objects.get(field="value", assessment=draft)
    assert (event.old, event.new, event.actor) == ("", "met", officer)


def test_saving_one_answer_by_id_writes_it_with_the_new_version_and_audits_who_and_before_after(
    draft, officer
):
    """The inline save (round 9): the answer and the assessment's new version in one statement,
    the events chained as every save's."""
    from certification.audit import verify_chain

    answer = draft.answers.get(criterion__code="KDC-1")
    version, updated = draft.version, Assessment.objects.get(pk=draft.pk).updated_at
    saved = entry.save_answers(
        assessment=draft,
        by=officer,
        expected_version=version,
        changes_by_answer={answer.pk: {"value": "met", "note": "Có biên bản"}},
    )
    draft.refresh_from_db()
    answer.refresh_from_db()
    assert saved.version == draft.version == version + 1 and draft.updated_at > updated
    assert (answer.value, answer.note, answer.updated_by) == ("met", "Có biên bản", officer)
    events = {
        e.field: (e.old, e.new, e.actor)
        for e in AuditEvent.objects.filter(assessment=draft, action__in=["answer", "version"])
    }
    assert events == {
        "version": (str(version), str(version + 1), officer),
        "value": ("", "met", officer),
        "note": ("", "Có biên bản", officer),
    }
    assert verify_chain() == (True, None)


def test_answers_of_another_assessment_posted_by_id_are_ignored(draft, officer, campaign, areas):
    neighbour = entry.start_assessment(campaign=campaign, unit=areas[1], by=officer)
    mine = draft.answers.get(criterion__code="KDC-1")
    theirs = neighbour.answers.get(criterion__code="KDC-1")
    entry.save_answers(
        assessment=draft,
        by=officer,
        expected_version=draft.version,
        changes_by_answer={mine.pk: {"value": "met"}, theirs.pk: {"value": "met"}, 2**70: {"value": "met"}},
    )
    assert Answer.objects.get(pk=mine.pk).value == "met"
    assert Answer.objects.get(pk=theirs.pk).value == ""
    assert Assessment.objects.get(pk=neighbour.pk).version == neighbour.version


def test_figures_and_one_answer_saved_together_bump_the_version_once(draft, officer):
    answer = draft.answers.get(criterion__code="KDC-1")
    version = draft.version
    entry.save_answers(
        assessment=draft,
        by=officer,
        expected_version=version,
        changes_by_answer={answer.pk: {"value": "met"}},
        figures={"crime_count": "3"},
    )
    draft.refresh_from_db()
    assert (draft.version, draft.crime_count, Answer.objects.get(pk=answer.pk).value) == (
        version + 1,
        3,
        "met",
    )


def test_saving_the_same_values_again_changes_nothing(draft, officer):
    save(draft, officer, changes={"KDC-1": {"value": "met"}})
    before = snapshot(draft)
    save(draft, officer, changes={"KDC-1": {"value": "met"}})
    assert snapshot(draft) == before


def test_not_applicable_is_refused_where_the_criterion_does_not_allow_it(draft, officer):
    with refused(draft, match="KDC-3a"):
        save(draft, officer, changes={"KDC-1": {"value": "met"}, "KDC-3a": {"value": "na"}})
    save(draft, officer, changes={"KDC-3b": {"value": "na"}})
    assert draft.answers.get(criterion__code="KDC-3b").value == Answer.Value.NOT_APPLICABLE


@pytest.mark.parametrize(
    "changes",
    [{"KDC-9": {"value": "met"}}, {"KDC-1": {"value": "maybe"}}, {"KDC-1": {"number": "abc"}}],
)
def test_unknown_codes_and_bad_values_are_refused(draft, officer, changes):
    with refused(draft):
        save(draft, officer, changes=changes)


def test_a_derived_criterion_is_not_entered_by_hand(campaign, commune, officer):
    assessment = entry.start_assessment(campaign=campaign, unit=commune, by=officer)
    with pytest.raises(WorkflowError, match="XA-4"):
        save(assessment, officer, changes={"XA-4": {"value": "met"}})


@pytest.mark.parametrize("who", ["appraiser", "approver", "colleague", "outsider"])
def test_only_an_officer_of_the_unit_may_enter_answers(draft, who, request):
    with refused(draft):
        save(draft, request.getfixturevalue(who), changes={"KDC-1": {"value": "met"}})


def test_a_submitted_assessment_is_locked(submitted, officer):
    with refused(submitted, match="cannot be edited"):
        save(submitted, officer, changes={"KDC-1": {"value": "not_met"}})


def test_entry_closes_after_the_deadline_unless_an_approver_opens_an_exception(
    draft, officer, approver, today
):
    campaign = draft.campaign
    campaign.residential_period_end = today - datetime.timedelta(days=1)
    campaign.save()
    with refused(draft, match="Entry closed"):
        save(draft, officer, changes={"KDC-1": {"value": "met"}})

    with refused(draft):
        entry.open_entry_exception(assessment=draft, by=officer, until=today)

    entry.open_entry_exception(assessment=draft, by=approver, until=today)
    draft.refresh_from_db()
    save(draft, officer, changes={"KDC-1": {"value": "met"}})
    assert draft.answers.get(criterion__code="KDC-1").value == "met"


def test_an_exception_that_already_ended_is_refused(draft, approver, today):
    with refused(draft):
        entry.open_entry_exception(assessment=draft, by=approver, until=today - datetime.timedelta(days=1))


def test_figures_and_minutes_are_saved_with_the_answers(filled):
    assert (filled.crime_count, filled.social_evil_count, filled.violation_count) == (1, 0, 2)
    assert filled.meeting_attendees[0] == {"name": "Trần Thị Bình", "role": "Bí thư chi bộ"}


def test_last_years_figures_come_from_the_previous_campaigns_assessment(
    province, kdc_set, xa_set, area, officer, filled, today
):
    last_year = make_campaign(province, today.year - 1, [kdc_set, xa_set], entry_end=today)
    old = entry.start_assessment(campaign=last_year, unit=area, by=officer)
    Assessment.objects.filter(pk=old.pk).update(crime_count=4)
    assert previous_assessment(filled).crime_count == 4


# --- evidence -----------------------------------------------------------------------------


def test_a_pdf_is_stored_under_a_random_name_with_its_original_name_kept(draft, officer, settings):
    upload = SimpleUploadedFile("../Biên bản họp\r\n.pdf", PDF, content_type="text/plain")
    evidence = entry.add_evidence(assessment=draft, by=officer, file=upload, criterion_code="KDC-1")
    assert evidence.content_type == "application/pdf"
    assert evidence.original_name == "Biên bản họp_.pdf"
    assert evidence.token in evidence.file.name and "Biên" not in evidence.file.name
    assert (settings.MEDIA_ROOT / evidence.file.name).read_bytes() == PDF
    assert evidence.criterion.code == "KDC-1"


@pytest.mark.parametrize(
    ("name", "content", "kind"), [("anh.txt", PNG, "image/png"), ("anh", JPEG, "image/jpeg")]
)
def test_the_type_is_read_from_the_content_not_the_name(draft, officer, name, content, kind):
    evidence = entry.add_evidence(assessment=draft, by=officer, file=SimpleUploadedFile(name, content))
    assert evidence.content_type == kind


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 100),
        ("page.png", b"<html><script>alert(1)</script>"),
        ("empty.pdf", b""),
    ],
)
def test_files_that_are_not_pdf_jpeg_or_png_are_refused(draft, officer, name, content):
    with refused(draft):
        entry.add_evidence(assessment=draft, by=officer, file=SimpleUploadedFile(name, content))


def test_a_file_over_the_size_limit_is_refused(draft, officer, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(WorkflowError, match="too large"):
        entry.add_evidence(assessment=draft, by=officer, file=SimpleUploadedFile("a.pdf", PDF + b"0" * 1000))
    assert not Evidence.objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_evidence_cannot_be_added_once_submitted_or_by_another_role(submitted, draft, officer, appraiser):
    with pytest.raises(WorkflowError):
        entry.add_evidence(assessment=submitted, by=officer, file=SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(WorkflowError):
        entry.add_evidence(assessment=draft, by=appraiser, file=SimpleUploadedFile("a.pdf", PDF))
    assert not Evidence.objects.exists()


def test_evidence_can_be_removed_while_editable_and_its_file_goes_on_commit(
    draft, officer, settings, django_capture_on_commit_callbacks
):
    evidence = entry.add_evidence(assessment=draft, by=officer, file=SimpleUploadedFile("a.pdf", PDF))
    path = settings.MEDIA_ROOT / evidence.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        entry.delete_evidence(evidence=evidence, by=officer)
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.filter(action="evidence-removed").exists()
    assert not path.exists()


def test_filling_everything_makes_the_assessment_submittable(filled):
    assert missing_for_submission(filled) == []


def test_an_empty_assessment_lists_what_blocks_submission(draft):
    problems = " ".join(missing_for_submission(draft))
    assert "KDC-1" in problems and "minutes" in problems and "figures" in problems


def test_fill_helper_uses_the_current_version(draft, officer):
    fill(draft, officer, value="not_met")
    assert set(draft.answers.values_list("value", flat=True)) == {"not_met"}
