"""Digital signatures (NĐ 30/2020 Art. 5, 13(7), 17(2), 19(2), 21(2)(a)): a decision signed
outside is registered only when intact, the issued document itself and from a trusted, valid
certificate; anyone can check a PDF; the server signs what it issues with the agency's key.

Every key and certificate here is made by the test (a throw-away CA in ``tmp_path``)."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.urls import reverse

from certification.audit import Action
from certification.documents import signatures
from certification.documents.certificates import certificate_pdf
from certification.documents.decisions import decision_pdf
from certification.exchange import backup
from certification.models import AuditEvent, Decision, PrintJob
from certification.services.printing import start_print_job
from certification.services.signatures import register_signed_decision
from certification.services.transitions import revoke_assessment
from tests.builders import decision_fields
from units.models import RoleAssignment

from .conftest import pdf_text

NOW = datetime.datetime.now(datetime.UTC)


class Authority:
    """A certification authority made for the test: a root and the certificates it issues."""

    def __init__(self, name: str) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=3650))
            .not_valid_after(NOW + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def root_file(self, folder: Path) -> Path:
        path = folder / f"root-{self.cert.serial_number}.pem"
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def pkcs12(self, folder: Path, name: str, *, organization: str = "", expired: bool = False) -> Path:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
        if organization:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        if expired:
            start, end = NOW - datetime.timedelta(days=400), NOW - datetime.timedelta(days=30)
        else:
            start, end = NOW - datetime.timedelta(days=30), NOW + datetime.timedelta(days=365)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attributes))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        path = folder / f"{cert.serial_number}.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"signer", key, cert, [self.cert], serialization.BestAvailableEncryption(b"secret")
            )
        )
        return path


def token_sign(data: bytes, p12: Path, *, claimed: datetime.datetime | None = None) -> bytes:
    """What the chairman's signing tool does: an incremental PAdES signature of the file, with
    the signing time it claims (``claimed``: a tool lying about it)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    class Tool(signers.PdfSigner):
        def init_signing_session(self, *args, **kwargs):
            session = super().init_signing_session(*args, **kwargs)
            session.system_time = claimed or session.system_time
            return session

    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=b"secret")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="ChuTich", subfilter=SigSeedSubFilter.PADES)
    return Tool(meta, signer=signer).sign_pdf(writer).getvalue()


@pytest.fixture(scope="module")
def ca() -> Authority:
    return Authority("Ban Cơ yếu Chính phủ (thử nghiệm)")


@pytest.fixture
def keys(tmp_path, ca, settings) -> dict[str, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    settings.SIGNATURE_TRUST_ROOTS = [str(ca.root_file(folder))]
    return {
        "chairman": ca.pkcs12(folder, "Nguyễn Văn Hùng"),
        "expired": ca.pkcs12(folder, "Trần Văn Cũ", expired=True),
        "stranger": Authority("Tổ chức lạ").pkcs12(folder, "Kẻ Giả Mạo"),
        "agency": ca.pkcs12(folder, "UBND xã thử", organization="Ủy ban nhân dân xã Kỳ Anh"),
    }


@pytest.fixture
def clerk(make_user, commune):
    return make_user("sign_clerk", RoleAssignment.Role.CLERK, commune)


def flip_one_byte(data: bytes) -> bytes:
    """One byte of the first content stream changed (the signed part of the file)."""
    at = data.index(b"stream\n") + 40
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


# --- sign outside, register inside --------------------------------------------------------------


@pytest.mark.django_db
def test_a_decision_signed_with_a_trusted_token_is_kept_as_the_original(decision, clerk, keys, client):
    issued = decision_pdf(decision)
    signed = token_sign(issued, keys["chairman"])
    client.force_login(clerk)
    response = client.post(
        reverse("certification:decision-sign", args=[decision.pk]),
        {"file": _upload(signed)},
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.signed_by == "Nguyễn Văn Hùng"
    assert decision.signed_sha256 == signatures.sha256(signed)
    # The original is what the decision is from now on: the download serves it byte for byte.
    assert client.get(reverse("certification:decision-pdf", args=[decision.pk])).content == signed
    event = AuditEvent.objects.filter(action=Action.DECISION_SIGNED, field="signed_by").get()
    assert (event.old, event.new, event.actor) == ("", "Nguyễn Văn Hùng", clerk)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert "Nguyễn Văn Hùng" in page


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("qd-da-ky.pdf", data, content_type="application/pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("changed", "chữ ký không hợp lệ: tài liệu đã bị sửa sau khi ký"),
        ("other_document", "không khớp với quyết định số"),
        ("untrusted", "không do tổ chức tin cậy cấp"),
        ("expired", "hết hạn"),
        # An expired certificate with a signing time put back to when it was valid: that time is
        # before the decision existed.
        ("backdated", "trước ngày ban hành quyết định"),
        ("unsigned", "không có chữ ký số"),
    ],
)
def test_a_signed_decision_is_refused_with_its_own_reason_and_nothing_is_kept(
    decision, clerk, keys, case, message, client, assessments, commune, approver
):
    issued = decision_pdf(decision)
    if case == "changed":
        data = flip_one_byte(token_sign(issued, keys["chairman"]))
    elif case == "other_document":
        other = Decision.objects.create(
            campaign=decision.campaign, issuer=commune, year=decision.year, signer_name="Nguyễn Văn Hùng"
        )
        other.status = Decision.Status.ISSUED
        other.number = 99
        other.issued_on = decision.issued_on
        other.save()
        data = token_sign(decision_pdf(other), keys["chairman"])
    elif case == "untrusted":
        data = token_sign(issued, keys["stranger"])
    elif case == "expired":
        data = token_sign(issued, keys["expired"])
    elif case == "backdated":
        data = token_sign(issued, keys["expired"], claimed=NOW - datetime.timedelta(days=200))
    else:
        data = issued
    client.force_login(clerk)
    response = client.post(
        reverse("certification:decision-sign", args=[decision.pk]), {"file": _upload(data)}
    )
    assert response.status_code == 200
    assert message in response.content.decode().lower() or message in response.content.decode()
    if case == "other_document":
        assert f"không khớp với quyết định số {decision.reference}" in response.content.decode()
    decision.refresh_from_db()
    assert not decision.signed_pdf and not decision.signed_sha256
    assert not AuditEvent.objects.filter(action=Action.DECISION_SIGNED).exists()


@pytest.mark.django_db
def test_only_the_issuing_bodys_clerk_or_approver_registers_the_original(
    decision, keys, client, viewer, colleague_clerk
):
    signed = token_sign(decision_pdf(decision), keys["chairman"])
    url = reverse("certification:decision-sign", args=[decision.pk])
    client.force_login(viewer)
    assert client.post(url, {"file": _upload(signed)}).status_code == 403
    client.force_login(colleague_clerk)
    assert client.post(url, {"file": _upload(signed)}).status_code == 404
    decision.refresh_from_db()
    assert not decision.signed_pdf


@pytest.mark.django_db
def test_a_signed_decision_still_verifies_after_backup_and_restore(decision, clerk, keys, tmp_path, client):
    signed = token_sign(decision_pdf(decision), keys["chairman"])
    register_signed_decision(decision=decision, by=clerk, data=signed)
    campaign = decision.campaign
    path = tmp_path / "backup.zip"
    backup.write_file(backup.export_campaign(year=campaign.year, province_code=campaign.province.code), path)
    from tests.security.test_backup import wipe

    wipe(campaign)
    backup.import_campaign(backup.read_file(path))
    restored = Decision.objects.get(signed_sha256=signatures.sha256(signed))
    assert restored.signed_by == "Nguyễn Văn Hùng"
    assert decision_pdf(restored) == signed
    found = signatures.read_signatures(decision_pdf(restored), roots=signatures.trust_roots())
    assert [(s.signer, s.intact, s.trusted) for s in found] == [("Nguyễn Văn Hùng", True, True)]
    response = client.post(reverse("verify-pdf"), {"file": _upload(signed)})
    assert "Xác thực" in response.content.decode() or "Đúng bản gốc" in response.content.decode()


# --- anyone can check a PDF ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_public_check_says_genuine_altered_or_revoked(
    decision, certificate, keys, client, approver, settings
):
    settings.SIGNATURE_PKCS12_PATH = str(keys["agency"])
    settings.SIGNATURE_PKCS12_PASSPHRASE = "secret"
    data = certificate_pdf(certificate)
    url = reverse("verify-pdf")
    genuine = client.post(url, {"file": _upload(data)}).content.decode()
    assert "Đúng bản gốc, còn hiệu lực" in genuine
    altered = client.post(url, {"file": _upload(flip_one_byte(data))}).content.decode()
    assert "đã bị sửa sau khi ký" in altered
    assert "Đúng bản gốc" not in altered
    signature_block = {k: v for k, v in decision_fields(decision.issuer).items() if k != "issuer"}
    revocation = revoke_assessment(
        assessment=certificate.assessment, by=approver, reason="Vi phạm", **signature_block
    )
    revoked = client.post(url, {"file": _upload(data)}).content.decode()
    assert "Đúng bản gốc nhưng đã bị thu hồi" in revoked
    assert revocation.reference in revoked  # the revoking decision, named


@pytest.mark.django_db
def test_the_public_check_needs_no_login_and_refuses_what_is_not_a_pdf_or_too_large(client, db, settings):
    url = reverse("verify-pdf")
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        url, {"file": SimpleUploadedFile("x.pdf", b"hello", content_type="application/pdf")}
    )
    assert response.status_code == 200
    assert "không phải là PDF" in response.content.decode()
    settings.SIGNED_PDF_MAX_BYTES = 100
    response = client.post(url, {"file": _upload(b"%PDF-1.7\n" + b" " * 200)})
    assert "Tệp quá lớn" in response.content.decode()


@pytest.mark.django_db
def test_the_public_check_is_rate_limited_like_the_verify_page(client, settings, db):
    settings.VERIFY_RATE_LIMIT = 2
    url = reverse("verify-pdf")
    codes = [client.post(url, {"file": _upload(b"%PDF-1.7\n")}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- the agency's signature on the server -----------------------------------------------------


@pytest.mark.django_db
def test_the_server_signs_what_it_issues_with_the_seal_and_the_time(decision, certificate, keys, settings):
    settings.SIGNATURE_PKCS12_PATH = str(keys["agency"])
    settings.SIGNATURE_PKCS12_PASSPHRASE = "secret"
    for data in (decision_pdf(decision), certificate_pdf(certificate)):
        found = signatures.read_signatures(data)
        assert [(s.signer, s.organization, s.intact, s.trusted, s.whole_file) for s in found] == [
            ("UBND xã thử", "Ủy ban nhân dân xã Kỳ Anh", True, True, True)
        ]
        text = pdf_text(data)
        assert "Ủy ban nhân dân xã Kỳ Anh" in text
        assert "+07:00" in text  # the signing time, ISO 8601, Vietnam time


@pytest.mark.django_db
def test_the_chairman_signs_over_the_agency_signature_and_both_are_kept(decision, clerk, keys, settings):
    settings.SIGNATURE_PKCS12_PATH = str(keys["agency"])
    settings.SIGNATURE_PKCS12_PASSPHRASE = "secret"
    signed = token_sign(decision_pdf(decision), keys["chairman"])
    register_signed_decision(decision=decision, by=clerk, data=signed)
    decision.refresh_from_db()
    assert decision.signed_by == "Nguyễn Văn Hùng"
    found = signatures.read_signatures(decision_pdf(decision))
    assert [(s.signer, s.intact, s.trusted) for s in found] == [
        ("UBND xã thử", True, True),
        ("Nguyễn Văn Hùng", True, True),
    ]


@pytest.mark.django_db
def test_a_print_job_is_signed_too_and_its_single_pdfs_pass_the_public_check(
    decision, clerk, keys, settings, media_root, django_capture_on_commit_callbacks, client
):
    settings.SIGNATURE_PKCS12_PATH = str(keys["agency"])
    settings.SIGNATURE_PKCS12_PASSPHRASE = "secret"
    with django_capture_on_commit_callbacks(execute=True):
        job = start_print_job(decision=decision, by=clerk)
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE and job.zip, job.error
    merged = (media_root / job.pdf.name).read_bytes()
    assert [(s.signer, s.intact, s.whole_file) for s in signatures.read_signatures(merged)] == [
        ("UBND xã thử", True, True)
    ]
    with zipfile.ZipFile(media_root / job.zip.name) as archive:
        singles = [archive.read(name) for name in archive.namelist()]
    assert len(singles) == decision.certificates.count()
    for single in singles:
        assert [s.trusted for s in signatures.read_signatures(single)] == [True]
        assert "Ủy ban nhân dân xã Kỳ Anh" in pdf_text(single)  # the seal's text on the page
    response = client.post(reverse("verify-pdf"), {"file": _upload(singles[0])})
    assert "Đúng bản gốc, còn hiệu lực" in response.content.decode()


def test_a_wrong_key_path_passphrase_or_root_fails_the_system_check(keys, settings, tmp_path):
    assert signatures.check_configuration() == []
    settings.SIGNATURE_PKCS12_PATH = str(keys["agency"])
    settings.SIGNATURE_PKCS12_PASSPHRASE = "secret"
    assert signatures.check_configuration() == []
    settings.SIGNATURE_PKCS12_PASSPHRASE = "wrong"
    settings.SIGNATURE_TRUST_ROOTS = [str(tmp_path / "missing.pem")]
    assert [e.id for e in signatures.check_configuration()] == ["antt.E201", "antt.E202"]
