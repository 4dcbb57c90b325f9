"""Two people editing one assessment never silently overwrite each other."""

import pytest

from antt.errors import WorkflowError
from certification.errors import ConflictError
from certification.models import Assessment, Decision
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
