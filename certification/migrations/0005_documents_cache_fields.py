from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0004_tt124_criteria"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="replace_reason",
            field=models.TextField(blank=True, verbose_name="reason replaced"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="revoke_reference",
            field=models.CharField(blank=True, max_length=200, verbose_name="revoked by (reference)"),
        ),
        migrations.AddField(
            model_name="decision",
            name="content_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="printjob",
            name="chunks",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
