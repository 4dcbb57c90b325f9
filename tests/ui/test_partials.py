"""Shared partials other pages include: progress bar, empty state, badge; and the translations file."""

import subprocess
import unicodedata
from pathlib import Path

from django.template.loader import render_to_string

ROOT = Path(__file__).resolve().parents[2]


def test_the_progress_partial_carries_its_polling_contract():
    html = render_to_string(
        "includes/progress.html",
        {
            "status_url": "/jobs/7/status",
            "percent": 40,
            "state": "running",
            "done": 4,
            "total": 10,
            "done_url": "/jobs/7/",
        },
    )
    assert 'data-progress-url="/jobs/7/status"' in html
    assert 'data-done-url="/jobs/7/"' in html
    assert 'value="40"' in html and 'max="100"' in html
    assert "Processing… 40%" in html and "4 / 10" in html
    assert 'data-text-running="Processing… {percent}%"' in html


def test_the_progress_partial_in_vietnamese(vietnamese):
    html = render_to_string("includes/progress.html", {"status_url": "/s", "percent": 40, "state": "running"})
    assert "Đang xử lý… 40%" in html


def test_a_failed_job_shows_its_message_without_polling():
    html = render_to_string(
        "includes/progress.html", {"status_url": "/s", "state": "failed", "message": "Hết bộ nhớ"}
    )
    assert "is-failed" in html and 'data-state="failed"' in html and "Hết bộ nhớ" in html


def test_badges_and_empty_states_render():
    assert render_to_string("includes/badge.html", {"state": "returned", "label": "Bị trả lại"}) == (
        '<span class="badge badge-returned">Bị trả lại</span>\n'
    )
    html = render_to_string(
        "includes/empty.html", {"message": "Chưa có hồ sơ.", "action_url": "/new", "action_label": "Tạo mới"}
    )
    assert "Chưa có hồ sơ." in html and 'href="/new"' in html


def test_every_badge_state_the_models_use_is_styled():
    from certification.models import Assessment, Certificate, PrintJob, Result, ScoringRun

    css = (ROOT / "static/css/antt.css").read_text()
    states = {s for model in (Assessment, Certificate, PrintJob, ScoringRun) for s in model.Status.values}
    states |= set(Result.Outcome.values) | {"forecast"}
    assert {s for s in states if f".badge-{s}" not in css} == set()


def test_the_ui_translations_compile_and_are_nfc():
    po = ROOT / "locale/vi/parts/ui.po"
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = po.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    assert 'msgstr ""\n\n' not in text.split("\n\n", 1)[1] + "\n\n"  # nothing left untranslated
