"""Writing ``Result`` rows in bulk: COPY + INSERT … ON CONFLICT on PostgreSQL, no model instances."""

import json
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction

from certification.models import Result


class ResultRow(NamedTuple):
    """One ``Result`` row as written: its fields are the table's columns, in COPY order."""

    campaign_id: int
    unit_id: int
    assessment_id: int | None
    outcome: str
    is_forecast: bool
    points: Decimal | None
    grade: str
    unmet_codes: list[str]
    missing_codes: list[str]
    explanation: str
    rollup: dict[str, Any]
    input_hash: str


COLUMNS = ResultRow._fields
# What an upsert of an existing (campaign, unit) row changes (``computed_at``: now).
UPDATED = (*COLUMNS[2:], "computed_at")
JSON_FIELDS = {"unmet_codes", "missing_codes", "rollup"}
EMPTY_JSON: dict[type[object], str] = {list: "[]", dict: "{}"}
WRITE_BATCH = 1000
COPY_FROM_ROWS = 200  # below this a single INSERT beats the staging table's five statements


_UPDATES = ", ".join(f"{name} = EXCLUDED.{name}" for name in UPDATED)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value else EMPTY_JSON[type(value)]


def _insert_values(rows: list[ResultRow]) -> None:
    """A few rows (a chunk's ~60 communes): one ``INSERT … VALUES … ON CONFLICT`` with the rows
    as parameters, as the COPY path writes them (``computed_at``: now()), without building a
    model instance per row (issue 23, round 7: ``bulk_create`` cost ~10 ms of a worker's Python
    per chunk)."""
    one = "(" + ", ".join("%s::jsonb" if name in JSON_FIELDS else "%s" for name in COLUMNS) + ", now())"
    params: list[Any] = []
    for row in rows:
        params.extend(
            _json(value) if name in JSON_FIELDS else value for name, value in zip(COLUMNS, row, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Result._meta.db_table} ({', '.join(COLUMNS)}, computed_at) "
            f"VALUES {', '.join([one] * len(rows))} "
            f"ON CONFLICT (campaign_id, unit_id) DO UPDATE SET {_UPDATES}",
            params,
        )


def write_rows(rows: list[ResultRow]) -> None:
    """Upsert result rows on (campaign, unit), in unit order so concurrent writers lock rows in
    the same order. PostgreSQL: COPY into a temporary table and one INSERT … ON CONFLICT DO
    UPDATE, or for fewer than ``COPY_FROM_ROWS`` rows one INSERT … VALUES … ON CONFLICT; another
    database: ``bulk_create(update_conflicts=True)``."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: row.unit_id)
    if connection.vendor == "postgresql" and len(rows) < COPY_FROM_ROWS:
        _insert_values(rows)
        return
    if connection.vendor != "postgresql":
        Result.objects.bulk_create(
            [Result(**row._asdict()) for row in rows],
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["campaign", "unit"],
            update_fields=UPDATED,
        )
        return
    table = Result._meta.db_table
    columns = ", ".join(COLUMNS)
    json_at = [i for i, name in enumerate(COLUMNS) if name in JSON_FIELDS]
    # ON COMMIT DELETE ROWS: the staging rows live only inside this transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS result_stage ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("TRUNCATE result_stage")
        with cursor.connection.cursor() as raw, raw.copy(f"COPY result_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = list(row)
                for i in json_at:
                    values[i] = _json(values[i])
                copy.write_row(values)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, computed_at) SELECT {columns}, now() FROM result_stage "
            f"ORDER BY unit_id ON CONFLICT (campaign_id, unit_id) DO UPDATE SET {_UPDATES}"
        )
