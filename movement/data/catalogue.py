"""The national catalogue of model types (Hướng dẫn 22/HD-BCA-V05 and the provinces' yearly
reports). A province adds its own types (``ModelType.province``) in the admin. Loaded by
migration 0002; ``load_catalogue(apps)`` again wherever the table may have been emptied (the
browser tests' flushes), as ``certification.data.tt124.load_tt124_sets``."""

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


def load_catalogue(apps) -> None:
    """Create the national types that are missing (a no-op when present)."""
    ModelType = apps.get_model("movement", "ModelType")
    for code, name, cameras in TYPES:
        ModelType.objects.get_or_create(
            province=None, code=code, defaults={"name": name, "counts_cameras": cameras}
        )
