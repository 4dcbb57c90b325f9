"""Gap-free numbers per issuing body, year and series (decisions, certificate register).

A number is taken inside the caller's transaction: the counter row stays locked (SELECT … FOR
UPDATE) until that transaction commits, so concurrent issuers queue one behind the other; if
the caller rolls back, so does the counter, and no number is lost or used twice.
"""

from django.db import transaction
from django.db.models import F

from certification.models import DecisionCounter

DECISION = "decision"
CERTIFICATE = "certificate"


@transaction.atomic
def reserve_numbers(*, issuer, year: int, series: str = DECISION, count: int = 1) -> range:
    """``count`` consecutive numbers, e.g. range(26, 51) for the 25 certificates of a decision."""
    if count < 1:
        return range(0)
    # INSERT … ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite): creating the counter row
    # cannot race; a concurrent creator waits for the first one's commit, then finds the row.
    DecisionCounter.objects.bulk_create(
        [DecisionCounter(issuer_id=issuer.pk, year=year, series=series, last=0)], ignore_conflicts=True
    )
    counter = DecisionCounter.objects.select_for_update().get(issuer_id=issuer.pk, year=year, series=series)
    first = counter.last + 1
    DecisionCounter.objects.filter(pk=counter.pk).update(last=F("last") + count)
    return range(first, first + count)


def next_number(*, issuer, year: int, series: str = DECISION) -> int:
    """The next number of ``series`` for ``issuer`` in ``year``: unique, gap-free, never reused."""
    return reserve_numbers(issuer=issuer, year=year, series=series, count=1)[0]
