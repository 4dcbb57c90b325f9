"""``python manage.py score_campaign --year YEAR [--province CODE] [--wait]``: score a campaign on
the workers (in-process when no broker is configured) and optionally follow its progress."""

import time

from django.core.management.base import BaseCommand, CommandError

from certification.models import Campaign, ScoringRun
from certification.services.scoring import start_scoring_run

FINISHED = (ScoringRun.Status.DONE, ScoringRun.Status.FAILED)


def campaigns_for(year: int, province: str | None) -> list[Campaign]:
    campaigns = Campaign.objects.filter(year=year).select_related("province").order_by("province__code")
    if province:
        campaigns = campaigns.filter(province__code=province.strip())
    found = list(campaigns)
    if not found:
        where = f" của tỉnh có mã “{province}”" if province else ""
        raise CommandError(f"Không có đợt xét năm {year}{where}. Mở đợt xét trước (open_campaign).")
    return found


class Command(BaseCommand):
    help = "Chấm kết quả (đạt / chưa đạt, XA-4, tổng hợp tỉnh) của các đợt xét một năm trên Celery."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm xét, ví dụ 2026.")
        parser.add_argument("--province", help="Mã tỉnh, ví dụ 42 (mặc định: mọi tỉnh có đợt xét năm đó).")
        parser.add_argument("--wait", action="store_true", help="Chờ đến khi chấm xong, in tiến độ.")
        parser.add_argument(
            "--chunk-size", type=int, help="Số xã mỗi nhóm chấm (mặc định: SCORING_CHUNK_COMMUNES, 120)."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Số giây giữa hai lần in tiến độ.")
        parser.add_argument(
            "--timeout", type=float, default=0, help="Với --wait: bỏ chờ sau chừng ấy giây (0: chờ mãi)."
        )

    def handle(
        self,
        *args,
        year: int,
        province: str | None = None,
        wait: bool = False,
        interval: float = 1.0,
        timeout: float = 0,
        chunk_size: int | None = None,
        **options,
    ):
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size phải lớn hơn 0.")
        campaigns = campaigns_for(year, province)
        started = time.monotonic()
        runs = [start_scoring_run(campaign=c, trigger="cli", chunk_size=chunk_size) for c in campaigns]
        for run in runs:
            self.stdout.write(f"Đã đưa vào hàng đợi: lượt chấm #{run.pk} · {run.campaign}")
        if not wait:
            return
        last: dict[int, tuple] = {}
        while True:
            current = {
                r.pk: r
                for r in ScoringRun.objects.filter(pk__in=[r.pk for r in runs]).select_related("campaign")
            }
            for pk, run in current.items():
                state = (run.status, run.done, run.total)
                if last.get(pk) != state:
                    last[pk] = state
                    self.stdout.write(
                        f"#{pk} {run.campaign}: {run.done}/{run.total} đơn vị ({run.percent}%) · {run.get_status_display()}"
                    )
            if all(run.status in FINISHED for run in current.values()):
                break
            if timeout and time.monotonic() - started > timeout:
                raise CommandError(
                    f"Sau {timeout:.0f} giây vẫn chưa chấm xong: kiểm tra Celery worker (celery -A antt worker)."
                )
            time.sleep(interval)
        failed = [run for run in current.values() if run.status == ScoringRun.Status.FAILED]
        elapsed = time.monotonic() - started
        if failed:
            raise CommandError("; ".join(f"#{r.pk}: {r.error}" for r in failed))
        self.stdout.write(self.style.SUCCESS(f"Đã chấm xong {len(runs)} đợt xét trong {elapsed:.1f} giây."))
