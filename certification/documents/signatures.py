"""Digital signatures of the register's documents, with pyHanko (Nghị định 30/2020/NĐ-CP).

* :func:`check_signed` validates a decision signed outside (the chairman's USB token in his own
  signing tool, Art. 13(7)): every signature intact, the last one covering the whole file, the
  signed revision beginning byte for byte with the issued PDF, the signer's certificate valid at
  the signing time and chained to a trust root the administrator configured
  (``SIGNATURE_TRUST_ROOTS``). Anything else raises :class:`SignatureRefused` with the reason.
* :func:`inspect` reads any PDF for the public check (Art. 21(2)(a)): what its signatures say.
* :func:`sign` applies the agency's signature (Art. 17(2)) with the PKCS#12 key the administrator
  configured (``SIGNATURE_PKCS12_PATH``), with the visible seal of Phụ lục I: the red seal over the
  left third of the blue signature image, the agency's name and the signing time (ISO 8601,
  Vietnam time) in 10 pt.

No network: certificates are not fetched, revocation is not looked up online (soft-fail); the
trust roots are the only anchors.
"""

import base64
import datetime
import functools
import hashlib
import io
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext as _

from antt.errors import WorkflowError

FIELD_NAME = "ChuKyCoQuan"
ANCHOR = "chu-ky"  # the id of the element the visible seal is placed on (decision and certificate)
VIETNAM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
# A signing time claimed a little ahead of the server's clock (clocks drift) is accepted.
CLOCK_SKEW = datetime.timedelta(minutes=5)


class SignatureRefused(WorkflowError):
    """A signed PDF that cannot be accepted; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class SignatureInfo:
    signer: str  # the signer's name (common name of the certificate)
    organization: str
    signed_at: datetime.datetime | None
    intact: bool  # the bytes it covers are unchanged
    trusted: bool  # chain to a configured trust root, valid at the signing time
    whole_file: bool  # it covers the file to its last byte
    expired: bool  # the certificate was not valid at the signing time
    revision_end: int  # where the signed revision ends in the file


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


# --- trust ---------------------------------------------------------------------------------------


@functools.cache
def _load_roots(paths: tuple[str, ...]) -> tuple:
    from pyhanko.keys import load_certs_from_pemder

    return tuple(load_certs_from_pemder(list(paths))) if paths else ()


def trust_roots() -> tuple:
    """The configured trust roots (asn1crypto certificates), read once per process; none when
    a file cannot be read (the system check names it: nothing is trusted until it is fixed)."""
    try:
        return _load_roots(tuple(settings.SIGNATURE_TRUST_ROOTS))
    except Exception:  # noqa: BLE001 - a missing or malformed file
        return ()


def _roots_with_agency() -> tuple:
    """Trust roots for reading: the configured ones and, when the server signs, the chain of its
    own key (a document the server signed is the register's even where no root is configured)."""
    roots = list(trust_roots())
    try:
        agency = _agency_signer()
    except ValueError:  # a wrong key setting (the system check names it) does not stop a check
        agency = None
    if agency is not None:
        roots.append(agency.signing_cert)
    return tuple(roots)


def _name(cert, field: str) -> str:
    try:
        return str(cert.subject.native.get(field, "") or "")
    except Exception:  # noqa: BLE001 - a malformed name is shown as nothing
        return ""


def _signing_time(embedded) -> datetime.datetime | None:
    try:
        return embedded.self_reported_timestamp
    except Exception:  # noqa: BLE001
        return None


def _validate(embedded, roots: tuple, now: datetime.datetime) -> SignatureInfo:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    cert = embedded.signer_cert
    claimed = _signing_time(embedded)
    # Validate at the time the signer claims, but never later than now (a future date is no
    # way to use a certificate past its end) and never before the file's own revision existed
    # (the issued PDF is checked against its stored bytes by the caller).
    moment = min(claimed, now) if claimed else now
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    expired = not (not_before <= moment <= not_after)
    intact = trusted = False
    whole = False
    try:
        context = ValidationContext(
            trust_roots=list(roots), moment=moment, allow_fetching=False, revocation_mode="soft-fail"
        )
        status = validate_pdf_signature(
            embedded,
            context,
            key_usage_settings=KeyUsageConstraints(
                key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
            ),
        )
        intact = bool(status.intact and status.valid)
        trusted = bool(roots) and intact and bool(status.trusted) and not expired
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    except Exception:  # noqa: BLE001 - a signature pyHanko cannot evaluate is not intact
        intact = trusted = False
    _, len1, start2, len2 = (int(x) for x in embedded.byte_range)
    return SignatureInfo(
        signer=_name(cert, "common_name"),
        organization=_name(cert, "organization_name"),
        signed_at=claimed,
        intact=intact,
        trusted=trusted,
        whole_file=whole,
        expired=expired,
        revision_end=start2 + len2,
    )


def read_signatures(data: bytes, *, roots: tuple | None = None) -> list[SignatureInfo]:
    """The signatures of ``data`` in the order they were applied; [] for a PDF without any.
    Raises ValueError when ``data`` is not a readable PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not is_pdf(data):
        raise ValueError("not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as error:  # noqa: BLE001 - pyHanko raises many kinds on a broken file
        raise ValueError(str(error)) from error
    now = datetime.datetime.now(datetime.UTC)
    roots = _roots_with_agency() if roots is None else roots
    return [_validate(sig, roots, now) for sig in embedded]


def check_signed(
    data: bytes, *, original: bytes, reference: str, issued_at: datetime.datetime | None = None
) -> list[SignatureInfo]:
    """Accept ``data`` as the signed original of the document whose issued PDF is ``original``
    (the decision ``reference``, issued at ``issued_at``), or raise :class:`SignatureRefused`
    saying why. Returns the signatures added to ``original``."""
    try:
        signatures = read_signatures(data, roots=trust_roots())
    except ValueError as error:
        raise SignatureRefused(_("The file is not a readable PDF.")) from error
    if not signatures:
        raise SignatureRefused(_("The PDF carries no digital signature."))
    if not all(s.intact for s in signatures) or not signatures[-1].whole_file:
        raise SignatureRefused(_("Invalid signature: the document was changed after it was signed."))
    # The signatures added to the issued PDF (the agency's own, applied by the server, is inside it).
    added = [s for s in signatures if s.revision_end > len(original)]
    if not original or not data.startswith(original) or not added:
        raise SignatureRefused(
            _("The signed document does not match decision no. %(reference)s.") % {"reference": reference}
        )
    now = datetime.datetime.now(datetime.UTC)
    for s in added:
        # The signing time is the signer's claim. It cannot be before the document existed (a
        # certificate that expired since would otherwise pass with a back-dated signature) nor
        # after now.
        early = issued_at is not None and s.signed_at is not None and s.signed_at < issued_at - CLOCK_SKEW
        if s.signed_at is None or early or s.signed_at > now + CLOCK_SKEW:
            raise SignatureRefused(
                _(
                    "The signing time given by %(signer)s (%(time)s) is before the decision was issued or in the future."
                )
                % {"signer": s.signer, "time": _local(s.signed_at)}
            )
        if s.expired:
            raise SignatureRefused(
                _(
                    "The certificate of %(signer)s was not valid at the signing time (%(time)s): expired or not yet valid."
                )
                % {"signer": s.signer, "time": _local(s.signed_at)}
            )
    if not trust_roots():
        raise SignatureRefused(
            _("No trust root is configured (SIGNATURE_TRUST_ROOTS): ask the administrator.")
        )
    for s in added:
        if not s.trusted:
            raise SignatureRefused(
                _("The certificate of %(signer)s was not issued by a trusted authority.")
                % {"signer": s.signer}
            )
    return added


def _local(moment: datetime.datetime | None) -> str:
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds") if moment else "?"


def check_configuration(app_configs=None, **kwargs) -> list:
    """``manage.py check`` (and every server start): the trust roots, the agency's key and its
    images can be read, so a wrong path or passphrase shows at start-up, not at the first
    issued document."""
    from django.core import checks

    errors = []
    for path in settings.SIGNATURE_TRUST_ROOTS:
        try:
            _load_roots((path,))
        except Exception as error:  # noqa: BLE001 - any failure: the file is unusable
            errors.append(checks.Error(f"SIGNATURE_TRUST_ROOTS: cannot read {path}: {error}", id="antt.E201"))
    if settings.SIGNATURE_PKCS12_PATH:
        try:
            _agency_signer()
        except Exception as error:  # noqa: BLE001
            errors.append(
                checks.Error(
                    f"SIGNATURE_PKCS12_PATH: cannot read {settings.SIGNATURE_PKCS12_PATH} "
                    f"with SIGNATURE_PKCS12_PASSPHRASE: {error}",
                    id="antt.E202",
                )
            )
    images = {
        "SIGNATURE_SEAL_IMAGE": settings.SIGNATURE_SEAL_IMAGE,
        "SIGNATURE_SIGNER_IMAGE": settings.SIGNATURE_SIGNER_IMAGE,
    }
    for name, path in images.items():
        if path:
            try:
                from PIL import Image

                Image.open(path).verify()
            except Exception as error:  # noqa: BLE001
                errors.append(checks.Error(f"{name}: cannot read the image {path}: {error}", id="antt.E203"))
    return errors


# --- the agency's signature ------------------------------------------------------------------------


def _fast_signer(signer):
    """pyHanko's SimpleSigner loads the private key from DER on every signature (and signs once
    more to estimate the size): about 0.2 s a document. This one loads it once and answers the
    size estimate without signing."""
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers

    class FastSigner(signers.SimpleSigner):
        _key = None

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            if dry_run:
                return bytes(self.signing_cert.public_key.byte_size * 2)
            if self._key is None:
                self._key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            return self._sign_with(self._key, data, digest_algorithm)

        def _sign_with(self, key, data: bytes, digest_algorithm: str) -> bytes:
            from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
            from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
            from pyhanko.sign.general import get_pyca_cryptography_hash

            if (
                isinstance(key, RSAPrivateKey)
                and self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
                == "rsassa_pkcs1v15"
            ):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return self.sign_raw(data, digest_algorithm)  # other keys: pyHanko's own way

    return FastSigner(
        signing_cert=signer.signing_cert,
        signing_key=signer.signing_key,
        cert_registry=signer.cert_registry,
        signature_mechanism=signer.signature_mechanism,
    )


@functools.cache
def _load_signer(path: str, passphrase: str):
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase.encode() if passphrase else None)
    if signer is None:
        raise ValueError(f"cannot read the PKCS#12 file {path}")
    return _fast_signer(signer)


def _agency_signer():
    if not settings.SIGNATURE_PKCS12_PATH:
        return None
    return _load_signer(settings.SIGNATURE_PKCS12_PATH, settings.SIGNATURE_PKCS12_PASSPHRASE)


def server_signs() -> bool:
    """The administrator configured the agency's key: issued documents are signed."""
    return bool(settings.SIGNATURE_PKCS12_PATH)


def agency_name() -> str:
    signer = _agency_signer()
    if signer is None:
        return ""
    cert = signer.signing_cert
    return _name(cert, "organization_name") or _name(cert, "common_name")


@functools.cache
def _appearance_png(seal_path: str, signer_path: str) -> str:
    """The seal (red) over the left third of the signature image (blue), as a PNG data URI."""
    from PIL import Image, ImageDraw

    if signer_path:
        signature = Image.open(signer_path).convert("RGBA")
    else:
        signature = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    height = signature.height
    if seal_path:
        seal = Image.open(seal_path).convert("RGBA")
    else:
        # A plain red double ring where no seal image is configured (docs/signatures.md).
        size = 400
        seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(seal)
        draw.ellipse((8, 8, size - 8, size - 8), outline=(200, 16, 32, 255), width=14)
        draw.ellipse((52, 52, size - 52, size - 52), outline=(200, 16, 32, 255), width=6)
        draw.regular_polygon((size / 2, size / 2, 60), 5, fill=(200, 16, 32, 255))
    seal = seal.resize((max(1, round(seal.width * height / seal.height)), height))
    # The seal's centre on the boundary of the signature's left third: it covers about a third.
    left = max(0, round(signature.width / 3 - seal.width / 2))
    width = max(signature.width, left + seal.width)
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    canvas.alpha_composite(signature, (width - signature.width, 0))
    canvas.alpha_composite(seal, (left, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def with_seal(html: str, signing_time: datetime.datetime) -> str:
    """``html`` with the image of the agency's signature in its ``#chu-ky`` element (Phụ lục I):
    the seal over the left third of the signature image, the agency's name and the signing time
    (ISO 8601, Vietnam time) in 10 pt. Drawn by WeasyPrint with the page: real text in the
    document's font, and covered by the signature like the rest of the page."""
    marker = f'id="{ANCHOR}"></'
    if marker not in html:
        return html
    image = _appearance_png(settings.SIGNATURE_SEAL_IMAGE, settings.SIGNATURE_SIGNER_IMAGE)
    seal = (
        f'id="{ANCHOR}"><img class="seal-image" src="{image}" alt="">'
        f'<span class="seal-text">{escape(agency_name())}<br>{signing_time.isoformat()}</span></'
    )
    return html.replace(marker, seal, 1)


def signing_time() -> datetime.datetime:
    return datetime.datetime.now(VIETNAM).replace(microsecond=0)


@dataclass(frozen=True)
class Place:
    """Where the signature field goes: page index and box (x1, y1, x2, y2) in PDF points."""

    page: int
    box: tuple[float, float, float, float]


@functools.cache
def _blank_style():
    from pyhanko.stamp import TextStampStyle

    # The seal is drawn on the page itself (with_seal): the field only marks where it is, so a
    # click on the seal in a PDF reader opens the signature's details.
    return TextStampStyle(stamp_text=" ", border_width=0)


def sign(data: bytes, *, place: Place | None = None, at: datetime.datetime | None = None) -> bytes:
    """``data`` with the agency's signature appended as an incremental update (the bytes before
    stay as they are), its field over ``place`` (invisible without one), signed at ``at`` (the
    time drawn by :func:`with_seal`). ``data`` unchanged when no key is configured."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _agency_signer()
    if signer is None:
        return data
    at = at or signing_time()

    class AtTime(signers.PdfSigner):
        def init_signing_session(self, *args, **kwargs):
            session = super().init_signing_session(*args, **kwargs)
            session.system_time = at  # the signing time is the one printed with the seal
            return session

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    names = {name for name, *_ in fields.enumerate_sig_fields(writer)}
    name, n = FIELD_NAME, 1
    while name in names:
        n += 1
        name = f"{FIELD_NAME}{n}"
    spec = fields.SigFieldSpec(
        sig_field_name=name,
        on_page=place.page if place else 0,
        box=tuple(round(v) for v in place.box) if place else None,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        reason=_("Agency signature"),
        location=agency_name(),
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = AtTime(meta, signer=signer, stamp_style=_blank_style(), new_field_spec=spec)
    return pdf_signer.sign_pdf(writer, bytes_reserved=_reserve(signer)).getvalue()


@functools.cache
def _reserve_for(cert_bytes: int, key_bytes: int) -> int:
    return 2 * (cert_bytes + 2 * key_bytes + 2048)  # hex digits in the file: twice the DER bytes


def _reserve(signer) -> int:
    """Room for the CMS: its certificates, the signature value and 2 KB of attributes. Given, it
    spares pyHanko a dry run of the whole signature to measure it (a third of the time)."""
    certs = [signer.signing_cert, *signer.cert_registry]
    return _reserve_for(sum(len(c.dump()) for c in certs), signer.signing_cert.public_key.byte_size)


def anchor_place(pages) -> Place | None:
    """The box of the element ``#chu-ky`` in a rendered WeasyPrint document (its anchors are
    CSS pixels from the top left; PDF points run from the bottom left). The element's size is
    fixed in the stylesheets: SEAL_WIDTH_MM × SEAL_HEIGHT_MM."""
    for index, page in enumerate(pages):
        point = page.anchors.get(ANCHOR)
        if point is None:
            continue
        x, y = point[0] * 0.75, point[1] * 0.75
        page_height = page.height * 0.75
        width, height = SEAL_WIDTH_MM * 72 / 25.4, SEAL_HEIGHT_MM * 72 / 25.4
        return Place(page=index, box=(x, page_height - y - height, x + width, page_height - y))
    return None


SEAL_WIDTH_MM = 75
SEAL_HEIGHT_MM = 24
