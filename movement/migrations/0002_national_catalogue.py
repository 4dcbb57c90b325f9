from django.db import migrations

from movement.data.catalogue import TYPES, load_catalogue


def add(apps, schema_editor):
    load_catalogue(apps)


def remove(apps, schema_editor):
    apps.get_model("movement", "ModelType").objects.filter(
        province=None, code__in=[code for code, _name, _cameras in TYPES], models__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("movement", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
