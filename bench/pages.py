"""Page latency and SQL queries per page (figure 5 of issue 10), in this process with
``django.test.Client`` (the whole Django stack from middleware to template, no HTTP server)
against the benchmark database, logged in as the user each page is for.

The baseline of a page is the cheapest authenticated page (``/healthz`` is not authenticated:
it is measured too, as the floor of a request). The number of queries must be the same at
province and national scale: ``bench/report.py`` compares both runs when both exist.
"""

from __future__ import annotations

import math
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.fixtures import BenchUsers, bench_users
from certification.models import Assessment, Campaign
from tests.api.conftest import bearer, make_token
from units.models import Unit


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]


def page_list(users: BenchUsers) -> list[tuple[str, str, object, str]]:
    """(key, description, user, url) of the pages measured."""
    communes = Unit.objects.filter(kind=Unit.Kind.COMMUNE, valid_to__isnull=True).count()
    campaign = Campaign.objects.get(year=users.year, province=users.province)
    area_assessment = (
        Assessment.objects.filter(
            campaign=campaign, unit__parent=users.commune, unit__kind=Unit.Kind.RESIDENTIAL_AREA
        )
        .order_by("unit__code")
        .first()
    )
    commune_assessment = Assessment.objects.filter(campaign=campaign, unit=users.commune).first()
    last_page = max(1, math.ceil(communes / 50))
    pages = [
        ("floor", "GET /healthz (no login, one SELECT 1: the floor)", None, "/healthz"),
        (
            "communes",
            f"Commune list, all communes ({communes:,}; national administrator)",
            users.admin,
            "/units/?kind=commune",
        ),
        (
            "communes_last",
            f"Commune list, last page ({last_page})",
            users.admin,
            f"/units/?kind=commune&page={last_page}",
        ),
        (
            "province_communes",
            "Commune list of the province (province leader)",
            users.leader,
            "/units/?kind=commune",
        ),
        (
            "commune_units",
            "A commune's units (list, officer of the largest commune)",
            users.officer,
            f"/units/?within={users.commune.pk}",
        ),
        ("commune_detail", "A commune's page with its units", users.officer, f"/units/{users.commune.pk}/"),
        ("dashboard", "Province dashboard (home page of the province leader)", users.leader, "/"),
        ("officer_home", "Officer's home page (my units)", users.officer, "/"),
        (
            "results",
            "Province results page (every commune with XA-4)",
            users.leader,
            f"/scoring/campaigns/{campaign.pk}/",
        ),
        (
            "assessment_list",
            "Assessment list of the officer's commune",
            users.officer,
            f"/assessments/?campaign={campaign.pk}",
        ),
    ]
    if area_assessment:
        pages.append(
            (
                "assessment_form",
                "Assessment form of a residential area",
                users.officer,
                f"/assessments/{area_assessment.pk}/",
            )
        )
    if commune_assessment:
        pages.append(
            (
                "commune_form",
                "Assessment form of the commune (XA-4)",
                users.officer,
                f"/assessments/{commune_assessment.pk}/",
            )
        )
    pages += api_page_list(users, campaign)
    return pages


def api_page_list(users: BenchUsers, campaign: Campaign) -> list[tuple[str, str, object, str]]:
    """The API's pages (docs/api.md), read with a token of the user: the same rule, a constant
    number of queries whatever the scale (pages of at most ``limit`` rows by cursor)."""
    commune = users.commune.pk
    return [
        (
            "api_units",
            "API: units of the province, first page of 100",
            users.leader,
            "/api/v1/units?kind=commune",
        ),
        (
            "api_results",
            "API: a commune's results with their reasons (province leader)",
            users.leader,
            f"/api/v1/results?scope={commune}&campaign={campaign.pk}",
        ),
        (
            "api_assessments",
            "API: the assessments of the officer's commune",
            users.officer,
            f"/api/v1/assessments?scope={commune}&campaign={campaign.pk}",
        ),
        (
            "api_unit",
            "API: a commune with its ancestors and history",
            users.officer,
            f"/api/v1/units/{commune}",
        ),
    ]


def _api_client(user) -> Client:
    # A token per page, as a province's system would hold one (bench database only).
    return bearer(make_token(user, days=1))


def measure_page(client: Client, url: str, *, repeat: int) -> dict:
    for _ in range(2):  # warm-up: template loading, caches, connection
        response = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Read now: the next request's request_started signal empties the connection's query log.
    query_count = len(queries.captured_queries)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": query_count,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(_percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "repeat": repeat,
    }


def measure(year: int, *, repeat: int = 20) -> dict:
    users = bench_users(year)
    results = {}
    for key, description, user, url in page_list(users):
        if url.startswith("/api/"):
            client = _api_client(user)
        else:
            client = Client()
            if user is not None:
                client.force_login(user)
        results[key] = {"page": description, "url": url, **measure_page(client, url, repeat=repeat)}
    return {
        "province": str(users.province),
        "commune": str(users.commune),
        "commune_units": Unit.objects.filter(parent=users.commune).count(),
        "pages": results,
    }
