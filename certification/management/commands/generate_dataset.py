"""``python manage.py generate_dataset --scale province|national [--seed N] [--year YEAR]``."""

from django.core.management.base import BaseCommand, CommandError

from certification.data.dataset import generate_dataset


class Command(BaseCommand):
    help = (
        "Sinh dữ liệu mẫu có quy mô thực tế: một tỉnh (~170 xã) hoặc toàn quốc (34 tỉnh, 3.321 xã, "
        "≈ 100.000 khu dân cư, ≈ 60.000 cơ quan, doanh nghiệp, cơ sở giáo dục) với đăng ký, phiếu đánh "
        "giá, câu trả lời của năm xét và năm trước. Chạy lại chỉ bổ sung phần còn thiếu."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["province", "national"], required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--year", type=int, help="Năm xét (mặc định: năm nay).")
        parser.add_argument("--province", type=int, help="Với --scale province: mã tỉnh (mặc định 79).")
        parser.add_argument("--synthetic", action="store_true", help="Dùng tên đơn vị hành chính giả.")
        parser.add_argument("--communes", type=int, help="Giới hạn số xã (để thử nhanh).")
        parser.add_argument(
            "--decided", type=float, default=0.0, help="Tỷ lệ phiếu năm xét đã có quyết định (0..1)."
        )
        parser.add_argument("--fill", type=float, default=1.0, help="Tỷ lệ tiêu chí đã được trả lời (0..1).")
        parser.add_argument("--no-history", action="store_true", help="Không sinh dữ liệu năm trước.")

    def handle(self, *args, **options):
        for name in ("decided", "fill"):
            if not 0 <= options[name] <= 1:
                raise CommandError(f"--{name} phải nằm trong khoảng 0..1.")
        if options["communes"] is not None and options["communes"] < 1:
            raise CommandError("--communes phải lớn hơn 0.")
        report = generate_dataset(
            scale=options["scale"],
            seed=options["seed"],
            year=options["year"],
            province=options["province"],
            synthetic=options["synthetic"],
            communes=options["communes"],
            decided_ratio=options["decided"],
            fill_ratio=options["fill"],
            history=not options["no_history"],
            log=(lambda message: self.stdout.write(message)) if options["verbosity"] > 1 else None,
        )
        for key, n in sorted(report.counts.items()):
            self.stdout.write(f"  {key}: {n:,}".replace(",", "."))
        self.stdout.write(self.style.SUCCESS(f"Xong trong {report.seconds:.1f} giây."))
