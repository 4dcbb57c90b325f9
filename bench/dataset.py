"""Build the benchmark data set: ``manage.py generate_dataset`` (certification/dataset.py).

``certification.dataset._copy_answers`` used to hang on PostgreSQL (the answer generator's
SELECTs waited for the open COPY); it now draws the rows before the COPY, and the guard that
did so here is a no-op kept for old checkouts.

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
