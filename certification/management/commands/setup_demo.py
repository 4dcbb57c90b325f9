from django.core.management.base import BaseCommand

from certification.data.demo import DEMO_PASSWORD, setup_demo


class Command(BaseCommand):
    help = "Load the demo: Hà Tĩnh, local units, campaigns of last year and this year, one user per role."

    def handle(self, *args, **options) -> None:
        users = setup_demo(self.stdout)
        self.stdout.write("")
        self.stdout.write(f"Tài khoản demo (mật khẩu chung: {DEMO_PASSWORD}):")
        for spec, unit in users:
            self.stdout.write(f"  {spec.username:<18} {spec.title:<28} {unit}")
        self.stdout.write("Đăng nhập bằng một trong các tài khoản trên.")
