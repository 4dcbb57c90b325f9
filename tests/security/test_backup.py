"""Backup of one campaign: export → lose everything of it (rows and evidence files) → import →
export again gives the same data and the same files; a restore is all or nothing."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from certification.exchange import backup
from certification.models import (
    Assessment,
    Campaign,
    Certificate,
    Decision,
    DecisionCounter,
    Evidence,
    Registration,
    Result,
)
from certification.services import entry, registration, transitions
from certification.services.scoring import start_scoring_run
from tests.builders import decision_fields
from tests.security.world import APPROVER


def wipe(campaign: Campaign) -> None:
    """What a disaster leaves of the campaign: nothing, evidence files included. The audit
    trail refers to the assessments and cannot be deleted through the application: raw SQL,
    as a fresh database would simply not have those rows."""
    assessments = list(Assessment.objects.filter(campaign=campaign).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        placeholders = ",".join(["%s"] * len(assessments))
        cursor.execute(
            f"DELETE FROM certification_auditevent WHERE assessment_id IN ({placeholders})", assessments
        )
    for evidence in Evidence.objects.filter(assessment__campaign=campaign):
        evidence.file.storage.delete(evidence.file.name)
    issuers = set(Decision.objects.filter(campaign=campaign).values_list("issuer", flat=True))
    Result.objects.filter(campaign=campaign).delete()
    Certificate.objects.filter(decision__campaign=campaign).update(replaced_by=None)
    Certificate.objects.filter(decision__campaign=campaign).delete()
    Assessment.objects.filter(campaign=campaign).update(decision=None)
    Evidence.objects.filter(assessment__campaign=campaign).delete()
    Registration.objects.filter(campaign=campaign).delete()
    Assessment.objects.filter(campaign=campaign).delete()
    Decision.objects.filter(campaign=campaign).delete()
    DecisionCounter.objects.filter(issuer__in=issuers, year=campaign.year).delete()
    campaign.delete()


@pytest.fixture
def busy_campaign(world, django_capture_on_commit_callbacks):
    """Side "in", scored, with a non-recognition and a revoked recognition too."""
    side = world.sides["in"]
    approver = world.users[APPROVER]
    registration.register_unit(
        campaign=side.campaign,
        unit=side.areas[1],
        by=side.member,
        registered_on=side.campaign.registration_deadline,
        households_total=120,
        households_registered=110,
        plan_ref="KH 12/KH-CAX",
    )
    transitions.not_recognize(
        assessments=[side.appraised], by=approver, reason="Chưa đạt KDC-3a", **decision_fields(side.commune)
    )
    transitions.revoke_assessment(
        assessment=side.recognized,
        by=approver,
        reason="Sai phạm",
        **{k: v for k, v in decision_fields(side.commune).items() if k != "issuer"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        start_scoring_run(campaign=side.campaign, trigger="cli")
    return side


def export(path: Path, campaign: Campaign) -> backup.Export:
    call_command("export_campaign", year=campaign.year, province=campaign.province.code, output=str(path))
    return backup.read_file(path)


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", [".zip", ".json"])
def test_export_wipe_import_export_gives_back_the_same_campaign_and_files(
    busy_campaign, world, tmp_path, suffix, client
):
    side = busy_campaign
    year, code = side.campaign.year, side.campaign.province.code
    other_before = backup.fingerprint(
        backup.export_campaign(year=year, province_code=world.sides["out"].province.code).data
    )
    first = export(tmp_path / f"first{suffix}", side.campaign)
    data = first.data
    assert backup.counts(data) == {
        "registrations": 1,
        "assessments": 3,
        "evidence": 1,
        "decisions": 3,  # recognition, non-recognition and the revocation decision
        "certificates": 1,
        "results": len(data["results"]),
        "answers": 15,
    }
    assert len(data["results"]) >= 5 and {c["series"] for c in data["counters"]} == {
        "decision",
        "certificate",
    }
    assert data["certificates"][0]["status"] == "revoked"

    wipe(side.campaign)
    assert not Campaign.objects.filter(year=year, province__code=code).exists()
    assert not list(Path(side.evidence.file.storage.location).rglob(side.evidence.token))

    call_command("import_campaign", str(tmp_path / f"first{suffix}"))
    second = export(tmp_path / f"second{suffix}", Campaign.objects.get(year=year, province__code=code))

    assert second.data == data
    assert backup.fingerprint(second.data) == backup.fingerprint(data)
    assert backup.file_digests(second) == backup.file_digests(first)
    # The other province was not touched; the restored certificate still verifies (as revoked).
    assert (
        backup.fingerprint(
            backup.export_campaign(year=year, province_code=world.sides["out"].province.code).data
        )
        == other_before
    )
    restored = Certificate.objects.get(code=data["certificates"][0]["code"])
    page = client.get(reverse("verify", args=[restored.code]))
    assert page.status_code == 200


@pytest.mark.django_db
def test_numbering_continues_after_a_restore_without_reusing_a_number(busy_campaign, world, tmp_path):
    side = busy_campaign
    numbers = set(Decision.objects.filter(issuer=side.commune).values_list("number", flat=True))
    export(tmp_path / "b.zip", side.campaign)
    wipe(side.campaign)
    call_command("import_campaign", str(tmp_path / "b.zip"))

    campaign = Campaign.objects.get(year=side.campaign.year, province=side.province)
    area = side.fresh_area
    assessment = entry.start_assessment(campaign=campaign, unit=area, by=side.member)
    from tests.builders import fill

    fill(assessment, side.member)
    transitions.submit_assessment(assessment=assessment, by=side.member)
    transitions.appraise_assessment(assessment=assessment, by=world.users["appraiser"])
    decision = transitions.recognize(
        assessments=[assessment], by=world.users[APPROVER], **decision_fields(side.commune)
    )
    assert decision.number == max(numbers) + 1
    assert decision.certificates.get().register_number == 2  # one certificate was issued before


@pytest.mark.django_db
def test_a_restore_over_an_existing_campaign_is_refused_and_writes_nothing(busy_campaign, tmp_path):
    export(tmp_path / "b.zip", busy_campaign.campaign)
    before = (
        Assessment.objects.count(),
        Decision.objects.count(),
        Evidence.objects.count(),
        Result.objects.count(),
    )
    with pytest.raises(CommandError, match="đã có"):
        call_command("import_campaign", str(tmp_path / "b.zip"))
    assert (
        Assessment.objects.count(),
        Decision.objects.count(),
        Evidence.objects.count(),
        Result.objects.count(),
    ) == before


@pytest.mark.django_db
def test_a_restore_into_a_database_missing_a_unit_names_it_and_writes_nothing(busy_campaign, tmp_path):
    side = busy_campaign
    export(tmp_path / "b.zip", side.campaign)
    wipe(side.campaign)
    side.fresh_area.delete()  # had no assessment; the file does not need it…
    data = backup.read_file(tmp_path / "b.zip")
    data.data["registrations"][0]["unit"] = "khong-ton-tai"  # …but this one does
    (tmp_path / "broken.json").write_text(
        __import__("json").dumps(data.data | {"files": {}}), encoding="utf-8"
    )
    before = (Campaign.objects.count(), Assessment.objects.count())
    with pytest.raises(CommandError, match="đơn vị khong-ton-tai"):
        call_command("import_campaign", str(tmp_path / "broken.json"))
    assert (Campaign.objects.count(), Assessment.objects.count()) == before


@pytest.mark.django_db
def test_a_file_that_is_not_a_backup_is_refused_in_vietnamese(tmp_path, db):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CommandError, match="Không đọc được|không phải tệp sao lưu"):
        call_command("import_campaign", str(junk))
    with pytest.raises(CommandError, match="Không có đợt xét"):
        call_command("export_campaign", year=1999, province="42", output=str(tmp_path / "x.zip"))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_documented_pg_dump_and_pg_restore_give_a_database_whose_audit_chain_verifies(tmp_path):
    """The whole-database backup of docs/reliability.md (the audit trail is only in this one):
    ``pg_dump -Fc`` → ``pg_restore`` into a new database → ``verify_audit`` there."""
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    from certification.models import AuditEvent
    from tests.security.test_faults import _pg_bin
    from tests.security.world import build_small_world

    build_small_world()
    events = AuditEvent.objects.count()
    db = connection.settings_dict
    pg = _pg_bin()
    env = {
        **os.environ,
        "PGHOST": db["HOST"] or "",
        "PGPORT": str(db["PORT"] or ""),
        "PGUSER": db["USER"] or "",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    dump, restored = tmp_path / "antt.dump", f"{db['NAME']}_restored"
    subprocess.run([str(pg / "pg_dump"), "-Fc", "-f", str(dump), db["NAME"]], env=env, check=True)
    subprocess.run([str(pg / "dropdb"), "--if-exists", restored], env=env, check=True)
    subprocess.run([str(pg / "createdb"), restored], env=env, check=True)
    try:
        subprocess.run([str(pg / "pg_restore"), "--no-owner", "-d", restored, str(dump)], env=env, check=True)
        user = quote(db["USER"] or "", safe="")
        url = f"postgres://{user}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{restored}"
        check = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"],
            cwd=Path(__file__).resolve().parents[2],
            env={**env, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "antt.settings"},
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        assert f"{events} events" in check.stdout
    finally:
        subprocess.run([str(pg / "dropdb"), "--if-exists", restored], env=env, check=False)
