"""Build the benchmark data set: ``manage.py generate_dataset`` (certification/dataset.py).

(It used to hang on PostgreSQL, the answer generator's SELECTs waiting for the open COPY;
``certification.data.dataset._copy_answers`` now draws the rows first.)

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

    call_command("generate_dataset", *sys.argv[1:])


if __name__ == "__main__":
    main()
