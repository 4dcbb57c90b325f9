"""The national catalogue of model types (Hướng dẫn 22/HD-BCA-V05 and the provinces' reports);
a province adds its own types (``ModelType.province``) in the admin."""

from django.db import migrations

TYPES = [
    ("camera-an-ninh", "Camera an ninh", True),
    ("to-lien-gia-tu-quan", "Tổ liên gia tự quản", False),
    ("to-lien-gia-an-toan-pccc", "Tổ liên gia an toàn phòng cháy, chữa cháy", False),
    ("to-tuan-tra", "Tổ tuần tra nhân dân", False),
    ("hom-thu-to-giac", "Hòm thư tố giác tội phạm", False),
    ("tieng-keng-an-ninh", "Tiếng kẻng an ninh", False),
    ("doi-co-dong", "Đội cơ động", False),
    ("khac", "Mô hình khác", False),
]


def add(apps, schema_editor):
    ModelType = apps.get_model("movement", "ModelType")
    for code, name, cameras in TYPES:
        ModelType.objects.get_or_create(province=None, code=code, defaults={"name": name, "counts_cameras": cameras})


def remove(apps, schema_editor):
    apps.get_model("movement", "ModelType").objects.filter(
        province=None, code__in=[c for c, _n, _k in TYPES], models__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("movement", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
