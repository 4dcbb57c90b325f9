"""Load the four TT 124/2021 criteria sets (published, version 1) and the example score sheet."""

from django.db import migrations

from certification.data.tt124 import load_example_score_sheet, load_tt124_sets


def load(apps, schema_editor):
    load_tt124_sets(apps)
    load_example_score_sheet(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0003_criterion_na_condition_text"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
