import pytest

pytestmark = pytest.mark.usefixtures("fresh_cache")  # the verify rate limit counts in the cache


@pytest.mark.django_db
def test_verification_works_without_login_and_is_not_indexed(certificate, client):
    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Còn hiệu lực" in html
    assert "Số 01/QĐ-UBND, ngày 12 tháng 11 năm 2026, của Chủ tịch Ủy ban nhân dân phường Vũng Áng" in html
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_verification_shows_nothing_but_the_certificate(certificate, client, area):
    area.note = "Ghi chú nội bộ: hộ ông A nợ thuế"
    area.household_count = 4321
    area.save()
    html = client.get(f"/verify/{certificate.code}").content.decode()
    assert "nợ thuế" not in html
    assert "4321" not in html
    assert area.code not in html
    assert "/units/" not in html


@pytest.mark.django_db
def test_an_unknown_code_gets_a_vietnamese_404_page(client, certificate):
    response = client.get("/verify/khong-ton-tai-0123456789")
    assert response.status_code == 404
    assert "Không tìm thấy Giấy công nhận" in response.content.decode()


@pytest.mark.django_db
def test_verification_is_rate_limited_per_client_address(client, certificate, settings):
    settings.VERIFY_RATE_LIMIT = 3
    codes = [client.get(f"/verify/{certificate.code}").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    blocked = client.get(f"/verify/{certificate.code}")
    assert blocked.status_code == 429
    assert "Quá nhiều yêu cầu" in blocked.content.decode()
    assert blocked["Retry-After"] == "60"
    # Guessing codes counts too, and another address is not affected.
    assert client.get("/verify/xxxxxxxxxxxxxxxxxxxx").status_code == 429
    assert client.get(f"/verify/{certificate.code}", REMOTE_ADDR="10.0.0.9").status_code == 200
