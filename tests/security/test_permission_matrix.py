"""Every URL × every role × an object inside and outside the user's subtree.

``MATRIX`` has one entry per URL name. Read an entry as: "on the object of side *in* (the
commune Vũng Áng of Hà Tĩnh), these roles get these codes; every other signed-in role gets 403;
the colleague (officer of another commune) and the outsider (officer of another province) get
404 when the URL names an object; anonymous users are sent to the login page".

The same URL is then requested with the mirrored object of side *out* (Nghệ An): it is out of
everybody's scope except the superuser's and the outsider's (it is their own side, where they
act as the officer), so everyone else gets 404 — or 403 where the role is checked before the
object is looked up (``role_first``: the answer is then the same for any id and tells nothing).

Besides the codes, no page may show a name of a side the user cannot see (``MARKERS``).

A URL pattern without an entry fails ``test_every_url_pattern_has_an_entry_in_the_matrix``:
adding a view means deciding who may reach it. The admin site has its own test below.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import (
    ADMIN,
    ANON,
    APPRAISER,
    APPROVER,
    CLERK,
    COLLEAGUE,
    MARKERS,
    OFFICER,
    OUTSIDER,
    PROVINCE,
    ROLES,
    SUPER,
    VIEWER,
    Side,
    World,
    expected_outside,
)
from units.exchange.previews import REARRANGEMENTS, store_preview

SIGNED_IN = {OFFICER, APPRAISER, APPROVER, CLERK, VIEWER, ADMIN, PROVINCE, COLLEAGUE, OUTSIDER, SUPER}
IN_SCOPE = {OFFICER, APPRAISER, APPROVER, CLERK, VIEWER, ADMIN, PROVINCE, SUPER}
DOCUMENTS = {APPROVER, CLERK, VIEWER, ADMIN, PROVINCE, SUPER}  # download decisions and certificates
PRINT = DOCUMENTS - {VIEWER}  # start print jobs: not the read-only viewer
PROVINCE_STAFF = {PROVINCE, SUPER}
LOGIN = "login"


def allow(roles, code: int = 200) -> dict[str, int]:
    return dict.fromkeys(roles, code)


@dataclass
class Rule:
    ok: dict[str, int]  # role → code on side "in"; other signed-in roles: 403
    kwargs: Callable[[Side, World], dict] | None = None  # the object the URL names
    query: Callable[[Side, World], str] | None = None  # or an object named in the query string
    method: str = "get"
    data: Callable[[Side, World], dict] | None = None
    public: bool = False  # anonymous users get ``ok[ANON]`` instead of the login page
    role_first: bool = False  # role checked before the object is looked up
    colleague: int | str | None = None  # code, or a role whose code the colleague shares
    outsider: int | None = None
    outside: dict[str, int] = field(default_factory=dict)  # exceptions on side "out"

    @property
    def names_object(self) -> bool:
        return self.kwargs is not None or self.query is not None


def pk_of(name: str):
    """URL kwargs naming the side's object ``name`` (an attribute of Side)."""
    return lambda s, w: {"pk": getattr(s, name).pk}


def unit(s, w):
    return {"pk": s.areas[0].pk}


assessment, campaign, criteria_set = pk_of("draft"), pk_of("campaign"), pk_of("province_set")
decision, certificate, member = pk_of("decision"), pk_of("certificate"), pk_of("member")
job, run = pk_of("print_job"), pk_of("scoring_run")
movement_model, team_round = pk_of("movement_model"), pk_of("team_round")
KEEPERS = {OFFICER, ADMIN, SUPER}  # record and rate the models of their commune (movement)


MATRIX: dict[str, Rule] = {
    # --- movement (docs/movement.md): the models' register and the security teams' rating
    "movement:model-list": Rule(allow(SIGNED_IN)),
    "movement:model-create": Rule(allow(KEEPERS)),
    "movement:model-detail": Rule(allow(IN_SCOPE), kwargs=movement_model),
    "movement:model-edit": Rule(allow(KEEPERS), kwargs=movement_model),
    "movement:model-rate": Rule(allow(KEEPERS), kwargs=movement_model),
    "movement:evidence-upload": Rule(allow(KEEPERS, 302), kwargs=movement_model, method="post"),
    "movement:evidence-download": Rule(allow(IN_SCOPE), kwargs=pk_of("movement_evidence")),
    "movement:import-upload": Rule(allow(KEEPERS)),
    "movement:import-template": Rule(allow(KEEPERS)),
    # A token nobody stored: "expired", back to the upload page.
    "movement:import-confirm": Rule(
        allow(KEEPERS, 302), method="post", data=lambda s, w: {"token": "x" * 32}
    ),
    "movement:team-list": Rule(allow(SIGNED_IN)),
    "movement:team-create": Rule(allow({OFFICER, SUPER})),
    "movement:round-start": Rule(allow({OFFICER, SUPER})),
    "movement:round-detail": Rule(allow(IN_SCOPE), kwargs=team_round),
    # Submitting a round with empty levels is refused with a message: back to the round.
    "movement:round-step": Rule(
        allow({OFFICER, SUPER}, 302),
        kwargs=lambda s, w: {"pk": s.team_round.pk, "step": "submit"},
        method="post",
    ),
    "movement:round-pdf": Rule(allow(IN_SCOPE), kwargs=team_round),
    # --- public and account pages
    "home": Rule(allow(SIGNED_IN)),
    "healthz": Rule(allow(ROLES), public=True),
    "login": Rule({ANON: 200, **allow(SIGNED_IN, 302)}, public=True),
    "logout": Rule(allow(ROLES, 302), method="post", public=True),
    # Two-step verification (tests/security/test_two_factor.py): one's own account only.
    # Nobody here has a device: the code step sends everyone on at once.
    "otp_verify": Rule(allow(SIGNED_IN, 302)),
    "two_factor": Rule(allow(SIGNED_IN)),
    # Accounts (tests/security/test_accounts.py): one's own account; the reset pages serve people
    # who cannot log in, so everyone reaches them (a wrong link shows "no longer works").
    "account": Rule(allow(SIGNED_IN)),
    # API tokens (tests/api/test_tokens.py): one's own tokens only.
    "api:token-list": Rule(allow(SIGNED_IN)),
    "api:token-create": Rule(allow(SIGNED_IN)),
    "api:token-revoke": Rule(allow(SIGNED_IN, 404), kwargs=lambda s, w: {"pk": 999999}, method="post"),
    "password_change": Rule(allow(SIGNED_IN)),
    "logout_everywhere": Rule(allow(SIGNED_IN, 302), method="post"),
    "password_reset": Rule(allow(ROLES), public=True),
    "password_reset_done": Rule(allow(ROLES), public=True),
    "password_reset_confirm": Rule(
        allow(ROLES),
        kwargs=lambda s, w: {"uidb64": "MA", "token": "set-password"},
        public=True,
        outside=allow(ROLES),
    ),
    "verify": Rule(
        allow(ROLES), kwargs=lambda s, w: {"code": s.certificate.code}, public=True, outside=allow(ROLES)
    ),
    # Anyone may check a PDF (NĐ 30 Art. 21(2)(a)); the form names no object.
    "verify-pdf": Rule(allow(ROLES), public=True),
    # --- units, users and roles
    "units:unit-list": Rule(allow(SIGNED_IN)),
    "units:unit-detail": Rule(allow(IN_SCOPE), kwargs=unit),
    "units:import-upload": Rule(allow({ADMIN, SUPER})),
    "units:import-template": Rule(allow({ADMIN, SUPER})),
    "units:import-confirm": Rule(
        # The token is the commune admin's pending import: only they may confirm it.
        {ADMIN: 302, SUPER: 404},
        method="post",
        data=lambda s, w: {"token": s.import_token},
        query=lambda s, w: "",
        role_first=True,
    ),
    # Re-arrangement of residential areas (docs/rearrangement.md): administrators of a subtree.
    "certification:rearrangement-upload": Rule(allow({ADMIN, SUPER})),
    "certification:rearrangement-template": Rule(
        allow({ADMIN, SUPER}), query=lambda s, w: f"commune={s.commune.code}", role_first=True
    ),
    "certification:rearrangement-undo": Rule(
        # Only a resolution of one's own subtree not yet in force can be undone; this one is none.
        {ADMIN: 404, SUPER: 404},
        method="post",
        data=lambda s, w: {"reference": "Nghị quyết không có"},
    ),
    "certification:rearrangement-preview": Rule(
        # The token is the commune admin's pending file: only they may see it.
        {ADMIN: 200, SUPER: 404},
        kwargs=lambda s, w: {"token": store_preview(s.admin, "sap-xep.xlsx", [], folder=REARRANGEMENTS)},
        role_first=True,
    ),
    "certification:rearrangement-apply": Rule(
        {ADMIN: 302, SUPER: 404},
        kwargs=lambda s, w: {"token": store_preview(s.admin, "sap-xep.xlsx", [], folder=REARRANGEMENTS)},
        method="post",
        role_first=True,
    ),
    "units:user-list": Rule(allow({ADMIN, SUPER})),
    "units:user-create": Rule(allow({ADMIN, SUPER})),
    "units:user-detail": Rule(allow({ADMIN, SUPER}), kwargs=member, role_first=True),
    "units:role-add": Rule(allow({ADMIN, SUPER}, 302), kwargs=member, method="post", role_first=True),
    "units:user-password-link": Rule(allow({ADMIN, SUPER}), kwargs=member, method="post", role_first=True),
    "units:role-remove": Rule(allow({ADMIN, SUPER}), kwargs=lambda s, w: {"pk": s.assignment.pk}),
    # --- criteria sets (a province's own set: read by the whole province, authored by its staff)
    "certification:criteria-set-list": Rule(allow(SIGNED_IN)),
    "certification:criteria-set-import": Rule(allow(PROVINCE_STAFF)),
    "certification:criteria-set-detail": Rule(allow(IN_SCOPE), kwargs=criteria_set, colleague=OFFICER),
    "certification:criteria-set-diff": Rule(
        allow(IN_SCOPE),
        kwargs=lambda s, w: {"pk": s.province_set.pk, "other_pk": w.national_set.pk},
        colleague=OFFICER,
    ),
    "certification:criteria-set-export": Rule(allow(IN_SCOPE), kwargs=criteria_set, colleague=OFFICER),
    "certification:criteria-set-publish": Rule(allow(PROVINCE_STAFF), kwargs=criteria_set, colleague=403),
    "certification:criteria-set-new-version": Rule(allow(PROVINCE_STAFF), kwargs=criteria_set, colleague=403),
    "certification:criteria-set-clone": Rule(allow(PROVINCE_STAFF), kwargs=criteria_set, colleague=403),
    "certification:criteria-province-add": Rule(allow(PROVINCE_STAFF), kwargs=criteria_set, colleague=403),
    "certification:criteria-for-unit": Rule(
        allow(IN_SCOPE), kwargs=lambda s, w: {"unit_pk": s.areas[0].pk, "year": w.year}
    ),
    # --- campaigns (read by the whole province, edited by its staff)
    "certification:campaign-list": Rule(allow(SIGNED_IN)),
    "certification:campaign-open": Rule(allow(PROVINCE_STAFF)),
    "certification:campaign-detail": Rule(allow(IN_SCOPE), kwargs=campaign, colleague=OFFICER),
    "certification:campaign-edit": Rule(allow(PROVINCE_STAFF), kwargs=campaign, colleague=403),
    # --- assessments
    "certification:assessment-list": Rule(allow(SIGNED_IN)),
    "certification:assessment-start": Rule(
        allow({OFFICER, SUPER}),
        query=lambda s, w: f"unit={s.fresh_area.pk}&campaign={s.campaign.pk}",
    ),
    "certification:recognize-batch": Rule(
        allow({APPROVER, PROVINCE, SUPER}),
        query=lambda s, w: "" if s is w.sides["in"] else f"issuer={s.commune.pk}",
        role_first=True,
        colleague=403,
        outsider=403,
    ),
    "certification:assessments-excel-download": Rule(
        allow({OFFICER, SUPER}),
        query=lambda s, w: f"campaign={s.campaign.pk}",
        role_first=True,
        colleague=OFFICER,  # the campaign is the province's: they get their own commune's units
    ),
    "certification:assessments-excel-upload": Rule(allow({OFFICER, COLLEAGUE, OUTSIDER, SUPER})),
    # A confirmed import is its user's alone (the outsider is the officer of side "out").
    "certification:assessments-excel-job": Rule(
        {**allow(IN_SCOPE, 404), OFFICER: 200}, kwargs=pk_of("import_job")
    ),
    "certification:assessment-detail": Rule(allow(IN_SCOPE), kwargs=assessment),
    "certification:assessment-history": Rule(allow(IN_SCOPE), kwargs=assessment),
    "certification:assessment-save": Rule(allow({OFFICER, SUPER}, 302), kwargs=assessment, method="post"),
    "certification:assessment-submit": Rule(allow({OFFICER, SUPER}), kwargs=assessment),
    "certification:assessment-return": Rule(allow({APPRAISER, SUPER}), kwargs=assessment),
    "certification:assessment-appraise": Rule(allow({APPRAISER, SUPER}), kwargs=assessment),
    # Only an approver *of* the recognizing body (the commune), not one above it.
    "certification:assessment-revoke": Rule(allow({APPROVER, SUPER}), kwargs=assessment),
    "certification:assessment-exception": Rule(allow({APPROVER, PROVINCE, SUPER}), kwargs=assessment),
    "certification:evidence-upload": Rule(allow({OFFICER, SUPER}, 302), kwargs=assessment, method="post"),
    "certification:evidence-download": Rule(allow(IN_SCOPE), kwargs=lambda s, w: {"pk": s.evidence.pk}),
    "certification:evidence-delete": Rule(allow({OFFICER, SUPER}), kwargs=lambda s, w: {"pk": s.evidence.pk}),
    "certification:registration-create": Rule(
        allow({OFFICER, SUPER}), query=lambda s, w: f"unit={s.fresh_area.pk}", role_first=True
    ),
    "certification:my-tasks": Rule(allow(SIGNED_IN)),
    # --- scoring: results are read by the province (each commune sees its own rows);
    # runs are province-level only.
    "certification:scoring-campaign": Rule(allow(IN_SCOPE), kwargs=campaign, colleague=OFFICER),
    "certification:scoring-run-start": Rule(allow(PROVINCE_STAFF), kwargs=campaign, colleague=403),
    "certification:scoring-export": Rule(allow(IN_SCOPE), kwargs=campaign, colleague=OFFICER),
    "certification:scoring-run-detail": Rule({**allow(IN_SCOPE, 404), **allow(PROVINCE_STAFF)}, kwargs=run),
    "certification:scoring-run-progress": Rule({**allow(IN_SCOPE, 404), **allow(PROVINCE_STAFF)}, kwargs=run),
    # --- decisions, certificates, printing, reports
    "certification:decision-list": Rule(allow(SIGNED_IN)),
    "certification:decision-detail": Rule(allow(IN_SCOPE), kwargs=decision),
    "certification:decision-pdf": Rule(allow(DOCUMENTS), kwargs=decision),
    "certification:print-start": Rule(allow(PRINT, 302), kwargs=decision, method="post"),
    # Register the original signed outside: the issuing body's clerk or approver (and above).
    "certification:decision-sign": Rule(allow({APPROVER, CLERK, PROVINCE, SUPER}), kwargs=decision),
    "certification:certificate-pdf": Rule(allow(DOCUMENTS), kwargs=certificate),
    "certification:certificate-revoke": Rule(allow({APPROVER, SUPER}), kwargs=certificate),
    "certification:print-detail": Rule(allow(DOCUMENTS), kwargs=job),
    "certification:print-status": Rule(allow(DOCUMENTS), kwargs=job),
    "certification:print-download": Rule(
        allow(DOCUMENTS), kwargs=lambda s, w: {"pk": s.print_job.pk, "kind": "pdf"}
    ),
    "certification:report-index": Rule(allow(DOCUMENTS)),
    "certification:report-summary": Rule(allow(DOCUMENTS)),
    "certification:notifications": Rule(allow(SIGNED_IN)),
}


def url_names() -> dict[str, str]:
    """Every named (or, when unnamed, routed) URL pattern outside the admin: name → route."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api-v1"):  # the API: tests/security/test_api_matrix.py
                    continue
                ns = ":".join(filter(None, [namespace, p.namespace]))
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = ":".join(filter(None, [namespace, p.name])) if p.name else f"<unnamed {route}>"
                found[name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_url_pattern_has_an_entry_in_the_matrix():
    missing = sorted(set(url_names()) - set(MATRIX))
    assert not missing, f"add these URLs to MATRIX (who may reach them?): {missing}"


def test_the_matrix_names_no_url_that_does_not_exist():
    assert not sorted(set(MATRIX) - set(url_names()))


def test_anonymous_users_reach_only_login_health_verification_and_password_reset():
    assert {name for name, rule in MATRIX.items() if rule.public} == {
        "login",
        "logout",
        "healthz",
        "verify",
        "verify-pdf",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
    }
    # logout only ends a session (and sends to the login page); it shows nothing.
    assert MATRIX["logout"].ok[ANON] == 302


def expected(rule: Rule, role: str, side: str) -> int:
    if role == ANON and not rule.public:
        return 302
    if side == "out" and rule.names_object:
        found = expected_outside(rule, role)
        if found is not None:
            return found
        if role == ANON:
            return rule.ok[ANON]
        acting_as = OFFICER if role == COLLEAGUE else role
        return 403 if rule.role_first and acting_as not in rule.ok else 404
    if role in (COLLEAGUE, OUTSIDER):
        override = rule.colleague if role == COLLEAGUE else rule.outsider
        if isinstance(override, str):
            return rule.ok.get(override, 403)
        if override is not None:
            return override
        if role in rule.ok:
            return rule.ok[role]
        if not rule.names_object:  # a list or form: they are officers like any other
            return rule.ok.get(OFFICER, 403)
        return 403 if rule.role_first and OFFICER not in rule.ok else 404
    return rule.ok.get(role, 403)


def forbidden_markers(role: str) -> list[str]:
    """Names of the sides ``role`` must never see."""
    if role == SUPER:
        return []
    if role == OUTSIDER:
        return [MARKERS["in"]]
    if role in (COLLEAGUE, ANON):
        return [MARKERS["in"], MARKERS["out"]]
    return [MARKERS["out"]]


def _client(world: World, role: str) -> Client:
    client = Client()
    if role != ANON:
        client.force_login(world.users[role])
    return client


def _request(client: Client, rule: Rule, url: str, data: dict) -> object:
    # Each request in a savepoint that is rolled back: POSTs and visits leave the world as it was.
    with transaction.atomic():
        response = getattr(client, rule.method)(url, data)
        transaction.set_rollback(True)
    return response


def _body(response) -> str:
    if getattr(response, "streaming", False) or response.get("Content-Type", "").split(";")[0] != "text/html":
        return ""
    return response.content.decode()


@pytest.mark.django_db
def test_every_url_answers_every_role_as_designed_and_shows_nothing_out_of_scope(world, settings, quiet):
    settings.VERIFY_RATE_LIMIT = 0
    started = time.monotonic()
    clients = {role: _client(world, role) for role in ROLES}
    wrong: list[str] = []
    leaks: list[str] = []
    requests = 0
    for name, rule in sorted(MATRIX.items()):
        for side_key in ("in", "out") if rule.names_object else ("in",):
            side = world.sides[side_key]
            url = reverse(name, kwargs=rule.kwargs(side, world) if rule.kwargs else None)
            query = rule.query(side, world) if rule.query else ""
            if query:
                url = f"{url}?{query}"
            data = rule.data(side, world) if rule.data else {}
            for role in ROLES:
                response = _request(clients[role], rule, url, data)
                requests += 1
                want = expected(rule, role, side_key)
                got = response.status_code
                if got != want:
                    wrong.append(f"{name} [{side_key}] {role}: {got}, expected {want}")
                elif got == 302 and want == 302 and role == ANON and not rule.public:
                    if not response["Location"].startswith(reverse(LOGIN)):
                        wrong.append(f"{name} [{side_key}] anonymous: sent to {response['Location']}")
                if name != "verify":  # the public verification page shows the certificate as issued
                    body = _body(response)
                    for marker in forbidden_markers(role):
                        if marker in body:
                            leaks.append(f"{name} [{side_key}] {role}: shows “{marker}”")
                if name in ("logout", "logout_everywhere"):
                    clients[role] = _client(world, role)
    elapsed = time.monotonic() - started
    print(f"permission matrix: {len(MATRIX)} URLs, {requests} requests in {elapsed:.1f} s")
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(leaks)
    assert settings.DEBUG is False
