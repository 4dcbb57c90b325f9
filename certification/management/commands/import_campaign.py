"""``python manage.py import_campaign FILE``: restore a campaign saved by export_campaign.

All or nothing; the campaign must not exist yet; units, users and criteria sets are found by
their codes, usernames and ``family@version`` (users that do not exist are left empty and listed).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certification.errors import BackupError
from certification.exchange.backup import import_campaign, read_file


class Command(BaseCommand):
    help = "Khôi phục một đợt xét từ tệp sao lưu của export_campaign (tất cả hoặc không gì cả)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .zip hoặc .json do export_campaign tạo.")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        try:
            campaign, counts, unknown_users = import_campaign(read_file(path))
        except BackupError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{key}: {value}" for key, value in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Đã khôi phục đợt xét {campaign} (mã {campaign.pk}): {summary}.")
        )
        if unknown_users:
            self.stdout.write(
                self.style.WARNING(
                    "Các tài khoản sau không có ở đây, những chỗ ghi người thực hiện để trống: "
                    + ", ".join(sorted(unknown_users))
                )
            )
