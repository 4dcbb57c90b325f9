"""The shipped TT 124/2021 sets match REGULATION.md §4 word for word."""

import re
import unicodedata
from pathlib import Path

import pytest

from certification.data.tt124 import EXAMPLE_FAMILY, load_example_score_sheet, load_tt124_sets
from certification.models import CriteriaSet, Criterion, ScoreSheet
from certification.selectors.criteria import answerable_criteria, criteria_tree, flatten_tree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
# The shared domain reference when it is there; else the copy of §4 kept next to this test.
REGULATION_CANDIDATES = [
    ROOT / "docs" / "REGULATION.md",
    Path("/work/shared/domain/REGULATION.md"),
    HERE / "regulation_s4.md",
]
ROW = re.compile(r'^\| ((?:KDC|XA|CQDN|CSGD)-[^ |]+) \| \*"(.+?)"\*', re.M)


def regulation_texts() -> dict[str, str]:
    path = next(p for p in REGULATION_CANDIDATES if p.exists())
    text = path.read_text(encoding="utf-8")
    if "## 4. Criteria" in text:
        text = text[text.index("## 4. Criteria") : text.index("### 4.5")]
    return {code: verbatim for code, verbatim in ROW.findall(text)}


def codes(criteria_set: CriteriaSet) -> list[str]:
    return [n.criterion.code for n in flatten_tree(criteria_tree(criteria_set))]


@pytest.mark.django_db
def test_a_fresh_install_has_the_four_sets_published_with_the_legal_basis():
    sets = CriteriaSet.objects.filter(family__startswith="tt124-").order_by("family")
    assert [(s.family, s.unit_kind, s.status, s.version, s.year_from) for s in sets] == [
        ("tt124-cqdn", "agency_enterprise", "published", 1, 2022),
        ("tt124-csgd", "school", "published", 1, 2022),
        ("tt124-kdc", "residential_area", "published", 1, 2022),
        ("tt124-xa", "commune", "published", 1, 2022),
    ]
    assert {s.legal_basis for s in sets} == {"Thông tư 124/2021/TT-BCA (sửa đổi bởi Thông tư 48/2025/TT-BCA)"}
    assert all(s.province_id is None and s.published_at for s in sets)


def test_the_regulation_lists_the_39_codes_of_section_4():
    assert len(regulation_texts()) == 39


@pytest.mark.django_db
def test_every_set_has_exactly_the_codes_of_the_regulation_in_legal_order(
    kdc_set, xa_set, cqdn_set, csgd_set
):
    kdc3 = [f"KDC-3{x}" for x in "abcdđeg"]
    kdc4 = [f"KDC-4{x}" for x in "abcd"]
    assert codes(kdc_set) == ["KDC-1", "KDC-2", "KDC-3", *kdc3, "KDC-4", *kdc4, "KDC-5"]
    assert codes(xa_set) == [
        "XA-1",
        "XA-2",
        "XA-2/KDC-2",
        "XA-2/KDC-3",
        *[f"XA-2/{c}" for c in kdc3],
        "XA-2/KDC-4",
        *[f"XA-2/{c}" for c in kdc4],
        "XA-3",
        "XA-4",
    ]
    assert codes(cqdn_set) == [
        "CQDN-1",
        "CQDN-2",
        "CQDN-3",
        *[f"CQDN-3{x}" for x in "abcdđegh"],
        "CQDN-4",
        "CQDN-5",
    ]
    assert codes(csgd_set) == [
        "CSGD-1",
        "CSGD-2",
        "CSGD-3",
        *[f"CSGD-3{x}" for x in "abcđeg"],
        "CSGD-4",
        "CSGD-5",
        "CSGD-6",
    ]
    assert [len(answerable_criteria(s)) for s in (kdc_set, xa_set, cqdn_set, csgd_set)] == [14, 14, 12, 11]


@pytest.mark.django_db
def test_every_text_is_the_verbatim_nfc_text_of_the_regulation():
    verbatim = regulation_texts()
    criteria = Criterion.objects.filter(criteria_set__family__startswith="tt124-").select_related("source")
    checked = 0
    for c in criteria:
        assert unicodedata.is_normalized("NFC", c.text), c.code
        own_code = c.source.code if c.source_id else c.code
        assert c.text == verbatim[own_code], c.code
        checked += 1
    assert checked == 16 + 18 + 13 + 12
    assert {c.code for c in criteria if not c.source_id} == set(verbatim)


@pytest.mark.django_db
def test_a_sample_of_texts_keeps_the_typographic_quotes_and_the_letter_đ(kdc_set, cqdn_set):
    kdc1 = kdc_set.criteria.get(code="KDC-1").text
    assert kdc1.startswith("Quý I hằng năm, chi bộ có nghị quyết")
    assert "“An toàn về an ninh, trật tự”" in kdc1 and '"' not in kdc1
    assert kdc_set.criteria.get(code="KDC-3đ").text == "Hoạt động ly khai, đòi tự trị;"
    assert cqdn_set.criteria.get(code="CQDN-3d").text == "Đình công, lãn công trái pháp luật;"


@pytest.mark.django_db
def test_not_applicable_is_allowed_exactly_on_the_conditional_items():
    allowed = set(
        Criterion.objects.filter(criteria_set__family__startswith="tt124-", na_allowed=True).values_list(
            "code", flat=True
        )
    )
    assert allowed == {"CQDN-4", "CQDN-5", "CSGD-5", "CSGD-6"}
    conditions = dict(
        Criterion.objects.filter(criteria_set__family__startswith="tt124-")
        .exclude(na_condition="")
        .values_list("code", "na_condition")
    )
    # Only part of these items is conditional: they are answered as a whole, the condition explains it.
    assert {"CQDN-1", "CSGD-1", "CQDN-2", "CSGD-2"} <= set(conditions)
    assert "tổ chức Đảng" in conditions["CQDN-1"]
    # "nếu có" in KDC-4b / CQDN-3đ means "if such a crime happens": still answered met / not met.
    assert not {"KDC-4b", "CQDN-3đ", "CSGD-3đ", "XA-2/KDC-4b"} & allowed


@pytest.mark.django_db
def test_answer_types_follow_the_text(kdc_set, xa_set):
    types = dict(
        Criterion.objects.filter(criteria_set__family__startswith="tt124-").values_list("code", "answer_type")
    )
    assert types["KDC-1"] == "count_threshold" and kdc_set.criteria.get(code="KDC-1").threshold_percent == 100
    assert types["KDC-4a"] == types["XA-2/KDC-4a"] == "comparison"
    assert types["XA-4"] == "derived" and xa_set.criteria.get(code="XA-4").threshold_percent == 70
    groups = {code for code, kind in types.items() if kind == "group"}
    assert groups == {"KDC-3", "KDC-4", "XA-2", "XA-2/KDC-3", "XA-2/KDC-4", "CQDN-3", "CSGD-3"}
    assert all(c.evidence_hint for c in answerable_criteria(kdc_set))


@pytest.mark.django_db
def test_xa2_reuses_the_residential_items_without_a_copy_of_the_text(kdc_set, xa_set):
    shared = xa_set.criteria.exclude(source=None).select_related("source", "parent")
    assert shared.count() == 14
    for c in shared:
        assert c.source.criteria_set == kdc_set
        assert c.code == f"XA-2/{c.source.code}"
        assert c.text == c.source.text
        assert c.na_allowed == c.source.na_allowed and c.answer_type == c.source.answer_type
    assert xa_set.criteria.get(code="XA-2/KDC-3a").parent.code == "XA-2/KDC-3"
    assert xa_set.criteria.get(code="XA-2/KDC-2").parent.code == "XA-2"


@pytest.mark.django_db
def test_csgd3_reuses_cqdn3_a_b_c_đ_e_g_but_not_strikes_nor_h(cqdn_set, csgd_set):
    shared = dict(csgd_set.criteria.exclude(source=None).values_list("code", "source__code"))
    assert shared == {f"CSGD-3{x}": f"CQDN-3{x}" for x in "abcđeg"}
    for c in csgd_set.criteria.exclude(source=None).select_related("source"):
        assert c.source.criteria_set == cqdn_set and c.text == c.source.text and c.parent.code == "CSGD-3"


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    from django.apps import apps

    before = Criterion.objects.count()
    load_tt124_sets(apps)
    load_example_score_sheet(apps)
    assert Criterion.objects.count() == before


@pytest.mark.django_db
def test_the_example_score_sheet_is_labelled_as_an_example_and_totals_100_points():
    sheet = ScoreSheet.objects.get(criteria_set__family=EXAMPLE_FAMILY)
    assert sheet.is_example and sheet.name == "Bảng điểm ví dụ (không phải biểu mẫu chính thức)"
    assert sheet.criteria_set.status == "draft"  # never attached to a campaign by itself
    assert sum(item.max_points for item in sheet.items.all()) == 100
    knockouts = set(sheet.items.filter(is_knockout=True).values_list("criterion__code", flat=True))
    assert knockouts == {f"KDC-3{x}" for x in "abcdđeg"}
    assert sheet.items.exclude(deduction=None).exists()
    bands = {b.grade: int(b.min_points) for b in sheet.grade_bands.all()}
    assert bands == {"excellent": 90, "good": 75, "average": 50, "weak": 0}
