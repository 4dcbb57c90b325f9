"""Build the benchmark data set: ``manage.py generate_dataset`` (certification/dataset.py) with
one guard.

``certification.dataset._copy_answers`` opens a COPY and then pulls its rows from the
``_answer_rows`` generator, whose first step runs SELECTs on the same connection: on PostgreSQL
(psycopg 3) those SELECTs wait for the COPY to end, which waits for them — the command hangs
for ever at the first province. Until the generator is fixed there, the rows are drawn before
the COPY starts (one province at a time, so memory stays bounded).

    python -m bench.dataset --scale province --year 2026 --seed 1
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from certification import dataset

    copy_answers = dataset._copy_answers

    def copy_drawn_rows(rows):
        return copy_answers(list(rows))

    dataset._copy_answers = copy_drawn_rows
    call_command("generate_dataset", *sys.argv[1:])


if __name__ == "__main__":
    main()
