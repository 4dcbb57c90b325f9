"""Two people editing one assessment never silently overwrite each other."""

import pytest
from django.utils import translation

from antt.errors import WorkflowError
from certification.audit import Action
from certification.errors import ConflictError
from certification.models import Assessment, AuditEvent, Decision
from certification.services import entry, transitions
from tests.builders import decision_fields
from tests.threads import run_in_threads

Status = Assessment.Status


@pytest.mark.django_db
def test_the_second_of_two_editors_gets_a_conflict_naming_who_changed_what(
    draft, officer, make_user, commune
):
    from units.models import RoleAssignment

    second = make_user("officer2", RoleAssignment.Role.OFFICER, commune, first_name="Hoa", last_name="Lê")
    loaded_by_both = draft.version
    entry.save_answers(
        assessment=draft, by=officer, expected_version=loaded_by_both, changes={"KDC-1": {"value": "met"}}
    )
    with pytest.raises(ConflictError) as excinfo:
        entry.save_answers(
            assessment=draft,
            by=second,
            expected_version=loaded_by_both,
            changes={"KDC-1": {"value": "not_met"}},
        )
    conflict = excinfo.value
    assert "officer" in str(conflict) and "KDC-1" in str(conflict)
    assert [(c.subject, c.field, c.old, c.new) for c in conflict.changes] == [("KDC-1", "value", "", "met")]
    assert conflict.current_version == loaded_by_both + 1
    assert draft.answers.get(criterion__code="KDC-1").value == "met"

    entry.save_answers(
        assessment=draft,
        by=second,
        expected_version=conflict.current_version,
        changes={"KDC-1": {"value": "not_met"}},
    )
    assert draft.answers.get(criterion__code="KDC-1").value == "not_met"


@pytest.mark.django_db
def test_a_status_change_meanwhile_is_also_a_conflict(filled, officer):
    stale = filled.version
    transitions.submit_assessment(assessment=filled, by=officer)
    with pytest.raises(ConflictError) as excinfo:
        entry.save_answers(
            assessment=filled, by=officer, expected_version=stale, changes={"KDC-1": {"value": "met"}}
        )
    assert any(c.field == "status" for c in excinfo.value.changes)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_on_postgresql_lose_no_update(draft, officer):
    version = draft.version

    def save(value):
        return lambda: entry.save_answers(
            assessment=Assessment.objects.get(pk=draft.pk),
            by=officer,
            expected_version=version,
            changes={"KDC-1": {"value": value}},
        )

    outcomes = run_in_threads([save("met"), save("not_met")])
    winners = [o for o in outcomes if isinstance(o, Assessment)]
    losers = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    draft.refresh_from_db()
    assert draft.version == version + 1
    winner_value = "met" if outcomes[0] is winners[0] else "not_met"
    assert draft.answers.get(criterion__code="KDC-1").value == winner_value


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_recognition_on_postgresql_makes_one_decision(appraised, approver, commune):
    def recognize():
        return transitions.recognize(
            assessments=[Assessment.objects.get(pk=appraised.pk)], by=approver, **decision_fields(commune)
        )

    outcomes = run_in_threads([recognize, recognize])
    assert sum(isinstance(o, Decision) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, WorkflowError) for o in outcomes) == 1, outcomes
    assert Decision.objects.count() == 1


# --- two people, one record: conflicts are per criterion (issue 20, point 6) -----------------


@pytest.fixture
def second_officer(make_user, commune):
    from units.models import RoleAssignment

    return make_user("officer2", RoleAssignment.Role.OFFICER, commune, first_name="Hoa", last_name="Lê")


@pytest.mark.django_db
def test_two_people_on_different_criteria_both_save(draft, officer, second_officer):
    opened_by_both = draft.version
    entry.save_answers(
        assessment=draft, by=officer, expected_version=opened_by_both, changes={"KDC-1": {"value": "met"}}
    )
    entry.save_answers(
        assessment=draft,
        by=second_officer,
        expected_version=opened_by_both,
        changes={"KDC-5": {"value": "not_met", "note": "Có 1 vụ trộm"}},
    )
    answers = {a.criterion.code: a for a in draft.answers.select_related("criterion", "updated_by")}
    assert (answers["KDC-1"].value, answers["KDC-1"].updated_by) == ("met", officer)
    assert (answers["KDC-5"].value, answers["KDC-5"].note, answers["KDC-5"].updated_by) == (
        "not_met",
        "Có 1 vụ trộm",
        second_officer,
    )
    draft.refresh_from_db()
    assert draft.version == opened_by_both + 2
    # The audit keeps who changed what, before → after, for both.
    events = AuditEvent.objects.filter(assessment=draft, action=Action.ANSWER).order_by("id")
    assert [(e.actor.username, e.object_repr.split(":")[0], e.field, e.old, e.new) for e in events] == [
        ("officer", "KDC-1", "value", "", "met"),
        ("officer2", "KDC-5", "value", "", "not_met"),
        ("officer2", "KDC-5", "note", "", "Có 1 vụ trộm"),
    ]


@pytest.mark.django_db
def test_the_same_criterion_changed_by_two_people_is_a_conflict_naming_who(draft, officer, second_officer):
    opened_by_both = draft.version
    entry.save_answers(
        assessment=draft,
        by=second_officer,
        expected_version=opened_by_both,
        changes={"KDC-1": {"value": "met"}},
    )
    before = AuditEvent.objects.count()
    with translation.override("vi"), pytest.raises(ConflictError) as excinfo:
        entry.save_answers(
            assessment=draft,
            by=officer,
            expected_version=opened_by_both,
            changes={"KDC-1": {"note": "Chưa có nghị quyết"}, "KDC-5": {"value": "met"}},
        )
    message = str(excinfo.value)
    assert message.startswith("Lê Hoa đã sửa KDC-1 lúc ")
    assert "Thay đổi của bạn chưa được lưu" in message and "KDC-5" not in message
    # Nothing of the refused save was written, not even the other criterion.
    answers = dict(draft.answers.values_list("criterion__code", "value"))
    assert (answers["KDC-1"], answers["KDC-5"]) == ("met", "")
    assert draft.answers.get(criterion__code="KDC-1").note == ""
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_save_built_on_its_own_last_version_of_the_criterion_is_no_conflict(draft, officer, second_officer):
    """The page keeps, per criterion, the version it last saved it at: a second_officer's saves of
    other criteria in between do not matter, their save of this one does."""
    opened = draft.version
    mine = entry.save_answers(
        assessment=draft, by=officer, expected_version=opened, changes={"KDC-1": {"value": "met"}}
    ).version
    entry.save_answers(
        assessment=draft, by=second_officer, expected_version=opened, changes={"KDC-5": {"value": "met"}}
    )
    entry.save_answers(
        assessment=draft, by=officer, expected_version=mine, changes={"KDC-1": {"note": "Có nghị quyết"}}
    )
    assert draft.answers.get(criterion__code="KDC-1").note == "Có nghị quyết"


@pytest.mark.django_db
def test_the_same_value_entered_by_both_is_no_conflict(draft, officer, second_officer):
    opened_by_both = draft.version
    for by in (second_officer, officer):
        entry.save_answers(
            assessment=draft, by=by, expected_version=opened_by_both, changes={"KDC-1": {"value": "met"}}
        )
    assert draft.answers.get(criterion__code="KDC-1").value == "met"


@pytest.mark.django_db
def test_dossier_and_figures_conflict_per_field(draft, officer, second_officer):
    opened_by_both = draft.version
    entry.save_answers(
        assessment=draft,
        by=second_officer,
        expected_version=opened_by_both,
        dossier={"meeting_chair": "Nguyễn Văn An"},
        figures={"crime_count": 1},
    )
    entry.save_answers(
        assessment=draft,
        by=officer,
        expected_version=opened_by_both,
        dossier={"submission_number": "12/TTr"},
        figures={"violation_count": 2},
    )
    draft.refresh_from_db()
    assert (draft.meeting_chair, draft.submission_number) == ("Nguyễn Văn An", "12/TTr")
    assert (draft.crime_count, draft.violation_count) == (1, 2)
    with (
        translation.override("vi"),
        pytest.raises(ConflictError, match=r"(?i)^Lê Hoa đã sửa người chủ trì cuộc họp"),
    ):
        entry.save_answers(
            assessment=draft,
            by=officer,
            expected_version=opened_by_both,
            dossier={"meeting_chair": "Trần Văn Bình"},
        )
    draft.refresh_from_db()
    assert draft.meeting_chair == "Nguyễn Văn An"


@pytest.mark.django_db
def test_a_version_the_record_never_had_is_a_conflict(draft, officer):
    for stale in (draft.version + 5, 0):
        with pytest.raises(ConflictError):
            entry.save_answers(
                assessment=draft,
                by=officer,
                expected_version=stale,
                changes={"KDC-1": {"value": "met"}},
            )
    assert draft.answers.get(criterion__code="KDC-1").value == ""


@pytest.mark.django_db
def test_submitting_still_checks_the_whole_record(filled, officer, second_officer):
    opened = filled.version
    entry.save_answers(
        assessment=filled, by=second_officer, expected_version=opened, changes={"KDC-5": {"note": "Bổ sung"}}
    )
    with pytest.raises(ConflictError):
        transitions.submit_assessment(assessment=filled, by=officer, expected_version=opened)
    filled.refresh_from_db()
    assert filled.status == Status.DRAFT
