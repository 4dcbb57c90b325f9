"""Published sets never change; changes are new versions; assessments keep their version."""

import pytest

from antt.errors import WorkflowError
from certification.audit import verify_chain
from certification.models import Answer, Assessment, CriteriaSet, Criterion, ScoreSheet
from certification.selectors.criteria import applicable_set, diff_sets
from certification.services.campaigns import open_campaign
from certification.services.criteria import (
    add_criterion,
    add_province_criterion,
    clone_for_year,
    copy_score_sheet,
    delete_criterion,
    new_version,
    publish_set,
    update_criterion,
)


@pytest.fixture
def assessment_on_v1(kdc_set, province, area):
    campaign = open_campaign(year=2026, province=province)
    assessment = Assessment.objects.create(campaign=campaign, unit=area, criteria_set=kdc_set)
    Answer.objects.create(assessment=assessment, criterion=kdc_set.criteria.get(code="KDC-1"), value="met")
    return assessment


@pytest.mark.django_db
def test_editing_a_criterion_of_a_published_set_is_refused_and_changes_nothing(kdc_set):
    kdc1 = kdc_set.criteria.get(code="KDC-1")
    with pytest.raises(WorkflowError):
        update_criterion(kdc1, text="Nội dung khác", by=None)
    with pytest.raises(WorkflowError):
        add_criterion(kdc_set, code="KDC-6", text="Thêm")
    with pytest.raises(WorkflowError):
        delete_criterion(kdc1)
    kdc1.refresh_from_db()
    assert kdc1.text.startswith("Quý I hằng năm")
    assert kdc_set.criteria.count() == 16


@pytest.mark.django_db
def test_even_a_direct_save_of_a_published_criterion_is_refused(kdc_set):
    kdc2 = kdc_set.criteria.get(code="KDC-2")
    kdc2.text = "Sửa trực tiếp"
    with pytest.raises(WorkflowError):
        kdc2.save()
    assert Criterion.objects.get(pk=kdc2.pk).text != "Sửa trực tiếp"


@pytest.mark.django_db
def test_the_first_assessment_puts_the_set_it_uses_in_use(kdc_set, province, area):
    assert not kdc_set.is_in_use
    assert not CriteriaSet.objects.with_in_use().get(pk=kdc_set.pk).in_use
    campaign = open_campaign(year=2026, province=province)
    Assessment.objects.create(campaign=campaign, unit=area, criteria_set=kdc_set)
    kdc_set.refresh_from_db()
    assert kdc_set.status == CriteriaSet.Status.PUBLISHED and kdc_set.is_in_force
    assert kdc_set.is_in_use and kdc_set.state == "frozen"
    assert CriteriaSet.objects.with_in_use().get(pk=kdc_set.pk).in_use


@pytest.mark.django_db
def test_a_new_version_leaves_existing_assessments_and_answers_untouched(
    assessment_on_v1, kdc_set, make_user
):
    author = make_user("author")
    v2 = new_version(kdc_set, author)
    assert (v2.family, v2.version, v2.status) == ("tt124-kdc", 2, "draft")
    assert v2.criteria.count() == 16
    update_criterion(v2.criteria.get(code="KDC-2"), text="Văn bản sửa đổi của phiên bản 2.", by=author)
    add_criterion(v2, code="KDC-6", text="Tiêu chí mới.", by=author)
    publish_set(v2, author)

    assessment_on_v1.refresh_from_db()
    answer = assessment_on_v1.answers.get()
    assert assessment_on_v1.criteria_set == kdc_set
    assert answer.criterion.criteria_set == kdc_set and answer.value == "met"
    assert kdc_set.criteria.get(code="KDC-2").text.startswith("Triển khai, thực hiện đầy đủ")
    assert kdc_set.criteria.count() == 16
    # The campaign keeps v1 pinned; a campaign opened later for a new year gets v2.
    assert assessment_on_v1.campaign.criteria_set_for("residential_area") == kdc_set
    assert applicable_set(unit_kind="residential_area", year=2027) == v2
    assert verify_chain() == (True, None)


@pytest.mark.django_db
def test_publishing_twice_is_refused(kdc_set):
    with pytest.raises(WorkflowError):
        publish_set(kdc_set)


@pytest.mark.django_db
def test_an_incomplete_draft_cannot_be_published_and_stays_a_draft(kdc_set):
    v2 = new_version(kdc_set)
    add_criterion(v2, code="KDC-6", text="Nhóm rỗng", answer_type="group")
    with pytest.raises(WorkflowError, match="KDC-6"):
        publish_set(v2)
    v2.refresh_from_db()
    assert v2.status == "draft" and v2.published_at is None


@pytest.mark.django_db
def test_a_shared_item_cannot_be_given_its_own_text(xa_set):
    v2 = new_version(xa_set)
    with pytest.raises(WorkflowError):
        update_criterion(v2.criteria.get(code="XA-2/KDC-3a"), text="Khác")


@pytest.mark.django_db
def test_a_new_version_of_the_commune_set_follows_the_newest_residential_texts(kdc_set, xa_set):
    kdc_v2 = new_version(kdc_set)
    update_criterion(kdc_v2.criteria.get(code="KDC-3a"), text="Văn bản mới của KDC-3a;")
    publish_set(kdc_v2)
    xa_v2 = new_version(xa_set)
    shared = xa_v2.criteria.get(code="XA-2/KDC-3a")
    assert shared.source.criteria_set == kdc_v2 and shared.text == "Văn bản mới của KDC-3a;"
    assert xa_set.criteria.get(code="XA-2/KDC-3a").text.startswith("Hoạt động chống Đảng")
    changed = {c.code: [f.field for f in c.fields] for c in diff_sets(xa_set, xa_v2).changed}
    assert changed["XA-2/KDC-3a"] == ["text", "source"]


@pytest.mark.django_db
def test_clone_for_a_year_applies_from_that_year_only(kdc_set):
    v2 = clone_for_year(kdc_set, 2027)
    publish_set(v2)
    assert (v2.year_from, v2.year_to) == (2027, None)
    assert applicable_set(unit_kind="residential_area", year=2026) == kdc_set
    assert applicable_set(unit_kind="residential_area", year=2027) == v2
    with pytest.raises(WorkflowError):
        clone_for_year(kdc_set, 2020)


@pytest.mark.django_db
def test_a_province_addition_goes_into_a_derived_draft_with_a_prefixed_code(kdc_set, province):
    criterion = add_province_criterion(
        kdc_set,
        province,
        "KDC-6",
        "Có camera an ninh tại các tuyến đường chính.",
        evidence_hint="Ảnh, biên bản.",
    )
    derived = criterion.criteria_set
    assert criterion.code == "42-KDC-6" and criterion.is_province_addition
    assert (derived.province, derived.based_on, derived.status, derived.family) == (
        province,
        kdc_set,
        "draft",
        "tt124-kdc-42",
    )
    assert derived.criteria.count() == 17 and kdc_set.criteria.count() == 16
    again = add_province_criterion(kdc_set, province, "42-KDC-7", "Tiêu chí thứ hai.", parent_code="KDC-4")
    assert again.criteria_set == derived and again.parent.code == "KDC-4"
    from certification.selectors.criteria import answerable_criteria, ordered_criteria

    codes = [c.code for c in answerable_criteria(derived)]
    assert codes.index("42-KDC-7") == codes.index("KDC-4d") + 1  # listed inside its group
    assert list(derived.criteria.order_by("order").values_list("code", flat=True)) == [
        c.code for c in ordered_criteria(derived)
    ]
    publish_set(derived)
    assert applicable_set(unit_kind="residential_area", year=2026, province=province) == derived
    assert applicable_set(unit_kind="residential_area", year=2026) == kdc_set
    diff = diff_sets(kdc_set, derived)
    assert [c.code for c in diff.added] == ["42-KDC-7", "42-KDC-6"] and not diff.removed and not diff.changed
    # Published: a further addition makes version 2 of the province's set.
    third = add_province_criterion(kdc_set, province, "KDC-8", "Thứ ba.")
    assert third.criteria_set.version == 2 and third.criteria_set.family == "tt124-kdc-42"


@pytest.mark.django_db
def test_only_a_province_can_add_criteria(kdc_set, commune):
    with pytest.raises(WorkflowError):
        add_province_criterion(kdc_set, commune, "KDC-6", "Không hợp lệ.")
    assert not CriteriaSet.objects.filter(province=commune).exists()


@pytest.mark.django_db
def test_the_example_score_sheet_can_be_copied_onto_a_province_set(kdc_set, province):
    derived = add_province_criterion(kdc_set, province, "KDC-6", "Tiêu chí tỉnh.").criteria_set
    example = ScoreSheet.objects.get(is_example=True)
    sheet = copy_score_sheet(sheet=example, criteria_set=derived)
    assert sheet.items.count() == 14 and sheet.grade_bands.count() == 4
    assert {i.criterion.criteria_set_id for i in sheet.items.select_related("criterion")} == {derived.pk}
    with pytest.raises(WorkflowError):
        copy_score_sheet(sheet=example, criteria_set=derived)
    publish_set(derived)
    v2 = new_version(derived)
    assert v2.score_sheet.items.count() == 14


@pytest.mark.django_db
def test_diff_of_a_version_with_itself_is_empty(kdc_set):
    assert diff_sets(kdc_set, kdc_set).is_empty
