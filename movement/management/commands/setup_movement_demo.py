from django.core.management.base import BaseCommand

from movement.data.demo import setup_movement_demo


class Command(BaseCommand):
    help = "Add the movement's demo data (models, ratings, security teams) to the demo province (after setup_demo)."

    def handle(self, *args, **options) -> None:
        count = setup_movement_demo()
        self.stdout.write(
            f"Mô hình phong trào: {count} mô hình đã thêm." if count else "Mô hình phong trào: đã có."
        )
