"""A small but complete world for the security tests, built with the real services.

Two mirrored "sides", each a province with a commune and its residential areas, and on each side
one object of every kind a URL can name: unit, user, role assignment, criteria set, campaign,
assessments (draft with evidence, appraised, recognized), evidence, decision, certificate,
scoring run, print job (done, with files) and a units-import token.

* side "in": province Hà Tĩnh (42), commune Vũng Áng; the matrix roles sit on the commune
  (officer, appraiser, approver, clerk, viewer, admin), plus an approver of the province.
  A colleague is an officer of another commune (Kỳ Hoa) of the same province.
* side "out": province Nghệ An (40), commune Diễn Châu; the outsider is its commune officer, so
  "outside" objects are the outsider's own (a positive control of the 404s they get inside).

Every area has a distinctive name (``MARKERS``) so a test can check that a page shows nothing
of a side the user may not see.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certification.documents import pdf
from certification.documents import printing as print_jobs
from certification.models import Assessment, Campaign, CriteriaSet, ImportJob, PrintJob
from certification.models.criteria import UnitKind
from certification.services import entry, transitions
from certification.services.printing import start_print_job
from certification.services.scoring import start_scoring_run
from movement.data.catalogue import load_catalogue
from movement.models import ModelType
from movement.services import models as movement_models
from movement.services import teams as movement_teams
from tests.builders import (
    KDC,
    PASSWORD,
    decision_fields,
    fill,
    make_areas,
    make_commune,
    make_open_campaign,
    make_province,
    make_set,
    make_test_sets,
    make_user,
)
from units.exchange.previews import store_preview
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role

# Roles of the matrix (columns).
ANON = "anonymous"
OFFICER = "officer"
APPRAISER = "appraiser"
APPROVER = "approver"
CLERK = "clerk"
VIEWER = "viewer"
ADMIN = "admin"
PROVINCE = "province_approver"
COLLEAGUE = "colleague"
OUTSIDER = "outsider"
SUPER = "superuser"
ROLES = (ANON, OFFICER, APPRAISER, APPROVER, CLERK, VIEWER, ADMIN, PROVINCE, COLLEAGUE, OUTSIDER, SUPER)


def expected_outside(rule, role: str) -> int | None:
    """What a matrix rule (web or API) expects for ``role`` on an object of the other side, when
    that does not depend on the matrix: the rule's ``outside`` entry, the superuser as anywhere, the
    outsider as the officer of their own side; None: the matrix decides."""
    if role in rule.outside:
        return rule.outside[role]
    if role == SUPER:
        return rule.ok.get(SUPER, 403)
    if role == OUTSIDER:  # their own side, where they are the officer
        return rule.ok.get(OFFICER, 403)
    return None


COMMUNE_ROLES = {
    OFFICER: Role.OFFICER,
    APPRAISER: Role.APPRAISER,
    APPROVER: Role.APPROVER,
    CLERK: Role.CLERK,
    VIEWER: Role.VIEWER,
    ADMIN: Role.ADMIN,
}
# Names that appear on a page only when it shows data of that side.
MARKERS = {"in": "Tổ dân phố Hải Đông", "out": "Xóm Bắc Sơn"}
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def print_done(decision, by) -> PrintJob:
    """A finished print job through the real service: its output files are stored first (tiny
    stand-ins, rendering is tested by the documents suite), so the service reuses them."""
    content_hash, _chunks = print_jobs.plan(list(print_jobs.printable(decision)))
    pdf_name, zip_name = print_jobs.output_names(content_hash, decision)
    pdf.store(pdf_name, PDF_BYTES)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("giay-cong-nhan.pdf", PDF_BYTES)
    pdf.store(zip_name, buffer.getvalue())
    job = start_print_job(decision=decision, by=by)
    assert job.status == PrintJob.Status.DONE
    return job


@dataclass
class Side:
    """One side of the world; build_small_world leaves what it does not build at None."""

    province: Unit
    commune: Unit
    areas: list[Unit]
    campaign: Campaign
    draft: Assessment
    evidence: object
    member: object  # a user with a role on this side's commune (the "user" object of user URLs)
    fresh_area: Unit | None = None  # no assessment yet: the "start assessment" target
    province_set: CriteriaSet | None = None
    appraised: Assessment | None = None
    recognized: Assessment | None = None
    decision: object = None
    certificate: object = None
    scoring_run: object = None
    print_job: PrintJob | None = None
    assignment: RoleAssignment | None = None
    admin: object = None
    import_token: str = ""
    import_job: ImportJob | None = None
    movement_model: object = None  # a camera model of the commune, with one evidence file
    movement_evidence: object = None
    team_round: object = None  # the commune's draft rating of its security team


@dataclass
class World:
    users: dict[str, object]
    national_set: CriteriaSet
    year: int
    sides: dict[str, Side] = field(default_factory=dict)


def side_with_draft(
    province, commune, areas, campaign, officer, *, fresh: int, criterion_code: str = ""
) -> Side:
    """A side whose first area has a draft with one evidence file (on ``criterion_code``, or the
    dossier) and whose area ``fresh`` has no assessment; ``officer`` is its member."""
    draft = entry.start_assessment(campaign=campaign, unit=areas[0], by=officer)
    upload = SimpleUploadedFile("bien-ban.pdf", PDF_BYTES, content_type="application/pdf")
    evidence = entry.add_evidence(assessment=draft, by=officer, file=upload, criterion_code=criterion_code)
    return Side(province, commune, areas, campaign, draft, evidence, member=officer, fresh_area=areas[fresh])


def build_side(
    key: str,
    *,
    province: Unit,
    commune: Unit,
    sets: list[CriteriaSet],
    by,
    officer,
    appraiser,
    approver,
    admin,
) -> Side:
    marker = MARKERS[key]
    areas = make_areas(commune, 4, name=marker)
    province_set = make_set(
        UnitKind.RESIDENTIAL_AREA,
        f"kdc-{province.code}",
        KDC,
        province=province,
        status=CriteriaSet.Status.DRAFT,
    )
    campaign = make_open_campaign(province, sets)

    side = side_with_draft(province, commune, areas, campaign, officer, fresh=3, criterion_code="KDC-1")
    appraised = entry.start_assessment(campaign=campaign, unit=areas[1], by=officer)
    fill(appraised, officer)
    transitions.submit_assessment(assessment=appraised, by=officer)
    transitions.appraise_assessment(assessment=appraised, by=appraiser)
    recognized = entry.start_assessment(campaign=campaign, unit=areas[2], by=officer)
    fill(recognized, officer)
    transitions.submit_assessment(assessment=recognized, by=officer)
    transitions.appraise_assessment(assessment=recognized, by=appraiser)
    decision = transitions.recognize(assessments=[recognized], by=approver, **decision_fields(commune))
    for a in (side.draft, appraised, recognized):
        a.refresh_from_db()
    side.province_set, side.appraised, side.recognized = province_set, appraised, recognized
    side.decision, side.certificate = decision, decision.certificates.get()
    side.scoring_run = start_scoring_run(campaign=campaign, by=by, trigger="ui")
    side.print_job = print_done(decision, by)
    side.assignment = RoleAssignment.objects.get(user=officer, unit=commune, role=Role.OFFICER)
    side.admin, side.import_token = admin, store_preview(admin, "don-vi.xlsx", [])
    side.import_job = ImportJob.objects.create(
        user=officer,
        year=campaign.year,
        status=ImportJob.Status.DONE,
        report={
            "applied": True,
            "units": 1,
            "answers": 1,
            "registrations": 0,
            "error_count": 0,
            "errors": [],
        },
    )
    add_movement(side, officer, marker)
    return side


def add_movement(side: Side, officer, marker: str) -> None:
    """A camera model with one file, and one security team whose rating of the year is a draft."""
    load_catalogue(apps)  # flushed by a transactional test that ran before, perhaps
    camera = ModelType.objects.get(province=None, code="camera-an-ninh")
    model = movement_models.record_model(
        by=officer,
        unit=side.commune,
        name=f"Camera an ninh {marker}",
        model_type=camera,
        started_on=timezone.localdate().replace(month=1, day=1),
        covered=[side.areas[0]],
        cameras=5,
    )
    upload = SimpleUploadedFile("bien-ban.pdf", PDF_BYTES, content_type="application/pdf")
    side.movement_model = model
    side.movement_evidence = movement_models.add_model_evidence(by=officer, model=model, file=upload)
    movement_teams.add_team(
        by=officer, unit=side.areas[0], name=f"Tổ bảo vệ {marker}", members=[("Nguyễn Văn An", "Tổ trưởng")]
    )
    side.team_round = movement_teams.start_round(by=officer, commune=side.commune, year=side.campaign.year)


def build_world() -> World:
    year = timezone.localdate().year
    province = make_province("42")
    commune = make_commune(province, "18823")
    other_commune = make_commune(province, "18832")
    far_province = make_province("40")
    far_commune = make_commune(far_province, "17200")
    users = {name: make_user(name, role, commune) for name, role in COMMUNE_ROLES.items()}
    users[PROVINCE] = make_user(PROVINCE, Role.APPROVER, province)
    users[COLLEAGUE] = make_user(COLLEAGUE, Role.OFFICER, other_commune)
    users[OUTSIDER] = make_user(OUTSIDER, Role.OFFICER, far_commune)
    users[SUPER] = get_user_model().objects.create_superuser("root", "root@example.vn", PASSWORD)
    far_admin = make_user("far_admin", Role.ADMIN, far_commune)

    kdc, xa = make_test_sets()
    world = World(users=users, national_set=kdc, year=year)
    world.sides["in"] = build_side(
        "in",
        province=province,
        commune=commune,
        sets=[kdc, xa],
        by=users[CLERK],
        officer=users[OFFICER],
        appraiser=users[APPRAISER],
        approver=users[APPROVER],
        admin=users[ADMIN],
    )
    root = users[SUPER]
    world.sides["out"] = build_side(
        "out",
        province=far_province,
        commune=far_commune,
        sets=[kdc, xa],
        by=root,
        officer=users[OUTSIDER],
        appraiser=root,
        approver=root,
        admin=far_admin,
    )
    return world


def build_small_world() -> World:
    """Only what entry needs: side "in" with a draft assessment (and one evidence file), its
    officer, and an outsider in another province. Several times faster than ``build_world``."""
    province = make_province("42")
    commune = make_commune(province, "18823")
    far_province = make_province("40")
    areas = make_areas(commune, 2, name=MARKERS["in"])
    officer = make_user(OFFICER, Role.OFFICER, commune)
    users = {OFFICER: officer, OUTSIDER: make_user(OUTSIDER, Role.OFFICER, far_province)}
    kdc, xa = make_test_sets()
    campaign = make_open_campaign(province, [kdc, xa])
    side = side_with_draft(province, commune, areas, campaign, officer, fresh=1)
    return World(users=users, national_set=kdc, year=campaign.year, sides={"in": side})
