"""Documents fixtures: a campaign with a minimal criteria set, recognized assessments built with
the ORM, an issued decision with its certificates, and PDF inspection helpers (poppler)."""

import datetime
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from certification.documents.certificates import create_certificates
from certification.documents.decisions import issue_decision
from certification.models import Assessment, Campaign, CriteriaSet, Decision, PrintJob
from certification.models.criteria import UnitKind
from certification.services.printing import start_print_job
from units.models import RoleAssignment, Unit

ROOT = Path(__file__).resolve().parents[3]
PARTS = ROOT / "locale" / "vi" / "parts"
YEAR = 2026


@pytest.fixture(scope="session")
def _documents_catalog(tmp_path_factory) -> Path:
    """Our Vietnamese part compiled on its own, so the tests do not wait for the lead's merge."""
    locale_dir = tmp_path_factory.mktemp("locale")
    target = locale_dir / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(target / "django.mo"), str(PARTS / "documents.po")], check=True
    )
    return locale_dir


@pytest.fixture(autouse=True)
def _vietnamese(settings, _documents_catalog, tmp_path):
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, _documents_catalog]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_BASE_URL = "https://antt.example.vn"
    settings.LANGUAGE_CODE = "vi"


@pytest.fixture
def kdc_set(db) -> CriteriaSet:
    return CriteriaSet.objects.create(
        family="docs-kdc",
        unit_kind=UnitKind.RESIDENTIAL_AREA,
        name="Tiêu chí khu dân cư",
        legal_basis="Thông tư 124/2021/TT-BCA",
        year_from=2022,
        status=CriteriaSet.Status.PUBLISHED,
    )


def make_campaign(province: Unit, year: int, criteria_set: CriteriaSet) -> Campaign:
    campaign = Campaign.objects.create(year=year, province=province, **Campaign.default_dates(year))
    campaign.criteria_sets.add(criteria_set)
    return campaign


@pytest.fixture
def campaign(province, kdc_set) -> Campaign:
    return make_campaign(province, YEAR, kdc_set)


def recognize(assessments, *, issuer: Unit, by, issued_on=datetime.date(YEAR, 11, 12), **fields) -> Decision:
    """What services.recognize does, reduced to the documents part."""
    campaign = assessments[0].campaign
    decision = Decision.objects.create(
        campaign=campaign,
        issuer=issuer,
        year=campaign.year,
        issued_on=issued_on,
        place=fields.pop("place", "Kỳ Anh"),
        signer_title=fields.pop("signer_title", "Chủ tịch"),
        signer_name=fields.pop("signer_name", "Nguyễn Văn Hùng"),
        **fields,
    )
    for a in assessments:
        a.status = Assessment.Status.RECOGNIZED
        a.decision = decision
        a.save(update_fields=["status", "decision"])
    decision = issue_decision(decision=decision, by=by)
    create_certificates(decision=decision, by=by)
    return decision


def print_decision(decision: Decision, by, capture) -> PrintJob:
    """Print ``decision`` as a clerk does, its tasks run on commit (``capture``:
    ``django_capture_on_commit_callbacks``); the job as it ended."""
    with capture(execute=True):
        job = start_print_job(decision=decision, by=by)
    job.refresh_from_db()
    return job


@pytest.fixture
def assessments(campaign, areas, kdc_set) -> list[Assessment]:
    return [
        Assessment.objects.create(
            campaign=campaign, unit=unit, criteria_set=kdc_set, status=Assessment.Status.APPRAISED
        )
        for unit in areas
    ]


@pytest.fixture
def decision(assessments, commune, approver) -> Decision:
    return recognize(assessments, issuer=commune, by=approver)


@pytest.fixture
def certificate(decision):
    return decision.certificates.order_by("register_number").first()


@pytest.fixture
def viewer(make_user, commune):
    return make_user("viewer", RoleAssignment.Role.VIEWER, commune)


@pytest.fixture
def colleague_clerk(make_user, other_commune):
    return make_user("colleague_clerk", RoleAssignment.Role.CLERK, other_commune)


@pytest.fixture
def outsider_clerk(make_user, other_province):
    return make_user("outsider_clerk", RoleAssignment.Role.CLERK, other_province)


def _run(tool: str, data: bytes, *args: str, trailing: tuple[str, ...] = ()) -> str:
    """The stdout of a poppler tool run as ``tool *args <file> *trailing`` on ``data``."""
    if not shutil.which(tool):
        pytest.fail(f"{tool} (Debian poppler-utils) is required")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(
            [tool, *args, fh.name, *trailing], check=True, capture_output=True, text=True
        ).stdout


def pdf_text(data: bytes) -> str:
    """pdftotext output with line breaks and runs of spaces folded (phrases may wrap)."""
    return " ".join(_run("pdftotext", data, trailing=("-",)).split())


def pdf_layout_text(data: bytes) -> str:
    """pdftotext -layout: a table's row stays on one line."""
    return _run("pdftotext", data, "-layout", trailing=("-",))


def pdf_pages(data: bytes) -> int:
    for line in _run("pdfinfo", data).splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def pdf_fonts(data: bytes) -> set[str]:
    """Base font names without the subset prefix: {'LiberationSerif-Bold', …}."""
    out = _run("pdffonts", data)
    names = set()
    for line in out.splitlines()[2:]:
        name = line.split()[0]
        names.add(name.split("+", 1)[-1])
    return names


NATIONAL_MOTTO = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]


def assert_official_pdf(data: bytes, phrases: list[str]) -> str:
    """``data`` shows the national motto and every one of ``phrases`` (the first missing one is
    named), in embedded Liberation Serif only. Returns the text."""
    text = pdf_text(data)
    for phrase in [*NATIONAL_MOTTO, *phrases]:
        assert phrase in text, phrase
    fonts = pdf_fonts(data)
    assert fonts and all(name.startswith("Liberation-Serif") for name in fonts), fonts
    return text


@pytest.fixture
def media_root(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def fresh_cache():
    """An empty cache before and after (the public pages' rate limits count in it)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


MM = 72 / 25.4  # PDF points per millimetre


def pdf_lines(data: bytes) -> list[dict]:
    """Every text line of ``data`` as poppler lays it out: its page (from 1), the page's ``size``,
    ``xMin``, ``yMin``, ``xMax``, ``yMax`` in millimetres from the page's top left corner, ``text``."""
    root = ET.fromstring(_run("pdftotext", data, "-bbox-layout", trailing=("-",)))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    lines = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        size = (float(page.get("width")) / MM, float(page.get("height")) / MM)
        for line in page.iterfind(".//x:line", ns):
            words = [w.text or "" for w in line.iterfind("x:word", ns)]
            lines.append(
                {
                    "page": number,
                    "size": size,
                    **{k: float(line.get(k)) / MM for k in ("xMin", "yMin", "xMax", "yMax")},
                    "text": " ".join(words),
                }
            )
    return lines


def assert_nd30_layout(data: bytes, *, signer_name: str) -> list[dict]:
    """The page layout of NĐ 30/2020 Phụ lục I (as the decision has it): A4 portrait; the text
    inside margins of 20-25 mm top and bottom, 30-35 mm left, 15-20 mm right (page numbers
    from page 2 in the top margin); "Nơi nhận:" bottom left; the signer's name on the right,
    on the same page, below the signature block. Returns the lines."""
    lines = pdf_lines(data)
    assert lines
    for line in lines:
        width, height = line["size"]
        assert abs(width - 210) < 1 and abs(height - 297) < 1, line["size"]
        assert line["xMin"] >= 30 - 0.5, line  # left margin 30-35 mm
        assert line["xMax"] <= 210 - 15 + 0.5, line  # right margin 15-20 mm
        assert line["yMax"] <= 297 - 20 + 0.5, line  # bottom margin 20-25 mm
        if line["yMin"] < 20 - 0.5:  # only the page number sits in the top margin, from page 2
            assert line["page"] > 1 and line["text"] == str(line["page"]), line
    recipients = [line for line in lines if line["text"].startswith("Nơi nhận")]
    names = [line for line in lines if line["text"] == signer_name]
    assert len(recipients) == 1 and names, (recipients, names)
    recipients_line, name = recipients[0], names[-1]
    assert recipients_line["xMax"] < 105 and name["xMin"] > 105  # left and right halves
    assert recipients_line["page"] == name["page"] and name["yMin"] > recipients_line["yMin"]
    return lines


def signature_block(data: bytes, signer_name: str) -> list[str]:
    """The NĐ 30 layout checked (:func:`assert_nd30_layout`), then the lines of the signature
    block: on the right, between "Nơi nhận:" and the signer's name."""
    lines = assert_nd30_layout(data, signer_name=signer_name)
    name = next(line for line in lines if line["text"] == signer_name)
    label = next(line for line in lines if line["text"].startswith("Nơi nhận"))
    return [
        line["text"]
        for line in lines
        if line["page"] == name["page"]
        and line["xMin"] > 105
        and label["yMin"] - 1 < line["yMin"] < name["yMin"]
    ]
