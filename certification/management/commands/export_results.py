"""``python manage.py export_results --year YEAR [--province CODE] --output FILE.xlsx``."""

from django.core.management.base import BaseCommand, CommandError

from certification.management.commands.score_campaign import campaigns_for
from certification.scoring.export import write_results


class Command(BaseCommand):
    help = "Xuất kết quả (sheet “Kết quả”, mỗi đơn vị một dòng, gồm cả cấp xã) ra tệp Excel."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm xét, ví dụ 2026.")
        parser.add_argument("--province", help="Mã tỉnh, ví dụ 42 (mặc định: mọi tỉnh).")
        parser.add_argument("--output", required=True, help="Tệp .xlsx cần ghi.")

    def handle(self, *args, year: int, output: str, province: str | None = None, **options):
        if not output.lower().endswith(".xlsx"):
            raise CommandError("Tệp xuất phải có đuôi .xlsx.")
        campaigns = campaigns_for(year, province)
        try:
            count = write_results(campaigns, output)
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp {output}: {exc.strerror or exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Đã ghi {count:,} dòng vào {output}.".replace(",", ".")))
