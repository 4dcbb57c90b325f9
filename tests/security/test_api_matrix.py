"""Every API operation × every role × an object inside and outside the token's scope.

The sibling of ``test_permission_matrix.py`` for /api/v1/ (the web matrix leaves the ``api-v1``
namespace to this file). Each role holds a read-write token over all of its roles (read-only
tokens: ``tests/api/test_tokens.py``). Read an entry as: "on the object of side *in*, these roles
get these codes; every other role that can see the object gets 403; the colleague (officer of
another commune) and the outsider (officer of another province) get 404; no token gets 401".
On side *out* everyone gets 404 but the superuser and the outsider (their own side, where they
act as the officer). Lists name no object: everyone with a token gets 200, and no list shows a
name of a side the token cannot see.

An operation of the schema without an entry fails ``test_every_api_operation_has_an_entry``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from jsonschema import Draft202012Validator

from api.models import ApiRequest
from tests.api.conftest import bearer, make_token
from tests.security.test_permission_matrix import DOCUMENTS, IN_SCOPE, forbidden_markers
from tests.security.world import (
    ADMIN,
    ANON,
    COLLEAGUE,
    OFFICER,
    OUTSIDER,
    ROLES,
    SUPER,
    Side,
    World,
    expected_outside,
)
from units.exchange.imports import COLUMNS

TOKEN_ROLES = [r for r in ROLES if r != ANON]


def allow(roles, code: int = 200) -> dict[str, int]:
    return dict.fromkeys(roles, code)


@dataclass
class Rule:
    ok: dict[str, int]  # role → code on side "in"; others who can see it: 403
    path: Callable[[Side, World], dict] | None = None  # the object named in the path
    query: Callable[[Side, World], dict] | None = None
    body: Callable[[Side, World], dict] | None = None  # JSON body
    files: Callable[[Side, World], dict] | None = None  # multipart
    colleague: int = 404  # the officer of another commune of the same province, on side "in"
    outsider: int | None = None  # on side "in" (default 404)
    outside: dict[str, int] = field(default_factory=dict)  # exceptions on side "out"
    names_object: bool = True


def pk(name: str) -> Callable[[Side, World], int]:
    return lambda s, w: getattr(s, name).pk


def csv_file(s, w) -> dict:
    upload = io.BytesIO((",".join(COLUMNS) + "\n").encode())
    upload.name = "don-vi.csv"
    return {"file": upload, "dry_run": "true"}


def junk_workbook(s, w) -> dict:
    upload = io.BytesIO(b"not a workbook")
    upload.name = "ho-so.xlsx"
    return {"file": upload, "year": str(w.year), "dry_run": "true"}


def scoped(s, w) -> dict:
    return {"scope": s.commune.pk}


EVERYONE = allow(TOKEN_ROLES)
MATRIX: dict[str, Rule] = {
    # lists: everyone with a token, each sees their own rows; scope= names a subtree
    "GET /api/v1/units": Rule(allow(IN_SCOPE), query=scoped),
    "GET /api/v1/campaigns": Rule(EVERYONE, names_object=False),
    "GET /api/v1/criteria-sets": Rule(EVERYONE, names_object=False),
    "GET /api/v1/assessments": Rule(allow(IN_SCOPE), query=scoped),
    "GET /api/v1/results": Rule(allow(IN_SCOPE), query=scoped),
    "GET /api/v1/decisions": Rule(allow(IN_SCOPE), query=scoped),
    "GET /api/v1/certificates": Rule(allow(IN_SCOPE), query=scoped),
    # objects
    "GET /api/v1/units/{unit_id}": Rule(allow(IN_SCOPE), path=lambda s, w: {"unit_id": s.areas[0].pk}),
    # a province's own set: read by the whole province, the colleague included
    "GET /api/v1/criteria-sets/{set_id}": Rule(
        allow(IN_SCOPE), path=lambda s, w: {"set_id": s.province_set.pk}, colleague=200
    ),
    "GET /api/v1/assessments/{assessment_id}": Rule(
        allow(IN_SCOPE), path=lambda s, w: {"assessment_id": s.draft.pk}
    ),
    "GET /api/v1/decisions/{decision_id}/pdf": Rule(
        allow(DOCUMENTS), path=lambda s, w: {"decision_id": s.decision.pk}
    ),
    "GET /api/v1/certificates/{certificate_id}/pdf": Rule(
        allow(DOCUMENTS), path=lambda s, w: {"certificate_id": s.certificate.pk}
    ),
    "GET /api/v1/summary": Rule(allow(DOCUMENTS), query=lambda s, w: {"scope": s.commune.pk, "year": w.year}),
    # a queued import is its user's alone (the officer; the outsider's on side "out")
    "GET /api/v1/assessments/import/{job_id}": Rule(
        {**allow(IN_SCOPE, 404), OFFICER: 200}, path=lambda s, w: {"job_id": s.import_job.pk}
    ),
    # writes: the entry page's rules (officer of the unit), through the same services
    "POST /api/v1/assessments/{assessment_id}/answers": Rule(
        allow({OFFICER, SUPER}),
        path=lambda s, w: {"assessment_id": s.draft.pk},
        body=lambda s, w: {"version": s.draft.version, "answers": {"KDC-1": {"value": "met"}}},
    ),
    # the draft is not complete: the service refuses it (400), after the same scope and role checks
    "POST /api/v1/assessments/{assessment_id}/submit": Rule(
        allow({OFFICER, SUPER}, 400),
        path=lambda s, w: {"assessment_id": s.draft.pk},
        body=lambda s, w: {"version": s.draft.version},
    ),
    "POST /api/v1/units/import": Rule(allow({ADMIN, SUPER}), files=csv_file, names_object=False),
    # a file that is no workbook: refused with its reason (400) for every officer, 403 for the rest
    "POST /api/v1/assessments/import": Rule(
        allow({OFFICER, COLLEAGUE, OUTSIDER, SUPER}, 400), files=junk_workbook, names_object=False
    ),
}


def operations(client: Client) -> set[str]:
    spec = client.get("/api/v1/openapi.json").json()
    return {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops}


@pytest.mark.django_db
def test_every_api_operation_has_an_entry_and_no_entry_is_stale():
    found = operations(Client())
    assert not sorted(found - set(MATRIX)), "add these operations to MATRIX (who may reach them?)"
    assert not sorted(set(MATRIX) - found)


def expected(rule: Rule, role: str, side: str) -> int:
    if role == ANON:
        return 401
    if not rule.names_object:
        return rule.ok.get(role, 403)
    if side == "out":
        found = expected_outside(rule, role)
        return 404 if found is None else found
    if role == COLLEAGUE:
        return rule.colleague if rule.colleague != 200 else rule.ok.get(OFFICER, 403)
    if role == OUTSIDER:
        return rule.outsider if rule.outsider is not None else 404
    return rule.ok.get(role, 403)


def _call(client: Client, method: str, url: str, rule: Rule, side: Side, world: World):
    # Each request in a savepoint that is rolled back: the writes leave the world as it was.
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, rule.query(side, world) if rule.query else {})
        elif rule.files:
            response = client.post(url, rule.files(side, world))
        else:
            response = client.post(
                url, rule.body(side, world) if rule.body else {}, content_type="application/json"
            )
        transaction.set_rollback(True)
    return response


@pytest.mark.django_db
def test_every_api_operation_answers_every_role_as_designed_and_shows_nothing_out_of_scope(world, settings):
    settings.API_RATE_LIMIT = "100000/m"
    clients = {role: bearer(make_token(world.users[role], can_write=True)) for role in TOKEN_ROLES}
    clients[ANON] = Client()
    spec = Client().get("/api/v1/openapi.json").json()
    wrong: list[str] = []
    leaks: list[str] = []
    unlike: list[str] = []
    seen: dict[int, int] = {}
    for name, rule in sorted(MATRIX.items()):
        method, route = name.split(" ", 1)
        for side_key in ("in", "out") if rule.names_object else ("in",):
            side = world.sides[side_key]
            url = route
            for key, value in (rule.path(side, world) if rule.path else {}).items():
                url = url.replace("{" + key + "}", str(value))
            for role in ROLES:
                response = _call(clients[role], method, url, rule, side, world)
                want, got = expected(rule, role, side_key), response.status_code
                seen[got] = seen.get(got, 0) + 1
                if got != want:
                    wrong.append(
                        f"{name} [{side_key}] {role}: {got}, expected {want} {response.content[:120]!r}"
                    )
                declared = spec["paths"][route][method.lower()]["responses"].get(str(got), {})
                schema = declared.get("content", {}).get("application/json", {}).get("schema")
                if schema and response.get("Content-Type", "").startswith("application/json"):
                    validator = Draft202012Validator({**schema, "components": spec["components"]})
                    unlike += [
                        f"{name} [{side_key}] {role} {got}: {e.message}"
                        for e in validator.iter_errors(response.json())
                    ]
                if response.get("Content-Type", "").startswith("application/json"):
                    body = response.content.decode()
                    for marker in forbidden_markers(role):
                        if marker in body:
                            leaks.append(f"{name} [{side_key}] {role}: shows “{marker}”")
    print(f"API matrix: {len(MATRIX)} operations, answers by code {sorted(seen.items())}")
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(leaks)
    assert not unlike, "answers unlike their declared schema:\n" + "\n".join(unlike)
    assert {200, 400, 401, 403, 404} <= set(seen)


@pytest.mark.django_db
def test_unscoped_lists_show_each_role_only_its_own_side(world, settings):
    settings.API_RATE_LIMIT = "100000/m"
    for role in TOKEN_ROLES:
        client = bearer(make_token(world.users[role]))
        for path in ("units", "assessments", "results", "decisions", "certificates"):
            body = client.get(f"/api/v1/{path}", {"limit": 500}).content.decode()
            for marker in forbidden_markers(role):
                assert marker not in body, f"{path} shows {role} “{marker}”"
    assert ApiRequest.objects.exists()
