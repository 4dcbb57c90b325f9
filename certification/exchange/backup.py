"""Export one province's campaign of one year to a file, and import it back (export_campaign,
import_campaign).

What is in the file: the campaign (dates, status, the criteria sets it pins), registrations,
assessments with their answers, evidence (the files themselves in a zip, or base64 in a JSON
file), decisions, certificates (with their snapshot as issued), computed results and the
numbering counters of the issuers for that year. Rows refer to each other by natural keys
(unit code, username, criteria set ``family@version`` + criterion code, certificate code, a
decision's position in the file), never by database ids, so the file can be restored into
another database that holds the same units, users and criteria sets.

Not in the file (by design): the audit trail (one hash chain for the whole database: back it up
with pg_dump), scoring runs and print jobs (operational), cached PDFs (re-rendered on demand).
Restoring needs an empty slot: the campaign must not exist in the target database.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import models, transaction

from certification.audit import Action, log_change
from certification.errors import BackupError
from certification.models import (
    Answer,
    Assessment,
    Campaign,
    Certificate,
    CriteriaSet,
    Decision,
    DecisionCounter,
    Evidence,
    Registration,
    Result,
)
from units.models import Unit

FORMAT = "antt-campaign/1"
DATA_NAME = "campaign.json"
MEDIA_DIR = "media/"
# Cached renderings: rebuilt from the data on the next request (a certificate's QR code on its
# next print or download).
CACHE_FIELDS = {
    Decision: {"pdf", "content_hash", "file_sha256"},
    Certificate: {"pdf", "content_hash", "file_sha256", "qr_png", "qr_url"},
}


# --- values -------------------------------------------------------------------------------------


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def _plain_fields(model, skip: set[str]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and not f.is_relation
        and f.name not in skip
        and f.name not in CACHE_FIELDS.get(model, ())
    ]


def _dump(obj, skip: set[str] = frozenset(), **relations) -> dict:
    row = {f.name: _jsonable(f.value_from_object(obj)) for f in _plain_fields(type(obj), set(skip))}
    row.update(relations)
    return row


def _load(model, row: dict, skip: set[str] = frozenset()) -> dict:
    values = {}
    for f in _plain_fields(model, set(skip)):
        if f.name in row:
            raw = row[f.name]
            values[f.name] = raw if isinstance(f, models.JSONField) or raw is None else f.to_python(raw)
    return values


# --- export -------------------------------------------------------------------------------------


@dataclass
class Export:
    data: dict
    files: dict[str, Callable[[], bytes]] = field(default_factory=dict)  # stored name → reader


def _username(user_id, users: dict[int, str]) -> str | None:
    return users.get(user_id) if user_id else None


def export_campaign(*, year: int, province_code: str) -> Export:
    campaign = (
        Campaign.objects.select_related("province").filter(year=year, province__code=province_code).first()
    )
    if campaign is None:
        raise BackupError(f"Không có đợt xét năm {year} của tỉnh mã “{province_code}”.")
    users = dict(get_user_model().objects.values_list("pk", "username"))
    codes = dict(Unit.objects.filter(path__startswith=campaign.province.path).values_list("pk", "code"))

    def code(unit_id):
        if unit_id is None:
            return None
        if unit_id not in codes:  # an issuer outside the province (rare): look it up
            codes[unit_id] = Unit.objects.values_list("code", flat=True).get(pk=unit_id)
        return codes[unit_id]

    assessments = list(
        Assessment.objects.filter(campaign=campaign).select_related("criteria_set").order_by("unit__code")
    )
    by_assessment = {a.pk: codes[a.unit_id] for a in assessments}
    decisions = list(
        Decision.objects.filter(campaign=campaign).order_by("year", "issuer__code", "number", "pk")
    )
    decision_ref = {d.pk: i for i, d in enumerate(decisions)}
    export = Export(data={})
    evidence_rows = []
    for e in (
        Evidence.objects.filter(assessment__campaign=campaign).select_related("criterion").order_by("token")
    ):
        # The stored name holds database ids: the file is filed under its (unique) token.
        evidence_rows.append(
            _dump(
                e,
                skip={"file"},
                assessment=by_assessment[e.assessment_id],
                criterion=e.criterion.code if e.criterion_id else None,
                uploaded_by=_username(e.uploaded_by_id, users),
            )
        )
        export.files[f"evidence/{e.token}"] = lambda e=e: _read(e.file)
    for d in decisions:
        # The original signed outside (NĐ 30 Art. 19(2)) is no cache: it cannot be made again.
        if d.signed_pdf:
            export.files[f"signed/{decision_ref[d.pk]}.pdf"] = lambda d=d: _read(d.signed_pdf)
    issuers = {d.issuer_id for d in decisions}
    export.data = {
        "format": FORMAT,
        "campaign": _dump(
            campaign,
            province=campaign.province.code,
            criteria_sets=sorted(cs.reference for cs in campaign.criteria_sets.all()),
        ),
        "registrations": [
            _dump(r, unit=code(r.unit_id), created_by=_username(r.created_by_id, users))
            for r in Registration.objects.filter(campaign=campaign).order_by("unit__code")
        ],
        "assessments": [
            _dump(
                a,
                unit=code(a.unit_id),
                criteria_set=a.criteria_set.reference,
                decision=decision_ref.get(a.decision_id),
                answers=[
                    _dump(ans, criterion=ans.criterion.code, updated_by=_username(ans.updated_by_id, users))
                    for ans in a.answers.select_related("criterion").order_by("criterion__code")
                ],
            )
            for a in assessments
        ],
        "evidence": evidence_rows,
        "decisions": [
            _dump(
                d,
                skip={"signed_pdf"},
                issuer=code(d.issuer_id),
                created_by=_username(d.created_by_id, users),
                ref=decision_ref[d.pk],
            )
            for d in decisions
        ],
        "certificates": [
            _dump(
                c,
                decision=decision_ref[c.decision_id],
                assessment=by_assessment[c.assessment_id],
                unit=code(c.unit_id),
                replaced_by=c.replaced_by.code if c.replaced_by_id else None,
                revoking_decision=decision_ref.get(c.revoking_decision_id),
            )
            for c in Certificate.objects.filter(decision__campaign=campaign)
            .select_related("replaced_by")
            .order_by("code")
        ],
        "results": [
            _dump(r, unit=code(r.unit_id), assessment=by_assessment.get(r.assessment_id))
            for r in Result.objects.filter(campaign=campaign).order_by("unit__code")
        ],
        "counters": [
            _dump(c, issuer=code(c.issuer_id))
            for c in DecisionCounter.objects.filter(issuer_id__in=issuers, year=campaign.year).order_by(
                "issuer__code", "series"
            )
        ],
    }
    return export


def _read(file) -> bytes:
    with file.storage.open(file.name, "rb") as fh:
        return fh.read()


def write_file(export: Export, path: Path) -> dict[str, int]:
    """A zip (campaign.json + media/…) or, for a ``.json`` path, one JSON file with the evidence
    contents in base64. Returns counts for the report."""
    data = dict(export.data)
    if path.suffix.lower() == ".json":
        data["files"] = {
            name: base64.b64encode(read()).decode("ascii") for name, read in sorted(export.files.items())
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    else:
        tmp = path.with_name(f".{path.name}.tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(DATA_NAME, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
            for name, read in sorted(export.files.items()):
                archive.writestr(MEDIA_DIR + name, read())
        tmp.replace(path)  # never a half-written backup under the final name
    return counts(export.data) | {"files": len(export.files)}


def counts(data: dict) -> dict[str, int]:
    keys = ("registrations", "assessments", "evidence", "decisions", "certificates", "results")
    return {key: len(data.get(key, [])) for key in keys} | {
        "answers": sum(len(a.get("answers", [])) for a in data.get("assessments", []))
    }


# --- import -------------------------------------------------------------------------------------


def read_file(path: Path) -> Export:
    try:
        if zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
            data = json.loads(archive.read(DATA_NAME).decode("utf-8"))
            names = [n for n in archive.namelist() if n.startswith(MEDIA_DIR) and not n.endswith("/")]
            files = {n[len(MEDIA_DIR) :]: (lambda n=n: archive.read(n)) for n in names}
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = {n: (lambda v=v: base64.b64decode(v)) for n, v in data.pop("files", {}).items()}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise BackupError(f"Không đọc được tệp sao lưu {path}: {error}") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} không phải tệp sao lưu đợt xét ({FORMAT}).")
    return Export(data=data, files=files)


class _Lookup:
    """Natural keys → rows of the target database, collecting what is missing."""

    def __init__(self, data: dict) -> None:
        self.missing: set[str] = set()
        wanted = {data["campaign"]["province"]}
        for key in ("registrations", "assessments", "results"):
            wanted |= {r["unit"] for r in data[key]}
        wanted |= {d["issuer"] for d in data["decisions"]} | {c["issuer"] for c in data["counters"]}
        self.units = dict(Unit.objects.filter(code__in=wanted).values_list("code", "pk"))
        self.missing |= {f"đơn vị {c}" for c in wanted - set(self.units)}
        self.users = dict(get_user_model().objects.values_list("username", "pk"))
        self.sets: dict[str, CriteriaSet] = {}
        references = set(data["campaign"]["criteria_sets"]) | {a["criteria_set"] for a in data["assessments"]}
        for reference in references:
            family, _, version = reference.rpartition("@")
            found = (
                CriteriaSet.objects.filter(family=family, version=version).first()
                if version.isdigit()
                else None
            )
            if found is None:
                self.missing.add(f"bộ tiêu chí {reference}")
            else:
                self.sets[reference] = found
        self.criteria = {
            (reference, code): pk
            for reference, cs in self.sets.items()
            for code, pk in cs.criteria.values_list("code", "pk")
        }
        self.unknown_users: set[str] = set()

    def user(self, username: str | None) -> int | None:
        if not username:
            return None
        if username not in self.users:
            self.unknown_users.add(username)
            return None
        return self.users[username]

    def criterion(self, reference: str, code: str) -> int:
        try:
            return self.criteria[(reference, code)]
        except KeyError:
            raise BackupError(f"Bộ tiêu chí {reference} không có tiêu chí {code}.") from None


def _restore_timestamps(model, objs: list, rows: list[dict]) -> None:
    """``auto_now``/``auto_now_add`` overwrote them on create; put the exported times back."""
    names = [
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    if not names or not objs:
        return
    for obj, row in zip(objs, rows, strict=True):
        for name in names:
            if row.get(name):
                setattr(obj, name, model._meta.get_field(name).to_python(row[name]))
    model.objects.bulk_update(objs, names, batch_size=500)


def _create_rows(model, rows: list[dict], look: _Lookup, unit: str, **fixed) -> list:
    """One ``model`` row per exported row, with ``fixed`` values, the row's ``unit`` (a unit code
    in the file) and ``created_by`` (a username) as ids here; then the exported times put back."""
    objs = model.objects.bulk_create(
        model(
            **fixed,
            **{f"{unit}_id": look.units[r[unit]], "created_by_id": look.user(r["created_by"])},
            **_load(model, r),
        )
        for r in rows
    )
    _restore_timestamps(model, objs, rows)
    return objs


@transaction.atomic
def import_campaign(export: Export, *, by=None) -> tuple[Campaign, dict[str, int], set[str]]:
    """Create the campaign and everything in the file, all or nothing. Returns the campaign,
    the counts and the usernames that do not exist here (their references are left empty)."""
    data = export.data
    look = _Lookup(data)
    if look.missing:
        raise BackupError("Thiếu trong cơ sở dữ liệu đích: " + ", ".join(sorted(look.missing)) + ".")
    province_id = look.units[data["campaign"]["province"]]
    year = int(data["campaign"]["year"])
    if Campaign.objects.filter(year=year, province_id=province_id).exists():
        raise BackupError(
            f"Đợt xét năm {year} của tỉnh mã {data['campaign']['province']} đã có: "
            "chỉ khôi phục vào chỗ trống (xóa đợt đó trước, hoặc dùng cơ sở dữ liệu mới)."
        )

    c = data["campaign"]
    campaign = Campaign.objects.create(province_id=province_id, **_load(Campaign, c))
    campaign.criteria_sets.set([look.sets[r] for r in c["criteria_sets"]])
    _restore_timestamps(Campaign, [campaign], [c])

    _create_rows(Registration, data["registrations"], look, "unit", campaign=campaign)
    decisions_rows = sorted(data["decisions"], key=lambda d: d["ref"])
    decisions = Decision.objects.bulk_create(
        Decision(
            campaign=campaign,
            issuer_id=look.units[d["issuer"]],
            created_by_id=look.user(d["created_by"]),
            **_load(Decision, d, skip={"signed_pdf"}),
        )
        for d in decisions_rows
    )
    _restore_timestamps(Decision, decisions, decisions_rows)
    for decision, d in zip(decisions, decisions_rows, strict=True):
        name = f"signed/{d['ref']}.pdf"
        if name in export.files:
            decision.signed_pdf.save(
                f"{decision.year}/{decision.number}.pdf", ContentFile(export.files[name]())
            )
    decision_ids = [d.pk for d in decisions]

    rows = data["assessments"]
    assessments = Assessment.objects.bulk_create(
        Assessment(
            campaign=campaign,
            unit_id=look.units[a["unit"]],
            criteria_set=look.sets[a["criteria_set"]],
            decision_id=decision_ids[a["decision"]] if a["decision"] is not None else None,
            **_load(Assessment, a),
        )
        for a in rows
    )
    assessment_ids = {a["unit"]: obj.pk for a, obj in zip(rows, assessments, strict=True)}
    answer_rows = [(a, ans) for a in rows for ans in a["answers"]]
    answers = Answer.objects.bulk_create(
        (
            Answer(
                assessment_id=assessment_ids[a["unit"]],
                criterion_id=look.criterion(a["criteria_set"], ans["criterion"]),
                updated_by_id=look.user(ans["updated_by"]),
                **_load(Answer, ans),
            )
            for a, ans in answer_rows
        ),
        batch_size=2000,
    )
    _restore_timestamps(Answer, answers, [ans for _a, ans in answer_rows])
    _restore_timestamps(Assessment, assessments, rows)

    criteria_sets = {a["unit"]: a["criteria_set"] for a in rows}
    for e in data["evidence"]:
        name = f"evidence/{e['token']}"
        if name not in export.files:
            raise BackupError(f"Tệp minh chứng {e['original_name']} ({name}) không có trong tệp sao lưu.")
        evidence = Evidence(
            assessment_id=assessment_ids[e["assessment"]],
            criterion_id=look.criterion(criteria_sets[e["assessment"]], e["criterion"])
            if e["criterion"]
            else None,
            uploaded_by_id=look.user(e["uploaded_by"]),
            **_load(Evidence, e, skip={"file"}),
        )
        evidence.file.save(evidence.token, ContentFile(export.files[name]()), save=False)
        evidence.save()
        _restore_timestamps(Evidence, [evidence], [e])

    rows = data["certificates"]
    certificates = Certificate.objects.bulk_create(
        Certificate(
            decision_id=decision_ids[r["decision"]],
            assessment_id=assessment_ids[r["assessment"]],
            unit_id=look.units[r["unit"]],
            revoking_decision_id=decision_ids[r["revoking_decision"]]
            if r["revoking_decision"] is not None
            else None,
            **_load(Certificate, r),
        )
        for r in rows
    )
    by_code = {cert.code: cert for cert in certificates}
    replaced = [(by_code[r["code"]], by_code[r["replaced_by"]]) for r in rows if r["replaced_by"]]
    for cert, successor in replaced:
        cert.replaced_by = successor
    Certificate.objects.bulk_update([cert for cert, _s in replaced], ["replaced_by"])
    _restore_timestamps(Certificate, certificates, rows)

    rows = data["results"]
    results = Result.objects.bulk_create(
        Result(
            campaign=campaign,
            unit_id=look.units[r["unit"]],
            assessment_id=assessment_ids.get(r["assessment"]) if r["assessment"] else None,
            **_load(Result, r),
        )
        for r in rows
    )
    _restore_timestamps(Result, results, rows)

    for r in data["counters"]:
        counter, _created = DecisionCounter.objects.select_for_update().get_or_create(
            issuer_id=look.units[r["issuer"]], year=r["year"], series=r["series"]
        )
        if counter.last < r["last"]:  # never hand out a number the file has already used
            counter.last = r["last"]
            counter.save(update_fields=["last"])

    log_change(campaign, by=by, action=Action.CAMPAIGN_IMPORTED, field="", new=counts(data))
    return campaign, counts(data), look.unknown_users


def fingerprint(data: dict) -> str:
    """SHA-256 of the data in canonical form: equal for two exports that hold the same things."""
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def file_digests(export: Export) -> dict[str, str]:
    return {name: hashlib.sha256(read()).hexdigest() for name, read in export.files.items()}


__all__ = [
    "Export",
    "export_campaign",
    "file_digests",
    "fingerprint",
    "import_campaign",
    "read_file",
    "write_file",
]
