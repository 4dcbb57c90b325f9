"""antt/text.py: the sort key people expect, input as people type it (issue 20, points 8 and 11)."""

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from antt.text import parse_count, person_name, sort_key, strange_characters, tidy

ROOT = Path(__file__).resolve().parent.parent


def test_units_sort_in_vietnamese_alphabetical_and_natural_order():
    names = [
        "Tổ dân phố 10",
        "Xã Ơn",
        "Đông Hà",
        "Tổ dân phố 2",
        "Dương Thủy",
        "Ấp Bắc",
        "An Bình",
        "Tổ dân phố 1",
    ]
    assert sorted(names, key=sort_key) == [
        "An Bình",
        "Ấp Bắc",  # a < ă < â
        "Dương Thủy",
        "Đông Hà",  # đ after d
        "Tổ dân phố 1",
        "Tổ dân phố 2",
        "Tổ dân phố 10",  # 2 before 10
        "Xã Ơn",
    ]
    # Tones come after the letters: "Ba" < "Bà" < "Bả" < "Bã" < "Bá" < "Bạ" < "Bac".
    assert sorted(["Bạ", "Bá", "Bac", "Ba", "Bã", "Bả", "Bà"], key=sort_key) == [
        "Ba",
        "Bà",
        "Bả",
        "Bã",
        "Bá",
        "Bạ",
        "Bac",
    ]
    # Case and look-alikes do not change the order.
    assert sort_key("tổ dân phố 2") < sort_key("Tổ dân phố 10")
    assert sort_key("\u00d0ông Hà")[:2] == sort_key("Đông Hà")[:2]


def test_tidy_normalises_only_what_has_one_meaning():
    assert tidy("\u00d0\u200bà  Nẵng\u00a0") == "Đà Nẵng"
    assert tidy("Thôn\u00a0\u00a01 \ufeff") == "Thôn 1"
    assert tidy("Dòng 1\n  dòng   2") == "Dòng 1\ndòng 2"  # line breaks stay
    assert tidy("Kỳ Long") == "Kỳ Long"  # NFD input comes back NFC
    assert tidy(None) == ""


def test_strange_characters_are_named():
    assert strange_characters("Tổ dân phố 1") == []
    assert strange_characters("\u0410n Bình\u200e") == ["U+0410", "U+200E"]  # Cyrillic А, LRM


@pytest.mark.parametrize("text", ["1250", "1.250", "1,250", "1 250", "1\u00a0250", " 1250 "])
def test_households_are_read_as_people_write_them(text):
    assert parse_count(text) == 1250


@pytest.mark.parametrize("text", ["12,5", "-3", "mười", "1.25", "1 2 3"])
def test_other_numbers_are_refused(text):
    with pytest.raises(ValueError):
        parse_count(text)


def test_a_person_is_named_family_name_first():
    user = SimpleNamespace(first_name="Minh", last_name="Nguyễn Văn", get_username=lambda: "officer")
    assert person_name(user) == "Nguyễn Văn Minh"
    assert person_name(SimpleNamespace(first_name="", last_name="", get_username=lambda: "x")) == "x"


def _site_url(**env):
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/site-url")],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_qr_codes_point_to_the_port_scripts_run_serves():
    assert _site_url() == "http://127.0.0.1:8000"
    assert _site_url(HOST="127.0.0.1", PORT="8080") == "http://127.0.0.1:8080"
    assert _site_url(PORT="9000", SITE_BASE_URL="https://antt.hatinh.gov.vn") == "https://antt.hatinh.gov.vn"
    everywhere = _site_url(HOST="0.0.0.0", PORT="8080")
    assert everywhere.endswith(":8080") and "0.0.0.0" not in everywhere
    assert (
        "SITE_BASE_URL=$(HOST=$HOST PORT=$PORT bash scripts/site-url)" in (ROOT / "scripts/run").read_text()
    )


def test_forms_tidy_names_as_pasted():
    from units.forms import UserCreateForm

    field = UserCreateForm.base_fields["last_name"]
    assert field.clean("Nguy\u1ec5n\u00a0 V\u0103n\u200b") == "Nguyễn Văn"
