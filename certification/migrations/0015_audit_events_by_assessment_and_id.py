# Issue 23, round 10: an assessment's events by (assessment, id) instead of assessment alone, so
# that its latest changes are read through the index whatever plan a prepared statement gets.
#
# The audit table is the largest that every save writes to. On PostgreSQL the new index is built
# and the old one dropped CONCURRENTLY (outside a transaction: saves go on while it builds); in
# Django's state the same change is an AddIndex and the foreign key without its own index.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "certification_auditevent"
NEW = "audit_assessment_idx"
OLD = "certification_auditevent_assessment_id_656ed1ff"  # Django's name for the foreign key's index


def _concurrently(schema_editor) -> str:
    return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def forwards(apps, schema_editor):
    how = _concurrently(schema_editor)
    schema_editor.execute(f'CREATE INDEX{how} IF NOT EXISTS "{NEW}" ON "{TABLE}" ("assessment_id", "id")')
    schema_editor.execute(f'DROP INDEX{how} IF EXISTS "{OLD}"')


def backwards(apps, schema_editor):
    how = _concurrently(schema_editor)
    schema_editor.execute(f'CREATE INDEX{how} IF NOT EXISTS "{OLD}" ON "{TABLE}" ("assessment_id")')
    schema_editor.execute(f'DROP INDEX{how} IF EXISTS "{NEW}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("certification", "0014_merge_qr_codes_and_results"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["assessment", "id"], name=NEW),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="assessment",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to="certification.assessment",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
