"""Race helpers for the concurrency tests (real PostgreSQL: each thread has its own connection)."""

import threading

from django.db import connection


def run_in_threads(targets, timeout: float = 120) -> list:
    """Start every target at the same instant (a barrier); return results or exceptions."""
    barrier = threading.Barrier(len(targets))
    outcomes: list = [None] * len(targets)

    def run(i, target):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = target()
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return outcomes
