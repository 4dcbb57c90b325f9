"""``python manage.py open_campaign --year YEAR --province CODE``: open a province's yearly campaign."""

from django.core.management.base import BaseCommand, CommandError

from antt.errors import WorkflowError
from certification.models.criteria import UnitKind
from certification.services.campaigns import open_campaign
from units.models import Unit


class Command(BaseCommand):
    help = "Mở đợt xét công nhận “An toàn về an ninh, trật tự” của một tỉnh cho một năm (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm xét, ví dụ 2026.")
        parser.add_argument("--province", required=True, help="Mã tỉnh, ví dụ 42.")

    def handle(self, *args, year: int, province: str, **options):
        unit = Unit.objects.filter(code=province.strip(), kind=Unit.Kind.PROVINCE).first()
        if unit is None:
            raise CommandError(
                f"Không tìm thấy tỉnh có mã “{province}”. Kiểm tra lại mã tỉnh trong danh mục đơn vị."
            )
        existed = unit.campaigns.filter(year=year).exists()
        try:
            campaign = open_campaign(year=year, province=unit)
        except WorkflowError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Đã có" if existed else "Đã mở"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} đợt xét năm {year} của {unit.full_name} (mã đợt {campaign.pk}).")
        )
        labels = dict(UnitKind.choices)
        attached = {cs.unit_kind: cs for cs in campaign.criteria_sets.all()}
        for kind in UnitKind.values:
            criteria_set = attached.get(kind)
            if criteria_set is None:
                self.stdout.write(
                    self.style.WARNING(f"  {labels[kind]}: chưa có bộ tiêu chí áp dụng cho năm {year}.")
                )
            else:
                self.stdout.write(f"  {labels[kind]}: {criteria_set.name} (phiên bản {criteria_set.version})")
