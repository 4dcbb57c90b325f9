"""What auditing costs a large unit import (issue 19, class 5): one event per created or changed
unit, appended in one INSERT at commit.

    bash scripts/test bench/unit_import_audit.py -s -p no:randomly -n 0

Builds one commune with ``ROWS`` residential areas, then times ``run_import`` of ``ROWS`` rows
that create them all, and of ``ROWS`` rows that rename and recount every one, each with the audit
and with the audit switched off (the baseline), on the throwaway PostgreSQL of scripts/test.
Prints the figures (docs/reliability.md, "Everything audited"); asserts only that the events
are there."""

import time

import pytest

from certification.models import AuditEvent
from units import services
from units.exchange import imports
from units.exchange.imports import CODE, COLUMNS, HOUSEHOLDS, KIND, MANAGER, NAME, RawRow, run_import
from units.models import Unit

ROWS = imports.MAX_ROWS


def rows(commune: Unit, *, prefix: str, name: str, households: int) -> list[RawRow]:
    found = []
    for i in range(ROWS):
        values = dict.fromkeys(COLUMNS, "")
        values.update(
            {
                CODE: f"{prefix}{i:05d}",
                NAME: f"{name} {i}",
                KIND: "Thôn",
                MANAGER: commune.code,
                HOUSEHOLDS: str(households + i % 50),
            }
        )
        found.append(RawRow(number=i + 2, values=values))
    return found


def timed(label: str, batch: list[RawRow], **kwargs) -> float:
    started = time.perf_counter()
    plan = run_import(batch, **kwargs)
    elapsed = time.perf_counter() - started
    assert plan.ok and plan.committed
    print(f"{label:<44} {elapsed:6.2f} s  ({len(plan.creates)} new, {len(plan.updates)} changed)")
    return elapsed


@pytest.mark.django_db(transaction=True)
def test_measure_the_audit_of_a_large_unit_import(monkeypatch):
    province = Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)
    commune = Unit.objects.create(
        code="18823", name="Vũng Áng", label="Phường", kind=Unit.Kind.COMMUNE, parent=province
    )
    print(f"\n{ROWS} rows per import")
    timed("create, audited", rows(commune, prefix="A", name="Thôn", households=100))
    timed("rename + recount all, audited", rows(commune, prefix="A", name="Thôn mới", households=300))
    audited = AuditEvent.objects.count()
    assert audited == 2 * ROWS

    monkeypatch.setattr(services, "log_unit_changes", lambda **kwargs: 0)
    timed("create, not audited (baseline)", rows(commune, prefix="B", name="Thôn", households=100))
    timed(
        "rename + recount all, not audited (baseline)", rows(commune, prefix="B", name="Xóm", households=300)
    )
    assert AuditEvent.objects.count() == audited
