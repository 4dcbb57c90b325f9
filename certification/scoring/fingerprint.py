"""A campaign's fingerprint: two md5 digests, computed by PostgreSQL in one statement, of
everything a scoring run of the campaign reads (``inputs``) and of the rows it wrote
(``results``).

Used by ``certification.scoring.runs`` to recognize a run where nothing changed without the
campaign-wide check (``results.campaign_unchanged``: every unit's digest, every commune's XA-4
in Python, then the province summary): when the fingerprint equals the one a finished run
recorded as *verified* (every row current when it was taken), every row is current now and the
run sends no chunk and rewrites no summary.

What ``inputs`` covers, each row by its id and ``xmin`` (the transaction that wrote this version
of the row: PostgreSQL gives every inserted or updated row version the writer's transaction id,
so any change of any column, a column added later included, changes it; a deleted row changes
the count). A dump restored elsewhere changes every ``xmin``: the next run then does the
ordinary check once. Over-inclusion only ever costs a run that check:

* the campaign's row, its criteria sets and the (small) criteria, score-sheet and grade-band
  tables;
* every unit of the province's subtree (kind, eligibility, households, parent, validity, name,
  code: the summary shows them) and any unit elsewhere that a rule gives to one of its communes,
  the ``RecognizingAuthority`` rules and ``UnitChange`` links touching one of them;
* the assessments of the campaign and of last year's campaign of the province (id and
  **version**: the version stands for the answers, as in the units' input digests,
  ``inputs._inputs_digest``), the registrations of the campaign;
* the scoring code's versions (``ENGINE_VERSION``, ``HASH_FORMAT``, ``FORMAT`` here);
* the register of models (``certification.extensions.model_facts_stamp``): without a stamp
  from every app that gives model facts there is no fingerprint.

``results`` covers every ``Result`` row of the campaign (units, communes, province summary).
Rows are combined by summing a 64-bit hash of each row's (id, xmin) (order-free: no sort, no
text built per row: ~10 ms for a province of ~5,000 units), with the count.
"""

from typing import Any, NamedTuple

from django.db import connection

from certification import extensions
from certification.models import (
    Assessment,
    Campaign,
    CriteriaSet,
    Criterion,
    GradeBand,
    Registration,
    Result,
    ScoreItem,
    ScoreSheet,
)
from certification.scoring import engine as scoring
from certification.scoring.inputs import HASH_FORMAT
from units.models import RecognizingAuthority, Unit, UnitChange

FORMAT = "fp-1"  # change it when what the fingerprint covers changes


class Fingerprint(NamedTuple):
    inputs: str  # md5 of what a run reads
    results: str  # md5 of the campaign's Result rows

    @property
    def full(self) -> str:
        return self.inputs + self.results


def rows_stamp(table: str, where: str = "TRUE") -> str:
    """SQL: the count of the rows of ``table`` AS t WHERE ``where`` and the sum of a 64-bit hash
    of each row's (id, xmin, cmin): changes whenever one of those rows is inserted, updated or
    deleted (``cmin``, the command within its transaction, tells apart two versions one
    transaction wrote, as a test's single transaction does)."""
    return (
        "(SELECT count(*)::text || ':' || COALESCE(sum(hashint8extended(t.id,"
        " (t.xmin::text::bigint << 32) + t.cmin::text::bigint)), 0)::text"
        f" FROM {table} t WHERE {where})"
    )


def campaign_fingerprint(campaign: Campaign) -> Fingerprint | None:
    """The campaign's fingerprint, or None where there is none (not PostgreSQL, or an app gives
    model facts without a stamp of them)."""
    if connection.vendor != "postgresql":
        return None
    stamp = extensions.model_facts_stamp(campaign.province.path, campaign.year)
    if stamp is None:
        return None
    units = Unit._meta.db_table
    in_province = f"(SELECT u.id FROM {units} u WHERE u.path LIKE %s)"
    last_year = f"(SELECT pc.id FROM {Campaign._meta.db_table} pc WHERE pc.year = %s AND pc.province_id = %s)"
    links = Campaign.criteria_sets.through._meta.db_table
    parts: list[tuple[str, list[Any]]] = [
        ("%s", [f"{FORMAT}/{HASH_FORMAT}/{scoring.ENGINE_VERSION}/{stamp}"]),
        (rows_stamp(Campaign._meta.db_table, "t.id = %s"), [campaign.pk]),
        (rows_stamp(links, "t.campaign_id = %s"), [campaign.pk]),
        *(
            (rows_stamp(model._meta.db_table), [])
            for model in (CriteriaSet, Criterion, ScoreSheet, ScoreItem, GradeBand)
        ),
        (rows_stamp(units, "t.path LIKE %s"), [campaign.province.path + "%"]),
        # Units elsewhere that a rule gives to an authority of the province (two parts: an OR
        # would cost the path index).
        (
            rows_stamp(
                units,
                f"t.id IN (SELECT a.unit_id FROM {RecognizingAuthority._meta.db_table} a"
                f" WHERE a.authority_id IN {in_province}) AND t.path NOT LIKE %s",
            ),
            [campaign.province.path + "%"] * 2,
        ),
        (
            rows_stamp(
                RecognizingAuthority._meta.db_table,
                f"t.unit_id IN {in_province} OR t.authority_id IN {in_province}",
            ),
            [campaign.province.path + "%"] * 2,
        ),
        (
            rows_stamp(
                UnitChange._meta.db_table,
                f"t.successor_id IN {in_province} OR t.predecessor_id IN {in_province}",
            ),
            [campaign.province.path + "%"] * 2,
        ),
        (rows_stamp(Assessment._meta.db_table, "t.campaign_id = %s"), [campaign.pk]),
        (
            rows_stamp(Assessment._meta.db_table, f"t.campaign_id = {last_year}"),
            [campaign.year - 1, campaign.province_id],
        ),
        (rows_stamp(Registration._meta.db_table, "t.campaign_id = %s"), [campaign.pk]),
    ]
    inputs_sql = "md5(" + " || '|' || ".join(sql for sql, _params in parts) + ")"
    params = [param for _sql, ps in parts for param in ps]
    results_sql = f"md5({rows_stamp(Result._meta.db_table, 't.campaign_id = %s')})"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {inputs_sql}, {results_sql}", [*params, campaign.pk])
        inputs, results = cursor.fetchone()
    return Fingerprint(inputs, results)
