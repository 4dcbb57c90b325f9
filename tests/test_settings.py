"""Settings come from the environment only: nothing set → SQLite and in-process tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
from antt.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "user": db.get("USER", ""),
    "password": db.get("PASSWORD", ""),
    "host": db.get("HOST", ""),
    "port": db.get("PORT", ""),
    "broker": settings.CELERY_BROKER_URL,
    "result_backend": settings.CELERY_RESULT_BACKEND,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_eager": app.conf.task_always_eager,
    "app_broker": app.conf.broker_url,
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "media_root": str(settings.MEDIA_ROOT),
    "aliases": sorted(settings.DATABASES),
    "replica": {k: str(v) for k, v in settings.DATABASES.get("replica", {}).items()},
    "options": {k: str(v) for k, v in db.get("OPTIONS", {}).items()},
}))
"""


def settings_with(tmp_path: Path, **variables: str) -> dict:
    """Load antt.settings in a fresh interpreter with only ``variables`` set (plus PATH/HOME)."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="antt.settings", ANTT_VAR_DIR=str(tmp_path / "var"), **variables)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_with_no_variables_antt_uses_a_sqlite_file_and_runs_tasks_in_process(tmp_path):
    loaded = settings_with(tmp_path)

    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(tmp_path / "var" / "antt.sqlite3")
    assert loaded["broker"] == ""
    assert loaded["eager"] is True
    assert loaded["app_eager"] is True
    assert loaded["debug"] is False
    assert loaded["media_root"] == str(tmp_path / "var" / "media")
    assert loaded["aliases"] == ["default"]  # one database: no replica without DATABASE_REPLICA_URL


def test_a_database_url_and_a_broker_url_switch_to_postgresql_and_a_separate_worker(tmp_path):
    loaded = settings_with(
        tmp_path,
        DATABASE_URL="postgres://antt:s%40cret@db.example:5433/antt_prod",
        CELERY_BROKER_URL="redis://redis.example:6379/0",
    )

    assert loaded["engine"] == "django.db.backends.postgresql"
    assert (loaded["name"], loaded["user"], loaded["password"]) == ("antt_prod", "antt", "s@cret")
    assert (loaded["host"], loaded["port"]) == ("db.example", "5433")
    assert loaded["broker"] == "redis://redis.example:6379/0"
    assert loaded["result_backend"] == "redis://redis.example:6379/0"
    assert loaded["eager"] is False
    assert loaded["app_eager"] is False
    assert loaded["app_broker"] == "redis://redis.example:6379/0"


def test_a_replica_url_adds_the_replica_alias_mirrored_in_tests(tmp_path):
    loaded = settings_with(
        tmp_path,
        DATABASE_URL="postgres://antt:pw@db.example:5432/antt",
        DATABASE_REPLICA_URL="postgres://antt:pw@replica.example:5433/antt",
    )

    assert loaded["aliases"] == ["default", "replica"]
    replica = loaded["replica"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == ("replica.example", "5433", "antt")
    assert "'MIRROR': 'default'" in replica["TEST"]  # tests use the default's test database


def test_prepared_statements_are_on_unless_a_pooler_needs_them_off(tmp_path):
    """The compiled lookups' prepared statements (antt/database/compiled.py): psycopg's threshold
    set, and None (nothing prepared) with DATABASE_PREPARED_STATEMENTS=0, for both aliases."""
    url = "postgres://antt:pw@db.example:5432/antt"
    on = settings_with(tmp_path, DATABASE_URL=url, DATABASE_REPLICA_URL=url)
    off = settings_with(
        tmp_path, DATABASE_URL=url, DATABASE_REPLICA_URL=url, DATABASE_PREPARED_STATEMENTS="0"
    )
    libpq_off = settings_with(tmp_path, PGDATABASE="antt", DATABASE_PREPARED_STATEMENTS="0")

    assert (
        on["options"]["prepare_threshold"] != "None" and "'prepare_threshold': 5" in on["replica"]["OPTIONS"]
    )
    assert off["options"]["prepare_threshold"] == "None" == libpq_off["options"]["prepare_threshold"]
    assert "'prepare_threshold': None" in off["replica"]["OPTIONS"]


def test_libpq_pg_variables_also_select_postgresql(tmp_path):
    loaded = settings_with(tmp_path, PGDATABASE="antt", PGHOST="/run/postgresql", PGUSER="antt")

    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "antt"
    assert loaded["eager"] is True


def test_secret_key_debug_allowed_hosts_and_media_root_come_from_the_environment(tmp_path):
    loaded = settings_with(
        tmp_path,
        SECRET_KEY="k" * 50,
        DEBUG="1",
        ALLOWED_HOSTS="antt.hatinh.gov.vn, 10.0.0.5",
        MEDIA_ROOT=str(tmp_path / "media"),
    )

    assert loaded["secret_key"] == "k" * 50
    assert loaded["debug"] is True
    assert loaded["allowed_hosts"] == ["antt.hatinh.gov.vn", "10.0.0.5"]
    assert loaded["media_root"] == str(tmp_path / "media")


def test_the_interface_is_vietnamese_in_vietnam_time():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_pages_are_vietnamese_even_for_an_english_browser(client, db):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "vi"
    assert "Đăng nhập" in response.content.decode()


def test_an_explicit_language_choice_is_honoured(client, db):
    client.cookies["django_language"] = "en"
    # The middleware activates the language for the thread; leave it as it was for later tests.
    with translation.override(settings.LANGUAGE_CODE):
        response = client.get("/login/")
    assert response["Content-Language"] == "en"


def test_celery_beat_scores_the_campaigns_whose_period_has_ended():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["score-due-campaigns"]
    assert entry["task"] == "certification.tasks.scoring.score_due_campaigns_task"
