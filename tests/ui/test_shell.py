"""The page shell: navigation by role, login in Vietnamese, the delayed-work banner, icons."""

import socket

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from certification.templatetags import antt_ui
from units.models import RoleAssignment

Role = RoleAssignment.Role
pytestmark = pytest.mark.django_db


def labels(user, path="/") -> list[str]:
    return [str(item["label"]) for item in antt_ui.nav_items(user, path)]


def test_the_menu_shows_each_role_only_its_entries(officer, clerk, province_viewer, appraiser):
    # Officers read the criteria they assess against (read-only browser).
    assert labels(officer) == [
        "Home",
        "Units",
        "Assessments",
        "My tasks",
        "Criteria",
        "Movement",
        "Notifications",
    ]
    assert labels(clerk) == ["Home", "Units", "Assessments", "Decisions", "Reports", "Notifications"]
    assert labels(province_viewer) == [
        "Home",
        "Units",
        "Assessments",
        "Decisions",
        "Reports",
        "Criteria",
        "Campaigns",
        "Movement",
        "Notifications",
    ]
    assert "Criteria" in labels(appraiser) and "Decisions" not in labels(appraiser)


def test_a_superuser_sees_every_entry(make_user):
    admin = make_user("root", is_superuser=True)
    assert len(labels(admin)) == len(antt_ui.NAV_ITEMS)


def test_the_entry_of_the_current_page_is_marked(province_viewer):
    items = antt_ui.nav_items(province_viewer, reverse("certification:decision-detail", args=[42]))
    active = [str(i["label"]) for i in items if i["active"]]
    assert active == ["Decisions"]
    assert [str(i["label"]) for i in antt_ui.nav_items(province_viewer, "/") if i["active"]] == ["Home"]


def test_an_unknown_url_name_is_an_error_not_a_dead_link(officer):
    with pytest.raises(NoReverseMatch):
        antt_ui.nav_url("certification:no-such-page")
    assert all(item["url"] for item in antt_ui.nav_items(officer))


def test_the_rendered_menu_links_the_allowed_pages(client, officer):
    client.force_login(officer)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("units:unit-list")}"' in page
    assert f'href="{reverse("certification:notifications")}"' in page
    assert 'aria-current="page"' in page
    assert 'action="/logout/"' in page and 'method="post"' in page


def test_the_kept_menu_follows_the_roles_the_page_and_the_language(client, officer, commune):
    """The rendered menu is kept per process by language and what it shows (issue 23): a role
    granted, another page or another language shows at the next request."""
    from django.utils import translation

    decisions = f'href="{reverse("certification:decision-list")}"'
    client.force_login(officer)
    assert decisions not in client.get(reverse("home")).content.decode()
    RoleAssignment.objects.create(user=officer, unit=commune, role=Role.CLERK)
    assert decisions in client.get(reverse("home")).content.decode()
    listing = reverse("certification:assessment-list")
    page = client.get(listing).content.decode()
    assert f'href="{listing}" aria-current="page"' in page
    assert f'href="{reverse("home")}" aria-current="page"' not in page

    def menu(language: str) -> str:
        request = RequestFactory().get("/")
        with translation.override(language):
            return Template("{% load antt_ui %}{% main_nav %}").render(
                Context({"request": request, "user": officer})
            )

    assert "Assessments" in menu("en") and "Đánh giá" in menu("vi") and "Assessments" not in menu("vi")


def test_the_login_page_is_in_vietnamese(client, vietnamese):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="vi">' in page
    for text in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "An toàn về an ninh, trật tự"):
        assert text in page
    assert "Log in" not in page


def test_the_home_page_is_in_vietnamese(client, vietnamese, officer, campaign):
    client.force_login(officer)
    page = client.get(reverse("home")).content.decode()
    for text in ("Trang chủ", "Đăng xuất", "Đơn vị của tôi năm 2026", "Các mốc thời hạn", "Xin chào"):
        assert text in page


def test_a_wrong_password_is_refused_with_the_form_again(client, officer):
    response = client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    assert response.status_code == 200
    assert 'class="msg msg-error"' in response.content.decode()


def test_a_correct_login_lands_on_the_home_page(client, officer):
    response = client.post(reverse("login"), {"username": "officer", "password": "correct-horse-42"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_banner_says_background_work_is_delayed_while_the_broker_is_down(client, settings, officer):
    client.force_login(officer)
    assert "Background work" not in client.get(reverse("home")).content.decode()

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/0"
    assert "Background work" in client.get(reverse("home")).content.decode()


def test_the_broker_check_is_cached_for_thirty_seconds(settings, monkeypatch):
    from antt import health

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    calls = []
    monkeypatch.setattr(health, "check_broker", lambda: calls.append(1) or (False, "ConnectionError"))

    assert health.broker_available() is False
    assert health.broker_available() is False
    assert len(calls) == 1


def test_each_process_reads_the_shared_broker_state_at_most_every_few_seconds(settings, monkeypatch):
    from django.core.cache import cache

    from antt import health

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    cache.set(health.BROKER_CACHE_KEY, True, 30)
    clock = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: clock[0])
    assert health.broker_available() is True

    cache.set(health.BROKER_CACHE_KEY, False, 30)  # another process found it down
    assert health.broker_available() is True  # this process still goes by what it read
    clock[0] += health.BROKER_LOCAL_SECONDS + 0.1
    assert health.broker_available() is False


def test_a_process_that_fails_to_send_a_task_shows_the_banner_at_once(settings):
    from django.core.cache import cache

    from antt import broker, health

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    cache.set(health.BROKER_CACHE_KEY, True, 30)
    assert health.broker_available() is True

    broker._mark_down()
    assert health.broker_available() is False


def test_anonymous_pages_show_no_menu_and_no_banner(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/0"
    page = client.get(reverse("login")).content.decode()
    assert 'class="navbar"' not in page and "Background work" not in page


def test_the_icon_tag_points_into_the_one_sprite():
    html = Template('{% load antt_ui %}{% icon "home" %}{% icon "alert" label="Cảnh báo" %}').render(
        Context()
    )
    assert 'href="/static/icons/sprite.svg#home"' in html and 'aria-hidden="true"' in html
    assert 'role="img" aria-label="Cảnh báo"' in html


def test_every_icon_used_by_the_templates_exists_in_the_sprite():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sprite = (root / "static/icons/sprite.svg").read_text()
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', sprite))
    used = set()
    for template in (root / "templates").rglob("*.html"):
        used |= set(re.findall(r'{% icon "([\w-]+)"', template.read_text()))
        used |= set(re.findall(r'icon_name="([\w-]+)"', template.read_text()))
    used |= {icon for icon, *_ in antt_ui.NAV_ITEMS}
    assert used - symbols == set()


def test_days_left_and_percent_read_naturally():
    assert antt_ui.days_left(3) == "3 days left"
    assert antt_ui.days_left(1) == "1 day left"
    assert antt_ui.days_left(0) == "today"
    assert antt_ui.days_left(-2) == "2 days ago"
    assert antt_ui.percent(71.6) == "72 %"
    assert antt_ui.percent(None) == "–"


def test_the_sort_header_toggles_the_direction_and_keeps_the_filters():
    request = RequestFactory().get("/list/", {"kind": "school", "o": "name", "page": "3"})
    html = Template('{% load antt_ui %}{% sort_th "name" "Tên" %}{% sort_th "status" "Trạng thái" %}').render(
        Context({"request": request})
    )
    assert 'aria-sort="ascending"' in html
    assert "?kind=school&amp;o=-name" in html  # same column again: descending, page reset
    assert "?kind=school&amp;o=status" in html
    assert "page=3" not in html
