"""Screenshots of each role's home page at phone and desktop width, for docs/ui.md.

    .venv/bin/python tests/browser/screenshots.py            # → docs/screenshots/<role>-<width>.png
    .venv/bin/python tests/browser/screenshots.py --out /tmp/shots --role officer

Run by hand (not part of the test suite). Builds the deterministic demo province of
tests/ui/demo.py in a throwaway SQLite database, moves this year's calendar so the campaign is
still open (as certification.data.demo does), serves the app in this process with the latest
Vietnamese translations, and logs every user in through the login form in Debian's chromium.
The approver of Phường Vũng Áng first recognizes two residential areas in one decision, so the
clerk has a decision to print.
"""

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ROLES = {  # role → demo user (tests/ui/demo.py)
    "officer": "officer",
    "appraiser": "appraiser",
    "approver": "approver",
    "clerk": "clerk",
    "leader": "leader",
    "admin": "admin",
}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE_MAX_HEIGHT = 2600  # CSS pixels of a full-page phone screenshot


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def prepare(var_dir: Path, catalog_dir: Path) -> None:
    os.environ["ANTT_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    from tests.browser.helpers import compile_catalog

    if compile_catalog(catalog_dir):
        from django.conf import settings

        override_settings(LOCALE_PATHS=[catalog_dir, *settings.LOCALE_PATHS]).enable()
    call_command("migrate", verbosity=0)

    from django.utils import timezone

    from certification.data.demo import demo_dates
    from certification.models import Campaign
    from tests.ui.demo import build

    build()
    today = timezone.localdate()
    campaign = Campaign.objects.order_by("-year").first()
    Campaign.objects.filter(pk=campaign.pk).update(**demo_dates(campaign.year, today))
    issue_decisions(campaign, today)


def issue_decisions(campaign, today) -> None:
    """The demo has no decision yet: the approver of Phường Vũng Áng recognizes the two
    residential areas waiting longest, in one decision, so the clerk has something to print."""
    from django.contrib.auth import get_user_model

    from certification.models import Assessment
    from certification.services import transitions
    from tests.builders import decision_fields
    from units.models import Unit

    approver = get_user_model().objects.get(username="approver")
    commune = Unit.objects.get(code="18823")
    waiting = Assessment.objects.filter(
        campaign=campaign,
        status=Assessment.Status.APPRAISED,
        unit__parent=commune,
        unit__kind=Unit.Kind.RESIDENTIAL_AREA,
    ).order_by("appraised_at")[:2]
    fields = decision_fields(commune, issued_on=today, signer_name="Lê Quốc Hùng", place=commune.name)
    waiting = list(waiting)
    # A unit the engine fails is recognized only with a written reason (issue 20, point 2).
    reason = "Đã xác minh thực tế tại địa bàn; số liệu tăng do vụ việc của người ngoài địa bàn."
    transitions.recognize(
        assessments=waiting, by=approver, overrides={a.pk: reason for a in waiting}, **fields
    )


def serve():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.core.wsgi import get_wsgi_application

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def shoot(base_url: str, out: Path, roles: list[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import launch_browser
    from tests.ui.demo import PASSWORD

    written = []
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        for role in roles:
            for width, options in (("phone", PHONE), ("desktop", DESKTOP)):
                context = browser.new_context(locale="vi-VN", base_url=base_url, **options)
                page = context.new_page()
                page.goto("/login/")
                page.locator("#id_username").fill(ROLES[role])
                page.locator("#id_password").fill(PASSWORD)
                page.locator("form button[type=submit]").click()
                page.wait_for_url(f"{base_url}/")
                page.wait_for_load_state("networkidle")
                path = out / f"{role}-{width}.png"
                if width == "phone":
                    height = min(page.evaluate("document.documentElement.scrollHeight"), PHONE_MAX_HEIGHT)
                    page.screenshot(
                        path=path, full_page=True, clip={"x": 0, "y": 0, "width": 390, "height": height}
                    )
                else:
                    page.screenshot(path=path)
                shrink(path)
                written.append(path)
                context.close()
        browser.close()
    return written


def shrink(path: Path) -> None:
    """256 colours are plenty for flat UI colours and anti-aliased text: about a third the size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--role", action="append", choices=sorted(ROLES), help="only these roles (repeatable)"
    )
    args = parser.parse_args()
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        sys.exit("chromium is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="antt-screenshots-") as tmp:
        prepare(Path(tmp) / "var", Path(tmp) / "locale")
        server, base_url = serve()
        try:
            for path in shoot(base_url, args.out, args.role or list(ROLES)):
                print(
                    f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KiB"
                )
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
