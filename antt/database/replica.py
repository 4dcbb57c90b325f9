"""Report reads from a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``, docs/scaling.md).

Nothing reads from the replica by default. A block marked with :func:`report_reads` (a context
manager and a decorator) sends its reads of the ``units`` and ``certification`` tables to the
``replica`` alias, unless

- no replica is configured (one database, as without this module);
- the primary has a transaction open on this thread (a read inside a transaction must see that
  transaction's own writes);
- the block has written anything already (a read after a write of the same block would not see
  it on a replica that lags behind).

Accounts, sessions, login throttling and two-step verification always read the primary (a user
just logged in, a session just ended, must be seen at once), and every write goes to the primary.
Access checks run before the marked block, on the primary: a role just revoked is never granted
by a lagging replica.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
# The apps whose tables the reports and dashboards read. auth, sessions, accounts, axes and
# django_otp stay on the primary.
REPORT_APPS = frozenset({"units", "certification"})


@dataclass
class _Block:
    wrote: bool = False


_block: ContextVar[_Block | None] = ContextVar("antt_report_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in connections


@contextmanager
def report_reads() -> Iterator[None]:
    """Mark the reads inside as report reads, which may come from the replica. Use it around the
    selectors and the rendering of reports and dashboards, after the access checks. Nested
    blocks join the outer one."""
    if _block.get() is not None:
        yield
        return
    token = _block.set(_Block())
    try:
        yield
    finally:
        _block.reset(token)


def reading_from_replica() -> bool:
    """Whether a read made here would go to the replica (for tests and the bench)."""
    block = _block.get()
    return (
        block is not None
        and not block.wrote
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    )


class ReplicaRouter:
    """``settings.DATABASE_ROUTERS``: the replica for the reads of a :func:`report_reads` block,
    the primary for everything else."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not replica_configured():
            return None  # one database: Django's own choice
        if model._meta.app_label in REPORT_APPS and reading_from_replica():
            return REPLICA
        # Explicitly the primary: an object read inside a block must not drag the reads of its
        # relations to the replica after the block.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        block = _block.get()
        if block is not None:
            block.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # a replica follows the primary's WAL, schema included
