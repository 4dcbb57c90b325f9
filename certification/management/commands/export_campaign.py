"""``python manage.py export_campaign --year Y --province CODE --output F``: back up one campaign.

``F`` ending in ``.json``: one JSON file (evidence in base64); otherwise a zip with
``campaign.json`` and the evidence files under ``media/``. See certification/backup.py.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certification.errors import BackupError
from certification.exchange.backup import export_campaign, fingerprint, write_file


class Command(BaseCommand):
    help = "Sao lưu một đợt xét (một tỉnh, một năm): hồ sơ, đánh giá, minh chứng, quyết định, giấy công nhận, kết quả."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm xét, ví dụ 2026.")
        parser.add_argument("--province", required=True, help="Mã tỉnh, ví dụ 42.")
        parser.add_argument("--output", required=True, help="Tệp ra: .zip (kèm tệp minh chứng) hoặc .json.")

    def handle(self, *args, year: int, province: str, output: str, **options):
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"Thư mục {path.parent} không tồn tại.")
        try:
            export = export_campaign(year=year, province_code=province.strip())
            counts = write_file(export, path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{key}: {value}" for key, value in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Đã sao lưu đợt xét năm {year} của tỉnh {province} vào {path} ({summary}).")
        )
        self.stdout.write(f"Dấu kiểm (SHA-256 của dữ liệu): {fingerprint(export.data)}")
