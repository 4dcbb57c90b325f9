"""A province's whole re-arrangement annex (issue 22, "Scale"): 5,000 old residential areas
→ 3,000 new, inside a running campaign where every old area is registered and assessed.

    bash scripts/test bench/rearrangement.py -s -p no:randomly -n 0

Builds 100 communes of 50 residential areas each, a campaign with a registration, an
assessment and every answer for each area, and an annex of 3,000 rows (per commune: 20
mergers of two areas, 10 kept). Times reading the workbook, the preview (validation + what
happens to every registration, assessment and certificate), the apply (tree, links, audit,
carry of registrations/assessments/answers) and the rescoring of the province after it.
Prints the figures (docs/rearrangement.md, "Scale"); asserts only the counts."""

import datetime
import io
import time

import pytest
from django.apps import apps
from django.utils import translation
from openpyxl import Workbook

from certification.audit import SystemActor
from certification.data.tt124 import load_tt124_sets
from certification.models import Answer, Assessment, Criterion, Registration
from certification.scoring import results
from certification.selectors.rearrangement import impact
from certification.services import rearrangement
from certification.services.campaigns import open_campaign
from certification.services.scoring import start_scoring_run
from units.exchange.rearrangement import COLUMNS, SHEET_NAME, read_upload, validate
from units.models import Unit, UnitChange
from units.tree import rebuild_paths

COMMUNES, AREAS, MERGERS = 100, 50, 20
YEAR = 2027
REF = f"Nghị quyết số 45/NQ-HĐND ngày 20/5/{YEAR}"


def build_world():
    load_tt124_sets(apps)
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    communes = Unit.objects.bulk_create(
        Unit(code=f"{20000 + c}", name=f"Xã {c}", label="Xã", kind=Unit.Kind.COMMUNE, parent=province)
        for c in range(COMMUNES)
    )
    areas = []
    for commune in communes:
        for i in range(AREAS):
            unit = Unit(
                code=f"{commune.code}-T{i:02d}",
                name=f"Thôn {i}",
                label="Thôn",
                kind=Unit.Kind.RESIDENTIAL_AREA,
                parent=commune,
                household_count=100 + i,
            )
            unit.refresh_derived_fields()
            areas.append(unit)
    Unit.objects.bulk_create(areas, batch_size=2000)
    rebuild_paths(None)
    campaign = open_campaign(year=YEAR, province=province)
    criteria_set = campaign.criteria_set_for(Unit.Kind.RESIDENTIAL_AREA)
    Registration.objects.bulk_create(
        Registration(
            campaign=campaign,
            unit=a,
            registered_on=datetime.date(YEAR - 1, 12, 1),
            households_total=a.household_count,
            households_registered=a.household_count,
        )
        for a in areas
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(
            campaign=campaign,
            unit=a,
            criteria_set=criteria_set,
            crime_count=1,
            social_evil_count=0,
            violation_count=2,
        )
        for a in areas
    )
    leaves = list(
        Criterion.objects.filter(criteria_set=criteria_set).exclude(answer_type__in=["group", "derived"])
    )
    Answer.objects.bulk_create(
        (
            Answer(assessment=s, criterion=c, value="met" if (s.pk + c.pk) % 7 else "not_met")
            for s in assessments
            for c in leaves
        ),
        batch_size=5000,
    )
    return province, campaign, communes


def annex(communes) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(COLUMNS)
    day = f"01/07/{YEAR}"
    for commune in communes:
        for m in range(MERGERS):
            old = f"{commune.code}-T{2 * m:02d}; {commune.code}-T{2 * m + 1:02d}"
            sheet.append([commune.code, f"Thôn Mới {m}", "Thôn", "Sáp nhập", old, "", day, REF])
        for i in range(2 * MERGERS, AREAS):
            sheet.append(
                [commune.code, f"Thôn {i}", "Thôn", "Giữ nguyên", f"{commune.code}-T{i:02d}", "", day, REF]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(label: str, func):
    started = time.perf_counter()
    value = func()
    print(f"{label:<52} {time.perf_counter() - started:6.2f} s")
    return value


@pytest.mark.django_db(transaction=True)
def test_measure_a_provinces_annex(monkeypatch):
    province, campaign, communes = build_world()
    data = annex(communes)
    print(f"\n{COMMUNES * AREAS} old residential areas → {COMMUNES * (AREAS - MERGERS)} after")
    with translation.override("vi"):
        rows = timed("read the workbook", lambda: read_upload("annex.xlsx", data))
        plan = timed("validate", lambda: validate(rows, today=datetime.date(YEAR, 6, 1)))
        assert plan.ok, plan.errors[:5]
        found = timed("impact (the rest of the preview)", lambda: impact(plan.rows))
        assert len(found) == COMMUNES * MERGERS
        # The scoring run the apply starts at commit is timed on its own below.
        started = []
        monkeypatch.setattr(rearrangement, "start_scoring_run", lambda **kwargs: started.append(kwargs))
        outcome = timed(
            "apply (tree, links, audit, carry)", lambda: rearrangement.apply(rows=plan.rows, by=SystemActor())
        )
    assert outcome.assessments == COMMUNES * MERGERS
    assert UnitChange.objects.count() == 2 * COMMUNES * MERGERS
    assert [kwargs["campaign"] for kwargs in started] == [campaign]
    timed("the scoring run after it (eager, whole campaign)", lambda: start_scoring_run(**started[0]))
    units = list(results.campaign_units(campaign).values_list("pk", flat=True))
    timed(
        "rescore the province's units again (nothing changed)",
        lambda: results.score_campaign_units(campaign, units),
    )
