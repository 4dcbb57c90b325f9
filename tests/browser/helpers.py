"""Small helpers for the browser tests: saved-state checks, PDFs and QR codes,
accessibility (axe-core on every page a test visits) and phone widths."""

import json
import re
import shutil
import subprocess
from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
SAVED = "Đã lưu"


def compile_catalog(base: Path) -> Path | None:
    """locale/vi/parts/*.po merged (first translation wins) and compiled into ``base``/vi/LC_MESSAGES,
    so pages show the latest Vietnamese even before scripts/i18n merged it. None without gettext."""
    parts = sorted((ROOT / "locale" / "vi" / "parts").glob("*.po"))
    if not parts or not (shutil.which("msgcat") and shutil.which("msgfmt")):
        return None
    target = base / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    merged = base / "merged.po"
    subprocess.run(
        ["msgcat", "--use-first", "-o", str(merged), *map(str, parts)], check=True, capture_output=True
    )
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True, capture_output=True)
    return base


def expect_saved(container: Locator) -> None:
    """The inline save of a row or section reported success (without a page reload)."""
    expect(container.locator(".save-state")).to_have_text(SAVED)


def confirm_appraisal(page: Page, assessment) -> None:
    """The appraiser confirms ``assessment`` from its page (Thẩm định → Xác nhận thẩm định)."""
    page.goto(assessment.get_absolute_url())
    page.get_by_role("link", name="Thẩm định", exact=True).click()
    page.get_by_role("button", name="Xác nhận thẩm định").click()
    expect_message(page, "Đã ghi nhận kết quả thẩm định. Hồ sơ chờ quyết định.")


def fill_meeting(page: Page, *, day, chair: str) -> None:
    """The residential area's meeting on the entry page (date, chair, two attendees), saved."""
    dossier = page.locator("#dossier")
    dossier.get_by_label("Ngày họp").fill(day.isoformat())
    dossier.get_by_label("Người chủ trì").fill(chair)
    names, roles = dossier.get_by_label("Họ tên"), dossier.get_by_label("Vai trò")
    for i, (name, role) in enumerate(
        [("Trần Thị Bình", "Bí thư chi bộ"), ("Lê Văn Cường", "Công an phường")]
    ):
        names.nth(i).fill(name)
        roles.nth(i).fill(role)
    expect_saved(dossier)


def expect_message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def criterion_row(page: Page, code: str) -> Locator:
    return page.locator(".criterion-row[data-row]").filter(
        has=page.locator(".code", has_text=re.compile(rf"^{re.escape(code)}$"))
    )


def pdf_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode()


def decode_qr(pdf: Path) -> str:
    """The URL in the QR code of the PDF's first page (pdftoppm at 200 dpi, then zbarimg)."""
    image = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(image)],
        check=True,
    )
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image) + ".png"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def have_qr_tools() -> bool:
    return bool(shutil.which("pdftoppm") and shutil.which("zbarimg"))


# The first WeasyPrint document of a process loads its fonts: seconds on a busy machine.
PDF_TIMEOUT_MS = 60_000


def download_pdf(page: Page, link: Locator, target: Path) -> Path:
    """Fetch what ``link`` points at with the page's session (the PDFs open inline, which a
    headless browser shows in its viewer rather than as a download), check that it is a PDF and
    keep it at ``target``."""
    response = page.request.get(link.get_attribute("href"), timeout=PDF_TIMEOUT_MS)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF"), body[:20]
    target.write_bytes(body)
    return target


# --- accessibility ------------------------------------------------------------------------------

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
# In the page: axe-core (WCAG 2.1 A and AA rules, the copy shipped by axe-playwright-python) plus
# aria-describedby / -labelledby / -controls naming ids that no element has (axe only flags those
# "to review", yet a help text referred to that way is announced to no one). Resolves to a list of
# problems, [] for a document that is not HTML.
CHECK_PAGE = r"""async (options) => {
  if (location.protocol === "about:" || document.contentType !== "text/html") return [];
  while (window.__anttAxeRunning) await window.__anttAxeRunning.catch(() => null);
  let done;
  window.__anttAxeRunning = new Promise(resolve => { done = resolve; });
  try {
    const result = await axe.run(document, options);
    const problems = result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
      v.nodes.slice(0, 5).map(n => n.target.join(" ")).join("; "));
    for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
      for (const e of document.querySelectorAll(`[${attr}]`)) {
        for (const id of e.getAttribute(attr).split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) {
            problems.push(`aria reference to a missing id: <${e.tagName.toLowerCase()} name="${e.name || ""}"> ${attr}="${id}"`);
          }
        }
      }
    }
    return problems.map(p => `${location.pathname}${location.search}: ${p}`);
  } finally {
    window.__anttAxeRunning = null;
    done();
  }
}"""
# Added to every page of a watched context: once the page has loaded, check it and report to
# Python (window.anttAccessibility); window.__anttAxeChecked resolves when that is done.
ON_LOAD = (
    AXE_SCRIPT
    + "\n;(() => {\n  if (window.top !== window) return;\n  const check = "
    + CHECK_PAGE
    + ";\n  window.__anttAxeChecked = new Promise(resolve => {\n"
    + "    addEventListener('load', () => setTimeout(async () => {\n"
    + f"      try {{ await window.anttAccessibility(await check({json.dumps(AXE_OPTIONS)})); }} finally {{ resolve(); }}\n"
    + "    }, 0));\n  });\n})();\n"
)

# The check of a page still loading when the test ends: waited for, at most 20 s.
WAIT_CHECKED = "() => Promise.race([window.__anttAxeChecked, new Promise(r => setTimeout(r, 20000))])"


def expect_accessible(page: Page) -> None:
    """The page as it is now has no WCAG 2.1 A/AA violation (axe-core) and no dangling aria id."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    problems = page.evaluate(CHECK_PAGE, AXE_OPTIONS)
    assert not problems, "accessibility:\n" + "\n".join(problems)


class AccessibilityWatch:
    """Checks every page of a browser context once it has loaded (axe-core runs in the page and
    reports back), and waits at the end of the test for the check of the pages still open.
    The ``new_context`` fixture watches every context, so every page a browser test visits (and
    every page added later) stays accessible; ``finish()`` returns what was found."""

    def __init__(self, context: BrowserContext) -> None:
        self.problems: list[str] = []
        self.context = context
        context.expose_function("anttAccessibility", self.report)
        context.add_init_script(ON_LOAD)

    def report(self, problems: list[str]) -> None:
        self.problems.extend(p for p in problems if p not in self.problems)

    def finish(self) -> list[str]:
        for page in self.context.pages:
            try:
                page.evaluate(WAIT_CHECKED)
            except PlaywrightError:
                pass  # closed or navigating: what it loaded before was reported
        return self.problems


# --- phone widths -------------------------------------------------------------------------------

PHONE_WIDTHS = (360, 390, 414)
# Elements whose right edge lies past the screen, unless a focusable, named scroll region
# (tabindex="0" role="region" aria-label) holds them or an overflow: hidden box clips them.
OFF_SCREEN = r"""() => {
  const width = window.innerWidth, off = [];
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || r.right <= width + 0.5) continue;
    if (getComputedStyle(e).visibility === "hidden") continue;
    let box = e.parentElement, allowed = false;
    while (box && box !== document.body) {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow === "hidden" || overflow === "clip") { allowed = true; break; }
      if (overflow === "auto" || overflow === "scroll") { allowed = box.matches('[role="region"][tabindex="0"]'); break; }
      box = box.parentElement;
    }
    if (allowed) continue;
    const text = (e.innerText || e.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
    off.push(`<${e.tagName.toLowerCase()} class="${e.className}"> x=${Math.round(r.left)}–${Math.round(r.right)} "${text}"`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, off: off.slice(0, 8)};
}"""


def expect_fits_phones(page: Page, widths: tuple[int, ...] = PHONE_WIDTHS) -> None:
    """At each phone width the page needs no sideways scrolling and shows every element on the
    screen (a table is a stack of cards, or scrolls inside a focusable region). The viewport is
    put back afterwards."""
    viewport = page.viewport_size
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": 800})
            fit = page.evaluate(OFF_SCREEN)
            assert fit["scrollWidth"] <= fit["innerWidth"] and not fit["off"], (
                f"{page.url} at {width} px: the page is {fit['scrollWidth']} px wide; off screen: {fit['off']}"
            )
    finally:
        if viewport:
            page.set_viewport_size(viewport)
