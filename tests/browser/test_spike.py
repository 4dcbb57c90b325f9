import time

from playwright.sync_api import expect

from tests.browser.conftest import appraised_assessment, recognize


def test_spike(page_as, officer, appraiser, approver, clerk, campaign, areas, commune, today, tmp_path):
    t = time.time()
    assessments = [appraised_assessment(campaign, a, officer, appraiser, today) for a in areas[:2]]
    decision = recognize(assessments, approver, commune, today)
    print("prep", time.time() - t)
    page = page_as(clerk)
    page.goto("/")
    page.screenshot(path="/tmp/bt/clerk.png")
    page.get_by_role("link", name=decision.reference).click()
    t = time.time()
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải quyết định (PDF)").click()
    info.value.save_as(tmp_path / "d.pdf")
    print("download", time.time() - t, (tmp_path / "d.pdf").read_bytes()[:5], info.value.suggested_filename)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quyết định")
