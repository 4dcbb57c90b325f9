"""The served schema is valid OpenAPI, and every GET answers what the schema says: the test walks
every path of the schema in a world with one object of each kind and validates each answer
against the schema's own JSON Schemas."""

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from certification.models import ImportJob
from certification.services.scoring import score_now
from tests.api.conftest import bearer, make_token
from tests.security.world import SUPER, build_world

SCHEMA = "/api/v1/openapi.json"


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    side = world.sides["in"]
    score_now([side.draft, side.appraised, side.recognized])
    return world


def test_the_schema_is_valid_openapi_and_the_docs_page_uses_no_cdn(client, db):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


def _path_values(world, user) -> dict[str, int]:
    side = world.sides["in"]
    job = ImportJob.objects.create(
        user=user, year=world.year, status=ImportJob.Status.DONE, report={"errors": []}
    )
    return {
        "unit_id": side.areas[0].pk,
        "set_id": side.province_set.pk,
        "assessment_id": side.recognized.pk,
        "decision_id": side.decision.pk,
        "certificate_id": side.certificate.pk,
        "job_id": job.pk,
    }


def _queries(world) -> dict[str, dict]:
    side = world.sides["in"]
    return {"/api/v1/summary": {"scope": side.commune.pk, "year": world.year}}


@pytest.mark.django_db
def test_every_get_path_answers_what_the_schema_says(world, client):
    spec = client.get(SCHEMA).json()
    user = world.users[SUPER]
    api = bearer(make_token(user))
    values = _path_values(world, user)
    checked, empty = [], []
    for path, operations in sorted(spec["paths"].items()):
        if "get" not in operations:
            continue
        url = path
        for name, value in values.items():
            url = url.replace("{" + name + "}", str(value))
        assert "{" not in url, f"no value for a parameter of {path}"
        response = api.get(url, _queries(world).get(path, {}))
        assert response.status_code == 200, f"{path}: {response.status_code} {response.content[:300]!r}"
        content = operations["get"]["responses"]["200"].get("content", {})
        if response["Content-Type"] == "application/pdf":
            assert response.content.startswith(b"%PDF")
            checked.append(path)
            continue
        schema = content["application/json"]["schema"]
        body = response.json()
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, f"{path} does not match its schema:\n" + "\n".join(errors[:10])
        if isinstance(body, dict) and body.get("items") == []:
            empty.append(path)
        checked.append(path)
    assert len(checked) >= 13, checked
    assert not empty, f"lists without a row (nothing was checked in them): {empty}"
