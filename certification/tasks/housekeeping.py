"""Housekeeping tasks: files that would otherwise pile up."""

from celery import shared_task

from units.exchange.previews import sweep_previews

__all__ = ["sweep_import_previews_task"]


@shared_task
def sweep_import_previews_task() -> int:
    """Delete import previews never confirmed (``manage.py sweep_imports``)."""
    return sweep_previews()
