"""The set-based path (``certification.scoring.setbased``: the engine's rules as one SQL
statement) writes, for every unit of generated data sets, exactly the row the engine path
writes: outcome, forecast, codes not met and not answered, explanation, input hash.

Hypothesis generates the criteria set (thresholds, N/A allowed or not, groups), the units
(eligible or not, households, registrations with figures at, above and below the threshold —
7/10 at 70 % included —, assessments with figures this year and last, decisions, predecessors
of re-arranged units) and the answers (missing, N/A, appraised over self, contradictions with
and without a note); the same data are scored by the set-based path and by the engine
(``score_chunk(set_based=False)``), and the rows compared one by one."""

import datetime

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certification.models import Answer, Assessment, Campaign, Criterion, Registration, Result
from certification.scoring import engine as scoring
from certification.scoring import results, setbased
from certification.scoring.inputs import BITS_PER_WORD
from tests.builders import RESULT_COLUMNS, make_campaign, make_set, make_unit
from tests.certification.scoring import test_equivalence as reference
from units.models import Unit, UnitChange

pytestmark = pytest.mark.django_db(transaction=False)

YEAR = 2025
AT = Criterion.AnswerType
FIELDS = ("unit_id", "assessment_id", *RESULT_COLUMNS, "input_hash")

VALUES = st.sampled_from(["", "met", "met", "not_met", "na"])
NOTES = st.sampled_from(["", "", "   ", "Giải trình: số vụ tăng do phát hiện sớm"])
FIGURE = st.one_of(st.none(), st.integers(0, 4))
HOUSEHOLDS = st.sampled_from([(10, 7), (10, 6), (20, 14), (3, 3), (120, 119), (0, 0), (None, 5), (8, None)])

answers_of = st.fixed_dictionaries(
    {"value": VALUES, "appraised": st.sampled_from(["", "", "met", "not_met", "na"]), "note": NOTES}
)
criteria_sets = st.fixed_dictionaries(
    {
        "threshold": st.sampled_from([None, 70, 100]),
        "kdc1_na": st.booleans(),
        "group": st.lists(st.booleans(), min_size=0, max_size=3),  # N/A allowed per item of KDC-3
        "kdc4_na": st.booleans(),
        "extra": st.lists(st.booleans(), min_size=0, max_size=2),
    }
)
units_of = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from([Unit.Kind.RESIDENTIAL_AREA] * 3 + [Unit.Kind.AGENCY]),
            "eligible": st.sampled_from([True, True, True, False]),
            "reason": st.sampled_from(["", "Nhà trẻ"]),
            "household_count": st.one_of(st.none(), st.integers(0, 30)),
            "registration": st.one_of(st.none(), HOUSEHOLDS),
            "assessed": st.sampled_from([True, True, True, False]),
            "status": st.sampled_from(
                ["draft", "submitted", "appraised", "recognized", "not_recognized", "revoked"]
            ),
            "figures": st.tuples(FIGURE, FIGURE, FIGURE),
            "last_year": st.one_of(st.none(), st.tuples(FIGURE, FIGURE, FIGURE)),
            "predecessor": st.sampled_from([False, False, False, True]),
            "answers": st.lists(st.one_of(st.none(), answers_of), min_size=12, max_size=12),
        }
    ),
    min_size=1,
    max_size=8,
)


def build(commune: Unit, spec: dict, units: list[dict]) -> Campaign:
    items = [("KDC-1", AT.COUNT_THRESHOLD, spec["kdc1_na"], None)]
    if spec["group"]:
        items.append(("KDC-3", AT.GROUP, False, None))
        items += [(f"KDC-3{'abc'[i]}", AT.BOOLEAN, na, "KDC-3") for i, na in enumerate(spec["group"])]
    items.append(("KDC-4a", AT.COMPARISON, spec["kdc4_na"], None))
    items += [(f"KDC-{5 + i}", AT.BOOLEAN, na, None) for i, na in enumerate(spec["extra"])]
    criteria_set = make_set(Unit.Kind.RESIDENTIAL_AREA, "kdc-property", items)
    Criterion.objects.filter(criteria_set=criteria_set, code="KDC-1").update(
        threshold_percent=spec["threshold"]
    )
    criteria = list(
        Criterion.objects.filter(criteria_set=criteria_set).exclude(answer_type=AT.GROUP).order_by("order")
    )
    end = datetime.date(YEAR, 11, 30)
    campaign = make_campaign(commune.parent, YEAR, [criteria_set], entry_end=end)
    last = make_campaign(commune.parent, YEAR - 1, [criteria_set], entry_end=end.replace(year=YEAR - 1))
    for i, u in enumerate(units):
        unit = Unit.objects.create(
            code=f"{commune.code}-P{i:02d}",
            name=f"Đơn vị {i}",
            kind=u["kind"],
            parent=commune,
            is_eligible=u["eligible"],
            ineligible_reason="" if u["eligible"] else u["reason"],
            household_count=u["household_count"],
        )
        if u["registration"] is not None:
            total, done = u["registration"]
            Registration.objects.create(
                campaign=campaign,
                unit=unit,
                registered_on=datetime.date(YEAR, 3, 1),
                households_total=total,
                households_registered=done,
            )
        if u["last_year"] is not None:
            crime, social, violation = u["last_year"]
            Assessment.objects.create(
                campaign=last,
                unit=unit,
                criteria_set=criteria_set,
                crime_count=crime,
                social_evil_count=social,
                violation_count=violation,
            )
        if u["predecessor"]:
            old = Unit.objects.create(
                code=f"{commune.code}-Q{i:02d}",
                name=f"Cũ {i}",
                kind=u["kind"],
                parent=commune,
                valid_to=datetime.date(YEAR - 1, 12, 31),
            )
            UnitChange.objects.create(predecessor=old, successor=unit, kind=UnitChange.Kind.MERGE)
            Assessment.objects.create(
                campaign=last,
                unit=old,
                criteria_set=criteria_set,
                crime_count=1,
                social_evil_count=0,
                violation_count=None,
            )
        if not u["assessed"]:
            continue
        crime, social, violation = u["figures"]
        assessment = Assessment.objects.create(
            campaign=campaign,
            unit=unit,
            criteria_set=criteria_set,
            status=u["status"],
            crime_count=crime,
            social_evil_count=social,
            violation_count=violation,
        )
        Answer.objects.bulk_create(
            Answer(
                assessment=assessment,
                criterion=criterion,
                value=a["value"],
                appraised_value=a["appraised"],
                note=a["note"],
            )
            for criterion, a in zip(criteria, u["answers"], strict=False)
            if a is not None
        )
    return campaign


def rows(campaign: Campaign) -> list[tuple]:
    return list(
        Result.objects.filter(campaign=campaign, unit__kind__in=Unit.MANAGED_KINDS)
        .order_by("unit_id")
        .values_list(*FIELDS)
    )


def _unit(households: tuple, value: str) -> dict:
    return {
        "kind": Unit.Kind.RESIDENTIAL_AREA,
        "eligible": True,
        "reason": "",
        "household_count": 10,
        "registration": households,
        "assessed": True,
        "status": "submitted",
        "figures": (1, 0, None),
        "last_year": (1, 1, 2),
        "predecessor": False,
        "answers": [{"value": value, "appraised": "", "note": ""}] * 12,
    }


EXACTLY_70 = {"threshold": 70, "kdc1_na": False, "group": [True], "kdc4_na": False, "extra": []}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=criteria_sets, units=units_of)
@example(spec=EXACTLY_70, units=[_unit((10, 7), "met"), _unit((10, 6), "met"), _unit((10, 7), "not_met")])
def test_set_based_rows_are_the_engines(commune, spec, units):
    with transaction.atomic():
        campaign = build(commune, spec, units)
        scope = results.campaign_scope(campaign, Unit.MANAGED_KINDS)
        sql = setbased.score_units(campaign, scope)
        # What the statement leaves to the engine: only the shapes it names (module docstring).
        comparison = 1 + len(spec["group"])  # KDC-4a's place in the answers (after KDC-1, KDC-3x)
        noted = [u for u in units if u["answers"][comparison] and u["answers"][comparison]["note"]]
        assert len(sql.to_engine) <= sum(1 for u in units if u["predecessor"] or u in noted)
        engine = results.score_leaves(campaign, Q(pk__in=sql.to_engine), set_based=False)
        set_based = rows(campaign)
        assert sql.scored == len(units)
        assert sql.written + engine.written == len(set_based) == len(units)
        # Unchanged: nothing is rewritten.
        again = results.score_leaves(campaign, results.campaign_scope(campaign, Unit.MANAGED_KINDS))
        assert again.written == 0
        Result.objects.filter(campaign=campaign).delete()
        results.score_leaves(campaign, results.campaign_scope(campaign, Unit.MANAGED_KINDS), set_based=False)
        assert set_based == rows(campaign)
        transaction.set_rollback(True)


def test_the_shapes_the_engine_keeps_go_to_it(commune):
    """A justified contradiction (the note is quoted) and a predecessor's figures are left to the
    engine, and still come out as the engine's rows, explained as such."""
    with transaction.atomic():
        spec = {"threshold": 70, "kdc1_na": False, "group": [], "kdc4_na": False, "extra": []}
        unit = {
            "kind": Unit.Kind.RESIDENTIAL_AREA,
            "eligible": True,
            "reason": "",
            "household_count": 10,
            "registration": (10, 7),
            "assessed": True,
            "status": "submitted",
            "figures": (3, 0, 0),
            "last_year": (1, 0, 0),
            "predecessor": False,
            "answers": [
                {"value": "met", "appraised": "", "note": ""},
                {"value": "met", "appraised": "", "note": "  Đã   xác minh  "},
            ]
            + [None] * 10,
        }
        campaign = build(commune, spec, [unit])
        results.score_leaves(campaign, results.campaign_scope(campaign, Unit.MANAGED_KINDS))
        row = Result.objects.get(campaign=campaign, unit__code__endswith="P00")
        assert row.outcome == scoring.PASS
        assert "cán bộ xác định đạt với ghi chú “Đã xác minh”" in row.explanation
        unit_obj = row.unit
        expected = scoring.score_unit(reference.engine_inputs(campaign, unit_obj, None))
        assert (row.outcome, row.explanation) == (expected.outcome, expected.explanation)
        transaction.set_rollback(True)


def _scored_both_ways(campaign: Campaign) -> tuple[list[int], list[tuple], list[tuple]]:
    """The set-based rows (with what it leaves to the engine scored by the engine), then the
    engine's rows of the same data, and the ids the statement left to the engine."""
    scope = results.campaign_scope(campaign, Unit.MANAGED_KINDS)
    sql = setbased.score_units(campaign, scope)
    results.score_leaves(campaign, Q(pk__in=sql.to_engine), set_based=False)
    set_based = rows(campaign)
    Result.objects.filter(campaign=campaign).delete()
    results.score_leaves(campaign, scope, set_based=False)
    return sql.to_engine, set_based, rows(campaign)


def _assessed_unit(commune: Unit, campaign: Campaign, index: int, households: tuple | None) -> Assessment:
    unit = make_unit(
        f"{commune.code}-W{index:02d}",
        f"Đơn vị {index}",
        Unit.Kind.RESIDENTIAL_AREA,
        commune,
        household_count=10,
    )
    if households is not None:
        Registration.objects.create(
            campaign=campaign,
            unit=unit,
            registered_on=datetime.date(YEAR, 3, 1),
            households_total=households[0],
            households_registered=households[1],
        )
    return Assessment.objects.create(
        campaign=campaign, unit=unit, criteria_set=campaign.criteria_sets.get(), status="submitted"
    )


def test_two_count_criteria_and_unknown_values_match_the_engine(commune):
    """Two household-share criteria with different thresholds (each its own below-threshold
    bit) and an answer value outside met / not met / N/A: the statement scores them all, as
    the engine does."""
    with transaction.atomic():
        items = [
            ("KDC-1", AT.COUNT_THRESHOLD, False, None),
            ("KDC-2", AT.COUNT_THRESHOLD, True, None),
            ("KDC-4a", AT.COMPARISON, False, None),
            ("KDC-5", AT.BOOLEAN, False, None),
        ]
        criteria_set = make_set(Unit.Kind.RESIDENTIAL_AREA, "kdc-two-counts", items)
        Criterion.objects.filter(criteria_set=criteria_set, code="KDC-1").update(threshold_percent=70)
        Criterion.objects.filter(criteria_set=criteria_set, code="KDC-2").update(threshold_percent=100)
        criteria = list(Criterion.objects.filter(criteria_set=criteria_set).order_by("order"))
        campaign = make_campaign(commune.parent, YEAR, [criteria_set], entry_end=datetime.date(YEAR, 11, 30))
        cases = [
            ((10, 7), ["met", "met", "", "met"]),  # KDC-1 met at exactly 70 %, KDC-2 below 100 %
            ((10, 10), ["met", "not_met", "", "met"]),  # both shares reached, KDC-2 judged not met
            ((10, 6), ["na", "na", "xyz", "xyz"]),  # below both; N/A refused and allowed; unknown values
            (None, ["met", "", "", ""]),  # not registered
        ]
        for index, (households, values) in enumerate(cases):
            assessment = _assessed_unit(commune, campaign, index, households)
            Answer.objects.bulk_create(
                Answer(assessment=assessment, criterion=criterion, value=value)
                for criterion, value in zip(criteria, values, strict=True)
            )
        to_engine, set_based, engine = _scored_both_ways(campaign)
        assert to_engine == []
        assert set_based == engine
        assert len(engine) == len(cases)
        transaction.set_rollback(True)


def test_a_set_wider_than_the_masks_goes_to_the_engine(commune):
    """A set with more scored criteria than a mask has bits is left to the engine whole."""
    with transaction.atomic():
        width = BITS_PER_WORD + 1
        items = [(f"TC-{i:02d}", AT.BOOLEAN, i % 2 == 0, None) for i in range(width)]
        criteria_set = make_set(Unit.Kind.RESIDENTIAL_AREA, "wide", items)
        criteria = list(Criterion.objects.filter(criteria_set=criteria_set).order_by("order"))
        campaign = make_campaign(commune.parent, YEAR, [criteria_set], entry_end=datetime.date(YEAR, 11, 30))
        assessment = _assessed_unit(commune, campaign, 0, (10, 7))
        Answer.objects.bulk_create(
            Answer(assessment=assessment, criterion=criterion, value=("met", "na", "not_met", "")[i % 4])
            for i, criterion in enumerate(criteria)
        )
        to_engine, set_based, engine = _scored_both_ways(campaign)
        assert to_engine == [assessment.unit_id]
        assert set_based == engine
        transaction.set_rollback(True)


def test_from_scratch_the_rows_are_inserted_without_looking_up_and_a_row_written_meanwhile_is_upserted(
    commune, monkeypatch
):
    """Issue 23, round 9: a campaign without rows is scored by a plain INSERT (nothing to look
    up); a row another transaction wrote after that check (a unit rescored after a save during
    the first run) makes the INSERT fail, and the statement upserts instead: the run does not
    fail and every row is the engine's."""
    with transaction.atomic():
        spec = {"threshold": 70, "kdc1_na": False, "group": [True], "kdc4_na": False, "extra": [False]}
        campaign = build(
            commune, spec, [_unit((10, 7), "met"), _unit((10, 6), "met"), _unit((10, 7), "not_met")]
        )
        scope = results.campaign_scope(campaign, Unit.MANAGED_KINDS)
        first = Unit.objects.filter(scope).order_by("pk").first()
        results.score_leaves(campaign, Q(pk=first.pk), set_based=False)
        monkeypatch.setattr(setbased, "_has_rows", lambda campaign: False)
        scored = setbased.score_units(campaign, scope)
        assert (scored.scored, scored.to_engine) == (3, [])
        set_based = rows(campaign)
        Result.objects.filter(campaign=campaign).delete()
        results.score_leaves(campaign, scope, set_based=False)
        assert set_based == rows(campaign)
        assert len(set_based) == 3
        transaction.set_rollback(True)
