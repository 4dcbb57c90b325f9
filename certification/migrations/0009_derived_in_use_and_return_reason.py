"""Derived state is no longer stored.

* ``CriteriaSet.Status.FROZEN`` ("published and an assessment uses it") goes: "in use" is now
  ``CriteriaSet.is_in_use`` / the ``in_use`` annotation, computed from the assessments. Frozen
  rows become published. The audit trail keeps its meaning and is not touched: the past
  ``criteria_set_frozen`` events stay as they are (they record, truly, when the set was first
  used, and rewriting them would break the hash chain); no event is written for this change,
  which alters no fact, only how it is stored.
* ``Assessment.dossier_returned`` (= returned with a dossier reason) and
  ``Assessment.return_reason`` (the summary of the answers' ``return_reason`` and
  ``dossier_return_reason``) are now properties computed from those sources.

Reversible: going back marks published sets in use as frozen and refills the two columns of
returned assessments from their sources.
"""

from django.db import migrations, models


def frozen_to_published(apps, schema_editor):
    CriteriaSet = apps.get_model("certification", "CriteriaSet")
    CriteriaSet.objects.filter(status="frozen").update(status="published")


def published_in_use_to_frozen(apps, schema_editor):
    CriteriaSet = apps.get_model("certification", "CriteriaSet")
    CriteriaSet.objects.filter(status="published", assessments__isnull=False).update(status="frozen")


def refill_return_columns(apps, schema_editor):
    Assessment = apps.get_model("certification", "Assessment")
    Answer = apps.get_model("certification", "Answer")
    for assessment in Assessment.objects.filter(status="returned"):
        answers = Answer.objects.filter(assessment=assessment, is_returned=True).order_by(
            "criterion__order", "criterion_id"
        )
        lines = [f"{a.criterion.code}: {a.return_reason}" for a in answers.select_related("criterion")]
        if assessment.dossier_return_reason:
            lines.append(f"Hồ sơ: {assessment.dossier_return_reason}")
        assessment.return_reason = "\n".join(lines)
        assessment.dossier_returned = bool(assessment.dossier_return_reason)
        assessment.save(update_fields=["return_reason", "dossier_returned"])


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0008_result_campaign_index_dropped"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, refill_return_columns),
        migrations.RemoveField(
            model_name="assessment",
            name="dossier_returned",
        ),
        migrations.RemoveField(
            model_name="assessment",
            name="return_reason",
        ),
        migrations.RunPython(frozen_to_published, published_in_use_to_frozen),
        migrations.AlterField(
            model_name="criteriaset",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published")],
                default="draft",
                max_length=10,
                verbose_name="status",
            ),
        ),
    ]
