"""The yearly rating of security teams: entry → submit → review → decision → PDF, the 20 % cap
refused at each step, roles, audit."""

import pytest
from django.urls import reverse

from antt.errors import WorkflowError
from certification.audit import Action
from certification.models import AuditEvent
from movement.models import Level, TeamRating, TeamRatingRound
from movement.services import teams

YEAR = 2026


@pytest.fixture
def team_round(officer, commune, areas):
    for n, area in enumerate(areas, start=1):
        teams.add_team(
            by=officer, unit=area, name=f"Tổ bảo vệ ANTT {n}", members=[(f"Người {n}", "Tổ trưởng")]
        )
    return teams.start_round(by=officer, commune=commune, year=YEAR)


def rate(round_, by, team_levels: list[str], member_level: str = Level.COMPLETED):
    rows = TeamRating.objects.filter(round=round_)
    levels = {r.pk: member_level for r in rows.filter(member__isnull=False)}
    for row, level in zip(rows.filter(member__isnull=True).order_by("team__name"), team_levels, strict=True):
        levels[row.pk] = level
    teams.save_levels(by=by, round_=round_, levels=levels)


@pytest.mark.django_db
def test_the_round_has_one_row_per_team_and_member(team_round):
    assert team_round.ratings.filter(member__isnull=True).count() == 5
    assert team_round.ratings.filter(member__isnull=False).count() == 5


@pytest.mark.django_db
def test_one_excellent_among_four_good_is_refused_at_submission(team_round, officer):
    rate(team_round, officer, [Level.EXCELLENT, Level.GOOD, Level.GOOD, Level.GOOD, Level.GOOD])
    with pytest.raises(WorkflowError, match="20"):
        teams.submit_round(by=officer, round_=team_round)
    team_round.refresh_from_db()
    assert team_round.status == TeamRatingRound.Status.DRAFT


@pytest.mark.django_db
def test_an_incomplete_round_cannot_be_submitted(team_round, officer):
    with pytest.raises(WorkflowError):
        teams.submit_round(by=officer, round_=team_round)


@pytest.mark.django_db
def test_entry_review_decision_and_document(team_round, officer, appraiser, approver, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # 1 excellent needs 5 good: 5 members rated good, 1 of 5 teams... teams: 0 good → no excellent.
    rate(team_round, officer, [Level.GOOD, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED, Level.GOOD])
    with pytest.raises(WorkflowError):  # the officer cannot review their own entry
        teams.review_round(by=officer, round_=team_round)
    teams.submit_round(by=officer, round_=team_round)
    with pytest.raises(WorkflowError):  # a submitted round is locked
        teams.save_levels(by=officer, round_=team_round, levels={})
    with pytest.raises(WorkflowError):  # the chairman decides only after the review
        teams.decide_round(by=approver, round_=team_round, signer_name="Trần Văn Bình")
    teams.review_round(by=appraiser, round_=team_round)
    with pytest.raises(WorkflowError):  # the appraiser is not the chairman
        teams.decide_round(by=appraiser, round_=team_round, signer_name="Trần Văn Bình")
    decided = teams.decide_round(by=approver, round_=team_round, signer_name="Trần Văn Bình")
    assert decided.status == TeamRatingRound.Status.DECIDED and decided.number == 1
    statuses = list(
        AuditEvent.objects.filter(action=Action.STATUS, object_type="movement.teamratinground")
        .order_by("pk")
        .values_list("old", "new", "actor__username")
    )
    assert statuses == [
        ("", "draft", "officer"),
        ("draft", "submitted", "officer"),
        ("submitted", "reviewed", "appraiser"),
        ("reviewed", "decided", "approver"),
    ]
    assert AuditEvent.objects.filter(action=Action.TEAM_RATING, field="level").count() == 10


@pytest.mark.django_db
def test_a_returned_round_goes_back_to_the_officer_with_the_reason(team_round, officer, appraiser):
    rate(team_round, officer, [Level.GOOD] * 5)
    teams.submit_round(by=officer, round_=team_round)
    teams.return_round(by=appraiser, round_=team_round, reason="Tổ 3 chưa đủ hồ sơ")
    team_round.refresh_from_db()
    assert (
        team_round.status == TeamRatingRound.Status.DRAFT and team_round.return_reason == "Tổ 3 chưa đủ hồ sơ"
    )


@pytest.mark.django_db
def test_the_decision_pdf_lists_the_levels(team_round, officer, appraiser, approver, client):
    from tests.certification.documents.conftest import assert_official_pdf

    rate(team_round, officer, [Level.EXCELLENT, Level.GOOD, Level.GOOD, Level.GOOD, Level.GOOD], Level.GOOD)
    # 4 teams "tốt" allow no "xuất sắc": the cap holds on teams; correct one team.
    with pytest.raises(WorkflowError):
        teams.submit_round(by=officer, round_=team_round)
    rate(team_round, officer, [Level.GOOD] * 5, Level.GOOD)
    teams.submit_round(by=officer, round_=team_round)
    teams.review_round(by=appraiser, round_=team_round)
    teams.decide_round(by=approver, round_=team_round, signer_name="Trần Văn Bình")
    client.force_login(approver)
    response = client.get(reverse("movement:round-pdf", args=[team_round.pk]))
    text = assert_official_pdf(
        response.content,
        ["QUYẾT ĐỊNH", "Số: 1/QĐ-UBND", "Hoàn thành tốt nhiệm vụ", "Tổ bảo vệ ANTT 1", "Trần Văn Bình"],
    )
    assert "15/11/2025" in text and "14/11/2026" in text


@pytest.mark.django_db
def test_the_round_page_is_scoped(team_round, client, officer, colleague, outsider):
    url = reverse("movement:round-detail", args=[team_round.pk])
    client.force_login(officer)
    assert client.get(url).status_code == 200
    for other in (colleague, outsider):
        client.force_login(other)
        assert client.get(url).status_code == 404
