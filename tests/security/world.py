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

import datetime
import io
import json
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certification import services
from certification.documents import pdf
from certification.documents import printing as print_jobs
from certification.models import Assessment, Campaign, CriteriaSet, Criterion, PrintJob
from certification.models.criteria import UnitKind
from certification.scoring.runs import start_scoring_run
from certification.services.printing import start_print_job
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
AT = Criterion.AnswerType

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
PASSWORD = "correct-horse-42"

KDC = [
    ("KDC-1", AT.BOOLEAN, False, None),
    ("KDC-3", AT.GROUP, False, None),
    ("KDC-3a", AT.BOOLEAN, False, "KDC-3"),
    ("KDC-3b", AT.BOOLEAN, True, "KDC-3"),
    ("KDC-4a", AT.COMPARISON, False, None),
    ("KDC-5", AT.BOOLEAN, False, None),
]
KDC_LEAVES = ["KDC-1", "KDC-3a", "KDC-3b", "KDC-4a", "KDC-5"]
XA = [("XA-1", AT.BOOLEAN, False, None), ("XA-3", AT.BOOLEAN, True, None), ("XA-4", AT.DERIVED, False, None)]


def make_set(
    unit_kind: str, family: str, items, *, province: Unit | None = None, status=CriteriaSet.Status.PUBLISHED
):
    criteria_set = CriteriaSet.objects.create(
        family=family,
        version=1,
        unit_kind=unit_kind,
        name=f"Bộ tiêu chí {family}",
        legal_basis="Thông tư 124/2021/TT-BCA",
        year_from=2022,
        status=status,
        province=province,
    )
    parents: dict[str, Criterion] = {}
    for order, (code, answer_type, na_allowed, parent) in enumerate(items):
        parents[code] = Criterion.objects.create(
            criteria_set=criteria_set,
            parent=parents.get(parent),
            code=code,
            text=f"Tiêu chí {code}",
            order=order,
            answer_type=answer_type,
            na_allowed=na_allowed,
        )
    return criteria_set


def make_campaign(province: Unit, year: int, sets, *, entry_end: datetime.date) -> Campaign:
    dates = Campaign.default_dates(year)
    dates.update(residential_period_end=entry_end, other_period_end=entry_end)
    campaign = Campaign.objects.create(year=year, province=province, status=Campaign.Status.OPEN, **dates)
    campaign.criteria_sets.set(sets)
    return campaign


def fill(assessment: Assessment, by, *, value: str = "met") -> Assessment:
    assessment.refresh_from_db()
    return services.save_answers(
        assessment=assessment,
        by=by,
        expected_version=assessment.version,
        changes={code: {"value": value} for code in KDC_LEAVES},
        figures={"crime_count": 1, "social_evil_count": 0, "violation_count": 2},
        dossier={
            "meeting_date": timezone.localdate(),
            "meeting_chair": "Nguyễn Văn An, Trưởng thôn",
            "meeting_attendees": [{"name": "Trần Thị Bình", "role": "Bí thư chi bộ"}],
        },
    )


def decision_fields(issuer: Unit) -> dict:
    return {
        "issuer": issuer,
        "issued_on": timezone.localdate(),
        "signer_title": "Chủ tịch",
        "signer_name": "Phạm Văn Dũng",
        "place": issuer.name,
    }


def make_user(username: str, role: str | None = None, unit: Unit | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role and unit:
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


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


def store_import_token(user) -> str:
    """A pending units import of ``user`` (what units.views stores after a preview)."""
    directory = Path(settings.MEDIA_ROOT) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    payload = {"user": user.pk, "filename": "don-vi.xlsx", "rows": []}
    (directory / f"{token}.json").write_text(json.dumps(payload), encoding="utf-8")
    return token


@dataclass
class Side:
    province: Unit
    commune: Unit
    areas: list[Unit]
    campaign: Campaign
    province_set: CriteriaSet
    draft: Assessment
    appraised: Assessment
    recognized: Assessment
    evidence: object
    decision: object
    certificate: object
    scoring_run: object
    print_job: PrintJob
    member: object  # a user with a role on this side's commune (the "user" object of user URLs)
    assignment: RoleAssignment
    admin: object
    import_token: str
    fresh_area: Unit  # no assessment yet: the "start assessment" target


@dataclass
class World:
    users: dict[str, object]
    national_set: CriteriaSet
    year: int
    sides: dict[str, Side] = field(default_factory=dict)


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
    year = timezone.localdate().year
    marker = MARKERS[key]
    areas = [
        Unit.objects.create(
            code=f"{commune.code}-{i:02d}",
            name=f"{marker} {i}",
            label="Tổ dân phố",
            kind=Unit.Kind.RESIDENTIAL_AREA,
            parent=commune,
            household_count=100 + i,
        )
        for i in range(1, 5)
    ]
    province_set = make_set(
        UnitKind.RESIDENTIAL_AREA,
        f"kdc-{province.code}",
        KDC,
        province=province,
        status=CriteriaSet.Status.DRAFT,
    )
    campaign = make_campaign(
        province, year, sets, entry_end=timezone.localdate() + datetime.timedelta(days=30)
    )

    draft = services.start_assessment(campaign=campaign, unit=areas[0], by=officer)
    evidence = services.add_evidence(
        assessment=draft,
        by=officer,
        file=SimpleUploadedFile("bien-ban.pdf", PDF_BYTES, content_type="application/pdf"),
        criterion_code="KDC-1",
    )
    appraised = services.start_assessment(campaign=campaign, unit=areas[1], by=officer)
    fill(appraised, officer)
    services.submit_assessment(assessment=appraised, by=officer)
    services.appraise_assessment(assessment=appraised, by=appraiser)
    recognized = services.start_assessment(campaign=campaign, unit=areas[2], by=officer)
    fill(recognized, officer)
    services.submit_assessment(assessment=recognized, by=officer)
    services.appraise_assessment(assessment=recognized, by=appraiser)
    decision = services.recognize(assessments=[recognized], by=approver, **decision_fields(commune))
    for a in (draft, appraised, recognized):
        a.refresh_from_db()
    certificate = decision.certificates.get()
    scoring_run = start_scoring_run(campaign=campaign, by=by, trigger="ui")
    job = print_done(decision, by)
    assignment = RoleAssignment.objects.get(user=officer, unit=commune, role=Role.OFFICER)
    return Side(
        province=province,
        commune=commune,
        areas=areas,
        campaign=campaign,
        province_set=province_set,
        draft=draft,
        appraised=appraised,
        recognized=recognized,
        evidence=evidence,
        decision=decision,
        certificate=certificate,
        scoring_run=scoring_run,
        print_job=job,
        member=officer,
        assignment=assignment,
        admin=admin,
        import_token=store_import_token(admin),
        fresh_area=areas[3],
    )


def build_world() -> World:
    year = timezone.localdate().year
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    commune = Unit.objects.create(
        code="18823", name="Vũng Áng", label="Phường", kind=Unit.Kind.COMMUNE, parent=province
    )
    other_commune = Unit.objects.create(
        code="18832", name="Kỳ Hoa", label="Xã", kind=Unit.Kind.COMMUNE, parent=province
    )
    far_province = Unit.objects.create(code="40", name="Nghệ An", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    far_commune = Unit.objects.create(
        code="17200", name="Diễn Châu", label="Xã", kind=Unit.Kind.COMMUNE, parent=far_province
    )
    users = {name: make_user(name, role, commune) for name, role in COMMUNE_ROLES.items()}
    users[PROVINCE] = make_user(PROVINCE, Role.APPROVER, province)
    users[COLLEAGUE] = make_user(COLLEAGUE, Role.OFFICER, other_commune)
    users[OUTSIDER] = make_user(OUTSIDER, Role.OFFICER, far_commune)
    users[SUPER] = get_user_model().objects.create_superuser("root", "root@example.vn", PASSWORD)
    far_admin = make_user("far_admin", Role.ADMIN, far_commune)

    kdc = make_set(UnitKind.RESIDENTIAL_AREA, "kdc-test", KDC)
    xa = make_set(UnitKind.COMMUNE, "xa-test", XA)
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
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    commune = Unit.objects.create(
        code="18823", name="Vũng Áng", label="Phường", kind=Unit.Kind.COMMUNE, parent=province
    )
    far_province = Unit.objects.create(code="40", name="Nghệ An", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    areas = [
        Unit.objects.create(
            code=f"{commune.code}-{i:02d}",
            name=f"{MARKERS['in']} {i}",
            label="Tổ dân phố",
            kind=Unit.Kind.RESIDENTIAL_AREA,
            parent=commune,
            household_count=100 + i,
        )
        for i in range(1, 3)
    ]
    officer = make_user(OFFICER, Role.OFFICER, commune)
    users = {OFFICER: officer, OUTSIDER: make_user(OUTSIDER, Role.OFFICER, far_province)}
    kdc = make_set(UnitKind.RESIDENTIAL_AREA, "kdc-test", KDC)
    xa = make_set(UnitKind.COMMUNE, "xa-test", XA)
    year = timezone.localdate().year
    campaign = make_campaign(
        province, year, [kdc, xa], entry_end=timezone.localdate() + datetime.timedelta(days=30)
    )
    draft = services.start_assessment(campaign=campaign, unit=areas[0], by=officer)
    evidence = services.add_evidence(
        assessment=draft,
        by=officer,
        file=SimpleUploadedFile("bien-ban.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    side = Side(
        province=province,
        commune=commune,
        areas=areas,
        campaign=campaign,
        province_set=None,
        draft=draft,
        appraised=None,
        recognized=None,
        evidence=evidence,
        decision=None,
        certificate=None,
        scoring_run=None,
        print_job=None,
        member=officer,
        assignment=None,
        admin=None,
        import_token="",
        fresh_area=areas[1],
    )
    return World(users=users, national_set=kdc, year=year, sides={"in": side})
