"""What the agency's signature on the server costs (issue 21; numbers in docs/signatures.md).

On synthetic certificates (``bench.pdf.synthetic_certificates``: no database) and a key made
for the run (a throw-away CA, RSA 2048, in a temporary folder), in one warm process:

* a certificate rendered unsigned (what the server did before) and rendered with the seal and
  signed (``pdf.write_issued_pdf`` with ``SIGNATURE_PKCS12_PATH`` set), per certificate;
* the signature alone (``signatures.sign`` on an already rendered PDF);
* reading one back (``signatures.read_signatures``: what the public check does);
* one signature over a merged print-job PDF of ``--merged`` certificates, with the peak RSS of
  the process (the merged file is read whole by pyHanko).

Usage::

    DJANGO_SETTINGS_MODULE=antt.settings .venv/bin/python -m bench.signatures --n 40 --merged 500
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.pdf import _setup, synthetic_certificates


def make_key(folder: Path) -> tuple[Path, Path]:
    """A root CA and an agency certificate it issued, as PEM and PKCS#12 (passphrase "bench")."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench root")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "UBND phường Vũng Áng"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ủy ban nhân dân phường Vũng Áng"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    root, p12 = folder / "root.pem", folder / "agency.p12"
    root.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"agency", key, cert, [ca], serialization.BestAvailableEncryption(b"bench")
        )
    )
    return root, p12


def _per_item(run, items) -> float:
    times = []
    for item in items:
        start = time.perf_counter()
        run(item)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(n: int, merged_pages: int) -> dict:
    _setup()
    from django.conf import settings

    from certification.documents import certificates, pdf, printing, signatures

    folder = Path(tempfile.mkdtemp(prefix="antt-bench-sign-"))
    root, p12 = make_key(folder)
    settings.SIGNATURE_TRUST_ROOTS = [str(root)]
    pdf.warm_up("certificate")
    items = synthetic_certificates(n)
    htmls = [certificates.certificates_html([c]) for c in items]
    result: dict = {"n": n}
    settings.SIGNATURE_PKCS12_PATH = ""
    result["unsigned_ms"] = _per_item(lambda h: pdf.write_issued_pdf(h, stylesheets=["certificate"]), htmls)
    settings.SIGNATURE_PKCS12_PATH, settings.SIGNATURE_PKCS12_PASSPHRASE = str(p12), "bench"
    pdf.write_issued_pdf(htmls[0], stylesheets=["certificate"])  # load the key once
    signed = []
    result["signed_ms"] = _per_item(
        lambda h: signed.append(pdf.write_issued_pdf(h, stylesheets=["certificate"])), htmls
    )
    plain = [pdf.write_pdf(h, stylesheets=["certificate"]) for h in htmls]
    result["sign_only_ms"] = _per_item(lambda d: signatures.sign(d), plain)
    result["read_ms"] = _per_item(lambda d: signatures.read_signatures(d), signed)
    result["bytes_unsigned"] = statistics.median(len(d) for d in plain)
    result["bytes_signed"] = statistics.median(len(d) for d in signed)

    chunks = [
        certificates.render_certificates_pdf(synthetic_certificates(min(merged_pages, s + 50))[s:])
        for s in range(0, merged_pages, 50)
    ]
    buffer = io.BytesIO()
    printing.merge_pdfs(chunks, buffer)
    merged = buffer.getvalue()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    signatures.sign(merged)
    result["merged_pages"] = merged_pages
    result["merged_mb"] = round(len(merged) / 2**20, 1)
    result["merged_sign_s"] = round(time.perf_counter() - start, 2)
    result["peak_rss_mb_before_merged_sign"] = round(rss_before / 1024)
    result["peak_rss_mb_after_merged_sign"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="certificates rendered one by one")
    parser.add_argument("--merged", type=int, default=500, help="pages of the merged PDF signed once")
    args = parser.parse_args()
    print(json.dumps(measure(args.n, args.merged), indent=2))
